"""The audit log and the home's modes through real runs: `foto run`, `foto arrest`, a rerun and
`foto rollback` started with a permissive umask (022) leave nothing under the home that another
account can read, and each is in the audit log, whose chain verifies; a run that does not pass
through `foto` (the daemon's way) is refused publication into a home opened up since."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from audit import store
from stores.publications import current_publication

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


def _foto(*args: str) -> subprocess.CompletedProcess:
    """`foto` in its own process, as an operator with umask 022 would start it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DAGSTER_HOME", None)
    return subprocess.run([sys.executable, "-m", "foto.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900,
                          preexec_fn=lambda: os.umask(0o022))


def _readable_by_others(home: Path, bits: str) -> list[str]:
    """`find HOME -perm /BITS`, symlinks included: foto makes none (the `published` pointer is
    a file), so the issue's check holds as it is written."""
    found = subprocess.run(["find", str(home), "-perm", f"/{bits}"],
                           capture_output=True, text=True, check=True).stdout.split()
    return [str(Path(p).relative_to(home)) for p in found]


def _entries(home: Path) -> list:
    with store.open_log(home) as engine:
        return list(store.entries(engine))


@pytest.mark.e2e
def test_runs_under_umask_022_leave_an_owner_only_home_and_an_audited_trail(
        tmp_path: Path) -> None:
    home, inbox = tmp_path / "home", tmp_path / "inbox"
    shutil.copytree(SAMPLE / "inbox", inbox)
    run = ("run", "--inbox", str(inbox), "--home", str(home))
    done = _foto(*run)
    assert done.returncode == 0, done.stdout[-2000:]
    first = current_publication(home)
    arrest = sorted((inbox / "arrests").glob("*.json"))[0]
    done = _foto("arrest", str(arrest), "--home", str(home))
    assert done.returncode in (0, 1), done.stdout[-2000:]
    assert _foto(*run).returncode == 0
    assert _foto("rollback", "--home", str(home)).returncode == 0

    for bits in ("o+r", "g+r", "o+x", "g+x", "o+w", "g+w"):
        assert _readable_by_others(home, bits) == [], bits

    logged = _entries(home)
    # each nightly publication prunes Dagster's run history after it (`assets.history`)
    assert [e.action for e in logged].count("dagster_prune") == 2
    entries = [e for e in logged if e.action != "dagster_prune"]
    actions = [e.action for e in entries]
    assert actions == ["publication", "run", "arrest", "publication", "run", "rollback"]
    pub, ran = entries[0], entries[1]
    assert pub.publication == ran.publication == first.name
    assert json.loads(pub.detail)["run_id"] == json.loads(ran.detail)["run_id"]
    assert json.loads(ran.detail)["status"] == "published"
    arrested = entries[2]
    assert json.loads(arrested.detail)["arrest_id"] == arrest.stem
    assert entries[5].publication == current_publication(home).name
    verify = _foto("audit", "verify", "--home", str(home))
    assert verify.returncode == 0 and f"whole: {len(logged)} entries" in verify.stdout
    if arrested.person_id:
        listed = _foto("audit", "person", arrested.person_id, "--home", str(home))
        assert listed.returncode == 0 and "arrest" in listed.stdout
    # the log holds no value of a delivery: no name, no BSN of the arrest file
    data = json.loads(arrest.read_text(encoding="utf-8"))
    logged = " ".join(str(v) for e in _entries(home) for v in vars(e).values())
    for field in ("achternaam", "voornamen", "bsn", "straat", "geboortedatum", "postcode"):
        if data.get(field) and len(str(data[field])) > 3:     # not initials like "D."
            assert str(data[field]) not in logged, field

    # a run that does not start through `foto` (the daemon's) into a home opened up since:
    # refused at publication, naming the folder; the current publication stays
    from assets.resources import FotoPaths
    from foto.cli import run_job

    os.chmod(home / "reports", 0o755)
    before, logged_before = current_publication(home), len(_entries(home))
    saved = os.environ.get("DAGSTER_HOME")
    try:
        outcome = run_job("nightly", FotoPaths(inbox=str(inbox), home=str(home),
                                               date="2026-11-27"))
    finally:
        if saved is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = saved
    assert outcome.status == "failed"
    assert any("(reports can be read" in e for e in outcome.errors), outcome.errors
    assert current_publication(home) == before
    assert len(_entries(home)) == logged_before           # no publication was recorded
