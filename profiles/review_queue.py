"""The review queue: what a reviewer should decide first, one row per item, `rank` 1..n.

`review_pairs` holds every pair a person must judge, but a reviewer has an hour, not a week:
the queue orders the items so that the first hour does the most good. It is built after
`person`, because who is of concern is known only then.

Items:
- `conflict`: a reviewer's `same` judgement left unapplied because it contradicts another
  judgement or a hard constraint (`judgement_conflicts`, `persons.judgements`). Always on top,
  whatever else: until a person settles it, the run holds two contradictory decisions.
- `pair`: a pair in the review band (`review_pairs`, decision `review`) not yet decided.
- `undecided_record`: a pair of a record that fits two persons about equally ('Dirk van der
  Zee', `persons.constraints`): it stands alone, and its pairs (`undecided`) with the records
  of both persons are what a reviewer judges. The queue keeps the pair shape because a
  judgement is on two records (`foto judge A B`); the record stands in every such pair.

A pair judged `different`, or `same` and applied, has left `review_pairs` and so the queue; a
pair judged `unsure` stays, `seen`. A pair that is a conflict is listed once, as the conflict.

Order (each a tie-break of the one before; the last makes the order total and stable):
1. conflicts first;
2. items touching a person of concern (`person.person_of_concern`) or a record of an arrest
   (`raw_police.aangehouden`: the delivery's police extract, with the on-arrest feed folded
   in by `standardise.arrest_feed`): a wrong link there changes what the triage point sees;
3. how much a decision changes: the records of the persons the pair would join (or, within one
   person, split), larger first;
4. uncertainty: closest to a coin toss (|match_probability - 0.5|) first, unscored last;
5. the unique ids of the pair.

The reason column is a code and a Dutch phrase, never a record value: the queue may be read
by anyone who reads the warehouse, and the reviewer opens the records themselves.
"""

from __future__ import annotations

import duckdb

from stores.database import table_exists
from stores.sql import Fragment, fill

# Why an item is in the queue; conflicts carry the reason `judgement_conflicts` gives.
REASONS = {
    "pair": "review_band: kans tussen de drempels, een persoon beslist",
    "undecided_record": "undecided: record past ongeveer even goed bij twee personen",
}

QUEUE_DDL = """CREATE OR REPLACE TABLE review_queue (
    rank BIGINT, kind VARCHAR, unique_id_l VARCHAR, unique_id_r VARCHAR, person_id_l VARCHAR,
    person_id_r VARCHAR, match_probability DOUBLE, concern BOOLEAN, arrested BOOLEAN,
    records_affected BIGINT, seen BOOLEAN, reason VARCHAR)"""

_CONFLICTS_SQL = """
    SELECT 'conflict' AS kind, c.unique_id_l, c.unique_id_r, m.match_probability,
           false AS seen, c.reason_code || ': ' || c.reason AS reason
    FROM judgement_conflicts c
    LEFT JOIN match_pairs m ON m.unique_id_l = least(c.unique_id_l, c.unique_id_r)
                           AND m.unique_id_r = greatest(c.unique_id_l, c.unique_id_r)"""

# The records of an arrest: the police extract's flag (the on-arrest feed is folded into
# `raw_police` before this, `standardise.arrest_feed`), as `unique_id`s.
_ARRESTS_SQL = ("SELECT DISTINCT 'police:' || record_id AS unique_id FROM raw_police "
                "WHERE aangehouden")
_NO_ARRESTS_SQL = "SELECT NULL::VARCHAR AS unique_id WHERE false"

_NO_CONFLICTS_SQL = """
    SELECT NULL::VARCHAR AS kind, NULL::VARCHAR AS unique_id_l, NULL::VARCHAR AS unique_id_r,
           NULL::DOUBLE AS match_probability, NULL::BOOLEAN AS seen, NULL::VARCHAR AS reason
    WHERE false"""

