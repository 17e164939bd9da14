"""Why two records are one person: each comparison's level and weight, for every scored pair.

Splink gives each pair a comparison level per comparison (gamma_*) and a match weight per
comparison (mw_*, plus mw_tf_adj_* for term-frequency adjustments). `comparison_levels` names
the levels from the model; the view `match_evidence` has one row per pair and comparison with
the level's label, its weight and a verdict (agreed, partly agreed, disagreed, missing); the view
`link_explanation` has one row per pair with the whole story as one line, strongest first.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from stores.sql import Constant, Fragment, Identifier, fill

VERDICT_SQL = """
CASE WHEN e.gamma = -1 THEN 'missing'
     WHEN e.gamma = l.top_gamma THEN 'agreed'
     WHEN e.gamma = 0 THEN 'disagreed'
     ELSE 'partly agreed' END
"""


def comparison_levels(model: dict[str, Any]) -> pd.DataFrame:
    """One row per comparison level of a Splink model, with the gamma value Splink gives it."""
    rows = []
    for comparison in model["comparisons"]:
        levels = comparison["comparison_levels"]
        ranked = [lv for lv in levels if not lv.get("is_null_level")]
        for level in levels:
            gamma = -1 if level.get("is_null_level") else len(ranked) - 1 - ranked.index(level)
            rows.append({"comparison": comparison["output_column_name"], "gamma": gamma,
                         "label": level.get("label_for_charts", ""),
                         "top_gamma": len(ranked) - 1})
    return pd.DataFrame(rows)


def build_explanations(con: duckdb.DuckDBPyConnection, model: dict[str, Any]) -> None:
    """Store `comparison_levels` and `link_explanation`; create the `match_evidence` view."""
    levels = comparison_levels(model)
    con.register("_levels", levels)
    con.execute("CREATE OR REPLACE TABLE comparison_levels AS SELECT * FROM _levels")
    con.unregister("_levels")
    columns = {r[0] for r in con.sql(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'match_pairs'").fetchall()}
    parts = []
    for name in levels["comparison"].unique():
        # a view binds no parameters: the model's comparison name is checked as part of its
        # column names (Identifier) before it is pasted as a literal (Constant)
        tf = fill(" + coalesce({c}, 0)", c=Identifier(f"mw_tf_adj_{name}")) \
            if f"mw_tf_adj_{name}" in columns else ""
        parts.append(fill("SELECT unique_id_l, unique_id_r, decision, match_probability, "
                          "{name} AS comparison, {gamma} AS gamma, {mw}{tf} AS weight, "
                          "{mw} AS level_weight FROM match_pairs", name=Constant(Identifier(name)),
                          gamma=Identifier(f"gamma_{name}"), mw=Identifier(f"mw_{name}"),
                          tf=Fragment(tf)))
    union = Fragment(" UNION ALL ".join(parts))

    def evidence(extra: str) -> str:
        return fill("""
            SELECT e.unique_id_l, e.unique_id_r, e.decision, e.match_probability, e.comparison,
                   l.label AS level, round(e.weight, 2) AS weight, {verdict} AS verdict{extra}
            FROM ({parts}) e
            JOIN comparison_levels l ON l.comparison = e.comparison AND l.gamma = e.gamma""",
            verdict=Fragment(VERDICT_SQL), parts=union, extra=Fragment(extra))

    con.execute("CREATE OR REPLACE VIEW match_evidence AS " + evidence(""))
    con.execute("CREATE OR REPLACE TABLE link_explanation AS "
                + link_explanation_sql(list(levels["comparison"].unique()), columns))


# One pair's evidence as a list of structs, one per comparison: the level's label (NULL where
# the model has no level for the pair's gamma: that comparison is left out, as the join of
# `match_evidence` leaves it out), the weight shown (with the term-frequency adjustment, rounded),
# the model's weight of the level (the order) and the verdict.
_ONE_COMPARISON = """struct_pack(comparison := {name}, level := {lv}.label,
    weight := round({mw}{tf}, 2), level_weight := {mw},
    verdict := CASE WHEN {gamma} = -1 THEN 'missing' WHEN {gamma} = {lv}.top_gamma THEN 'agreed'
                    WHEN {gamma} = 0 THEN 'disagreed' ELSE 'partly agreed' END)"""

# Strongest first by the model's weight of the level, without the term-frequency adjustment:
# that adjustment follows how many records of the master share the value, so one more record
# (an arrest's, then the next nightly's) can move a rare surname's weight past a BSN's; the order
# of the evidence must not move with it. Ties in weight are broken by the comparison's name, so
# that the same pair is explained in the same words in every run (and a rerun's table is
# identical). The weights shown include the adjustment. `list_sort` on a struct sorts by its
# fields in turn: (minus the weight, the name) is strongest first, then by name. An empty list is
# NULL, as an aggregate over no rows is.
_LINK_EXPLANATION_SQL = """
WITH e AS (
    SELECT p.unique_id_l, p.unique_id_r, p.decision, p.match_probability,
           list_filter([{structs}], lambda x: x.level IS NOT NULL) AS ev
    FROM match_pairs p {joins})
