"""The build database of one run: every stage writes its tables into it, one writer at a time.

A run never writes the published files: it builds `<home>/runs/<run>/warehouse.duckdb`, the gate
checks it, and publication swaps it in atomically (see `publish.publication`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from stores.duck import open_duckdb
from stores.sql import Fragment, Identifier, fill


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the build database; always closed. Nothing is installed on it: a stage that needs
    the standardisation macros asks for them (`standardise.rules.connect_prepared`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = open_duckdb(path, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def write_table(con: duckdb.DuckDBPyConnection, name: str,
                data: pd.DataFrame | pa.Table, declared: dict[str, str] | None = None) -> int:
    """Create or replace table `name` from a frame; returns its row count. A table with
    declared types (a raw table's `Source.raw_types`, `sources.registry`, passed by its writer,
    since the store knows no source) gets them where the frame could not say."""
    con.register("_incoming", data)
    try:
        con.execute(fill("CREATE OR REPLACE TABLE {t} AS SELECT * FROM _incoming",
                         t=Identifier(name)))
    finally:
        con.unregister("_incoming")
    if declared:
        apply_declared_types(con, name, declared)
    return count(con, name)


class UndeclaredType(TypeError):
    """A column holds values of another type than declared: a reader's fault, named by table
    and column (never by value)."""


def apply_declared_types(con: duckdb.DuckDBPyConnection, name: str,
                         declared: dict[str, str]) -> None:
    """Retype the columns of `name` that differ from their declared type and hold no value.

    A source with zero rows (a partner's empty extract, released with `--accept`) or a field no
    row filled must still give every later stage a typed column: pandas cannot type an empty
    object column, DuckDB then reads VARCHAR or NULL. A column with values of the wrong type is
    not cast (that could turn a value into NULL or put it in an error text): it is refused."""
    actual = dict(con.sql("SELECT column_name, data_type FROM duckdb_columns() "
                          "WHERE table_name = ?", params=[name]).fetchall())
    retype = {c: t for c, t in declared.items() if c in actual and actual[c] != t}
    if not retype:
        return
    filled = con.sql(fill("SELECT {counts} FROM {t}", t=Identifier(name), counts=Fragment(
        ", ".join(fill("count({c})", c=Identifier(c)) for c in retype)))).fetchall()[0]
    wrong = [c for c, n in zip(retype, filled, strict=True) if n]
    if wrong:
        raise UndeclaredType(f"table {name}: column(s) {', '.join(wrong)} hold values of "
                             f"another type than declared ({', '.join(retype[c] for c in wrong)})")
    casts = ", ".join(fill("CAST({c} AS {t}) AS {c}", c=Identifier(c), t=Identifier(t))
                      for c, t in retype.items())
    con.execute(fill("CREATE OR REPLACE TABLE {t} AS SELECT * REPLACE ({casts}) FROM {t}",
                     t=Identifier(name), casts=Fragment(casts)))


def count(con: duckdb.DuckDBPyConnection, name: str) -> int:
    return int(con.sql(fill("SELECT count(*) FROM {t}", t=Identifier(name))).fetchall()[0][0])


def table_exists(con: duckdb.DuckDBPyConnection, name: str, database: str | None = None) -> bool:
    """Whether table `name` exists: in any database of `con`, or in `database` (an attached
    one, e.g. a published warehouse that may predate the table)."""
    rows = con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = $name "
                       "AND ($db IS NULL OR database_name = $db)", {"name": name, "db": database})
    return bool(rows.fetchall())


def rows_of(con: duckdb.DuckDBPyConnection, sql: str,
            params: list | dict | None = None) -> list[dict]:
    """The rows of a query as dicts by column name."""
    cursor = con.execute(sql, params) if params is not None else con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
