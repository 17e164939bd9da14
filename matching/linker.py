"""Building a Splink linker over canonical records, on a database API chosen by configuration.

DuckDB in memory is the default (Splink's working tables never land in a published file); the
same code takes `splink.backends.spark.SparkAPI` when the country-wide scale needs it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker

from sources.schema import CANONICAL_COLUMNS
from standardise.rules import DERIVED_COLUMNS

# Columns the model compares; the rest of the canonical record stays out of Splink.
MODEL_COLUMNS = [
    "unique_id", "source", "given_names", "first_name", "first_name_key", "initials",
    "surname", "surname_1", "surname_2", "surname_key", *DERIVED_COLUMNS,
    "dob", "dob_year", "dob_month", "dob_day", "bsn", "sex", "postcode", "huisnummer",
]
assert set(MODEL_COLUMNS) <= {*CANONICAL_COLUMNS, *DERIVED_COLUMNS}
# DuckDB takes most of the machine's memory unless told otherwise; Splink's work spills to disk
# beyond this. FOTO_MATCH_MEMORY overrides it.
DEFAULT_MEMORY_LIMIT = "6GB"


def quiet_splink() -> None:
    """Splink logs progress at INFO; runs report their own counts instead."""
    logging.getLogger("splink").setLevel(logging.WARNING)


def matching_connection(limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection for Splink, held to `limit`, else `DEFAULT_MEMORY_LIMIT`
    (or FOTO_MATCH_MEMORY): the benchmarks' plain Splink deduplication gets the same bound."""
    con = duckdb.connect()
    con.execute("SET memory_limit = ?", [limit or os.environ.get("FOTO_MATCH_MEMORY",
                                                                 DEFAULT_MEMORY_LIMIT)])
    con.execute("SET preserve_insertion_order = false")
    return con


def make_linker(records: pa.Table, model: Any, db_api: Any | None = None,
                extra_columns: tuple[str, ...] = ()) -> Linker:
    """A linker over `records` (canonical columns) with settings or a saved model path;
    `extra_columns` are further columns its blocking rules read (`matching.blocking`)."""
    quiet_splink()
    if db_api is None:
        db_api = DuckDBAPI(matching_connection())
    api = db_api
    sdf = api.register(records.select([*MODEL_COLUMNS, *extra_columns]))
    settings = str(model) if isinstance(model, Path) else model
    return Linker(sdf, settings, log_level=logging.WARNING)
