"""Scoring candidate pairs with the pinned model and clustering them into persons."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from matching.linker import make_linker
from matching.thresholds import Thresholds


@dataclass
class MatchResult:
    """Scored pairs at or above the review threshold, and a cluster id for every record."""

    pairs: pa.Table      # unique_id_l, unique_id_r, match_probability, match_weight, gamma_*, bf_*
    clusters: pa.Table   # unique_id, cluster_id


def predict_and_cluster(records: pa.Table, model_path: Path, thresholds: Thresholds,
                        db_api: Any | None = None) -> MatchResult:
    """Score blocked pairs, keep those from the review threshold up, cluster at the link one."""
    linker = make_linker(records, model_path, db_api)
    predictions = linker.inference.predict(threshold_match_probability=thresholds.review)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=thresholds.link)
    return MatchResult(pairs=predictions.as_pyarrow_table(),
                       clusters=clusters.as_pyarrow_table().select(["unique_id", "cluster_id"]))
