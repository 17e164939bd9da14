"""The nightly schedule: at 02:00 Amsterdam time, the nightly job on the newest delivery
(folders that are not deliveries, such as `2026-13-45` or an empty one, are passed over with a
warning in the tick's log).

The run key is the delivery date: the schedule never starts a second run for a delivery it
has run (a rerun is `foto run --date`, and is idempotent).
"""

from __future__ import annotations

from pathlib import Path

from dagster import RunRequest, ScheduleEvaluationContext, SkipReason, schedule

from assets.partitions import register_delivery
from assets.resources import FotoPaths, scan_inbox
from assets.scrub import scrubbed
from config.defaults import TIMEZONE
from pipelines.jobs import nightly

CRON = "0 2 * * *"


@schedule(job=nightly, cron_schedule=CRON, execution_timezone=TIMEZONE,
          description=f"Every night at 02:00 ({TIMEZONE}): the newest delivery.")
@scrubbed
def nightly_schedule(context: ScheduleEvaluationContext, paths: FotoPaths):
    inbox = Path(paths.inbox)
    scan = scan_inbox(inbox)
    if scan.warning():
        context.log.warning(scan.warning())
    if not scan.deliveries:
        return SkipReason(f"no delivery in {paths.inbox}")
    date = scan.deliveries[-1]
    register_delivery(context.instance, inbox, date)
    return RunRequest(run_key=date, partition_key=date, tags={"foto/delivery": date})
