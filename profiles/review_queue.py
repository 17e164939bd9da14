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

Order (each a tie-break of the one before; the last makes the order total and stable). What
a decision is worth is what it changes in the persons, counted in record pairs (the unit of the
pairwise precision and recall `make eval` reports): only a `same` across two persons or a
`different` within one changes anything, and a reviewer's hour is best spent where that is
likely and large.
1. conflicts first;
2. a question not asked before (`repeat` false) before one that repeats it: one judgement
   decides whether two persons are one, so of the pairs between the same two persons only the
   likeliest (not judged `unsure`) is asked first; two persons a reviewer already judged a pair
   of and that are still two (`different`, or a `same` left unapplied) are asked no more. The
   repeats follow every first question, in the same order. An undecided record's pairs into two
   persons are two questions, not one: it fits both about equally, so the first answer is
   `different` about as often as `same`, and then the other pair is the one that places it;
3. items touching a person of concern (`person.person_of_concern`) or a record of an arrest
   (`raw_police.aangehouden`: the delivery's police extract, with the on-arrest feed folded
   in by `standardise.arrest_feed`): a wrong link there changes what the triage point sees;
4. pairs across two persons before pairs inside one: a pair inside one person was joined
   through links stronger than itself, and is nearly always right;
5. the record pairs a decision is expected to change (`expected_pairs`), most first. Across two
   persons of a and b records a `same` adds a * b pairs, and the chance that they are one person
   is their average linkage: the mean probability over all a * b record pairs, a pair not in
   the review band counting as 0 (two large persons that were one would have scored a link
   somewhere). Together: the sum of the probabilities of their pairs in the queue. So a likely
   pair joining two large persons comes before a coin toss joining two records, but one weak
   pair between two large persons does not come first for their size alone (`make eval` found
   such pairs nearly always two people). Within one person a `different` splits off at least
   one record: (1 - p) * (n - 1);
6. uncertainty: closest to a coin toss (|match_probability - 0.5|) first, unscored last;
7. the unique ids of the pair.

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
    records_affected BIGINT, seen BOOLEAN, reason VARCHAR, expected_pairs DOUBLE,
    repeat BOOLEAN)"""

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

# The pairs a reviewer has settled (`persons.judged`): `unsure` settles nothing.
_JUDGED_SQL = ("SELECT unique_id_l, unique_id_r FROM judged_pairs "
               "WHERE decision IN ('same', 'different')")
_NO_JUDGED_SQL = "SELECT NULL::VARCHAR AS unique_id_l, NULL::VARCHAR AS unique_id_r WHERE false"

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
           pl.person_id IS NOT DISTINCT FROM pr.person_id AS inside,
           coalesce(sl.records, 1) AS records_l, coalesce(sr.records, 1) AS records_r,
           coalesce(i.seen, false) AS seen, i.reason,
           -- the two persons, unordered (a record in no person stands for itself)
           least(coalesce(pl.person_id, i.unique_id_l), coalesce(pr.person_id, i.unique_id_r))
               AS persons_a,
           greatest(coalesce(pl.person_id, i.unique_id_l),
                    coalesce(pr.person_id, i.unique_id_r)) AS persons_b
    FROM items i
    LEFT JOIN person_records pl ON pl.unique_id = i.unique_id_l
    LEFT JOIN person_records pr ON pr.unique_id = i.unique_id_r
    LEFT JOIN person ql ON ql.person_id = pl.person_id
    LEFT JOIN person qr ON qr.person_id = pr.person_id
    LEFT JOIN sizes sl ON sl.person_id = pl.person_id
    LEFT JOIN sizes sr ON sr.person_id = pr.person_id
    LEFT JOIN arrested al ON al.unique_id = i.unique_id_l
    LEFT JOIN arrested ar ON ar.unique_id = i.unique_id_r),
-- two persons that are still two after a reviewer judged a pair of their records (`different`,
-- or a `same` left unapplied): another pair of theirs asks the same question again
settled AS (
    SELECT DISTINCT least(pl.person_id, pr.person_id) AS persons_a,
                    greatest(pl.person_id, pr.person_id) AS persons_b
    FROM ({judged}) j
    JOIN person_records pl ON pl.unique_id = j.unique_id_l
    JOIN person_records pr ON pr.unique_id = j.unique_id_r
    WHERE pl.person_id <> pr.person_id),
measured AS (
    SELECT s.*,
           -- joining two persons changes both; within one person a decision splits it
           records_l + CASE WHEN inside THEN 0 ELSE records_r END AS records_affected,
           -- what a decision is expected to change, in the record pairs the pairwise figures
           -- count. Across two persons of a and b records, a `same` adds a * b pairs; the
           -- chance they are one person is the mean probability over all a * b record pairs
           -- (average linkage; pairs not in the review band count as 0: two large persons that
           -- are one would have scored a link somewhere). Together: the sum of the pairs'
           -- probabilities. Within one person a `different` splits off at least one record:
           -- (1 - p) * (n - 1).
           CASE WHEN inside
                THEN (1 - coalesce(match_probability, 0.5)) * (records_l - 1)
                ELSE sum(coalesce(match_probability, 0)) OVER persons END AS expected_pairs,
           -- one item per two persons first: a judgement on one pair decides them all, so
           -- the others (and every pair of two persons already settled) only repeat it. The
           -- first is the likeliest pair a reviewer has not been unsure about.
           kind <> 'conflict' AND (
               row_number() OVER (PARTITION BY persons_a, persons_b
                                  ORDER BY seen, match_probability DESC NULLS LAST,
                                           unique_id_l, unique_id_r NULLS FIRST) > 1
               OR EXISTS (SELECT 1 FROM settled t WHERE t.persons_a = s.persons_a
                                                    AND t.persons_b = s.persons_b))
               AS repeat
    FROM scored s
    WINDOW persons AS (PARTITION BY persons_a, persons_b))
SELECT row_number() OVER (ORDER BY
           kind = 'conflict' DESC, repeat ASC, (concern OR arrested) DESC,
           -- a pair inside one person was joined through links stronger than itself and is
           -- nearly always right (99% in `make eval`'s review band, against a third to a half
           -- of the pairs across two persons): deciding it seldom changes anything
           inside ASC, expected_pairs DESC,
           abs(match_probability - 0.5) ASC NULLS LAST, unique_id_l, unique_id_r NULLS FIRST)
           AS rank,
       kind, unique_id_l, unique_id_r, person_id_l, person_id_r, match_probability, concern,
       arrested, records_affected, seen, reason, expected_pairs, repeat
FROM measured
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
    judged = _JUDGED_SQL if table_exists(con, "judged_pairs") else _NO_JUDGED_SQL
    con.execute(fill(QUEUE_SQL, conflicts=Fragment(conflicts), arrests=Fragment(arrests),
                     judged=Fragment(judged)),
                {"pair": REASONS["pair"], "undecided": REASONS["undecided_record"]})
    counts = dict(con.sql("SELECT kind, count(*) FROM review_queue GROUP BY kind").fetchall())
    return {kind: int(counts.get(kind, 0)) for kind in ("conflict", "pair", "undecided_record")}
