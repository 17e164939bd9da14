"""Each pair's comparison level (gamma_*), read back from its match weight (mw_*).

Explanations need the level each comparison reached. Splink gives it only when it also carries
every compared value of both records through scoring (`retain_matching_columns`), which at a
million records costs a fifth of predict's time for columns that are dropped right after. A
level's weight is fixed by the model (log2 of m/u, 0 for a missing value), so where the levels
of each comparison have clearly different weights, the weight names the level exactly, and the
values need not be carried. A model where two levels of a comparison weigh the same keeps
Splink's own gamma columns instead.
"""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa

from matching.explain import comparison_levels
from stores.duck import open_duckdb
from stores.sql import Fragment, Identifier, fill

# Weights of two levels closer than this cannot tell them apart; far above float noise in the
# literals Splink writes into its SQL, far below any real difference between levels.
TOLERANCE = 1e-4


def level_weights(model: dict[str, Any]) -> dict[str, list[tuple[int, float | None]]]:
    """Per comparison: (gamma, weight) of each level; None where the model lacks m or u."""
    gammas = comparison_levels(model)
    weights: dict[str, list[tuple[int, float | None]]] = {}
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        rows = gammas[gammas["comparison"] == name]
        pairs = []
        for level, gamma in zip(comparison["comparison_levels"], rows["gamma"], strict=True):
            m, u = level.get("m_probability"), level.get("u_probability")
            if level.get("is_null_level"):
                pairs.append((int(gamma), 0.0))
            else:
                pairs.append((int(gamma), math.log2(m / u) if m and u else None))
        weights[name] = pairs
    return weights


def levels_identifiable(model: dict[str, Any]) -> bool:
    """True when every level's weight is known and no two levels of a comparison are close."""
    for pairs in level_weights(model).values():
        values = [w for _, w in pairs]
        if any(w is None or math.isinf(w) for w in values):
            return False
        ordered = sorted(values)
        if any(b - a < 100 * TOLERANCE for a, b in zip(ordered, ordered[1:], strict=False)):
            return False
    return True


def with_levels(pairs: pa.Table, model: dict[str, Any]) -> pa.Table:
    """`pairs` with a gamma_<comparison> column for each comparison that lacks one."""
    missing = {name: levels for name, levels in level_weights(model).items()
               if f"gamma_{name}" not in pairs.column_names}
    if not missing:
        return pairs
    cases, params = [], {"tolerance": TOLERANCE}
    for name, levels in missing.items():
        whens = []
        for gamma, weight in levels:   # the model's weights and levels: bound, not pasted
            w, g = f"w{len(params)}", f"g{len(params)}"
            params.update({w: weight, g: gamma})
            whens.append(fill("WHEN abs({mw} - ${w}) < $tolerance THEN ${g}",
                              mw=Identifier(f"mw_{name}"), w=Fragment(w), g=Fragment(g)))
        cases.append(fill("CAST(CASE {whens} END AS INTEGER) AS {gamma}",
                          whens=Fragment(" ".join(whens)), gamma=Identifier(f"gamma_{name}")))
    con = open_duckdb()
    try:
        con.register("pairs", pairs)
        return con.sql(fill("SELECT *, {cases} FROM pairs", cases=Fragment(", ".join(cases))),
                       params=params).to_arrow_table()
    finally:
        con.close()
