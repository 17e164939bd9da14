"""A record left alone at the link threshold joins a person when the person as a whole makes it
probable enough.

Splink scores pairs, with one prior for every pair: the chance that two random records match.
But a record is far more likely to belong to a person who already has 28 records in the region
than to one who has a single record: people who are often in contact with police, justice or
care are also the likely subjects of the next report. With records assigned to persons in
proportion to how many records they have, the prior odds that a new record belongs to a person
with `k` records are `k / k̄` times the pairwise prior, where `k̄` is the record-weighted mean
person size (the sum of k² over the sum of k). A name-only care report whose pair scores are
each a coin toss next to a person of 28 records is then that person's, unless another person is
about as likely.

The evidence against a person is not its single best pair: a record must agree with the
person as a whole. It is the median of the record's pair probabilities over all the person's
records, a record that was not scored at or above the review threshold counting as below it;
so at least half of the person's records must be in the review band or above. A person holding
a record that may never be one person with it (`persons.constraints`), or that a reviewer
judged `different` from it (`persons.judgements`), is no candidate. The
probability that the record is person E is E's posterior odds over one plus the sum of all
candidates' odds (the one: the record is someone not seen yet); it joins E when that reaches
the link threshold. Only records that no pair linked are considered: a link is never undone.

A person of one record competes but is never joined: one pair is all the evidence there is,
and a pair is judged by the link threshold (a lone pair above it was refused by a constraint,
or left undecided between two persons: joining them here would undo that). Two records that may
never be one person do not join the same person in one run either.
"""

from __future__ import annotations

import duckdb

from config import Constraints
from persons.constraints import FORBIDDEN_PAIR_SQL, constraint_params
from persons.judged import ensure_judged_pairs
from stores.sql import Fragment, Identifier, fill

# Pairs a reviewer judged `different` (`persons.judgements`), both ways round: `attachment_sql`'s
# `apart`.
APART_VIEW_SQL = """
    CREATE OR REPLACE TEMP VIEW _apart AS
    SELECT unique_id_l AS a, unique_id_r AS b FROM judged_pairs WHERE decision = 'different'
    UNION ALL
    SELECT unique_id_r, unique_id_l FROM judged_pairs WHERE decision = 'different'"""

# Evidence exactly 1 would give infinite odds; a pair below the link threshold never has it,
# but a pair refused by a constraint can.
_MAX_EVIDENCE = 0.999999


# The SELECT behind `attachment_sql`: table names and code constants are filled in by
# `stores.sql.fill`; the link threshold and the constraints (configuration) are bound
# parameters (`$link`, `constraint_params`).
# The persons' sizes, and their mean size as a record sees it (a record is more likely in a
# large person): the prior odds below scale with k / k_bar.
_SIZES = "SELECT cluster_id, count(*) AS k FROM {members} GROUP BY cluster_id"
_MEAN_SIZE = "SELECT sum(k * k) / sum(k) AS k_bar FROM sizes"

ATTACHMENT_SQL = """
    WITH sizes AS (""" + _SIZES + """),
    mean_size AS ({mean_size}),
    evidence AS (
        SELECT e.a AS unique_id, m.cluster_id, any_value(s.k) AS k, count(*) AS scored,
               list_sort(list(e.p), 'DESC')[ceil(any_value(s.k) / 2)::INTEGER]
                   AS evidence_probability,
               first(e.b ORDER BY e.p DESC, e.b) AS strongest_pair_with
        FROM {edges} e JOIN {members} m ON m.unique_id = e.b JOIN sizes s USING (cluster_id)
        GROUP BY e.a, m.cluster_id
        HAVING 2 * count(*) >= any_value(s.k)),
    forbidden AS (
        SELECT DISTINCT v.unique_id, v.cluster_id
        FROM evidence v JOIN {new_records} a ON a.unique_id = v.unique_id
        JOIN {members} m ON m.cluster_id = v.cluster_id
        JOIN {records} b ON b.unique_id = m.unique_id
        WHERE ({forbidden_pair}) IS NOT NULL
        UNION
        -- judged `different` by a reviewer (`persons.judgements`): as strict as a hard rule
        SELECT v.unique_id, v.cluster_id
        FROM evidence v JOIN {members} m ON m.cluster_id = v.cluster_id
        JOIN {apart} j ON j.a = v.unique_id AND j.b = m.unique_id),
    allowed AS (SELECT * FROM evidence ANTI JOIN forbidden USING (unique_id, cluster_id)),
    odds AS (
        SELECT *, k / (SELECT k_bar FROM mean_size)
                  * least(evidence_probability, {max_evidence})
                  / (1 - least(evidence_probability, {max_evidence})) AS odds
        FROM allowed),
    ranked AS (
        SELECT *, odds / (1 + sum(odds) OVER (PARTITION BY unique_id)) AS person_probability,
               row_number() OVER (PARTITION BY unique_id ORDER BY odds DESC, cluster_id)
                   AS rank
        FROM odds)
    SELECT unique_id, cluster_id, k AS records_in_person, scored AS pairs_scored,
           evidence_probability, person_probability, strongest_pair_with
    FROM ranked WHERE rank = 1 AND person_probability >= $link AND k >= 2
    ORDER BY unique_id"""


