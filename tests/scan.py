"""The personal-data scan the tests share: a byte search over every file under a home, in the
encodings a value can be written in, and a query of every table of every DuckDB file (a
database may keep a value compressed, where no byte search finds it)."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Collection, Iterable
from pathlib import Path

import duckdb


def encodings(value: str) -> set[bytes]:
    """The forms a text can take in a file: UTF-8, UTF-16 (SQLite, Windows), Windows-1252
    (the police extract), JSON-escaped."""
    forms = {value.encode("utf-8"), value.encode("utf-16-le"),
             json.dumps(value)[1:-1].encode("ascii")}
    with contextlib.suppress(UnicodeEncodeError):
        forms.add(value.encode("cp1252"))
    return forms


def _digits_alone(form: bytes) -> re.Pattern[bytes]:
    """A number (a BSN, a birth date as 19900125) found only where it stands on its own: not
    inside a longer run of digits, such as a millisecond timestamp in Dagster's event log
    (1764619900125 holds 19900125), in one byte per digit or in UTF-16's two."""
    digit = rb"[0-9]\x00" if form[1:2] == b"\x00" else rb"[0-9]"
    return re.compile(rb"(?<!" + digit + rb")" + re.escape(form) + rb"(?!" + digit + rb")")


def _found_in(data: bytes, form: bytes) -> bool:
    if form.replace(b"\x00", b"").isdigit():
        return form in data and _digits_alone(form).search(data) is not None
    return form in data


def files_holding(root: Path, values: Collection[str | bytes],
                  skip: Iterable[Path] = ()) -> dict[str, list[str]]:
    """{file relative to `root`: values found} over every file under `root` (but `skip`),
    each value searched in every form of `encodings` (bytes are searched as they are); a
    value of digits only counts where no digit adjoins it (`_digits_alone`)."""
    needles = {v: ({v} if isinstance(v, bytes) else encodings(v)) for v in values}
    skipped = {p.resolve() for p in skip}
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        if path.resolve() in skipped:
            continue
        data = path.read_bytes()
        hits = [str(v) for v, forms in needles.items() if any(_found_in(data, f) for f in forms)]
        if hits:
            found[str(path.relative_to(root))] = hits
    return found


def databases_holding(root: Path, values: Collection[str]) -> dict[str, list[str]]:
    """{database file: tables} where a column of any type, cast to text (lists too), holds
    one of `values` in any case (a standardised name is lower-cased), over every DuckDB file
    under `root`."""
    found: dict[str, list[str]] = {}
    wanted = list(values)
    for path in sorted(root.rglob("*.duckdb")):
        con = duckdb.connect(str(path), read_only=True)
        try:
            tables = [r[0] for r in con.sql(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = "
                "current_database()").fetchall()]
            hits = [t for t in tables if _table_holds(con, t, wanted)]
        finally:
            con.close()
        if hits:
            found[str(path.relative_to(root))] = hits
    return found


def _table_holds(con: duckdb.DuckDBPyConnection, table: str, wanted: list[str]) -> bool:
    columns = [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND table_name = ?", [table]).fetchall()]
    if not columns or not wanted:
        return False
    text = " || chr(31) || ".join(f'coalesce(CAST("{c}" AS VARCHAR), \'\')' for c in columns)
    condition = " OR ".join(f"contains(lower({text}), $v{i})" for i in range(len(wanted)))
    row = con.execute(f'SELECT count(*) FROM "{table}" WHERE {condition}',
                      {f"v{i}": v.lower() for i, v in enumerate(wanted)}).fetchall()
    return bool(row[0][0])
