"""Hard constraints on persons: some records are never one person, whatever the score.

- two different valid BSNs;
- twins: same birth date and surname, clearly different first names (neither a spelling of
  the other, nor one typo apart, nor one of the other's given names: two letters swapped in
  a short name, 'Tim' as 'Tmi', leave little Jaro-Winkler similarity);
- parent and child of one name: same first name and surname, full birth dates that differ by
  more than a typo (more than one character) and by at least `min_generation_years` years, on
  another day of the year. Two records of one person can each carry a one-digit typo in the
  year ('1991' as '1941' in one, '1994' in another: two characters apart, 53 years); a father
  and a son of one name born on the same day and month are rare, and the model's disagreeing
  birth years keep them apart without the constraint.

Splink clusters by connected components, so a chain A - B - C can join two people through one
ambiguous record. A cluster holding a forbidden pair is rebuilt from its own links, strongest
first, refusing any link that would bring a forbidden pair together: it splits at its weakest
links. Every split is recorded in `constraint_splits`. A reviewer's judgements
(`persons.judgements`) count too: a `different` is a forbidden pair, a `same` the strongest
link, never refused.

A record whose refused link is about as strong as the link that kept it ('Dirk van der Zee' in
a care report, no birth date, at the address where a father and a son of that name live) would
go to whichever person the tie-break favours: on generated data such records went to the
wrong one about as often as to the right one. Such a record is undecided: unless its own person
is `link / (1 - link)` times likelier than the other by the pairs' weights (the link threshold's
odds: the same certainty a link needs), it stands alone, its pairs are marked `undecided` for a
reviewer, and it joins a person only as a whole (`persons.attach`) if one is clearly likelier.

The two numbers (`min_generation_years`, `twin_max_name_similarity`: twins' first names must be
clearly different, spelling variants and typos such as Joao/Jlao or Memet/Mehmed score above
it) are configuration (`constraints` in config/foto.json): `FORBIDDEN_PAIR_SQL` reads them as
the bound parameters of `constraint_params`, which every query holding it is run with.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

import duckdb
import pandas as pd

from config import Constraints
from persons.judged import ensure_judged_pairs
from stores.sql import Fragment, fill

# Why records `a` and `b` may never be one person (NULL: they may), over `std_persons` columns;
# run with `constraint_params(...)` among the query's parameters.
FORBIDDEN_PAIR_SQL = """
    CASE
      WHEN a.bsn <> b.bsn THEN 'different valid BSNs'
      WHEN a.dob = b.dob AND a.surname_1 = b.surname_1
       AND a.first_name_key <> b.first_name_key
       AND jaro_winkler_similarity(a.first_name, b.first_name) < $twin_max_name_similarity
       AND damerau_levenshtein(a.first_name, b.first_name) > 1
       AND NOT list_contains(a.given_name_list, b.first_name)
       AND NOT list_contains(b.given_name_list, a.first_name)
        THEN 'twins: same birth date and surname, different first names'
      WHEN a.first_name_key = b.first_name_key AND a.surname_1 = b.surname_1
       AND abs(a.dob_year - b.dob_year) >= $min_generation_years
       AND levenshtein(CAST(a.dob AS VARCHAR), CAST(b.dob AS VARCHAR)) > 1
       AND NOT (month(a.dob) = month(b.dob) AND day(a.dob) = day(b.dob))
        THEN 'parent and child: one name, birth dates a generation apart'
    END"""

CANNOT_LINK_SQL = fill("""
WITH r AS (
    SELECT c.cluster_id, s.* FROM clusters c JOIN std_persons s USING (unique_id)
    WHERE c.cluster_id IN (SELECT cluster_id FROM clusters GROUP BY cluster_id
                           HAVING count(*) > 1))
SELECT a.cluster_id, a.unique_id AS l, b.unique_id AS r, {forbidden_pair} AS rule
FROM r a JOIN r b ON a.cluster_id = b.cluster_id AND a.unique_id < b.unique_id
WHERE rule IS NOT NULL
UNION ALL
-- a reviewer's `different` (`persons.judgements`) counts as two valid BSNs
SELECT cl.cluster_id, j.unique_id_l, j.unique_id_r, 'judged different'
FROM judged_pairs j JOIN clusters cl ON cl.unique_id = j.unique_id_l
JOIN clusters cr ON cr.unique_id = j.unique_id_r AND cr.cluster_id = cl.cluster_id
WHERE j.decision = 'different'
""", forbidden_pair=Fragment(FORBIDDEN_PAIR_SQL))


def constraint_params(constraints: Constraints) -> dict[str, float | int]:
    """The bound parameters of `FORBIDDEN_PAIR_SQL`, from the configuration's `constraints`."""
    return {"min_generation_years": constraints.min_generation_years,
            "twin_max_name_similarity": constraints.twin_max_name_similarity}


