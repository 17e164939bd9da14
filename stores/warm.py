"""A published warehouse held open by a long-lived process, with what is derived from it.

Why. An arrest reads the current publication's warehouse a dozen times (its record, its
candidates, the persons they belong to, the sheet's rows): a process that opens the file for
each read pays for the catalog every time, and what an arrest derives from the whole
publication (its size, the term frequencies of a column) is the same for every arrest of a
day, yet costs a scan of a million records each time. The arrest worker (`foto worker`)
serves many arrests in one process: it calls `keep_warm()`, and from then on the warehouse of
the current publication stays attached, read-only, to one in-memory DuckDB database for as
long as the file is unchanged, and `derived` keeps each value computed from it beside it. A
process that publishes one arrest (the `on_arrest` job, `foto arrest` without a worker) does
not keep anything warm: every session opens and closes its own connection, as before.

What a session is. `session(warehouse)` gives a connection whose default database is an empty
one in memory, with the warehouse attached as `wh` (read-only): an arrest builds its own small
tables there and reads the publication through `wh`. Warm, that is a cursor of the held
database with a fresh in-memory database of its own as default (dropped with whatever was made
in it at the end), so no session sees another's tables, and its temporary objects go with the
cursor. `reader(warehouse)` gives the warehouse itself as the default database (unqualified
table names are the warehouse's).

A publication's warehouse is never changed once published (a new run, a judgement, a rollback
make another publication current), and an arrest reads it under the publish lock: a file whose
identity (inode, size, modification time) changed is opened afresh, the old one let go, and
only the last warehouse is kept.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from stores.duck import open_duckdb
from stores.sql import Fragment, Identifier, fill

T = TypeVar("T")
ALIAS = "wh"

_lock = threading.Lock()
_keep = False
_held: dict[Path, _Warm] = {}
_names = itertools.count(1)


class _Warm:
    """One warehouse attached to one in-memory database, and the values derived from it."""

    def __init__(self, warehouse: Path, identity: tuple[int, int, int]) -> None:
        self.identity = identity
        self.con = open_duckdb()
        self.con.execute("ATTACH ? AS wh (READ_ONLY)", [str(warehouse)])
        self.derived: dict[Any, Any] = {}

    def close(self) -> None:
        self.con.close()


def keep_warm(on: bool = True) -> None:
    """From now on (or no longer), keep the last warehouse read open, with what is derived
    from it: for a process that serves many arrests."""
    global _keep
    with _lock:
        _keep = on
        if not on:
            for warm in _held.values():
                warm.close()
            _held.clear()


def _identity(warehouse: Path) -> tuple[int, int, int]:
    st = warehouse.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


def _warm(warehouse: Path) -> _Warm | None:
    """The held warehouse for `warehouse`, opened if needed; None when nothing is kept."""
    if not _keep:
        return None
    key, identity = warehouse.resolve(), _identity(warehouse)
    warm = _held.get(key)
    if warm is not None and warm.identity == identity:
        return warm
    for old in _held.values():   # only the last warehouse is kept: the current publication
        old.close()
    _held.clear()
    _held[key] = warm = _Warm(key, identity)
    return warm


@contextmanager
def session(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An empty database in memory as the default, with `warehouse` attached as `wh`
    (read-only); see the module's docstring."""
    with _lock:
        warm = _warm(warehouse)
    if warm is None:
        con = open_duckdb()
        try:
            con.execute("ATTACH ? AS wh (READ_ONLY)", [str(warehouse)])
            yield con
        finally:
            con.close()
        return
    cur = warm.con.cursor()
    scratch = f"arrest_{next(_names)}"
    try:
        cur.execute(fill("ATTACH ':memory:' AS {name}", name=Identifier(scratch)))
        cur.execute(fill("USE {name}", name=Identifier(scratch)))
        yield cur
    finally:
        try:
            cur.execute("USE memory")
            cur.execute(fill("DETACH {name}", name=Identifier(scratch)))
        finally:
            cur.close()


@contextmanager
def reader(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """`warehouse` as the default database, read-only."""
    with _lock:
        warm = _warm(warehouse)
    if warm is None:
        con = open_duckdb(warehouse, read_only=True)
        try:
            yield con
        finally:
            con.close()
        return
    cur = warm.con.cursor()
    try:
        cur.execute(fill("USE {name}", name=Identifier(ALIAS)))
        yield cur
    finally:
        cur.close()


def derived(warehouse: Path, key: Any, compute: Callable[[], T]) -> T:
    """`compute()`, kept beside the warm `warehouse` under `key` for later calls; computed
    every time when nothing is kept. `compute` must depend on the warehouse and `key` only."""
    with _lock:
        warm = _warm(warehouse)
        if warm is not None and key in warm.derived:
            return warm.derived[key]
    value = compute()
    if warm is not None:
        with _lock:
            if _held.get(warehouse.resolve()) is warm:
                warm.derived[key] = value
    return value


def held_table(con: duckdb.DuckDBPyConnection, warehouse: Path, name: str, select: str) -> str:
    """The table `select` (a query over `wh`, written in code) makes, named `name`, in the
    in-memory database every session shares; its qualified name, for SQL text. Made once per
    warm warehouse and kept with it; made in the session's own database when nothing is kept.

    For a few rows among millions, by their keys: a table of (key, row id) is joined in
    memory on two columns, and only the rows found are read from the warehouse
    (`WHERE rowid IN ...`), instead of every column of every row read and then joined."""
    qualified = f"{Identifier('memory').sql()}.{Identifier('main').sql()}.{Identifier(name).sql()}"

    def make() -> bool:
        con.execute(fill("CREATE OR REPLACE TABLE {table} AS {select}",
                         table=Fragment(qualified), select=Fragment(select)))
        return True

    derived(warehouse, ("held_table", name, select), make)
    return qualified


def row_index(con: duckdb.DuckDBPyConnection, warehouse: Path, table: str, column: str) -> str:
    """`held_table` of (key, rid): each row of the warehouse's `table` by its `column`."""
    return held_table(con, warehouse, f"_rows_of_{table}_by_{column}",
                      fill("SELECT {column} AS key, rowid AS rid FROM wh.{table}",
                           column=Identifier(column), table=Identifier(table)))
