"""Nightly runs: partitions by delivery date, the 02:00 schedule, backfill in order, refusal of
an older date, and a source missing from a delivery."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from dagster import DagsterInstance, build_schedule_context

from pipelines.partitions import DELIVERIES
from pipelines.resources import FotoPaths
from pipelines.schedules import nightly_schedule
from tests.conftest import foto, load_generator
from warehouse.display import dutch_date

FIRST, SECOND, THIRD = "2026-11-25", "2026-11-26", "2026-11-27"


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three daily deliveries of one small region (the same snapshot, three dates)."""
    root = tmp_path_factory.mktemp("nightly")
    load_generator().generate(300, 53, root / "data", date=FIRST, arrests=0, defects=0.0)
    inbox = root / "data" / "inbox"
    for day in (SECOND, THIRD):
        shutil.copytree(inbox / FIRST, inbox / day)
    return inbox


def _manifest(home: Path) -> dict:
    return json.loads((home / "published" / "manifest.json").read_text())


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
    index = (home / "published" / "index.html").read_text(encoding="utf-8")
    assert f"van {dutch_date(SECOND)} (nieuwere ontbrak)" in index


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
    request = nightly_schedule(build_schedule_context(instance=instance,
                                                      resources={"paths": paths}))
    assert request.partition_key == THIRD and request.run_key == THIRD
    assert THIRD in instance.get_dynamic_partitions(DELIVERIES.name)
