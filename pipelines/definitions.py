"""The Dagster code location: wiring only. `dagster dev -m pipelines.definitions`."""

from __future__ import annotations

import os

from dagster import Definitions, in_process_executor

from assets.arrest import arrest_sheet
from assets.checks import CHECKS
from assets.ingest import RAW_ASSETS, STD_ASSETS, std_persons
from assets.judgement import judged_publication
from assets.match import judgements, match_pairs, person_clusters, person_records
from assets.model import person_model
from assets.profile import events, flags, person, relations
from assets.publish import publication
from assets.resources import FotoPaths
from pipelines.jobs import nightly, on_arrest, on_judgement, train_model
from pipelines.schedules import nightly_schedule
from pipelines.sensors import arrest_sensor


def build_definitions(paths: FotoPaths) -> Definitions:
    """Definitions for one inbox and home. The configuration is checked here, once: a broken
    one refuses to load, naming its key (`config.ConfigError`), before any run can start."""
    paths.retention_terms()   # the configuration, and its terms against the registry
    return Definitions(
        assets=[*RAW_ASSETS, *STD_ASSETS, std_persons, match_pairs, judgements, person_clusters,
                person_records, events, relations, flags, person,
                publication, person_model, arrest_sheet, judged_publication],
        asset_checks=CHECKS,
        jobs=[nightly, train_model, on_arrest, on_judgement],
        sensors=[arrest_sensor],
        schedules=[nightly_schedule],
        resources={"paths": paths},
        executor=in_process_executor,
    )


# The daemon and the UI load this module, not `foto`: what their runs write under the home is
# owner-only too, whatever umask they were started with (foto.home.OWNER_ONLY_UMASK).
os.umask(0o077)
defs = build_definitions(FotoPaths.from_env())
