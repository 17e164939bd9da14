"""The Dagster code location loads, and the jobs hold the stages they must."""

from __future__ import annotations

from dagster import Definitions

from pipelines.definitions import defs


def test_definitions_load() -> None:
    Definitions.validate_loadable(defs)


def test_nightly_never_trains_and_gates_before_publishing() -> None:
    nightly = {n.name for n in defs.resolve_job_def("nightly").nodes}
    assert "person_model" not in nightly
    assert {"raw_police", "std_persons", "match_pairs", "person_records", "person",
            "publication", "person_records_person_records_sound"} <= nightly
    specs = defs.resolve_asset_graph().asset_check_keys
    assert len(specs) == 7
    train = {n.name for n in defs.resolve_job_def("train_model").nodes}
    assert "person_model" in train and "publication" not in train
