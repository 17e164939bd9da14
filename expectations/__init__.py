"""The quality gate: Great Expectations suites over metrics that DuckDB computes."""
