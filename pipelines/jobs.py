"""Jobs: `nightly` (ingest, match, profile, gate, publish), `train_model` (ingest, train),
`on_arrest` (one arrested person, incrementally) and `on_judgement` (the persons people's
judgements touch, re-formed and re-published).

Both run their steps in one process, one after another: the steps share the run's build
database, and DuckDB allows one writer per file.
"""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job, in_process_executor

INGEST = AssetSelection.groups("ingest")
MODEL = AssetSelection.assets("person_model")
ARREST = AssetSelection.assets("arrest_sheet")
JUDGEMENT = AssetSelection.assets("judged_publication")

nightly = define_asset_job(
    "nightly", selection=AssetSelection.all() - MODEL - ARREST - JUDGEMENT,
    executor_def=in_process_executor,
    description="Ingest the day's delivery, match with the pinned model, build profiles, "
                "gate, publish.")

train_model = define_asset_job(
    "train_model", selection=INGEST | MODEL, executor_def=in_process_executor,
    description="Ingest a delivery and train a new matching model version on it.")

on_arrest = define_asset_job(
    "on_arrest", selection=ARREST, executor_def=in_process_executor,
    description="Match one arrested person against the current photo and publish their "
                "sheet, marked 'aangehouden op'.")

on_judgement = define_asset_job(
    "on_judgement", selection=JUDGEMENT, executor_def=in_process_executor,
    description="Re-form the persons the stored judgements touch, through the nightly run's "
                "own stages, and re-publish them (gate checked, under the publish lock).")
