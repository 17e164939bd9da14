"""Linkage quality of a published `person_records` against a generator's truth.

Evaluation only: the pipeline never reads truth. Pairwise figures count record pairs; "kept
whole" is the share of true persons whose records all sit in one person id that holds no one
else's records.
"""

from __future__ import annotations

from pathlib import Path

import duckdb


def linkage_metrics(warehouse: Path, truth: Path) -> dict[str, float]:
    """Pairwise precision, recall, F1 and persons kept whole, over records in both tables."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{warehouse}' AS wh (READ_ONLY)")
    con.execute(f"""
        CREATE TEMP TABLE j AS
        SELECT p.person_id, t.person_key
        FROM wh.person_records p
        JOIN read_parquet('{truth}') t USING (source, record_id)""")
    row = con.sql("""
        WITH pred AS (SELECT sum(n * (n - 1) / 2) AS v FROM
                        (SELECT count(*) AS n FROM j GROUP BY person_id)),
             true_ AS (SELECT sum(n * (n - 1) / 2) AS v FROM
                        (SELECT count(*) AS n FROM j GROUP BY person_key)),
             tp AS (SELECT sum(n * (n - 1) / 2) AS v FROM
                        (SELECT count(*) AS n FROM j GROUP BY person_id, person_key)),
             keys AS (SELECT person_key, count(DISTINCT person_id) AS ids,
                             any_value(person_id) AS pid FROM j GROUP BY person_key),
             ids AS (SELECT person_id, count(DISTINCT person_key) AS keys FROM j
                     GROUP BY person_id)
        SELECT (SELECT v FROM pred), (SELECT v FROM true_), (SELECT v FROM tp),
               (SELECT avg(CASE WHEN k.ids = 1 AND i.keys = 1 THEN 1 ELSE 0 END)
                FROM keys k JOIN ids i ON i.person_id = k.pid),
               (SELECT count(*) FROM j),
               (SELECT count(DISTINCT person_key) FROM j),
               (SELECT count(DISTINCT person_id) FROM j)""").fetchall()[0]
    pred, true_, tp, whole, records, true_persons, found_persons = row
    precision = tp / pred if pred else 1.0
    recall = tp / true_ if true_ else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"records": records, "true_persons": true_persons, "found_persons": found_persons,
            "true_pairs": int(true_ or 0), "predicted_pairs": int(pred or 0),
            "correct_pairs": int(tp or 0), "precision": precision, "recall": recall,
            "f1": f1, "persons_kept_whole": whole}
