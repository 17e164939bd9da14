"""Training a person-matching model on one delivery's canonical records (`foto train`).

Training is never part of the nightly run: it writes a new version with its metadata, which
the nightly and on-arrest runs then load and name.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import splink
from splink.internals.exceptions import EMTrainingException

from config import Training
from matching import settings as model_settings
from matching.linker import make_linker


class TrainingImpossible(Exception):
    """The records cannot train a model (told in counts, so an operator may read it)."""

    safe_message = True


def train_model(records: pa.Table, out: Path, snapshot: dict[str, Any],
                training: Training) -> dict[str, Any]:
    """Estimate the model on `records`, save it to `out` and its metadata beside it
    (`training`: the configuration's recall, sampling and m floor, recorded in the metadata).

    Expectation maximisation learns from pairs that are probably one person; a delivery in
    which no two records are one person (one partner whose register holds each person once,
    such as the BRP alone) gives it none, and Splink then fails. That is refused with the
    counts, before a file is written: the home's current model stays."""
    linker = make_linker(records, model_settings.settings())
    try:
        linker.training.estimate_probability_two_random_records_match(
            model_settings.DETERMINISTIC_RULES, recall=training.deterministic_rules_recall)
        linker.training.estimate_u_using_random_sampling(max_pairs=training.u_max_pairs,
                                                         seed=training.seed)
        for rule in model_settings.TRAINING_BLOCKING_RULES:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True)
    except EMTrainingException:
        raise TrainingImpossible(
            f"the {records.num_rows} records hold no pair that the training rules take for "
            "one person (a BSN, or name and birth date, shared by two records), so Splink "
            "cannot estimate how matches look. Train on a delivery in which persons appear "
            "more than once: several partners, or a partner with several records per person"
        ) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    linker.misc.save_model_to_json(str(out), overwrite=True)
    floored = floor_m_probabilities(out, training.m_floor)
    blocking = bsn_anchored_blocking_check(records)
    meta = {
        "model": out.name,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "splink_version": splink.__version__,
        "records": records.num_rows,
        "training_snapshot": snapshot,
        "u_max_pairs": training.u_max_pairs,
        "seed": training.seed,
        "deterministic_rules_recall": training.deterministic_rules_recall,
        "m_floor": training.m_floor,
        "m_floored_levels": floored,
        "blocking": blocking,
        "em_blocking_rules": [str(r.get_blocking_rule("duckdb").blocking_rule_sql)
                              if hasattr(r, "get_blocking_rule") else str(r)
                              for r in model_settings.TRAINING_BLOCKING_RULES],
    }
    out.with_name(out.stem + ".meta.json").write_text(
        json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def bsn_anchored_blocking_check(records: pa.Table) -> dict[str, Any]:
    """Blocking recall without truth: of the record pairs that share a valid BSN (one person,
    nearly always), the share that the other blocking rules would still find if the BSN were
    missing, which is how most police and every care record arrives. Also candidate pairs per
    record for the full rule set. Evaluation against truth is `make eval`'s job."""
    import duckdb
    from splink import SettingsCreator

    rules = model_settings.BLOCKING_RULES_FOR_PREDICTION
    without_bsn = [r for r in rules if r is not model_settings.BSN_BLOCKING_RULE]
    counts = {}
    for name, chosen in (("all_rules", rules), ("without_bsn", without_bsn)):
        settings = SettingsCreator(link_type="dedupe_only", unique_id_column_name="unique_id",
                                   comparisons=model_settings.COMPARISONS,
                                   blocking_rules_to_generate_predictions=chosen)
        counts[name] = make_linker(records, settings).inference \
            .compute_blocked_pairs_for_predict().as_pyarrow_table()
    con = duckdb.connect()
    con.register("r", records.select(["unique_id", "bsn"]))
    con.register("c", counts["without_bsn"])
    anchored, found = con.sql("""
        WITH p AS (SELECT a.unique_id AS l, b.unique_id AS r FROM r a JOIN r b
                   ON a.bsn = b.bsn AND a.unique_id < b.unique_id),
             c2 AS (SELECT least(join_key_l, join_key_r) AS l,
                           greatest(join_key_l, join_key_r) AS r FROM c)
        SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM p JOIN c2 USING (l, r))
        """).fetchall()[0]
    return {"bsn_pairs": anchored,
            "recall_without_bsn": round(found / anchored, 4) if anchored else None,
            "candidate_pairs": counts["all_rules"].num_rows,
            "candidates_per_record": round(counts["all_rules"].num_rows / records.num_rows, 2)}


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
