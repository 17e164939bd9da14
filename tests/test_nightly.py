"""Nightly runs: partitions by delivery date, the 02:00 schedule, backfill in order, refusal of
an older date, a source missing from a delivery, and inbox entries that are not deliveries."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from dagster import DagsterInstance, build_schedule_context

from assets.partitions import DELIVERIES
from assets.resources import FotoPaths, delivery_problem, scan_inbox
from foto.cli import deliveries_to_run
from pipelines.schedules import nightly_schedule
from publish.display import dutch_date
from stores.publications import current_triage, point_at
from tests.conftest import foto, load_generator

FIRST, SECOND, THIRD = "2026-11-25", "2026-11-26", "2026-11-27"

# Entries of an inbox that are not deliveries, each newer than the real ones where its name
# allows (so that taking it for the newest delivery would show), and how each is made.
NOT_DELIVERIES = {
    "2026-13-45": "copy",        # month 13, day 45, full of contract files
    "2026-11-31": "copy",        # November has 30 days
    "2026-02-30": "copy",        # no 30 February
    "2026-99-99": "empty",
    "2026-12-01": "unrelated",   # only files that are no contract file
    "2026-12-02": "file",        # a file named like a date
    "2026-12-03": "symlink",     # a folder outside the inbox, linked in
    "2026-11-26 kopie": "copy",  # a copied folder: not named as a date
    "２０２６-１２-０４": "copy",  # full-width digits
}


def add_non_deliveries(inbox: Path, real: Path) -> None:
    """Put every kind of entry that is not a delivery into `inbox`, next to `real`."""
    outside = inbox.parent / "elsewhere"
    if not outside.exists():
        shutil.copytree(real, outside)
    for name, kind in NOT_DELIVERIES.items():
        entry = inbox / name
        if kind == "copy":
            shutil.copytree(real, entry)
        elif kind == "empty":
            entry.mkdir()
        elif kind == "unrelated":
            entry.mkdir()
            (entry / "LEESMIJ.txt").write_text("levering volgt\n", encoding="utf-8")
            (entry / "police_persons.csv.part").write_bytes(b"")
        elif kind == "file":
            entry.write_bytes((real / "police_persons.csv").read_bytes())
        else:
            entry.symlink_to(outside, target_is_directory=True)


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three daily deliveries of one small region (the same snapshot, three dates), among
    inbox entries that are not deliveries (every test here must pass them over)."""
    root = tmp_path_factory.mktemp("nightly")
    load_generator().generate(300, 53, root / "data", date=FIRST, arrests=0, defects=0.0)
    inbox = root / "data" / "inbox"
    for day in (SECOND, THIRD):
        shutil.copytree(inbox / FIRST, inbox / day)
    add_non_deliveries(inbox, inbox / FIRST)
    return inbox


def _manifest(home: Path) -> dict:
    return json.loads((current_triage(home) / "manifest.json").read_text())


