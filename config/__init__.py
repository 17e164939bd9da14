"""foto's one configuration (the lowest layer: every stage may import it, it imports none).

`config/foto.json` holds the defaults, versioned with the code; `config.schema` says what each
value means and what it may be; `config.load` reads and checks it once, at start.
"""

from config.load import (
    DEFAULT_PATH,
    ENV_VAR,
    ConfigError,
    config_path,
    load_config,
    load_thresholds_file,
)
from config.schema import (
    Access,
    Arrests,
    AuditLog,
    Blocking,
    Constraints,
    DuckDB,
    Encryption,
    FotoConfig,
    Gate,
    LinkageLimits,
    PredictChunks,
    ProfileLimits,
    RawLimits,
    Retention,
    Serve,
    SourceTerms,
    Spark,
    StdLimits,
    Term,
    Thresholds,
    Training,
)

__all__ = ["DEFAULT_PATH", "ENV_VAR", "Access", "Arrests", "AuditLog", "Blocking", "ConfigError",
           "Constraints", "DuckDB", "Encryption", "FotoConfig", "Gate", "LinkageLimits",
           "PredictChunks", "ProfileLimits",
           "RawLimits", "Retention", "Serve", "SourceTerms", "Spark", "StdLimits", "Term",
           "Thresholds", "Training", "config_path", "load_config", "load_thresholds_file"]
