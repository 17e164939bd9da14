"""From scored pairs and clusters to persons: `person_records`, `match_pairs`, `review_pairs`.

All set-based SQL in the build database. Person ids come from `persons.ids` (stable across
runs by record overlap).
"""

from __future__ import annotations

import duckdb

from matching.thresholds import Thresholds
from persons.ids import LOOKUP_VIEW_SQL
from persons.judged import ensure_judged_pairs
from stores.sql import Identifier, fill

# What `person_records` holds (PERSON_RECORDS_SQL); the arrest path reads a publication by it.
PERSON_RECORDS_COLUMNS = ("person_id", "source", "record_id", "unique_id", "role",
                          "records_in_person", "links", "strongest_link_to", "link_probability",
                          "link_weight", "linked_by", "judgement_id", "model_version")

PERSON_RECORDS_SQL = """
CREATE OR REPLACE TABLE person_records AS
WITH ids AS (
    SELECT c.cluster_id, i.person_id, count(*) AS records_in_person
    FROM clusters c JOIN person_ids i USING (cluster_id) GROUP BY ALL),
-- links in force: within the person (a link a constraint refused joins two other persons)
held AS (
    SELECT p.* FROM match_pairs p JOIN clusters cl ON cl.unique_id = p.unique_id_l
    JOIN clusters cr ON cr.unique_id = p.unique_id_r AND cr.cluster_id = cl.cluster_id
    WHERE p.decision IN ('link', 'attach')),
linked AS (
    SELECT unique_id_l AS uid, unique_id_r AS other, match_probability, match_weight FROM held
    UNION ALL
    SELECT unique_id_r, unique_id_l, match_probability, match_weight FROM held),
best AS (
    -- ties broken by record id: the same run gives the same explanation every time
    SELECT uid, first(other ORDER BY match_probability DESC, other) AS strongest_link_to,
           max(match_probability) AS link_probability,
           first(match_weight ORDER BY match_probability DESC, other) AS link_weight,
           count(*) AS links
    FROM linked GROUP BY uid),
-- a reviewer's `same` in force (`persons.judgements`): the newest names the judgement
judged AS (
    SELECT j.unique_id_l AS uid, j.unique_id_r AS other, j.judgement_id
    FROM judged_pairs j JOIN clusters cl ON cl.unique_id = j.unique_id_l
    JOIN clusters cr ON cr.unique_id = j.unique_id_r AND cr.cluster_id = cl.cluster_id
    WHERE j.decision = 'same' AND j.applied),
must AS (
    SELECT uid, max(judgement_id) AS judgement_id,
           first(other ORDER BY judgement_id DESC) AS judged_with
    FROM (SELECT * FROM judged UNION ALL SELECT other, uid, judgement_id FROM judged)
    GROUP BY uid)
SELECT ids.person_id, s.source, s.record_id, s.unique_id, s.role,
       ids.records_in_person, coalesce(best.links, 0) AS links,
       coalesce(best.strongest_link_to, must.judged_with) AS strongest_link_to,
       -- a record that joined the person as a whole (`attachments`; its pairs with the person
       -- are `attach` pairs, so `best` is its strongest): the probability that it is this person
       coalesce(a.person_probability, best.link_probability) AS link_probability,
       best.link_weight,
       -- a reviewer's judgement outranks the model's evidence
       CASE WHEN must.uid IS NOT NULL THEN 'judgement' WHEN a.unique_id IS NOT NULL THEN 'person'
            WHEN best.links > 0 THEN 'pair' END AS linked_by,
       must.judgement_id,
       $model_version AS model_version
FROM std_persons s
JOIN clusters c USING (unique_id)
JOIN ids USING (cluster_id)
LEFT JOIN best ON best.uid = s.unique_id
LEFT JOIN attachments a ON a.unique_id = s.unique_id
LEFT JOIN must ON must.uid = s.unique_id
ORDER BY ids.person_id, s.source, s.record_id
"""


# The pairs a reviewer judges, with the person each record is in now: a reviewer decides
# whether two persons are one, and needs their ids to open both. A pair a reviewer decided
# (`same` in force, or `different`: `persons.judgements`) has left the queue; one judged
# `unsure` stays, `seen`.
REVIEW_VIEW_SQL = """
CREATE OR REPLACE VIEW review_pairs AS
SELECT m.*, l.person_id AS person_id_l, r.person_id AS person_id_r,
       coalesce(j.decision = 'unsure', false) AS seen
FROM match_pairs m
LEFT JOIN person_records l ON l.unique_id = m.unique_id_l
LEFT JOIN person_records r ON r.unique_id = m.unique_id_r
LEFT JOIN judged_pairs j ON j.unique_id_l = m.unique_id_l AND j.unique_id_r = m.unique_id_r
WHERE m.decision IN ('review', 'undecided')
  AND NOT coalesce(j.decision = 'different' OR (j.decision = 'same' AND j.applied), false)
"""


LABEL_SQL = """
CREATE OR REPLACE TABLE match_pairs AS
SELECT CASE WHEN match_probability >= $link THEN 'link' ELSE 'review' END AS decision,
       COLUMNS('^(unique_id_[lr]|match_weight|match_probability|gamma_.*|mw_.*)$')
FROM {pairs} ORDER BY match_probability DESC"""


def label_pairs(con: duckdb.DuckDBPyConnection, pairs: str, link: float) -> None:
    """(Re)write `match_pairs` from the scored pairs in `pairs` (a table name), labelled link
    or review by the `link` threshold alone: the labels before the persons stage changes some
    (`undecided`, `attach`). `pairs` may be `match_pairs` itself (`persons.stage`)."""
    con.execute(fill(LABEL_SQL, pairs=Identifier(pairs)), {"link": link})


def store_pairs(con: duckdb.DuckDBPyConnection, thresholds: Thresholds) -> None:
    """Label scored pairs link / review; `review_pairs` is the view a reviewer works from
    (with the pairs of records a constraint left undecided, `persons.constraints`; `seen`
    only once the run's judgements are read, `build_person_records`)."""
    label_pairs(con, "scored_pairs", thresholds.link)
    con.execute("DROP TABLE IF EXISTS scored_pairs")
    con.execute("""
        CREATE OR REPLACE VIEW review_pairs AS
        SELECT *, false AS seen FROM match_pairs WHERE decision IN ('review', 'undecided')""")


def build_person_records(con: duckdb.DuckDBPyConnection, model_version: str) -> None:
    """One row per accepted record: its person id and the evidence that put it there.

    Needs `person_ids` (see `persons.ids.assign_person_ids`).
    """
    ensure_judged_pairs(con)
    con.execute(PERSON_RECORDS_SQL, {"model_version": model_version})
    con.execute(LOOKUP_VIEW_SQL)
    con.execute(REVIEW_VIEW_SQL)
