"""Levels that agree at a coarser resolution: weighed by what agreement at that resolution is
worth, not by how often the training pairs reach them.

A 'consistent partial birth date' is reached only where one record states the birth date less
precisely than the other: a care report's 'born 1959' against a register's full date. Splink
learns its m (the chance that one person's two records reach it) by EM on the pairs the training
rules find, nearly all of them pairs that share a BSN; and the sources that give a year only are
the sources without a BSN. So the m it learns says how few year-only records the BSN-carrying
sources hold, not what a consistent year is worth: the bundled `person_v4` had it at the
training floor (0.002) and weighed a consistent year at 2.6 bits, where two random records
share a birth year about once in 75 (some 6 bits). At a million persons that was the margin:
a first name, a surname and a consistent year left 756 true pairs unlinked just below the
threshold, against 73 false (docs/scale.md).

The same holds for any level whose condition says 'as far as both records state it'. Its weight
is therefore taken apart from the pairs' mix of sources, as a comparison's null level is:

    m / u  =  m_exact / chance

- `m_exact`: the m of the comparison's exact level it stands in for ('same birth date'): one
  person's two records agree on the part both state at least as often as on the whole value;
- `chance`: the chance that two random records, one of them stating the value in part, agree as
  far as both state it, counted on the training records (`agreement_by_chance`).

The level keeps its learnt m and gets u = m * chance / m_exact (the difference goes to the
comparison's 'disagree' level, so its u still sums to one). How often a source states a value
in part is then neither for nor against a match: only the agreement is evidence.
"""

from __future__ import annotations

import math
from typing import Any

import duckdb
import pyarrow as pa

from matching.population import set_u
from matching.settings import COARSER_LEVELS
from stores.sql import Fragment, Identifier, fill


def agreement_by_chance(con: duckdb.DuckDBPyConnection, records: pa.Table,
                        columns: tuple[str, ...]) -> tuple[float, int] | None:
    """The chance that two different records of `records`, one of which leaves a finer column
    of `columns` (coarse to fine) empty, agree on every column both state; with the number of
    such ordered pairs. None where no record states the value in part, or none states it whole
    enough to compare (the first column is empty everywhere).

    Counted over groups of equal values, not over pairs: a delivery of millions of records
    has some thousands of distinct birth dates, so the join is small."""
    first, finer = Identifier(columns[0]), [Identifier(c) for c in columns[1:]]
    if not finer:
        return None
    names = Fragment(", ".join(c.sql() for c in (first, *finer)))
    partial = Fragment(" OR ".join(f"{c.sql()} IS NULL" for c in finer))
    consistent = Fragment(" AND ".join(
        [f"p.{first.sql()} = g.{first.sql()}"]
        + [f"(p.{c.sql()} IS NULL OR g.{c.sql()} IS NULL OR p.{c.sql()} = g.{c.sql()})"
           for c in finer]))
    con.register("_resolution_records", records.select(list(columns)))
    try:
        agree, partial_records, stated = con.execute(fill("""
            WITH g AS (SELECT {names}, count(*) AS n FROM _resolution_records
                       WHERE {first} IS NOT NULL GROUP BY ALL),
                 p AS (SELECT * FROM g WHERE {partial})
            SELECT (SELECT sum(p.n * g.n) FROM p JOIN g ON {consistent}),
                   (SELECT sum(n) FROM p), (SELECT sum(n) FROM g)""",
            names=names, first=first, partial=partial, consistent=consistent)).fetchall()[0]
    finally:
        con.unregister("_resolution_records")
    if not partial_records or not stated or stated < 2:
        return None
    pairs = int(partial_records) * (int(stated) - 1)
    # each record of `p` met itself in the join; one agreeing pair at least, so the weight is
    # finite where the training records happen to hold none
    agreeing = max(int(agree) - int(partial_records), 1)
    return agreeing / pairs, pairs


def weigh_by_resolution(model: dict[str, Any], con: duckdb.DuckDBPyConnection,
                        records: pa.Table) -> dict[str, dict[str, float]]:
    """Set the u of each level of `COARSER_LEVELS` in `model` (Splink's settings dictionary,
    changed in place) from the chance agreement among `records`; returns per level the chance,
    the pairs it was counted on, and the weight in bits before and after, for the model's
    metadata. A level whose comparison lacks its exact level's m, or whose records hold no
    partial value, is left as learnt."""
    changed: dict[str, dict[str, float]] = {}
    for comparison in model["comparisons"]:
        name = comparison.get("output_column_name", "")
        levels = {lv.get("label_for_charts"): lv for lv in comparison["comparison_levels"]}
        for label, (exact_label, columns) in COARSER_LEVELS.get(name, {}).items():
            level, exact = levels.get(label), levels.get(exact_label)
            if level is None or exact is None:
                continue
            m, m_exact, u = (level.get("m_probability"), exact.get("m_probability"),
                             level.get("u_probability"))
            counted = agreement_by_chance(con, records, columns)
            if not m or not m_exact or not u or counted is None:
                continue
            chance, pairs = counted
            set_u(comparison, level, m * chance / m_exact)
            changed[f"{name}: {label}"] = {
                "agreement_by_chance": chance, "pairs": pairs,
                "bits_learnt": math.log2(m / u),
                "bits": math.log2(m / level["u_probability"])}
    return changed
