"""The arrest sensor: one `on_arrest` run per new file in `<inbox>/arrests/`.

The run key is the arrest id (the file's name, as the contract names it), so a file the sensor
sees twice, or sees again after a restart, runs once: Dagster drops a run request whose key it
has launched before. Arrests already published or refused are not requested again at all.
"""

from __future__ import annotations

from pathlib import Path

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from pipelines.jobs import on_arrest
from pipelines.resources import FotoPaths
from warehouse.arrests import arrests_dir, is_published

INTERVAL_SECONDS = 2  # how often the daemon looks; the arrest run itself takes about a second


def arrest_run_request(file: Path) -> RunRequest:
    return RunRequest(run_key=file.stem, tags={"foto/arrest": file.stem},
                      run_config={"ops": {"arrest_sheet": {"config": {"file": str(file)}}}})


@sensor(job=on_arrest, minimum_interval_seconds=INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description="Launches one on-arrest run per new arrest file (run key: arrest id).")
def arrest_sensor(context: SensorEvaluationContext, paths: FotoPaths):
    folder = Path(paths.inbox).resolve() / "arrests"
    refused = arrests_dir(paths.home_dir) / "quarantine"
    new = [f for f in sorted(folder.glob("*.json")) if not is_published(paths.home_dir, f.stem)
           and not (refused / f.name).exists()] if folder.is_dir() else []
    if not new:
        yield SkipReason("no new arrest files")
        return
    for file in new:
        yield arrest_run_request(file)
