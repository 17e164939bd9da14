"""Training a person-matching model on one delivery's canonical records (`foto train`).

Training is never part of the nightly run: it writes a new version with its metadata, which
the nightly and on-arrest runs then load and name.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import splink
from splink import DuckDBAPI
from splink.internals.exceptions import EMTrainingException

from config import Training
from matching import settings as model_settings
from matching.blocking_check import bsn_anchored_blocking_check
from matching.linker import make_linker, matching_connection
from matching.resolution import weigh_by_resolution
from matching.train_sample import SAMPLE_COLUMN, sample_column, sample_pairs


class TrainingImpossible(Exception):
    """The records cannot train a model (told in counts, so an operator may read it)."""

    safe_message = True


# DuckDB's bound while training: Splink's joins and aggregates spill to disk beyond it, and EM's
# pairs are bounded (`em_max_pairs`), so training fits beside the records themselves in 4 GB.
# FOTO_TRAIN_MEMORY overrides it.
TRAIN_MEMORY_LIMIT = "2GB"


def train_model(records: pa.Table, out: Path, snapshot: dict[str, Any],
                training: Training) -> dict[str, Any]:
    """Estimate the model on `records`, save it to `out` and its metadata beside it
    (`training`: the configuration's recall, sampling and m floor, recorded in the metadata).

    What grows with the region is sampled, deterministically, so that time and memory are
    bounded and a retrain on the same delivery gives the same model: u from at most
    `u_max_pairs` random pairs (Splink's seeded sample), EM from at most `em_max_pairs` pairs
    per training rule (a uniform sample of its pairs chosen by hash, `matching.train_sample`).
    The prior is counted on every record (a count, not a table of pairs).

    Expectation maximisation learns from pairs that are probably one person; a delivery in
    which no two records are one person (one partner whose register holds each person once,
    such as the BRP alone) gives it none, and Splink then fails. That is refused with the
    counts, before a file is written: the home's current model stays."""
    records = records.append_column(SAMPLE_COLUMN, sample_column(records, training.seed))
    samples = [sample_pairs(records, keys, int(training.em_max_pairs))
               for keys in model_settings.TRAINING_BLOCKING_KEYS]
    con = matching_connection(os.environ.get("FOTO_TRAIN_MEMORY", TRAIN_MEMORY_LIMIT))
    linker = make_linker(records, model_settings.settings(), DuckDBAPI(con),
                         extra_columns=(SAMPLE_COLUMN,))
    try:
        if not all(sample.sampled_pairs for sample in samples):
            raise EMTrainingException("a training rule makes no pairs")
        linker.training.estimate_probability_two_random_records_match(
            model_settings.DETERMINISTIC_RULES, recall=training.deterministic_rules_recall)
        linker.training.estimate_u_using_random_sampling(max_pairs=training.u_max_pairs,
                                                         seed=training.seed)
        for sample in samples:
            linker.training.estimate_parameters_using_expectation_maximisation(
                sample.rule_sql(), estimate_without_term_frequencies=True)
    except EMTrainingException:
        con.close()
        raise TrainingImpossible(
            f"the {records.num_rows} records hold no pair that the training rules take for "
            "one person (a BSN, or name and birth date, shared by two records), so Splink "
            "cannot estimate how matches look. Train on a delivery in which persons appear "
            "more than once: several partners, or a partner with several records per person"
        ) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    linker.misc.save_model_to_json(str(out), overwrite=True)
    floored = floor_m_probabilities(out, training.m_floor)
    resolved = weigh_coarser_levels(out, con, records)
    settle_model(out)
    blocking = bsn_anchored_blocking_check(records, con)
    con.close()
    meta = {
        "model": out.name,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "splink_version": splink.__version__,
        "records": records.num_rows,
        "training_snapshot": snapshot,
        "u_max_pairs": training.u_max_pairs,
        "em_max_pairs": training.em_max_pairs,
        "seed": training.seed,
        "deterministic_rules_recall": training.deterministic_rules_recall,
        "m_floor": training.m_floor,
        "m_floored_levels": floored,
        "weighed_by_resolution": resolved,
        "blocking": blocking,
        "em_blocking_rules": [sample.rule_sql() for sample in samples],
        "em_sample": [sample.summary() for sample in samples],
    }
    out.with_name(out.stem + ".meta.json").write_text(
        json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def floor_m_probabilities(model_path: Path, floor: float) -> list[str]:
    """Give levels with no or zero m a small `floor`; returns the levels changed.

    A level that EM never saw a match at gets m = 0 (an infinite penalty) or none at all, and a
    small training set makes "never seen" common. Every level gets at least the floor (the rest
    of the comparison is scaled down to keep the sum at 1): strong evidence stays strong, not
    absolute."""
    model = json.loads(model_path.read_text(encoding="utf-8"))
    changed = []
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        low = [lv for lv in levels if (lv.get("m_probability") or 0.0) < floor]
        if not low:
            continue
        rest = sum(lv["m_probability"] for lv in levels if lv not in low)
        scale = (1.0 - floor * len(low)) / rest if rest else 0.0
        for level in levels:
            if level in low:
                level["m_probability"] = floor
                changed.append(f"{comparison['output_column_name']}: "
                               f"{level.get('label_for_charts')}")
            else:
                level["m_probability"] *= scale
    model_path.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
    return changed


def weigh_coarser_levels(model_path: Path, con: Any, records: pa.Table
                         ) -> dict[str, dict[str, float]]:
    """Weigh the saved model's coarser levels (a year against a full birth date) by the chance
    agreement at their resolution among `records` (`matching.resolution`), after the m floor:
    the level's m and its exact level's m are then final. Returns what changed, per level."""
    model = json.loads(model_path.read_text(encoding="utf-8"))
    changed = weigh_by_resolution(model, con, records)
    model_path.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
    return changed


# Significant digits kept of each learnt probability. DuckDB sums EM's pairs on several threads,
# in an order that varies, so the 16th digit of an m varies from one training to the next; ten
# digits are far below any effect on a match weight (1e-10 relative) and make a retrain on the
# same delivery write the same file.
SIGNIFICANT_DIGITS = 10


def settle_model(model_path: Path) -> None:
    """Round the learnt probabilities to `SIGNIFICANT_DIGITS` and replace Splink's random
    `linker_uid` (a cache key, never read back: `matching.parameters`) with a digest of the
    model, so that the same delivery gives byte-for-byte the same model file."""
    model = json.loads(model_path.read_text(encoding="utf-8"))

    def rounded(value: float | None) -> float | None:
        return None if value is None else float(f"{value:.{SIGNIFICANT_DIGITS}g}")

    model["probability_two_random_records_match"] = rounded(
        model["probability_two_random_records_match"])
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            for key in ("m_probability", "u_probability"):
                if key in level:
                    level[key] = rounded(level[key])
    model["linker_uid"] = None
    digest = hashlib.sha256(json.dumps(model, sort_keys=True).encode()).hexdigest()
    model["linker_uid"] = "m" + digest[:7]
    model_path.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
