"""Dagster's own storage kept by term and by count (issue 17, item 3): `<home>/dagster` holds
every run, its event log (step logs: counts and record ids, e.g. of quarantined rows and
review pairs; never values, `assets.scrub`), and the schedule's and sensors' ticks (run ids,
cursors). Pruned after each nightly publication, with Dagster's public API:

- a finished run (success, failure, cancelled) created more than `retention.dagster_runs_days`
  ago, or beyond the newest `retention.keep_dagster_runs` finished ones, is deleted with its
  event log (`DagsterInstance.delete_run`); a run not finished (the one publishing now, an
  arrest run beside it) is never touched;
- ticks older than the term are purged per schedule and sensor (`purge_ticks`);
- SQLite keeps deleted rows in its free pages until the file is rewritten: each of the
  instance's SQLite files is VACUUMed afterwards (skipped, and counted, when another process
  holds it: the next publication's prune catches up), and a deleted run's own event-log file
  (`history/runs/<run id>.db`, emptied) is removed, so that its id is in no file name either.

The prune is recorded in the audit log (`dagster_prune`: counts only).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from audit.log import record
from config import Retention

FINISHED = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]
BUSY_MS = 5000   # wait this long for a writer's lock before leaving a file to the next prune


@dataclass
class Pruned:
    """What one prune removed (counts only)."""

    runs: int
    tick_sources: int
    vacuumed: int
    busy: int


def prune_history(instance: DagsterInstance, home: Path, retention: Retention,
                  now: datetime | None = None) -> Pruned:
    """Delete the finished runs past the term or beyond the count, the ticks past the term,
    then VACUUM the instance's SQLite files; record it in the audit log."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=retention.dagster_runs_days)
    old = {r.dagster_run.run_id for r in instance.get_run_records(
        filters=RunsFilter(statuses=FINISHED, created_before=cutoff))}
    newest_first = instance.get_run_records(filters=RunsFilter(statuses=FINISHED),
                                            order_by="create_timestamp", ascending=False)
    beyond = {r.dagster_run.run_id for r in newest_first[retention.keep_dagster_runs:]}
    gone = sorted(old | beyond)
    for run_id in gone:
        instance.delete_run(run_id)
    states = instance.all_instigator_state()
    for state in states:
        instance.purge_ticks(state.instigator_origin_id, state.selector_id,
                             before=cutoff.timestamp())
    storage = Path(instance.root_directory)
    for run_id in gone:
        _remove_emptied(storage / "history" / "runs" / f"{run_id}.db")
    vacuumed, busy = _vacuum_all(storage)
    pruned = Pruned(len(gone), len(states), vacuumed, busy)
    record(home, "dagster_prune", detail={
        "runs_deleted": pruned.runs, "older_than_days": retention.dagster_runs_days,
        "keep_runs": retention.keep_dagster_runs, "tick_sources": pruned.tick_sources,
        "files_vacuumed": pruned.vacuumed, "files_busy": pruned.busy})
    return pruned


def _remove_emptied(path: Path) -> None:
    """Remove a deleted run's own event-log file once it holds no event (its name is the run
    id); one that still holds rows is left as it is."""
    if not path.is_file():
        return
    try:
        con = sqlite3.connect(path, timeout=BUSY_MS / 1000)
        try:
            held = con.execute("SELECT count(*) FROM event_logs").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return
    if held == 0:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def _vacuum_all(storage: Path) -> tuple[int, int]:
    """VACUUM every SQLite file of the instance (runs, the event-log index and the runs' own
    files, schedules): (files rewritten, files another process held)."""
    done = busy = 0
    for path in sorted(storage.rglob("*.db")):
        try:
            con = sqlite3.connect(path, timeout=BUSY_MS / 1000, isolation_level=None)
            try:
                con.execute("VACUUM")
                con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                con.close()
            done += 1
        except sqlite3.OperationalError:
            busy += 1
    return done, busy