@pytest.mark.e2e
def test_run_is_a_partition_of_its_delivery(inbox: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert foto("run", "--inbox", str(inbox), "--home", str(home), "--date", FIRST) == 0
    instance = _instance(home)
    assert FIRST in instance.get_dynamic_partitions(DELIVERIES.name)
    run = instance.get_runs(limit=1)[0]
    assert run.tags["dagster/partition"] == FIRST


def _instance(home: Path) -> DagsterInstance:
    from pipelines.instance import instance_for

    return instance_for(home)


@pytest.mark.e2e
def test_date_after_the_published_one_backfills_in_order(inbox: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert foto("run", "--inbox", str(inbox), "--home", str(home), "--date", FIRST) == 0
    assert foto("run", "--inbox", str(inbox), "--home", str(home), "--date", THIRD) == 0
    deliveries = [json.loads(m.read_text())["delivery"] for m in
                  sorted((home / "publications").glob("*/triage/manifest.json"))]
    assert deliveries == [FIRST, SECOND, THIRD]
    # an older date would put an older photo in front of triage: refused
    assert foto("run", "--inbox", str(inbox), "--home", str(home), "--date", SECOND) == 2
    assert _manifest(home)["delivery"] == THIRD


@pytest.mark.e2e
def test_missing_source_uses_its_last_delivery_and_says_so(
        inbox: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "inbox"
    shutil.copytree(inbox, copy)
    (copy / THIRD / "justice_cases.parquet").unlink()
    home = tmp_path / "home"
    capsys.readouterr()
    assert foto("run", "--inbox", str(copy), "--home", str(home), "--date", THIRD) == 0
    out = capsys.readouterr().out
    assert f"justice: missing from delivery {THIRD}; the delivery of {SECOND} was used" in out
    freshness = _manifest(home)["freshness"]
    assert freshness["justice"] == SECOND and freshness["police"] == THIRD
    index = (current_triage(home) / "index.html").read_text(encoding="utf-8")
    assert f"van {dutch_date(SECOND)} (nieuwere ontbrak)" in index


@pytest.mark.e2e
def test_missing_source_without_an_earlier_delivery_blocks(inbox: Path, tmp_path: Path) -> None:
    copy = tmp_path / "inbox"
    shutil.copytree(inbox / FIRST, copy / FIRST)
    (copy / FIRST / "police_persons.csv").unlink()
    home = tmp_path / "home"
    assert foto("run", "--inbox", str(copy), "--home", str(home)) == 1
    assert not (home / "published").exists()


def test_schedule_requests_the_newest_delivery_as_its_partition(inbox: Path,
                                                                tmp_path: Path) -> None:
    paths = FotoPaths(inbox=str(inbox), home=str(tmp_path / "home"))
    instance = _instance(tmp_path / "home")
    # Used as a context manager: the context enters an instance of its own from the persistent
    # one's ref, and only its exit leaves Dagster's state-storage context variable as it was.
    with build_schedule_context(instance=instance, resources={"paths": paths}) as context:
        request = nightly_schedule(context)
    assert request.partition_key == THIRD and request.run_key == THIRD
    assert THIRD in instance.get_dynamic_partitions(DELIVERIES.name)


def test_only_real_dates_with_contract_files_are_deliveries(inbox: Path) -> None:
    scan = scan_inbox(inbox)
    assert scan.deliveries == [FIRST, SECOND, THIRD]
    assert {name for name, _ in scan.ignored} == set(NOT_DELIVERIES)
    assert "arrests" not in {name for name, _ in scan.ignored}


@pytest.mark.e2e
@pytest.mark.parametrize("date", [*NOT_DELIVERIES, "2027-06-30", "2026-1-05", "20261127",
                                  "2026-11-27/../2026-11-25", "../2026-11-27"])
def test_run_refuses_a_date_that_is_not_a_delivery(
        inbox: Path, tmp_path: Path, date: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`--date` must name a delivery: before, a date without a folder ran and published the
    older delivery under the new date (exit 0), and then refused the real next one."""
    assert delivery_problem(inbox, date) is not None
    home = tmp_path / "home"
    capsys.readouterr()
    for command in ("run", "train"):
        assert foto(command, "--inbox", str(inbox), "--home", str(home), "--date", date) == 2
        assert "is not a delivery" in capsys.readouterr().out
    assert not (home / "published").exists() and not (home / "runs").exists()


def test_backfill_runs_only_deliveries_between(inbox: Path, tmp_path: Path) -> None:
    """Between the published delivery and `--date`, only deliveries are run: an impossible or
    empty date folder in between is passed over."""
    here = tmp_path / "inbox"
    for day in (FIRST, THIRD):
        shutil.copytree(inbox / FIRST, here / day)
    for name in ("2026-11-26", "2026-11-25x"):
        (here / name).mkdir()
    shutil.copytree(inbox / FIRST, here / "2026-11-00")
    home = tmp_path / "home"
    triage = home / "publications" / "20261127T020000-abcd1234" / "triage"
    triage.mkdir(parents=True)
    (triage / "manifest.json").write_text(json.dumps({"delivery": FIRST,
                                                      "inbox": str(here.resolve())}))
    point_at(home, triage.parent)
    paths = FotoPaths(inbox=str(here.resolve()), home=str(home), date=THIRD)
    assert deliveries_to_run(paths, explicit=True) == [THIRD]


@pytest.mark.e2e
def test_run_without_date_passes_over_what_is_not_a_delivery(
        inbox: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before, a folder named `2026-13-45` or an empty `2026-99-99` was taken for the newest
    delivery and made every run without `--date` exit 2."""
    home = tmp_path / "home"
    capsys.readouterr()
    assert foto("run", "--inbox", str(inbox), "--home", str(home)) == 0
    out = capsys.readouterr().out
    assert _manifest(home)["delivery"] == THIRD
    warning = next(line for line in out.splitlines() if line.startswith("inbox: ignored"))
    assert all(repr(name) in warning for name in NOT_DELIVERIES)
    assert _instance(home).get_dynamic_partitions(DELIVERIES.name) == [THIRD]
    # not a terminal here, as under a pipe: paths stay whole on their line, never wrapped
    report = next(line for line in out.splitlines() if line.startswith("quality report: "))
    assert Path(report.removeprefix("quality report: ")).is_file()
    assert "gate: passed. Published (run " in out
    assert f"`foto serve --home {home.resolve()}`" in out


@pytest.mark.e2e
def test_help_is_self_contained_and_names_every_command(
        capsys: pytest.CaptureFixture[str]) -> None:
    """`foto --help` pointed to ../shared/contracts/SOURCES.md, a file outside the repository."""
    texts = []
    for args in (["--help"], *([c, "--help"] for c in ("run", "train", "arrest", "rollback"))):
        with pytest.raises(SystemExit) as stop:
            foto(*args)
        assert stop.value.code == 0
        texts.append(capsys.readouterr().out)
    everything = "\n".join(texts)
    assert "../" not in everything and "shared/contracts" not in everything
    flags = "[--inbox DIR] [--home DIR] [--date YYYY-MM-DD] [--accept SUITE.METRIC]"
    for usage in (f"foto run {flags}", f"foto train {flags}",
                  "foto arrest FILE.json [--home DIR]", "foto rollback [--home DIR]",
                  "Exit status: 0", "police_persons.csv", "YYYY-MM-DD"):
        assert usage in texts[0], usage
    assert "--accept SUITE.METRIC" in texts[2]    # train takes --accept as run does