QUEUE_SQL = """
INSERT INTO review_queue
WITH conflicts AS ({conflicts}),
pairs AS (
    SELECT CASE WHEN r.decision = 'undecided' THEN 'undecided_record' ELSE 'pair' END AS kind,
           r.unique_id_l, r.unique_id_r, r.match_probability, r.seen,
           CASE WHEN r.decision = 'undecided' THEN $undecided ELSE $pair END AS reason
    FROM review_pairs r
    WHERE NOT EXISTS (
        SELECT 1 FROM conflicts c
        WHERE least(c.unique_id_l, c.unique_id_r) = r.unique_id_l
          AND greatest(c.unique_id_l, c.unique_id_r) = r.unique_id_r)),
items AS (SELECT * FROM conflicts UNION ALL SELECT * FROM pairs),
sizes AS (SELECT person_id, count(*) AS records FROM person_records GROUP BY person_id),
arrested AS ({arrests}),
scored AS (
    SELECT i.kind, i.unique_id_l, i.unique_id_r, pl.person_id AS person_id_l,
           pr.person_id AS person_id_r, i.match_probability,
           coalesce(ql.person_of_concern, false) OR coalesce(qr.person_of_concern, false)
               AS concern,
           (al.unique_id IS NOT NULL OR ar.unique_id IS NOT NULL) AS arrested,
           -- joining two persons changes both; within one person a decision splits it
           coalesce(sl.records, 0) + CASE WHEN pl.person_id IS NOT DISTINCT FROM pr.person_id
                                          THEN 0 ELSE coalesce(sr.records, 0) END
               AS records_affected,
           coalesce(i.seen, false) AS seen, i.reason
    FROM items i
    LEFT JOIN person_records pl ON pl.unique_id = i.unique_id_l
    LEFT JOIN person_records pr ON pr.unique_id = i.unique_id_r
    LEFT JOIN person ql ON ql.person_id = pl.person_id
    LEFT JOIN person qr ON qr.person_id = pr.person_id
    LEFT JOIN sizes sl ON sl.person_id = pl.person_id
    LEFT JOIN sizes sr ON sr.person_id = pr.person_id
    LEFT JOIN arrested al ON al.unique_id = i.unique_id_l
    LEFT JOIN arrested ar ON ar.unique_id = i.unique_id_r)
SELECT row_number() OVER (ORDER BY
           kind = 'conflict' DESC, (concern OR arrested) DESC,
           -- a pair across two persons is a link the model may have missed (in the review band
           -- most such pairs are one person); a pair inside one person was linked through
           -- others and is nearly always right: deciding it seldom changes anything
           person_id_l IS DISTINCT FROM person_id_r DESC, records_affected DESC,
           abs(match_probability - 0.5) ASC NULLS LAST, unique_id_l, unique_id_r NULLS FIRST)
           AS rank,
       kind, unique_id_l, unique_id_r, person_id_l, person_id_r, match_probability, concern,
       arrested, records_affected, seen, reason
FROM scored
ORDER BY rank
"""


def build_review_queue(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """(Re)build `review_queue` from `review_pairs`, `judgement_conflicts`, `person`,
    `person_records` and `raw_police`; the items per kind (counts only: they go to metadata).

    A build without judgements (no `judgement_conflicts`) has no conflicts; one without a
    police extract has no arrests."""
    con.execute(QUEUE_DDL)
    conflicts = _CONFLICTS_SQL if table_exists(con, "judgement_conflicts") else _NO_CONFLICTS_SQL
    arrests = _ARRESTS_SQL if table_exists(con, "raw_police") else _NO_ARRESTS_SQL
    con.execute(fill(QUEUE_SQL, conflicts=Fragment(conflicts), arrests=Fragment(arrests)),
                {"pair": REASONS["pair"], "undecided": REASONS["undecided_record"]})
    counts = dict(con.sql("SELECT kind, count(*) FROM review_queue GROUP BY kind").fetchall())
    return {kind: int(counts.get(kind, 0)) for kind in ("conflict", "pair", "undecided_record")}
