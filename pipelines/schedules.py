"""The nightly schedule: at 02:00 Amsterdam time, the nightly job on the newest delivery.

The run key is the delivery date: the schedule never starts a second run for a delivery it
has run (a rerun is `foto run --date`, and is idempotent).
"""

from __future__ import annotations

from pathlib import Path

from dagster import RunRequest, ScheduleEvaluationContext, SkipReason, schedule

from pipelines.jobs import nightly
from pipelines.partitions import register_delivery
from pipelines.resources import FotoPaths, latest_delivery

CRON = "0 2 * * *"
TIMEZONE = "Europe/Amsterdam"


@schedule(job=nightly, cron_schedule=CRON, execution_timezone=TIMEZONE,
          description="Every night at 02:00 (Europe/Amsterdam): the newest delivery.")
def nightly_schedule(context: ScheduleEvaluationContext, paths: FotoPaths):
    try:
        date = latest_delivery(Path(paths.inbox))
    except FileNotFoundError:
        return SkipReason(f"no delivery in {paths.inbox}")
    register_delivery(context.instance, date)
    return RunRequest(run_key=date, partition_key=date, tags={"foto/delivery": date})
