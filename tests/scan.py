"""The personal-data scans the tests share: a byte search over files, and every DuckDB
database opened and every table queried (a database's pages may compress a value, so a byte
search alone could miss it there).

Used by the end-to-end scans (no name, BSN or birth date in reports and Dagster's storage) and
by the retention tests (a record past its term in no file of the home).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import duckdb

from stores.sql import Identifier, fill


def files_holding(files: Iterable[Path], needles: set[bytes]) -> dict[Path, int]:
    """Per file that holds any of `needles` (as written, or in UTF-16, as some stores write
    text), how many of them."""
    out = {}
    for path in files:
        data = path.read_bytes()
        hits = [n for n in needles if n in data or n.decode().encode("utf-16-le") in data]
        if hits:
            out[path] = len(hits)
    return out


def every_file(root: Path) -> list[Path]:
    """Every regular file under `root` (a link to a file counts once, as its target)."""
    seen, out = set(), []
    for path in sorted(root.rglob("*")):
        if path.is_file() and (real := path.resolve()) not in seen:
            seen.add(real)
            out.append(real)
    return out


def databases_holding(root: Path, needles: set[str]) -> dict[str, int]:
    """Every DuckDB database under `root` opened read-only and every table of it queried:
    per `file:table` whose rows (any column, as text) hold one of `needles`, how many rows."""
    pattern = "|".join(re.escape(n) for n in sorted(needles))
    out = {}
    for path in every_file(root):
        if path.suffix != ".duckdb":
            continue
        con = duckdb.connect(str(path), read_only=True)
        try:
            tables = con.sql("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()
            for schema, table in tables:
                rows = con.execute(fill(
                    "SELECT count(*) FROM {schema}.{table} AS r "
                    "WHERE regexp_matches(CAST(r AS VARCHAR), $pattern)",
                    schema=Identifier(schema), table=Identifier(table)),
                    {"pattern": pattern}).fetchall()[0][0]
                if rows:
                    out[f"{path.relative_to(root.resolve())}:{table}"] = rows
        finally:
            con.close()
    return out
