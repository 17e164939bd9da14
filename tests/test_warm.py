"""A warehouse kept warm (`stores.warm`, the arrest worker's): sessions see the publication and
never each other's tables, what is derived is computed once per warehouse file and again when
the file is another, and without `keep_warm` every session opens its own connection."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from stores.duck import open_duckdb
from stores.warm import derived, held_table, keep_warm, reader, row_index, session


def _warehouse(path: Path, rows: int) -> Path:
    con = open_duckdb(path)
    con.execute("CREATE OR REPLACE TABLE t AS SELECT range AS k, 'v' || range AS v "
                "FROM range($n)", {"n": rows})
    con.close()
    return path


@pytest.fixture
def warm() -> Iterator[None]:
    keep_warm()
    yield
    keep_warm(False)


def test_sessions_share_the_warehouse_but_not_their_tables(tmp_path: Path, warm: None) -> None:
    wh = _warehouse(tmp_path / "wh.duckdb", 10)
    with session(wh) as con:
        con.execute("CREATE TABLE mine AS SELECT * FROM wh.t WHERE k < 3")
        con.execute("CREATE TEMP TABLE scratch AS SELECT 1")
        assert con.sql("SELECT count(*) FROM mine").fetchall() == [(3,)]
    with session(wh) as con:
        names = {r[0] for r in con.sql("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert "mine" not in names and "scratch" not in names
        con.execute("CREATE TABLE mine AS SELECT 1")   # the same name again: its own
    with reader(wh) as con:
        assert con.sql("SELECT count(*) FROM t").fetchall() == [(10,)]


def test_what_is_derived_is_computed_once_per_warehouse_file(tmp_path: Path,
                                                             warm: None) -> None:
    wh = _warehouse(tmp_path / "wh.duckdb", 10)
    calls: list[int] = []

    def count() -> int:
        calls.append(1)
        with reader(wh) as con:
            return con.sql("SELECT count(*) FROM t").fetchall()[0][0]

    assert derived(wh, "n", count) == 10 and derived(wh, "n", count) == 10
    assert len(calls) == 1
    # another file under the same name (a new publication would be another folder; a file
    # replaced in place is seen all the same): opened afresh, derived again
    _warehouse(tmp_path / "new.duckdb", 7)
    os.replace(tmp_path / "new.duckdb", wh)
    assert derived(wh, "n", count) == 7 and len(calls) == 2


def test_row_index_finds_rows_by_key_and_is_held_once(tmp_path: Path, warm: None) -> None:
    wh = _warehouse(tmp_path / "wh.duckdb", 1000)
    for _ in range(2):
        with session(wh) as con:
            index = row_index(con, wh, "t", "v")
            found = con.sql(f"""SELECT k FROM wh.t WHERE rowid IN (
                                    SELECT rid FROM {index} WHERE key IN ('v3', 'v998'))
                                ORDER BY k""").fetchall()
            assert found == [(3,), (998,)]
    with session(wh) as con:
        made = held_table(con, wh, "_evens", "SELECT k FROM wh.t WHERE k % 2 = 0")
        assert con.sql(f"SELECT count(*) FROM {made}").fetchall() == [(500,)]


def test_without_keep_warm_each_session_is_its_own(tmp_path: Path) -> None:
    wh = _warehouse(tmp_path / "wh.duckdb", 5)
    calls: list[int] = []
    for _ in range(2):
        assert derived(wh, "n", lambda: calls.append(1) or 5) == 5
    assert len(calls) == 2                       # nothing kept
    with session(wh) as con:
        index = row_index(con, wh, "t", "k")    # made in this session's own database
        assert con.sql(f"SELECT count(*) FROM {index}").fetchall() == [(5,)]
    with session(wh) as con:
        names = {r[0] for r in con.sql("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert not any(n.startswith("_rows_of_") for n in names)