def split_constrained(uids: list[str], links: Iterable[tuple[str, str, float]],
                      cannot: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Single-link clustering of `uids` that never joins a pair in `cannot`.

    `links`: (unique_id_l, unique_id_r, strength), the strength a match weight or probability
    (only its order counts); `cannot`: (l, r). Links are taken strongest first. Returns
    unique_id -> cluster id (the lowest unique_id in its cluster).
    """
    forbidden: dict[str, set[str]] = defaultdict(set)
    for left, right in cannot:
        forbidden[left].add(right)
        forbidden[right].add(left)
    root_of = {uid: uid for uid in uids}
    members = {uid: {uid} for uid in uids}
    for left, right, _ in sorted(links, key=lambda link: (-link[2], link[0], link[1])):
        a, b = root_of[left], root_of[right]
        if a == b:
            continue
        small, large = (a, b) if len(members[a]) <= len(members[b]) else (b, a)
        if any(forbidden[x] & members[large] for x in members[small]):
            continue
        keep = min(a, b)
        drop = b if keep == a else a
        for x in members[drop]:
            root_of[x] = keep
        members[keep] |= members.pop(drop)
    return dict(root_of)


def decisive_margin(link: float) -> float:
    """How much stronger (match weight, bits) a record's link to one person must be than to
    another it may not share: the link threshold's odds, the certainty a link itself needs."""
    return math.log2(link / (1.0 - link))


def undecided_records(clusters: dict[str, str], links: Iterable[tuple[str, str, float]],
                      min_margin: float) -> set[str]:
    """Records whose strongest link within their cluster beats their strongest refused link
    (to another cluster) by less than `min_margin` (match weights, in bits)."""
    own: dict[str, float] = {}
    refused: dict[str, float] = {}
    for left, right, weight in links:
        best = own if clusters[left] == clusters[right] else refused
        for uid in (left, right):
            best[uid] = max(best.get(uid, -math.inf), weight)
    return {uid for uid, weight in refused.items()
            if uid in own and own[uid] - weight < min_margin}


def _by_cluster(rows: list[tuple]) -> dict[str, list[tuple]]:
    """Rows whose first field is a cluster id, grouped by it (the rest of each row kept)."""
    groups: dict[str, list[tuple]] = defaultdict(list)
    for cluster_id, *rest in rows:
        groups[cluster_id].append(tuple(rest))
    return groups


def enforce_constraints(con: duckdb.DuckDBPyConnection, link: float,
                        constraints: Constraints) -> int:
    """Split every cluster that holds a forbidden pair, setting its undecided records apart
    (`link`: the link threshold; `constraints`: the configuration's); returns how many
    clusters were split."""
    ensure_judged_pairs(con)
    con.execute("""CREATE OR REPLACE TABLE constraint_splits (cluster_id VARCHAR,
        records BIGINT, persons_after BIGINT, undecided BIGINT, rules VARCHAR[])""")
    con.execute(fill("CREATE OR REPLACE TEMP TABLE _cannot AS {cannot}",
                     cannot=Fragment(CANNOT_LINK_SQL)), constraint_params(constraints))
    cannot = _by_cluster(con.sql("SELECT cluster_id, l, r, rule FROM _cannot").fetchall())
    if not cannot:
        con.execute("DROP TABLE _cannot")
        return 0
    records = _by_cluster(con.sql("""SELECT cluster_id, unique_id FROM clusters
        WHERE cluster_id IN (SELECT cluster_id FROM _cannot)""").fetchall())
    links = _by_cluster(con.sql("""
        SELECT c.cluster_id, p.unique_id_l, p.unique_id_r, p.match_weight
        FROM match_pairs p JOIN clusters c ON c.unique_id = p.unique_id_l
        JOIN clusters c2 ON c2.unique_id = p.unique_id_r AND c2.cluster_id = c.cluster_id
        WHERE p.decision = 'link' AND c.cluster_id IN (SELECT cluster_id FROM _cannot)
        UNION ALL
        -- a reviewer's `same` (`persons.judgements`) is the strongest link: never split
        SELECT c.cluster_id, j.unique_id_l, j.unique_id_r, 'Infinity'::DOUBLE
        FROM judged_pairs j JOIN clusters c ON c.unique_id = j.unique_id_l
        JOIN clusters c2 ON c2.unique_id = j.unique_id_r AND c2.cluster_id = c.cluster_id
        WHERE j.decision = 'same' AND j.applied
          AND c.cluster_id IN (SELECT cluster_id FROM _cannot)
        """).fetchall())
    con.execute("DROP TABLE _cannot")
    min_margin = decisive_margin(link)
    new_ids: dict[str, str] = {}
    undecided: set[str] = set()
    splits = []
    for cluster_id, recs in sorted(records.items()):
        rules = cannot[cluster_id]
        uids = [uid for (uid,) in recs]
        forbidden = [(left, right) for left, right, _ in rules]
        cluster_links = links.get(cluster_id, [])
        mapping = split_constrained(uids, cluster_links, forbidden)
        apart = undecided_records(mapping, cluster_links, min_margin)
        if apart:
            mapping = split_constrained(
                uids, [x for x in cluster_links if x[0] not in apart and x[1] not in apart],
                forbidden)
            undecided |= apart
        new_ids.update(mapping)
        splits.append((cluster_id, len(recs), len(set(mapping.values())), len(apart),
                       sorted({rule for _, _, rule in rules})))
    con.register("_new", pd.DataFrame({"unique_id": list(new_ids),
                                       "new_cluster": list(new_ids.values())}))
    con.execute("""UPDATE clusters SET cluster_id = n.new_cluster FROM _new n
                   WHERE clusters.unique_id = n.unique_id""")
    con.unregister("_new")
    if undecided:
        con.register("_undecided", pd.DataFrame({"unique_id": sorted(undecided)}))
        con.execute("""UPDATE match_pairs SET decision = 'undecided' WHERE decision = 'link'
                       AND (unique_id_l IN (SELECT unique_id FROM _undecided)
                            OR unique_id_r IN (SELECT unique_id FROM _undecided))""")
        con.unregister("_undecided")
    con.register("_splits", pd.DataFrame(splits, columns=["cluster_id", "records",
                                                          "persons_after", "undecided",
                                                          "rules"]))
    con.execute("INSERT INTO constraint_splits SELECT * FROM _splits")
    con.unregister("_splits")
    return len(splits)