SELECT unique_id_l, unique_id_r, decision, match_probability,
       nullif(list_transform(list_sort(list_transform(
           list_filter(ev, lambda x: x.verdict = 'agreed'),
           lambda x: {'k': -x.level_weight, 'c': x.comparison})), lambda x: x.c), []) AS agreed,
       nullif(list_transform(list_sort(list_transform(
           list_filter(ev, lambda x: x.verdict = 'partly agreed'),
           lambda x: {'k': -x.level_weight, 'c': x.comparison})), lambda x: x.c), [])
           AS partly_agreed,
       nullif(list_transform(list_sort(list_transform(
           list_filter(ev, lambda x: x.verdict = 'disagreed'),
           lambda x: {'k': x.level_weight, 'c': x.comparison})), lambda x: x.c), []) AS disagreed,
       array_to_string(list_transform(list_sort(list_transform(ev,
           lambda x: {'k': -x.level_weight, 'c': x.comparison,
                  't': x.comparison || ': ' || x.level || ' (' ||
                       CASE WHEN x.weight >= 0 THEN '+' ELSE '' END || x.weight || ')'})),
           lambda x: x.t), '; ') AS explanation
FROM e WHERE len(ev) > 0"""


def link_explanation_sql(comparisons: list[str], columns: set[str]) -> str:
    """The SELECT of `link_explanation`: one row per pair of `match_pairs` (whose columns are
    `columns`), from that row alone.

    Why row by row: grouping `match_evidence` (one row per pair and comparison) back into pairs
    with ordered list aggregates held every pair's group in memory at once (0.9 GB at 146,443
    records, the most of any part of `person_clusters`, and growing with the pairs); a
    projection streams, whatever the number of pairs. The levels' labels come from
    `comparison_levels` by a join per comparison (a table of a few dozen rows)."""
    structs, joins = [], []
    for i, name in enumerate(comparisons):
        lv = Identifier(f"_l{i}")
        mw = Identifier(f"mw_{name}")
        tf = fill(" + coalesce({c}, 0)", c=Identifier(f"mw_tf_adj_{name}")) \
            if f"mw_tf_adj_{name}" in columns else ""
        structs.append(fill(_ONE_COMPARISON, name=Constant(Identifier(name)), lv=lv, mw=mw,
                            tf=Fragment(tf), gamma=Identifier(f"gamma_{name}")))
        joins.append(fill("LEFT JOIN comparison_levels {lv} ON {lv}.comparison = {name} "
                          "AND {lv}.gamma = p.{gamma}", lv=lv, name=Constant(Identifier(name)),
                          gamma=Identifier(f"gamma_{name}")))
    return fill(_LINK_EXPLANATION_SQL, structs=Fragment(", ".join(structs)),
                joins=Fragment(" ".join(joins)))
