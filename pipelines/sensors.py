"""The arrest sensor: one `on_arrest` run per new file in `<inbox>/arrests/`.

The run key is the arrest id (the file's name, as the contract names it), so a file the sensor
sees twice, or sees again after a restart, runs once: Dagster drops a run request whose key it
has launched before. Arrests already published or refused are not requested again at all.

The sensor never opens a file: a symlink, a fifo or an oversized file gets its run like any
other, and that run refuses it unread and quarantines its reason. A file whose name is not a
safe id runs under a hash of its name (a hostile name never becomes a run key or tag).

While the home's arrest worker runs (`foto worker`, `publish.arrest_worker`) the sensor
launches nothing: the worker takes every file, in a warm process, and reports each on this
instance. When it stops or dies its lock goes with it, and the next tick takes the files it
had not finished.
"""

from __future__ import annotations

from pathlib import Path

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from assets.resources import FotoPaths
from pipelines.jobs import on_arrest
from publish.arrest_worker import worker_running
from publish.arrests import is_published, is_quarantined, quarantine_name

INTERVAL_SECONDS = 2  # how often the daemon looks; the arrest run itself takes about a second


def arrest_run_request(file: Path) -> RunRequest:
    key = quarantine_name(file.name)[:-5]   # the arrest id, or a hash of an unsafe name
    return RunRequest(run_key=key, tags={"foto/arrest": key},
                      run_config={"ops": {"arrest_sheet": {"config": {"file": str(file)}}}})


@sensor(job=on_arrest, minimum_interval_seconds=INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description="Launches one on-arrest run per new arrest file (run key: arrest id).")
def arrest_sensor(context: SensorEvaluationContext, paths: FotoPaths):
    folder = Path(paths.inbox).resolve() / "arrests"
    home = paths.home_dir
    if worker_running(home):
        yield SkipReason("the arrest worker is running: it takes the arrest files")
        return
    new = [f for f in sorted(folder.glob("*.json")) if not is_published(home, f.stem)
           and not is_quarantined(home, f.name)] if folder.is_dir() else []
    if not new:
        yield SkipReason("no new arrest files")
        return
    for file in new:
        yield arrest_run_request(file)
