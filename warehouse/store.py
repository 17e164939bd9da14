"""The build database of one run: every stage writes its tables into it, one writer at a time.

A run never writes the published files: it builds `<home>/runs/<run>/warehouse.duckdb`, the gate
checks it, and publication swaps it in atomically (see `warehouse.publish`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from matching.standardise import prepare


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the build database with the standardisation macros installed; always closed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        if not read_only:
            prepare(con)
        yield con
    finally:
        con.close()


def write_table(con: duckdb.DuckDBPyConnection, name: str,
                data: pd.DataFrame | pa.Table) -> int:
    """Create or replace table `name` from a frame; returns its row count."""
    con.register("_incoming", data)
    try:
        con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM _incoming')
    finally:
        con.unregister("_incoming")
    return count(con, name)


def count(con: duckdb.DuckDBPyConnection, name: str) -> int:
    return int(con.sql(f'SELECT count(*) FROM "{name}"').fetchall()[0][0])


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = con.sql("SELECT 1 FROM duckdb_tables() WHERE table_name = ?", params=[name])
    return bool(rows.fetchall())
