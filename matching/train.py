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

from matching import settings as model_settings
from matching.linker import make_linker

U_MAX_PAIRS = 5e6
SEED = 20261128
# A level that EM never saw a match at gets m = 0 (an infinite penalty) or none at all, and a
# small training set makes "never seen" common. Every level gets at least this m (the rest of
# the comparison is scaled down to keep the sum at 1): strong evidence stays strong, not absolute.
M_FLOOR = 0.002


def train_model(records: pa.Table, out: Path, snapshot: dict[str, Any]) -> dict[str, Any]:
    """Estimate the model on `records`, save it to `out` and its metadata beside it."""
    linker = make_linker(records, model_settings.settings())
    linker.training.estimate_probability_two_random_records_match(
        model_settings.DETERMINISTIC_RULES, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=SEED)
    for rule in model_settings.TRAINING_BLOCKING_RULES:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    linker.misc.save_model_to_json(str(out), overwrite=True)
    floored = floor_m_probabilities(out)
    meta = {
        "model": out.name,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "splink_version": splink.__version__,
        "records": records.num_rows,
        "training_snapshot": snapshot,
        "u_max_pairs": U_MAX_PAIRS,
        "seed": SEED,
        "m_floored_levels": floored,
        "em_blocking_rules": [str(r.get_blocking_rule("duckdb").blocking_rule_sql)
                              if hasattr(r, "get_blocking_rule") else str(r)
                              for r in model_settings.TRAINING_BLOCKING_RULES],
    }
    out.with_name(out.stem + ".meta.json").write_text(
        json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def floor_m_probabilities(model_path: Path) -> list[str]:
    """Give levels with no or zero m a small floor; returns the levels changed."""
    model = json.loads(model_path.read_text(encoding="utf-8"))
    changed = []
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        low = [lv for lv in levels if (lv.get("m_probability") or 0.0) < M_FLOOR]
        if not low:
            continue
        rest = sum(lv["m_probability"] for lv in levels if lv not in low)
        scale = (1.0 - M_FLOOR * len(low)) / rest if rest else 0.0
        for level in levels:
            if level in low:
                level["m_probability"] = M_FLOOR
                changed.append(f"{comparison['output_column_name']}: "
                               f"{level.get('label_for_charts')}")
            else:
                level["m_probability"] *= scale
    model_path.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
    return changed
