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

from stores.duck import open_duckdb

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
    con = open_duckdb()
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
    con = open_duckdb(warehouse, read_only=True)
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
    con = open_duckdb(warehouse, read_only=True)
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
    con = open_duckdb(warehouse, read_only=True)
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


# The fields besides the first name that identify a person in a pair of records: a true pair
# agreeing on none of them "shares at most a first name" (issue 3, option a of issue 18).
IDENTIFYING_FIELDS = ("surname_key", "dob", "postcode", "bsn")


def blocking_recall(warehouse: Path, truth: Path) -> dict[str, float]:
    """`blocking_recall_of` the standardised records of a published warehouse."""
    con = open_duckdb(warehouse, read_only=True)
    try:
        records = con.sql("SELECT * FROM std_persons").to_arrow_table()
    finally:
        con.close()
    return blocking_recall_of(records, truth)


def blocking_recall_of(records: pa.Table, truth: Path) -> dict[str, float]:
    """How many true pairs the production blocking rules make candidates, and what blocking
    costs, without materialising the candidate pairs.

    - `blocking_recall`: the share of all true pairs (two records of one true person) that some
      rule makes a candidate pair.
    - `blocking_recall_evident`: the same share over the *evident* true pairs only: those whose
      two records agree on at least one identifying field besides the first name, i.e. the same
      surname key (`surname_key`, the phonetic key of the surname's first part without
      tussenvoegsel), the same full birth date, the same postcode or the same valid BSN, each
      non-null on both sides. A true pair agreeing on none of these shares at most a first name
      (a care report naming 'Anne' alone next to 'A. de Jong'): the model cannot link it on
      that evidence, so blocking is not judged on it (issue 3's blocking question, option a).
      `evident_pairs` and `missed_evident_pairs` count them.
    - `candidate_pairs` and `candidates_per_record`: Splink's count of the comparisons the rules
      make (`splink.blocking_analysis.count_comparisons_from_blocking_rules`, exact: a count in
      the database, not a table of pairs); `comparisons_per_rule` the marginal count of each
      rule in order (pairs no earlier rule made).

    Whether a true pair is a candidate is decided by evaluating the rules' own SQL on the pair
    (left the record with the lower unique id, as Splink orders a deduplication's pairs): a pair
    is a candidate exactly when one rule holds, so this is Splink's candidate set restricted to
    true pairs (`tests/test_eval_metrics.py` checks it against Splink's materialised pairs)."""
    import logging

    from splink import DuckDBAPI
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    from matching.blocking import rule_sql
    from matching.linker import MODEL_COLUMNS, matching_connection
    from matching.settings import settings_dict

    logging.getLogger("splink").setLevel(logging.WARNING)
    rules = [rule_sql(r) for r in
             settings_dict("duckdb")["blocking_rules_to_generate_predictions"]]
    c = open_duckdb()
    true_pair_table(c, records, truth, rules)
    true_pairs, caught, evident_pairs, evident_caught, no_shared, first_name_only = c.sql("""
        SELECT count(*), count(*) FILTER (WHERE candidate),
               count(*) FILTER (WHERE evident), count(*) FILTER (WHERE evident AND candidate),
               count(*) FILTER (WHERE NOT candidate AND NOT evident AND NOT same_first),
               count(*) FILTER (WHERE NOT candidate AND NOT evident AND same_first)
        FROM tp""").fetchall()[0]
    connected = _connected_pairs(
        c.sql("SELECT uid_l, uid_r FROM tp WHERE candidate").fetchall(),
        [row[0] for row in c.sql("SELECT unique_id FROM k").fetchall()])
    c.close()
    counts = count_comparisons_from_blocking_rules(
        DuckDBAPI(matching_connection()).register(records.select(MODEL_COLUMNS)),
        blocking_rules=rules, link_type="dedupe_only", record_sample_proportion=1.0)
    candidates = int(counts[-1]["cumulative_comparison_count"]) if counts else 0
    return {"blocking_recall": caught / true_pairs if true_pairs else 1.0,
            "missed_pairs": true_pairs - caught,
            "evident_pairs": evident_pairs,
            "blocking_recall_evident": (evident_caught / evident_pairs
                                        if evident_pairs else 1.0),
            "missed_evident_pairs": evident_pairs - evident_caught,
            "missed_sharing_no_value": no_shared,
            "missed_sharing_first_name_only": first_name_only,
            "connected_recall": connected / true_pairs if true_pairs else 1.0,
            "candidate_pairs": candidates,
            "candidates_per_record": candidates / max(records.num_rows, 1),
            "comparisons_per_rule": [int(r["marginal_comparison_count"]) for r in counts]}


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


def true_pair_table(c: duckdb.DuckDBPyConnection, records: pa.Table, truth: Path,
                    rules: list[str]) -> None:
    """Leave in `c` the tables `records` (the model's columns), `k` (unique_id, person_key) and
    `tp`: every true pair (uid_l < uid_r) with `candidate` (some rule of `rules`, evaluated on
    the pair, holds), `same_first` (same first-name key) and `evident` (`IDENTIFYING_FIELDS`)."""
    from matching.linker import MODEL_COLUMNS
    from stores.sql import Fragment, fill

    c.register("records", records.select(MODEL_COLUMNS))
    c.register("ids", records.select(["unique_id", "source", "record_id"]))
    c.execute(f"""CREATE TEMP TABLE k AS SELECT i.unique_id, t.person_key FROM ids i
                  JOIN read_parquet('{truth}') t USING (source, record_id)""")
    any_rule = " OR ".join(f"coalesce(({rule}), FALSE)" for rule in rules)
    evident = " OR ".join(f"coalesce(l.{f} = r.{f}, FALSE)" for f in IDENTIFYING_FIELDS)
    c.execute(fill("""CREATE TEMP TABLE tp AS
        SELECT a.unique_id AS uid_l, b.unique_id AS uid_r, {any_rule} AS candidate,
               coalesce(l.first_name_key = r.first_name_key, FALSE) AS same_first,
               {evident} AS evident
        FROM k a JOIN k b ON a.person_key = b.person_key AND a.unique_id < b.unique_id
        JOIN records l ON l.unique_id = a.unique_id
        JOIN records r ON r.unique_id = b.unique_id""",
        any_rule=Fragment(any_rule), evident=Fragment(evident)))
