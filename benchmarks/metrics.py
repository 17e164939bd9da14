"""Linkage quality of a person assignment against a generator's truth.

Evaluation only: the pipeline never reads truth. Pairwise figures count record pairs; "kept
whole" is the share of true persons whose records all sit in one person id that holds no one
else's; "merged" is the share of found persons holding records of more than one true person;
"split" the share of true persons spread over more than one found person.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import pyarrow as pa

QUALITY_SQL = """
WITH pred AS (SELECT sum(n * (n - 1) / 2) AS v FROM
                (SELECT count(*) AS n FROM j GROUP BY person_id)),
     true_ AS (SELECT sum(n * (n - 1) / 2) AS v FROM
                (SELECT count(*) AS n FROM j GROUP BY person_key)),
     tp AS (SELECT sum(n * (n - 1) / 2) AS v FROM
                (SELECT count(*) AS n FROM j GROUP BY person_id, person_key)),
     keys AS (SELECT person_key, count(DISTINCT person_id) AS ids,
                     any_value(person_id) AS pid FROM j GROUP BY person_key),
     ids AS (SELECT person_id, count(DISTINCT person_key) AS keys FROM j GROUP BY person_id)
SELECT (SELECT v FROM pred), (SELECT v FROM true_), (SELECT v FROM tp),
       (SELECT avg(CASE WHEN k.ids = 1 AND i.keys = 1 THEN 1 ELSE 0 END)
        FROM keys k JOIN ids i ON i.person_id = k.pid),
       (SELECT avg(CASE WHEN keys > 1 THEN 1 ELSE 0 END) FROM ids),
       (SELECT avg(CASE WHEN ids > 1 THEN 1 ELSE 0 END) FROM keys),
       (SELECT count(*) FROM j), (SELECT count(*) FROM keys), (SELECT count(*) FROM ids)
"""


def quality(assignment: pa.Table, truth: Path) -> dict[str, float]:
    """Figures for `assignment` (source, record_id, person_id) over records also in truth."""
    con = duckdb.connect()
    con.register("a", assignment)
    con.execute(f"""CREATE TEMP TABLE j AS SELECT a.person_id, t.person_key
                    FROM a JOIN read_parquet('{truth}') t USING (source, record_id)""")
    pred, true_, tp, whole, merged, split, records, persons, found = \
        con.sql(QUALITY_SQL).fetchall()[0]
    precision = tp / pred if pred else 1.0
    recall = tp / true_ if true_ else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"records": records, "true_persons": persons, "found_persons": found,
            "true_pairs": int(true_ or 0), "predicted_pairs": int(pred or 0),
            "correct_pairs": int(tp or 0), "precision": precision, "recall": recall,
            "f1": f1, "persons_kept_whole": whole, "persons_merged": merged,
            "persons_split": split}


def published_assignment(warehouse: Path) -> pa.Table:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.sql("SELECT source, record_id, person_id FROM person_records"
                       ).to_arrow_table()
    finally:
        con.close()


def linkage_metrics(warehouse: Path, truth: Path) -> dict[str, float]:
    """Quality of a published warehouse's `person_records`."""
    return quality(published_assignment(warehouse), truth)


