"""The lowest layer: DuckDB connections and table helpers, and where the home keeps its
publications. Knows no stage: a stage that needs more on a connection (the standardisation
macros) installs it itself."""
