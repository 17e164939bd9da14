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


def test_a_term_frequency_adjustment_does_not_reorder_the_evidence() -> None:
    """One more record with a rare surname (an arrest, then the next nightly run) changes that
    surname's term-frequency adjustment; the order of the evidence stays the model's, so the
    arrest's sheet and the next nightly's say the same (tests/test_arrest_parity.py)."""
    orders = []
    for tf in (2.0, 0.5):     # the surname's adjustment with two, then three records
        con = duckdb.connect()
        con.execute("""CREATE TABLE match_pairs AS SELECT 'a:1' AS unique_id_l,
                       'b:2' AS unique_id_r, 'link' AS decision, 0.99 AS match_probability,
                       1 AS gamma_zeta, 3.0 AS mw_zeta, $tf AS mw_tf_adj_zeta,
                       1 AS gamma_mid, 4.0 AS mw_mid, 0 AS gamma_alpha, -1.0 AS mw_alpha""",
                    {"tf": tf})
        build_explanations(con, MODEL)
        orders.append(con.execute("SELECT agreed, explanation FROM link_explanation")
                      .fetchone())
    assert orders[0][0] == orders[1][0] == ["mid", "zeta"]
    # the weights shown are the pair's own, adjustment included
    assert "zeta: exact (+5.0)" in orders[0][1] and "zeta: exact (+3.5)" in orders[1][1]
