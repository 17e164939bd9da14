"""Crash safety: a `foto run` killed with SIGKILL, mid-run or at any step of publication, leaves
the previous publication readable and whole, and the next run succeeds without cleaning."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from stores.publications import current_publication
from tests.conftest import ROOT, foto, load_generator

PUBLICATION_STEPS = ["staged", "moved", "linked", "pointed"]


def _foto_process(inbox: Path, home: Path, crash_at: str = "") -> subprocess.Popen:
    env = os.environ | {"FOTO_CRASH_AT": crash_at}
    env.pop("DAGSTER_HOME", None)
    return subprocess.Popen([sys.executable, "-m", "foto.cli", "run", "--inbox", str(inbox),
                             "--home", str(home)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _whole(publication: Path) -> int:
    """A publication is whole when its manifest, warehouse and triage database all open and
    agree; returns its number of persons."""
    manifest = json.loads((publication / "triage" / "manifest.json").read_text())
    for db, table in ((publication / "warehouse.duckdb", "person"),
                      (publication / "triage" / "triage.duckdb", "triage_person")):
        con = duckdb.connect(str(db), read_only=True)
        try:
            rows = con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        finally:
            con.close()
        if table == "person":
            assert rows == manifest["persons"]
    assert len(list((publication / "triage").rglob("*.html"))) >= manifest["sheets"]
    return manifest["persons"]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("crash")
    load_generator().generate(300, 41, root / "data", arrests=0, defects=0.0)
    inbox, home = root / "data" / "inbox", root / "home"
    assert foto("run", "--inbox", str(inbox), "--home", str(home)) == 0
    return inbox, home


def _kill_while_building(proc: subprocess.Popen, home: Path, delay: float) -> None:
    """SIGKILL `delay` seconds after the run created its build database (mid-ingest/match)."""
    deadline = time.monotonic() + 120
    while not list(home.glob("runs/*/warehouse.duckdb")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)


@pytest.mark.e2e
@pytest.mark.parametrize("kill", ["building +0 s", "building +2 s", *PUBLICATION_STEPS])
def test_killed_run_leaves_previous_publication_whole_and_next_run_succeeds(
        kill: str, published: tuple[Path, Path], tmp_path: Path) -> None:
    inbox, base = published
    home = tmp_path / "home"
    shutil.copytree(base, home, symlinks=True)
    previous = current_publication(home)
    persons = _whole(previous)

    if kill.startswith("building"):
        proc = _foto_process(inbox, home)
        _kill_while_building(proc, home, float(kill.split("+")[1].split()[0]))
    else:
        proc = _foto_process(inbox, home, crash_at=kill)
    assert proc.wait(timeout=300) == -signal.SIGKILL

    # what readers open now is whole: the previous publication, or (killed after the swap)
    # the new one; the previous one is never touched
    assert _whole(previous) == persons
    _whole(current_publication(home))
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    assert con.sql("SELECT count(*) FROM person_records").fetchall()[0][0] > 0
    con.close()

    assert foto("run", "--inbox", str(inbox), "--home", str(home)) == 0
    current = current_publication(home)
    assert current != previous and _whole(current) == persons
    assert not list(home.glob(".*.tmp"))