def mean_size_sql(members: str) -> str:
    """SELECT of k_bar, the mean person size `attachment_sql` scales with, over `members`."""
    return fill("WITH sizes AS (" + _SIZES + ") " + _MEAN_SIZE, members=Identifier(members))


def attachment_sql(edges: str, members: str, new_records: str, records: str,
                   apart: str, mean_size: str | None = None) -> str:
    """SELECT of the person each lone record joins, if any; run it with `{"link": threshold}`
    and `constraint_params(...)`.

    `edges` (a, b, p): scored pairs from a lone record a to a record b of another person;
    `members` (unique_id, cluster_id): the persons, every record once; `new_records` and
    `records`: the standardised rows of the lone records and of the persons' records; `apart`
    (a, b): pairs judged `different`, both ways round (table names, checked as identifiers).
    `mean_size`: a table holding k_bar (`mean_size_sql`) when `members` holds only the persons
    that can be chosen (an arrest's, `persons.incremental`), not all of them.
    Columns: unique_id, cluster_id, records_in_person, pairs_scored, evidence_probability,
    person_probability, strongest_pair_with.
    """
    return fill(ATTACHMENT_SQL, edges=Identifier(edges), members=Identifier(members),
                new_records=Identifier(new_records), records=Identifier(records),
                apart=Identifier(apart), forbidden_pair=Fragment(FORBIDDEN_PAIR_SQL),
                mean_size=Fragment(_MEAN_SIZE if mean_size is None else fill(
                    "SELECT k_bar FROM {table}", table=Identifier(mean_size))),
                max_evidence=Fragment(repr(_MAX_EVIDENCE)))


def attach_lone_records(con: duckdb.DuckDBPyConnection, link: float,
                        constraints: Constraints) -> int:
    """Move lone records into the person they most probably belong to (see module doc);
    `link`: the link threshold, `constraints`: the configuration's.

    Needs `clusters`, `match_pairs` and `std_persons`; writes `attachments` (one row per moved
    record, with its evidence), updates `clusters` and marks the record's pairs with its new
    person `attach` in `match_pairs`. Returns how many records moved.
    """
    con.execute("""
        CREATE OR REPLACE TEMP VIEW _lone_edges AS
        WITH lone AS (SELECT unique_id FROM clusters WHERE cluster_id IN (
                          SELECT cluster_id FROM clusters GROUP BY cluster_id
                          HAVING count(*) = 1)),
        edges AS (SELECT unique_id_l AS a, unique_id_r AS b, match_probability AS p
                  FROM match_pairs
                  UNION ALL
                  SELECT unique_id_r, unique_id_l, match_probability FROM match_pairs)
        SELECT e.* FROM edges e JOIN lone ON lone.unique_id = e.a""")
    ensure_judged_pairs(con)
    con.execute(APART_VIEW_SQL)
    con.execute(fill("CREATE OR REPLACE TABLE attachments AS {select}", select=Fragment(
        attachment_sql("_lone_edges", "clusters", "std_persons", "std_persons", "_apart"))),
                {"link": link} | constraint_params(constraints))
    con.execute("DROP VIEW _lone_edges")
    con.execute(fill("""
        DELETE FROM attachments WHERE unique_id IN (
            SELECT x.unique_id FROM attachments x JOIN attachments y
                ON y.cluster_id = x.cluster_id AND y.unique_id <> x.unique_id
            JOIN std_persons a ON a.unique_id = x.unique_id
            JOIN std_persons b ON b.unique_id = y.unique_id
            WHERE ({forbidden_pair}) IS NOT NULL
               OR EXISTS (SELECT 1 FROM _apart j WHERE j.a = a.unique_id AND j.b = b.unique_id))""",
                     forbidden_pair=Fragment(FORBIDDEN_PAIR_SQL)),
                constraint_params(constraints))
    con.execute("DROP VIEW _apart")
    con.execute("""UPDATE clusters SET cluster_id = t.cluster_id FROM attachments t
                   WHERE clusters.unique_id = t.unique_id""")
    # Pairs hold the lower record id on the left (Splink's order); equality joins only, which
    # keep this a hash join at a million pairs.
    con.execute("""
        UPDATE match_pairs AS m SET decision = 'attach'
        FROM (SELECT least(t.unique_id, c.unique_id) AS l, greatest(t.unique_id, c.unique_id) AS r
              FROM attachments t JOIN clusters c USING (cluster_id)) x
        WHERE m.unique_id_l = x.l AND m.unique_id_r = x.r""")
    # A record left undecided between two persons (`persons.constraints`) that joined one as a
    # whole is decided: its pairs with the other are refused links, like any a constraint makes.
    con.execute("""
        UPDATE match_pairs SET decision = 'link' WHERE decision = 'undecided'
          AND (unique_id_l IN (SELECT unique_id FROM attachments)
               OR unique_id_r IN (SELECT unique_id FROM attachments))""")
    return con.sql("SELECT count(*) FROM attachments").fetchall()[0][0]
