"""Scoring candidate pairs with the pinned model and clustering them into persons."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from matching.levels import levels_identifiable, with_levels
from matching.linker import make_linker
from matching.thresholds import Thresholds


@dataclass
class MatchResult:
    """Scored pairs at or above the review threshold, and a cluster id for every record."""

    pairs: pa.Table      # unique_id_l, unique_id_r, match_probability, match_weight, gamma_*, mw_*
    clusters: pa.Table   # unique_id, cluster_id


def model_for_size(model_path: Path, records: int) -> dict[str, Any]:
    """The saved model with its prior scaled to this run's number of records.

    The prior (probability that two random records match) was learnt on the training delivery.
    A person has about the same number of records whatever the region's size, so true pairs
    grow with n and all pairs with n squared: the prior scales with 1/n. Without this, a model
    trained on a small delivery over-links a large one, where namesakes are many.
    """
    model = json.loads(model_path.read_text(encoding="utf-8"))
    # Explanations need each comparison's level (gamma_*) and weight (mw_*) per pair. The level
    # is read back from the weight where the model allows it (`matching.levels`); carrying
    # every compared value through scoring only for Splink's own gamma columns is the fallback.
    model["retain_intermediate_calculation_columns"] = True
    model["retain_matching_columns"] = not levels_identifiable(model)
    meta_path = model_path.with_name(model_path.stem + ".meta.json")
    trained_on = json.loads(meta_path.read_text(encoding="utf-8")).get("records") \
        if meta_path.exists() else None
    if trained_on and records > 1:
        model["probability_two_random_records_match"] *= (trained_on - 1) / (records - 1)
    return model


def predict_and_cluster(records: pa.Table, model: dict[str, Any], thresholds: Thresholds,
                        db_api: Any | None = None) -> MatchResult:
    """Score blocked pairs, keep those from the review threshold up, cluster at the link one.

    `model` is the saved model as `model_for_size` prepares it for these records."""
    linker = make_linker(records, model, db_api)
    predictions = linker.inference.predict(threshold_match_probability=thresholds.review)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=thresholds.link)
    return MatchResult(pairs=with_levels(predictions.as_pyarrow_table(), model),
                       clusters=clusters.as_pyarrow_table().select(["unique_id", "cluster_id"]))