def loosest_true_person(warehouse: Path, truth: Path, min_records: int) -> float | None:
    """Among found persons of `min_records` or more that hold one true person only, the
    smallest share of their record pairs linked directly: what the gate's chaining rule
    (config/foto.json, gate.linkage.chaining) must stay below. Records identical in every
    compared field count once, as the gate counts them (`identity_duplicates`)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        has_groups = con.sql("SELECT count(*) FROM duckdb_tables() "
                             "WHERE table_name = 'identity_duplicates'").fetchall()[0][0]
        identity = ("coalesce(d.representative, pr.unique_id)" if has_groups
                    else "pr.unique_id")
        groups = ("LEFT JOIN identity_duplicates d ON d.unique_id = pr.unique_id"
                  if has_groups else "")
        return con.sql(f"""
            WITH k AS (SELECT pr.unique_id, pr.person_id, t.person_key, {identity} AS identity
                       FROM person_records pr {groups}
                       JOIN read_parquet('{truth}') t USING (source, record_id)),
            pure AS (SELECT person_id, count(DISTINCT identity) AS n FROM k GROUP BY person_id
                     HAVING count(DISTINCT identity) >= {min_records}
                        AND count(DISTINCT person_key) = 1),
            linked AS (SELECT a.person_id,
                              count(DISTINCT (least(a.identity, b.identity),
                                              greatest(a.identity, b.identity))) AS pairs
                       FROM match_pairs m
                       JOIN k a ON a.unique_id = m.unique_id_l
                       JOIN k b ON b.unique_id = m.unique_id_r AND b.person_id = a.person_id
                       WHERE m.decision IN ('link', 'attach') AND a.identity <> b.identity
                       GROUP BY a.person_id)
            SELECT min(coalesce(pairs, 0) / (n * (n - 1) / 2))
            FROM pure LEFT JOIN linked USING (person_id)""").fetchall()[0][0]
    finally:
        con.close()


def calibration(warehouse: Path, truth: Path) -> list[dict[str, float]]:
    """For each band of match probability (0.5-0.6, ..., 0.9-1.0) of the stored pairs: how many
    pairs, their mean probability and the share that are truly one person. A calibrated model
    has the two close; it is what a link threshold is chosen from."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.sql(f"""
            WITH k AS (SELECT s.unique_id, t.person_key FROM std_persons s
                       JOIN read_parquet('{truth}') t USING (source, record_id))
            SELECT least(floor(p.match_probability * 10) / 10, 0.9) AS band, count(*) AS pairs,
                   avg(p.match_probability) AS mean_probability,
                   avg((a.person_key = b.person_key)::INTEGER) AS true_share
            FROM match_pairs p JOIN k a ON a.unique_id = p.unique_id_l
            JOIN k b ON b.unique_id = p.unique_id_r
            GROUP BY band ORDER BY band""").fetchall()
    finally:
        con.close()
    return [{"band": band, "pairs": n, "mean_probability": mean, "true_share": share}
            for band, n, mean, share in rows]


def blocking_recall(warehouse: Path, truth: Path) -> dict[str, float]:
    """Share of true pairs that the production blocking rules make candidates, and the
    number of candidate pairs per record."""
    import logging

    from splink import DuckDBAPI, Linker

    from matching.linker import MODEL_COLUMNS
    from matching.settings import settings

    con = duckdb.connect(str(warehouse), read_only=True)
    records = con.sql("SELECT * FROM std_persons").to_arrow_table()
    con.close()
    logging.getLogger("splink").setLevel(logging.WARNING)
    linker = Linker(DuckDBAPI().register(records.select(MODEL_COLUMNS)), settings(),
                    log_level=logging.WARNING)
    blocked = linker.inference.compute_blocked_pairs_for_predict().as_pyarrow_table()
    c = duckdb.connect()
    c.register("b", blocked)
    c.register("r", records.select(["unique_id", "source", "record_id"]))
    c.execute(f"""CREATE TEMP TABLE k AS SELECT r.unique_id, t.person_key FROM r
                  JOIN read_parquet('{truth}') t USING (source, record_id)""")
    c.execute("""CREATE TEMP TABLE tp AS SELECT a.unique_id AS l, b2.unique_id AS r
                 FROM k a JOIN k b2 ON a.person_key = b2.person_key
                 AND a.unique_id < b2.unique_id""")
    c.execute("""CREATE TEMP TABLE cand AS SELECT least(join_key_l, join_key_r) AS l,
                 greatest(join_key_l, join_key_r) AS r FROM b""")
    true_pairs, caught = c.sql("""SELECT (SELECT count(*) FROM tp),
                                         (SELECT count(*) FROM tp JOIN cand USING (l, r))""",
                               ).fetchall()[0]
    c.register("rec", records.select(["unique_id", "first_name_key", "surname_key", "dob",
                                      "postcode", "bsn"]))
    no_shared, first_name_only = c.sql("""
        SELECT count(*) FILTER (WHERE NOT coalesce(same_first OR same_other, FALSE)),
               count(*) FILTER (WHERE same_first AND NOT coalesce(same_other, FALSE))
        FROM (SELECT a.first_name_key = b.first_name_key AS same_first,
                     a.surname_key = b.surname_key OR a.dob = b.dob
                       OR a.postcode = b.postcode OR a.bsn = b.bsn AS same_other
              FROM (SELECT * FROM tp ANTI JOIN cand USING (l, r)) m
              JOIN rec a ON a.unique_id = m.l JOIN rec b ON b.unique_id = m.r)""").fetchall()[0]
    connected = _connected_pairs(c.sql("""SELECT l, r FROM cand JOIN k kl ON kl.unique_id = l
                                          JOIN k kr ON kr.unique_id = r
                                          WHERE kl.person_key = kr.person_key""").fetchall(),
                                 [row[0] for row in c.sql("SELECT unique_id FROM k").fetchall()])
    return {"blocking_recall": caught / true_pairs if true_pairs else 1.0,
            "missed_pairs": true_pairs - caught,
            "missed_sharing_no_value": no_shared,
            "missed_sharing_first_name_only": first_name_only,
            "connected_recall": connected / true_pairs if true_pairs else 1.0,
            "candidate_pairs": blocked.num_rows,
            "candidates_per_record": blocked.num_rows / max(records.num_rows, 1)}


def _connected_pairs(edges: list[tuple[str, str]], nodes: list[str]) -> int:
    """True pairs whose records are joined through a chain of candidate pairs between records
    of that one person: the pairs that clustering can still bring together."""
    parent = {n: n for n in nodes}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for left, right in edges:
        parent[root(left)] = root(right)
    sizes = Counter(root(n) for n in nodes)
    return sum(n * (n - 1) // 2 for n in sizes.values())
