"""`link_explanation` says the same thing for the same pair in every run: comparisons of equal
weight are listed by name, not in whatever order the aggregation met them."""

from __future__ import annotations

import duckdb

from matching.explain import build_explanations

LEVELS = [{"is_null_level": True, "label_for_charts": "null"},
          {"label_for_charts": "exact"}, {"label_for_charts": "else"}]
# Model order puts the later name first, so that meeting order and name order differ.
MODEL = {"comparisons": [{"output_column_name": name, "comparison_levels": LEVELS}
                         for name in ("zeta", "mid", "alpha")]}


def _explained(weights: dict[str, float]) -> tuple:
    con = duckdb.connect()
    con.execute("""CREATE TABLE match_pairs AS SELECT 'a:1' AS unique_id_l, 'b:2' AS unique_id_r,
                   'link' AS decision, 0.99 AS match_probability,
                   1 AS gamma_zeta, $zeta AS mw_zeta, 1 AS gamma_mid, $mid AS mw_mid,
                   0 AS gamma_alpha, $alpha AS mw_alpha""", weights)
    build_explanations(con, MODEL)
    return con.execute("SELECT agreed, disagreed, explanation FROM link_explanation").fetchone()


def test_comparisons_of_equal_weight_are_listed_by_name() -> None:
    agreed, disagreed, explanation = _explained({"zeta": 0.0, "mid": 0.0, "alpha": -1.0})
    assert agreed == ["mid", "zeta"]
    assert disagreed == ["alpha"]
    assert explanation == "mid: exact (+0.0); zeta: exact (+0.0); alpha: else (-1.0)"


def test_weight_still_orders_first() -> None:
    agreed, _, explanation = _explained({"zeta": 3.0, "mid": 1.0, "alpha": -1.0})
    assert agreed == ["zeta", "mid"]
    assert explanation.startswith("zeta: exact (+3.0); mid")
