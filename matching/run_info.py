"""`run_info`: which model and thresholds scored this run's pairs (read by `person_records`,
the run summary and the quality report). Owned here, next to the model and thresholds it
records, so that the Dagster asset holds no table definitions."""

from __future__ import annotations

import duckdb

from matching.models import ModelRef
from matching.thresholds import Thresholds


def record_run_info(con: duckdb.DuckDBPyConnection, model: ModelRef,
                    thresholds: Thresholds) -> None:
    """Replace `run_info` with the model version and thresholds of this run."""
    con.execute("CREATE OR REPLACE TABLE run_info AS SELECT ? AS model_version, "
                "? AS thresholds_version, ? AS link_threshold, ? AS review_threshold",
                [model.version, thresholds.version, thresholds.link, thresholds.review])
