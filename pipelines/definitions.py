"""The Dagster code location: wiring only. `dagster dev -m pipelines.definitions`."""

from __future__ import annotations

from dagster import Definitions, in_process_executor

from assets.checks import CHECKS
from assets.ingest import RAW_ASSETS, STD_ASSETS, std_persons
from assets.match import match_pairs, person_records
from assets.model import person_model
from assets.profile import events, flags, person, relations
from assets.publish import publication
from pipelines.jobs import nightly, train_model
from pipelines.resources import FotoPaths


def build_definitions(paths: FotoPaths) -> Definitions:
    """Definitions for one inbox and home."""
    return Definitions(
        assets=[*RAW_ASSETS, *STD_ASSETS, std_persons, match_pairs, person_records, events,
                relations, flags, person,
                publication, person_model],
        asset_checks=CHECKS,
        jobs=[nightly, train_model],
        resources={"paths": paths},
        executor=in_process_executor,
    )


defs = build_definitions(FotoPaths.from_env())
