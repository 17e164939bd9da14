"""Dagster's own storage is kept by term and by count (issue 17, item 3): finished runs past
`retention.dagster_runs_days` or beyond `retention.keep_dagster_runs` are deleted with their
event logs, never a run not finished; the SQLite files are rewritten so that no byte of a
deleted run (its id, what its steps logged) is left in any file under `<home>/dagster`; the
prune is in the audit log, counts only. Real Dagster: a small job executed on the home's own
instance."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster import DagsterRunStatus, job, op

from assets.history import prune_history
from audit import store
from config import ConfigError, load_config
from pipelines.instance import instance_for
from sources.registry import registry
from sources.retention import resolve_terms
from tests.test_retention import DEFAULTS


@op(config_schema={"marker": str})
def log_marker(context) -> None:
    """Logs an id, as a step logs a quarantined row's record id."""
    context.log.info(f"quarantined record {context.op_config['marker']}")


@job
def small() -> None:
    log_marker()


def _run(instance, marker: str) -> str:
    result = small.execute_in_process(
        instance=instance, run_config={"ops": {"log_marker": {"config": {"marker": marker}}}})
    assert result.success
    return result.run_id


def _files_holding(root: Path, needles: list[str]) -> set[str]:
    """Needles found in the bytes or the name of any file under `root`."""
    found = set()
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found |= {n for n in needles if n.encode() in data or n in path.name}
    return found


def test_finished_runs_go_by_count_then_by_term_and_leave_no_byte(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    instance = instance_for(home)
    retention = load_config().retention.model_copy(update={"keep_dagster_runs": 2})
    runs = {_run(instance, f"PL-MARKER{i:04d}-01"): f"PL-MARKER{i:04d}-01" for i in range(3)}
    oldest = list(runs)[0]
    # a run not finished (as the nightly's own while it publishes, or an arrest run beside)
    going = instance.create_run_for_job(small, run_config={
        "ops": {"log_marker": {"config": {"marker": "PL-GOING0000-01"}}}})

    pruned = prune_history(instance, home, retention)   # by count: the oldest of three
    assert pruned.runs == 1 and pruned.busy == 0
    left = {r.dagster_run.run_id for r in instance.get_run_records()}
    assert oldest not in left and set(runs) - {oldest} <= left and going.run_id in left
    assert _files_holding(home / "dagster", [oldest, runs[oldest]]) == set()
    assert _files_holding(home / "dagster", [r for r in runs if r != oldest])  # still kept

    later = datetime.now(UTC) + timedelta(days=retention.dagster_runs_days + 1)
    pruned = prune_history(instance, home, retention, now=later)   # by term: every finished
    assert pruned.runs == 2
    left = {r.dagster_run.run_id for r in instance.get_run_records()}
    assert left == {going.run_id}
    assert instance.get_run_by_id(going.run_id).status == DagsterRunStatus.NOT_STARTED
    assert _files_holding(home / "dagster", [*runs, *runs.values()]) == set()

    with store.open_log(home) as engine:
        entries = [e for e in store.entries(engine) if e.action == "dagster_prune"]
    assert [json.loads(e.detail)["runs_deleted"] for e in entries] == [1, 2]


def test_the_history_term_may_not_outlast_the_shortest_use_term(tmp_path: Path) -> None:
    """Run history holds record ids: kept no longer than the shortest use term (3 years)."""
    data = json.loads(json.dumps(DEFAULTS))
    data["retention"]["dagster_runs_days"] = 3 * 365 + 1
    path = tmp_path / "foto.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="retention.dagster_runs_days"):
        resolve_terms(load_config(path), list(registry()))


def test_the_homes_dagster_yaml_purges_ticks_by_the_run_history_term(tmp_path: Path) -> None:
    """The dagster.yaml written into a home parses with Dagster and makes its daemon purge
    schedule and sensor ticks of every status after `retention.dagster_runs_days` (Dagster's
    own default keeps schedule ticks and successful sensor ticks forever): a configured term
    is carried, the committed one by default. No compute log is captured (a step's stdout)."""
    from dagster._core.definitions.run_request import InstigatorType
    from dagster._core.scheduler.instigation import TickStatus
    from dagster._core.storage.noop_compute_log_manager import NoOpComputeLogManager

    for history_days, wanted in ((30, 30), (None, load_config().retention.dagster_runs_days)):
        home = tmp_path / f"home-{history_days}"
        home.mkdir(mode=0o700)
        with instance_for(home, history_days) as instance:
            assert isinstance(instance.compute_log_manager, NoOpComputeLogManager)
            for kind in (InstigatorType.SCHEDULE, InstigatorType.SENSOR):
                assert instance.get_tick_retention_settings(kind) == \
                    {status: wanted for status in TickStatus}
        text = (home / "dagster" / "dagster.yaml").read_text(encoding="utf-8")
        assert text.count(f"purge_after_days: {wanted}\n") == 2
