"""Hard constraints on persons: two different valid BSNs are never one person.

Splink clusters by connected components, so a chain A(BSN 1) - B(no BSN) - C(BSN 2) can join two
people through one ambiguous record. Clusters that break the rule are rebuilt from their own
links, strongest first, refusing any link that would bring two valid BSNs together: the cluster
splits at its weakest links. Every split is recorded in `constraint_splits`.
"""

from __future__ import annotations

import duckdb
import pandas as pd

CONFLICTS_SQL = """
SELECT c.cluster_id FROM clusters c JOIN std_persons s USING (unique_id)
GROUP BY c.cluster_id HAVING count(DISTINCT s.bsn) > 1
"""


def split_by_bsn(records: pd.DataFrame, links: pd.DataFrame) -> dict[str, str]:
    """Constrained single-link clustering of one set of records.

    `records`: unique_id, bsn (valid or None). `links`: unique_id_l, unique_id_r,
    match_probability. Returns unique_id -> new cluster id (the lowest unique_id in it).
    """
    parent = {uid: uid for uid in records["unique_id"]}
    bsns = {uid: ({b} if isinstance(b, str) else set())
            for uid, b in zip(records["unique_id"], records["bsn"], strict=True)}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    ordered = links.sort_values(["match_probability", "unique_id_l", "unique_id_r"],
                                ascending=[False, True, True])
    for left, right in zip(ordered["unique_id_l"], ordered["unique_id_r"], strict=True):
        a, b = root(left), root(right)
        if a == b or (bsns[a] and bsns[b] and bsns[a] != bsns[b]):
            continue
        keep, drop = (a, b) if a < b else (b, a)
        parent[drop] = keep
        bsns[keep] |= bsns.pop(drop)
    return {uid: root(uid) for uid in parent}


def enforce_bsn_constraint(con: duckdb.DuckDBPyConnection) -> int:
    """Split every cluster holding two valid BSNs; returns how many clusters were split."""
    con.execute("""CREATE OR REPLACE TABLE constraint_splits (cluster_id VARCHAR,
        records BIGINT, persons_after BIGINT, rule VARCHAR)""")
    conflicted = [r[0] for r in con.sql(CONFLICTS_SQL).fetchall()]
    if not conflicted:
        return 0
    con.execute("CREATE OR REPLACE TEMP TABLE _conflicted AS SELECT unnest(?) AS cluster_id",
                [conflicted])
    records = con.sql("""SELECT c.cluster_id, c.unique_id, s.bsn FROM clusters c
        JOIN std_persons s USING (unique_id) JOIN _conflicted USING (cluster_id)""").df()
    links = con.sql("""SELECT c.cluster_id, p.unique_id_l, p.unique_id_r, p.match_probability
        FROM match_pairs p JOIN clusters c ON c.unique_id = p.unique_id_l
        JOIN clusters c2 ON c2.unique_id = p.unique_id_r AND c2.cluster_id = c.cluster_id
        WHERE p.decision = 'link'
          AND c.cluster_id IN (SELECT cluster_id FROM _conflicted)""").df()
    new_ids: dict[str, str] = {}
    splits = []
    link_groups = dict(tuple(links.groupby("cluster_id")))
    for cluster_id, recs in records.groupby("cluster_id"):
        mapping = split_by_bsn(recs, link_groups.get(cluster_id, links.iloc[0:0]))
        new_ids.update(mapping)
        splits.append((cluster_id, len(recs), len(set(mapping.values())), "different valid BSNs"))
    con.register("_new", pd.DataFrame({"unique_id": list(new_ids),
                                       "new_cluster": list(new_ids.values())}))
    con.execute("""UPDATE clusters SET cluster_id = n.new_cluster FROM _new n
                   WHERE clusters.unique_id = n.unique_id""")
    con.unregister("_new")
    con.executemany("INSERT INTO constraint_splits VALUES (?, ?, ?, ?)", splits)
    return len(splits)
