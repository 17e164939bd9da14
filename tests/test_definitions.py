"""The Dagster code location loads, and the jobs hold the stages they must."""

from __future__ import annotations

from dagster import Definitions

from pipelines.definitions import defs


def test_definitions_load() -> None:
    Definitions.validate_loadable(defs)


def test_nightly_never_trains_and_gates_before_publishing() -> None:
    nightly = {n.name for n in defs.resolve_job_def("nightly").nodes}
    assert "person_model" not in nightly
    assert {"raw_sources", "std_persons", "match_pairs", "person_clusters", "person_records",
            "person", "publication", "person_records_person_records_sound"} <= nightly
    assert "arrest_sheet" not in nightly and "judged_publication" not in nightly
    # the sources are read in one step (two at a time), each still an asset of its own
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {f"raw_{s}" for s in ("police", "justice", "care", "municipal")} <= keys
    specs = defs.resolve_asset_graph().asset_check_keys
    assert len(specs) == 9   # four raw, std, linkage, profile, the arrest sheet's, the judged
                             # publication's
    train = {n.name for n in defs.resolve_job_def("train_model").nodes}
    assert "person_model" in train and "publication" not in train


def test_on_arrest_job_holds_only_the_arrest_step() -> None:
    assert {n.name for n in defs.resolve_job_def("on_arrest").nodes} == {"arrest_sheet"}


def test_on_judgement_job_holds_only_the_judgement_step() -> None:
    assert {n.name for n in defs.resolve_job_def("on_judgement").nodes} == {
        "judged_publication"}


def test_nightly_schedule_runs_at_two_in_amsterdam() -> None:
    schedule = defs.resolve_schedule_def("nightly_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/Amsterdam"
    assert schedule.job_name == "nightly"
