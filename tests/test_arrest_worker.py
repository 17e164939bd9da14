"""The arrest worker (`foto worker`): the same sheet as `foto arrest`, a file dropped twice runs
once, a bad file is quarantined with its reason, `foto arrest` hands its file over, a worker
killed half-way leaves nothing half-published and the file to the sensor, and its log holds no
personal data. The e2e tests start real worker processes on a copy of the sample's home."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, build_sensor_context

from assets.resources import FotoPaths
from pipelines.instance import instance_for
from pipelines.sensors import arrest_sensor
from publish.arrest_worker import WorkerBusy, hand_to_worker, worker_lock, worker_running
from publish.arrests import done_path, publish_lock
from stores.publications import current_triage
from tests.conftest import ROOT, foto
from tests.test_arrest import _arrest, _known_person, _write

NOBODY = {"geslachtsnaam": "Zwaneveld-Oosterbroek", "voorvoegsel": "", "voornamen": "Quirijn",
          "geboortedatum": "19710309", "bsn": None, "straatnaam": "Nergensstraat",
          "huisnummer": 99, "postcode": "9999ZZ", "woonplaats": "Nergenshuizen"}


def test_the_worker_lock_is_held_by_one_worker_and_seen_by_a_probe(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert not worker_running(home)
    with worker_lock(home):
        assert worker_running(home)
        with pytest.raises(WorkerBusy), worker_lock(home, wait=0.2):
            pass
    assert not worker_running(home)       # released with its file descriptor
    assert hand_to_worker(home, tmp_path / "x.json") is None   # nobody to hand it to


def test_the_sensor_launches_nothing_while_a_worker_runs(tmp_path: Path) -> None:
    inbox, home = tmp_path / "inbox", tmp_path / "home"
    _write(inbox / "arrests", {"arrest_id": "AH-2026-000001"})
    paths = FotoPaths(inbox=str(inbox), home=str(home))
    with DagsterInstance.ephemeral() as instance:
        with worker_lock(home):
            held = list(arrest_sensor(build_sensor_context(instance=instance,
                                                           resources={"paths": paths})))
        assert [type(r).__name__ for r in held] == ["SkipReason"]
        # the worker gone, its files are the sensor's again
        after = list(arrest_sensor(build_sensor_context(instance=instance,
                                                        resources={"paths": paths})))
        assert [r.run_key for r in after] == ["AH-2026-000001"]


def _start_worker(home: Path, inbox: Path, log: Path) -> subprocess.Popen:
    """`foto worker` in its own process, its output to `log`; returns once it serves."""
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"} | {
        "PYTHONPATH": str(ROOT)}
    with open(log, "w", encoding="utf-8") as out:
        worker = subprocess.Popen([sys.executable, "-m", "foto.cli", "worker", "--home",
                                   str(home), "--inbox", str(inbox), "--interval", "0.1"],
                                  cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while "serving" not in log.read_text(encoding="utf-8"):
        assert worker.poll() is None, log.read_text(encoding="utf-8")
        assert time.monotonic() < deadline, "the worker did not start"
        time.sleep(0.2)
    return worker


def _stop(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=60)


def _wait_for(path: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} did not appear"
        time.sleep(0.05)


def _land(feed: Path, arrest: dict) -> Path:
    """Into the feed the way a feed should deliver: written aside, then moved in."""
    feed.mkdir(parents=True, exist_ok=True)
    tmp = feed.parent / f".{arrest['arrest_id']}.tmp"
    tmp.write_text(json.dumps(arrest), encoding="utf-8")
    target = feed / f"{arrest['arrest_id']}.json"
    os.replace(tmp, target)
    return target


def _personal_values(*arrests: dict) -> list[str]:
    return [str(a[k]) for a in arrests for k in ("achternaam", "voornamen", "geboortedatum",
                                                 "bsn", "straat", "postcode", "woonplaats")
            if a.get(k)]


@pytest.mark.e2e
def test_the_worker_publishes_what_foto_arrest_publishes_once_and_quarantines_bad_files(
        sample_run: Path, sample_home: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    known = _arrest("AH-2026-910001", _known_person(sample_home / "warehouse.duckdb"))
    nobody = _arrest("AH-2026-910002", NOBODY)
    # the same arrests through `foto arrest` (no worker: the job in this process) on a twin home
    twin = tmp_path / "twin"
    shutil.copytree(sample_run, twin, symlinks=True)
    for arrest in (known, nobody):
        assert foto("arrest", str(_write(tmp_path / "cli" / "arrests", arrest)), "--home",
                    str(twin)) == 0
    capsys.readouterr()

    home, inbox = sample_home, tmp_path / "inbox"
    log = tmp_path / "worker.log"
    worker = _start_worker(home, inbox, log)
    try:
        for arrest in (known, nobody):
            _land(inbox / "arrests", arrest)
        for arrest in (known, nobody):
            _wait_for(done_path(home, arrest["arrest_id"]))
        # a bad file: quarantined with its reason, nothing published
        _land(inbox / "arrests", {"arrest_id": "AH-2026-910003"})
        reason = home / "arrests" / "quarantine" / "AH-2026-910003.json.reason.txt"
        _wait_for(reason)
        assert "missing field(s)" in reason.read_text(encoding="utf-8")
        # dropped again (a new copy, a new time): still published once
        again = _land(inbox / "arrests", known)
        os.utime(again)
        # `foto arrest` from the command line hands its file to the worker
        handed = _arrest("AH-2026-910004", NOBODY | {"straatnaam": "Elders"})
        file = _write(tmp_path / "handed" / "arrests", handed)
        cli = subprocess.run([sys.executable, "-m", "foto.cli", "arrest", str(file), "--home",
                              str(home)], cwd=ROOT, capture_output=True, text=True,
                             env={k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"})
        assert cli.returncode == 0, cli.stdout + cli.stderr
        assert "published on" in cli.stdout
        time.sleep(1.0)   # a few more looks at the feed
    finally:
        _stop(worker)
    text = log.read_text(encoding="utf-8")
    assert text.count("arrest AH-2026-910001: published") == 1, text
    assert "arrest AH-2026-910001: already" not in text
    assert "arrest AH-2026-910004: published" in text      # the worker did it, not a job
    assert "foto worker: stopped" in text
    # the worker's sheets are the job's sheets
    for arrest in (known, nobody):
        ours = json.loads(done_path(home, arrest["arrest_id"]).read_text(encoding="utf-8"))
        theirs = json.loads(done_path(twin, arrest["arrest_id"]).read_text(encoding="utf-8"))
        assert {k: v for k, v in ours.items() if k != "published_at"} == \
            {k: v for k, v in theirs.items() if k != "published_at"}
        sheet = f"sheets/{ours['person_id']}.html"
        assert (current_triage(home) / sheet).read_bytes() == \
            (current_triage(twin) / sheet).read_bytes()
    # no personal data in what it printed
    leaked = [v for v in _personal_values(known, nobody, handed) if v in text]
    assert not leaked, "the worker's log holds personal data"
    # every arrest it took shows on the home's Dagster instance, as the job's would
    with instance_for(home) as instance:
        shown = {e.asset_materialization.metadata["arrest_id"].value
                 for e in instance.fetch_materializations(AssetKey("arrest_sheet"),
                                                          limit=20).records}
    assert {"AH-2026-910001", "AH-2026-910002", "AH-2026-910004"} <= shown


@pytest.mark.e2e
def test_a_worker_killed_half_way_publishes_nothing_and_leaves_the_file(
        sample_home: Path, tmp_path: Path) -> None:
    home, inbox = sample_home, tmp_path / "inbox"
    arrest = _arrest("AH-2026-910005", NOBODY)
    index = current_triage(home) / "index.html"
    before = index.read_bytes()
    worker = _start_worker(home, inbox, tmp_path / "worker.log")
    try:
        with publish_lock(home):   # the worker takes the file and waits here, at the lock
            file = _land(inbox / "arrests", arrest)
            time.sleep(4)
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert not done_path(home, arrest["arrest_id"]).exists()
    assert index.read_bytes() == before and file.exists()
    assert not worker_running(home)
    # the sensor takes it up again, and it publishes
    paths = FotoPaths(inbox=str(inbox), home=str(home))
    with DagsterInstance.ephemeral() as instance:
        requests = list(arrest_sensor(build_sensor_context(instance=instance,
                                                           resources={"paths": paths})))
    assert [r.run_key for r in requests] == [arrest["arrest_id"]]
    assert foto("arrest", str(file), "--home", str(home)) == 0
    assert done_path(home, arrest["arrest_id"]).exists()
