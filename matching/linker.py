"""Building a Splink linker over canonical records, on a database API chosen by configuration.

DuckDB in memory is the default (Splink's working tables never land in a published file); the
same code takes `splink.backends.spark.SparkAPI` when the country-wide scale needs it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker

from sources.schema import CANONICAL_COLUMNS
from standardise.rules import DERIVED_COLUMNS
from stores.duck import open_duckdb

# Columns the model compares; the rest of the canonical record stays out of Splink.
MODEL_COLUMNS = [
    "unique_id", "source", "given_names", "first_name", "first_name_key", "initials",
    "surname", "surname_1", "surname_2", "surname_key", *DERIVED_COLUMNS,
    "dob", "dob_year", "dob_month", "dob_day", "bsn", "sex", "postcode", "huisnummer", "street",
]
assert set(MODEL_COLUMNS) <= {*CANONICAL_COLUMNS, *DERIVED_COLUMNS}


def quiet_splink() -> None:
    """Splink logs progress at INFO; runs report their own counts instead."""
    logging.getLogger("splink").setLevel(logging.WARNING)


def matching_connection(limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection for Splink, held to `limit`, else the run's budget
    (`stores.duck`): the benchmarks' plain Splink deduplication gets the same bound. Splink
    orders what it relies on, so DuckDB need not keep insertion order."""
    return open_duckdb(memory=limit, keep_order=False)


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
