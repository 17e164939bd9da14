"""The on-arrest asset: one arrested person's sheet, published within seconds.

Each run handles one arrest file (run config `file`), launched by the arrest sensor or by
`foto arrest FILE`. The work is `publish.arrest_flow.process_arrest`; this asset reports
what it did (ids, counts, timings) and the sheet's check, never a name or a date of birth.
"""

from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    Config,
    Failure,
    MaterializeResult,
    asset,
)

from assets.resources import FotoPaths
from assets.scrub import scrubbed
from matching.models import current_model
from publish.arrest_flow import process_arrest

CHECK = "arrest_sheet_sound"


class ArrestFile(Config):
    """The arrest file this run publishes."""

    file: str


@asset(group_name="arrest", kinds={"splink", "duckdb"},
       check_specs=[AssetCheckSpec(CHECK, asset="arrest_sheet", blocking=True,
                                   description="One person on the sheet, backed by records, "
                                               "every signal with its rule.")])
@scrubbed
def arrest_sheet(context: AssetExecutionContext, config: ArrestFile,
                 paths: FotoPaths) -> MaterializeResult:
    """The arrested person's sheet in the current publication, with the arrest on top; the
    index lists the latest arrests first."""
    model = current_model(paths.models_dir)
    outcome = process_arrest(Path(config.file), paths.home_dir, model, paths.foto_config())
    metadata = outcome.details(model.version)
    if outcome.failed:
        raise Failure(description=outcome.message, metadata=metadata)
    passed = outcome.status != "blocked"
    return MaterializeResult(metadata=metadata, check_results=[AssetCheckResult(
        check_name=CHECK, passed=passed, description=outcome.message or "ok",
        severity=AssetCheckSeverity.ERROR)])
