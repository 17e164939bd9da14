"""People decide what the model cannot: judgements override the model in every run.

A reviewer's judgement on a pair of records (`judgements`, written by the judgement store;
read through `persons.judged`) holds until a newer one replaces it:

- `same` is a must-link: the two records are one person, even if the model scored them below
  the link threshold or not at all (this module joins their clusters before the constraints
  are enforced; `persons.constraints` never splits a must-link, it is the strongest link);
- `different` is a cannot-link, enforced exactly like two valid BSNs in one person
  (`persons.constraints` splits the person at its weakest links; `persons.attach` and the
  arrest path, `persons.incremental`, never join the two again);
- `unsure` changes no person: the pair stays in `review_pairs`, marked `seen`.

Judgements can contradict each other or a hard constraint: `same` judgements whose component
(A=B, B=C) holds a pair judged `different` (A≠C), or two records that may never be one person
(two valid BSNs, twins, parent and child: `FORBIDDEN_PAIR_SQL`). Such a contradiction is never
resolved silently and never by guessing which judgement is wrong: every `same` of that component
is left unapplied and listed in `judgement_conflicts` for a reviewer, and the cannot-link side
wins. A wrong link is worse than a missed one here: it puts one person's police, justice and
care records on another's triage sheet, while a missed link only leaves a person incomplete
until a reviewer settles the contradiction.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from config import Constraints
from persons.constraints import FORBIDDEN_PAIR_SQL, constraint_params
from persons.judged import load_judged_pairs
from stores.sql import Fragment, fill

# Why a `same` judgement was not applied: Dutch / English, no record values (a rule name or a
# judgement id at most), so the text may go anywhere a count may.
CONFLICT_REASONS: dict[str, str] = {
    "judged_different": "tegenstrijdig: via 'zelfde'-beoordelingen verbonden records zijn als "
                        "'verschillend' beoordeeld / contradiction: records joined by 'same' "
                        "judgements are judged 'different'",
    "hard_constraint": "tegenstrijdig met een harde regel: via 'zelfde'-beoordelingen verbonden "
                       "records zijn nooit één persoon / contradicts a hard constraint: records "
                       "joined by 'same' judgements may never be one person",
}

CONFLICTS_DDL = """CREATE OR REPLACE TABLE judgement_conflicts (
    judgement_id BIGINT, unique_id_l VARCHAR, unique_id_r VARCHAR, reason_code VARCHAR,
    reason VARCHAR, against_judgement_id BIGINT, against_unique_id_l VARCHAR,
    against_unique_id_r VARCHAR, rule VARCHAR)"""

# Pairs within one component of `same` judgements (`_same_members`) that may never be one
# person: judged `different`, or a hard constraint.
_COMPONENT_CONFLICTS_SQL = """
WITH m AS (SELECT * FROM _same_members)
SELECT ml.component, d.unique_id_l, d.unique_id_r, d.judgement_id, 'judged_different', NULL
FROM judged_pairs d JOIN m ml ON ml.unique_id = d.unique_id_l
JOIN m mr ON mr.unique_id = d.unique_id_r AND mr.component = ml.component
WHERE d.decision = 'different'
UNION ALL
SELECT ml.component, a.unique_id, b.unique_id, NULL, 'hard_constraint', {forbidden_pair}
FROM m ml JOIN std_persons a ON a.unique_id = ml.unique_id
JOIN m mr ON mr.component = ml.component AND mr.unique_id > ml.unique_id
JOIN std_persons b ON b.unique_id = mr.unique_id
WHERE ({forbidden_pair}) IS NOT NULL
ORDER BY 1, 5, 2, 3"""


@dataclass(frozen=True)
class JudgementEffect:
    """What this run's judgements did (counts only: they go to logs and metadata)."""

    active: int           # judgements whose two records are both in this run
    conflicts: int        # `same` judgements left unapplied (see `judgement_conflicts`)
    must_links: int       # `same` judgements applied
    clusters_joined: int  # clusters merged into another by must-links


def components(edges: list[tuple[str, str]]) -> dict[str, str]:
    """Connected components of `edges`: record -> lowest record id of its component."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for left, right in edges:
        a, b = root(left), root(right)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return {x: root(x) for x in parent}


def apply_judgements(con: duckdb.DuckDBPyConnection, constraints: Constraints) -> JudgementEffect:
    """Read the run's judgements (`judged_pairs`), list contradictions in
    `judgement_conflicts` (always created), and join the clusters of every applied `same`
    (`clusters` updated). Run before `persons.constraints.enforce_constraints`, which splits
    where a `different` holds and keeps must-links whole, and `persons.attach`."""
    active = load_judged_pairs(con)
    con.execute(CONFLICTS_DDL)
    same = con.sql("""SELECT unique_id_l, unique_id_r, judgement_id FROM judged_pairs
                      WHERE decision = 'same' ORDER BY judgement_id""").fetchall()
    if not same:
        return JudgementEffect(active, 0, 0, 0)
    component = components([(left, right) for left, right, _ in same])
    con.register("_same_members", pd.DataFrame({"unique_id": list(component),
                                                "component": list(component.values())}))
    found = con.execute(fill(_COMPONENT_CONFLICTS_SQL, forbidden_pair=Fragment(FORBIDDEN_PAIR_SQL)),
                        constraint_params(constraints)).fetchall()
    con.unregister("_same_members")
    cause: dict[str, tuple] = {}
    for comp, left, right, against, code, rule in found:
        cause.setdefault(comp, (left, right, against, code, rule))
    conflicts = []
    for left, right, judgement_id in same:
        if component[left] in cause:
            a_left, a_right, against, code, rule = cause[component[left]]
            conflicts.append((judgement_id, left, right, code, CONFLICT_REASONS[code], against,
                              a_left, a_right, rule))
    if conflicts:
        frame = pd.DataFrame(conflicts, columns=[
            "judgement_id", "unique_id_l", "unique_id_r", "reason_code", "reason",
            "against_judgement_id", "against_unique_id_l", "against_unique_id_r", "rule"])
        frame = frame.astype({"judgement_id": "int64", "against_judgement_id": "Int64"})
        con.register("_conflicts", frame)
        con.execute("INSERT INTO judgement_conflicts SELECT * FROM _conflicts")
        con.execute("""UPDATE judged_pairs SET applied = false
                       WHERE judgement_id IN (SELECT judgement_id FROM _conflicts)""")
        con.unregister("_conflicts")
    joined = _join_clusters(con)
    return JudgementEffect(active, len(conflicts), len(same) - len(conflicts), joined)


def _join_clusters(con: duckdb.DuckDBPyConnection) -> int:
    """Merge the clusters of every applied `same` pair (the lowest cluster id stays); returns
    how many clusters were merged into another."""
    edges = con.sql("""
        SELECT DISTINCT cl.cluster_id, cr.cluster_id FROM judged_pairs j
        JOIN clusters cl ON cl.unique_id = j.unique_id_l
        JOIN clusters cr ON cr.unique_id = j.unique_id_r
        WHERE j.decision = 'same' AND j.applied AND cl.cluster_id <> cr.cluster_id""").fetchall()
    if not edges:
        return 0
    merged = {old: new for old, new in components(edges).items() if old != new}
    con.register("_merged", pd.DataFrame({"old": list(merged), "new": list(merged.values())}))
    con.execute("""UPDATE clusters SET cluster_id = m.new FROM _merged m
                   WHERE clusters.cluster_id = m.old""")
    con.unregister("_merged")
    return len(merged)
