"""Every DuckDB connection foto opens goes through `stores.duck`: held to the budget, spilling
under the home, never into the folder foto was started from."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import duckdb
import pytest

from stores import duck
from stores.duck import open_duckdb, spilling_under

ROOT = Path(__file__).resolve().parents[1]
# Tests open the files a run made to look at them (small, read back, never spilling); the
# generator writes no database. Everything else foto runs or measures is scanned.
NOT_SCANNED = {"tests", "data", ".venv", "stores"}


def _modules() -> list[Path]:
    return [p for p in ROOT.rglob("*.py")
            if p.relative_to(ROOT).parts[0] not in NOT_SCANNED
            and not any(part.startswith(".") for part in p.relative_to(ROOT).parts)]


def _direct_opens(tree: ast.AST) -> list[int]:
    """Lines that open DuckDB past `stores.duck`: `duckdb.connect(...)`, `connect` imported
    from duckdb, and Splink's `DuckDBAPI()` without a connection (it opens its own)."""
    from_duckdb = {alias.asname or alias.name for node in ast.walk(tree)
                   if isinstance(node, ast.ImportFrom) and node.module == "duckdb"
                   for alias in node.names if alias.name == "connect"}
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        through_module = isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) \
            and f.value.id == "duckdb" and f.attr in {"connect", "default_connection"}
        imported = isinstance(f, ast.Name) and f.id in from_duckdb
        own_splink = isinstance(f, ast.Name) and f.id == "DuckDBAPI" and not node.args \
            and not any(k.arg == "connection" for k in node.keywords)
        if through_module or imported or own_splink:
            lines.append(node.lineno)
    return lines


def test_no_module_outside_stores_opens_duckdb_itself():
    modules = _modules()
    assert len(modules) > 100, "the scan found too few modules: the tree moved?"
    offenders = [f"{p.relative_to(ROOT)}:{line}" for p in modules
                 for line in _direct_opens(ast.parse(p.read_text(encoding="utf-8")))]
    assert not offenders, f"open DuckDB through stores.duck.open_duckdb: {offenders}"


def test_the_scan_finds_a_direct_open():
    tree = ast.parse("import duckdb\nfrom duckdb import connect as c\n"
                     "a = duckdb.connect()\nb = c('x.db')\nfrom splink import DuckDBAPI\n"
                     "api = DuckDBAPI()\nfine = DuckDBAPI(con)\n")
    assert _direct_opens(tree) == [3, 4, 6]


# A table of some 150 MB of text under a 64 MB limit: DuckDB must spill to hold it (a sort
# under such a limit fails before it spills: its pinned blocks alone fill it).
_SPILLING_TABLE = ("CREATE TABLE t AS SELECT x, md5(x::VARCHAR) || md5((x + 1)::VARCHAR) AS h "
                   "FROM range(2000000) t(x)")


def test_an_in_memory_connection_spills_under_the_home_and_nowhere_else(tmp_path, monkeypatch):
    home, elsewhere = tmp_path / "home", tmp_path / "started-here"
    home.mkdir()
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv(duck.ENV_MEMORY, raising=False)
    with spilling_under(home, "64MB") as scratch:
        assert scratch.parent == home / duck.SCRATCH
        assert scratch.stat().st_mode & 0o777 == 0o700
        assert scratch.parent.stat().st_mode & 0o777 == 0o700
        con = open_duckdb()
        try:
            limit = con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]
            assert limit.replace(" ", "") in {"61.0MiB", "64.0MB"}
            assert con.sql("SELECT current_setting('threads')").fetchall()[0][0] == duck.cores()
            con.execute(_SPILLING_TABLE)
            assert con.sql("SELECT count(*) FROM t").fetchall()[0][0] == 2_000_000
            # the table does not fit: its blocks live in DuckDB's temporary files
            seen = {Path(p) for (p,) in con.sql(
                "SELECT path FROM duckdb_temporary_files()").fetchall()}
            on_disk = {p for p in scratch.rglob("*") if p.is_file()}
        finally:
            con.close()
    assert seen, "the table did not spill: the test proves nothing"
    assert all(p.is_relative_to(scratch) for p in seen), "spilled outside the scope's folder"
    assert on_disk
    assert not any(elsewhere.rglob("*")), "DuckDB wrote in the folder it was started from"
    assert not scratch.exists(), "the spill folder outlived its scope"


def test_outside_a_scope_an_in_memory_connection_never_spills(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(duck.ENV_MEMORY, "64MB")
    con = open_duckdb()
    try:
        with pytest.raises(duckdb.OutOfMemoryException):
            con.execute(_SPILLING_TABLE)
    finally:
        con.close()
    assert not any(tmp_path.rglob("*")), "DuckDB wrote in the folder it was started from"


def test_the_budget_comes_from_the_scope_and_the_environment_overrides_it(tmp_path, monkeypatch):
    monkeypatch.delenv(duck.ENV_MEMORY, raising=False)
    assert duck.memory_limit() == duck.DEFAULT_MEMORY_LIMIT
    with spilling_under(tmp_path, "700MB"):
        assert duck.memory_limit() == "700MB"
        assert duck.memory_limit("200MB") == "200MB"
        monkeypatch.setenv(duck.ENV_MEMORY, "1GB")
        assert duck.memory_limit() == "1GB"
        with open_duckdb() as con:
            limit = con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]
            assert limit.replace(" ", "") in {"953.6MiB", "1.0GB"}
    assert os.listdir(tmp_path / duck.SCRATCH) == []


def test_the_configured_budget_is_the_default(monkeypatch):
    from config import load_config

    assert load_config().duckdb.memory_limit == duck.DEFAULT_MEMORY_LIMIT


def test_a_scope_belongs_to_the_thread_that_opened_it(tmp_path, monkeypatch):
    """`foto serve` answers requests while a republication runs on another thread: a request's
    connection must not spill into the job's step folder, removed when the step ends."""
    import threading

    monkeypatch.delenv(duck.ENV_MEMORY, raising=False)
    job_entered, request_done = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def job() -> None:
        with spilling_under(tmp_path / "job-home", "300MB") as folder:
            seen["job"] = folder
            job_entered.set()
            request_done.wait(timeout=30)
            seen["job_still"] = duck.scratch_folder()

    def request() -> None:
        job_entered.wait(timeout=30)
        seen["request_before"] = duck.scratch_folder()
        seen["request_budget"] = duck.memory_limit()
        with spilling_under(tmp_path / "serve-home") as folder:
            seen["request"] = duck.scratch_folder()
            assert folder == seen["request"]
        request_done.set()

    threads = [threading.Thread(target=job), threading.Thread(target=request)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert seen["request_before"] is None, "a thread took another thread's spill folder"
    assert seen["request_budget"] == duck.DEFAULT_MEMORY_LIMIT
    assert seen["request"] != seen["job"]
    assert seen["job_still"] == seen["job"], "another thread's scope replaced the job's"
    assert duck.scratch_folder() is None
