"""Stable person ids across runs, and the history of merges and splits (`id_history`).

Splink's cluster ids change whenever a cluster's lowest record changes. A person id here is
inherited by record overlap with the previous publication: every old id goes to the new cluster
that holds most of its records (its heir); a cluster that is heir to several old ids keeps the
one with most records there (ties: the smaller id), and the others are recorded as merged into
it. Clusters that inherit nothing get a new id. When an old id's records end up under other
ids, `id_history` says where they went, so a saved query or bookmark still finds the person.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from stores.sql import Fragment, Identifier, fill
from stores.warm import held_table, session

PREVIOUS_TABLES_SQL = """
CREATE OR REPLACE TABLE prev_person_records AS
    SELECT unique_id, person_id FROM prev.person_records;
CREATE OR REPLACE TABLE prev_id_history AS
    SELECT * FROM prev.id_history;
"""

EMPTY_PREVIOUS_SQL = """
CREATE OR REPLACE TABLE prev_person_records (unique_id VARCHAR, person_id VARCHAR);
CREATE OR REPLACE TABLE prev_id_history (old_id VARCHAR, new_id VARCHAR, change VARCHAR,
    records_moved BIGINT, run_id VARCHAR, delivery VARCHAR, recorded_at TIMESTAMPTZ);
"""

# The one minting of a new person id, for the nightly clustering and the arrest path alike:
# 'F' and 12 hex digits of the hash of the person's lowest record id, so that the id is the same
# whichever run first sees the person; an id that was ever used (a published person, either
# side of `id_history`) is never handed out again: the hash then takes a salt (the nightly's
# run id, an arrest's id). `{firsts}` holds (key, first_unique_id), `{used}` (id).
MINT_SQL = """
SELECT key,
       CASE WHEN candidate IN (SELECT id FROM {used}) THEN fallback ELSE candidate END
           AS person_id
FROM (SELECT key, 'F' || upper(substr(sha256(first_unique_id), 1, 12)) AS candidate,
             'F' || upper(substr(sha256(first_unique_id || $salt), 1, 12)) AS fallback
      FROM {firsts})
"""

# The ids a publication has used: its persons and both sides of its id history.
USED_IDS_SQL = """
SELECT person_id AS id FROM {records}
UNION SELECT old_id FROM {history} UNION SELECT new_id FROM {history}
"""


def mint_sql(firsts: str, used: str) -> str:
    """`MINT_SQL` over the relations `firsts` and `used` (names or subqueries written in
    code), with the bound parameter `$salt`."""
    return fill(MINT_SQL, firsts=Fragment(firsts), used=Fragment(used))


def used_ids_sql(records: str, history: str | None) -> str:
    """`USED_IDS_SQL` over a publication's `person_records` and `id_history` tables (no
    history: a publication of an earlier version, its persons only)."""
    if history is None:
        return fill("SELECT person_id AS id FROM {records}", records=Identifier(records))
    return fill(USED_IDS_SQL, records=Identifier(records), history=Identifier(history))


ASSIGN_SQL = fill("""
CREATE OR REPLACE TABLE person_ids AS
WITH overlap AS (
    SELECT c.cluster_id, p.person_id AS old_id, count(*) AS n
    FROM clusters c JOIN prev_person_records p USING (unique_id)
    GROUP BY ALL),
heir AS (
    SELECT * FROM overlap
    QUALIFY row_number() OVER (PARTITION BY old_id ORDER BY n DESC, cluster_id) = 1),
kept AS (
    SELECT * FROM heir
    QUALIFY row_number() OVER (PARTITION BY cluster_id ORDER BY n DESC, old_id) = 1),
used AS ({USED}),
firsts AS (
    SELECT cluster_id AS key, min(unique_id) AS first_unique_id
    FROM clusters GROUP BY cluster_id),
fresh AS ({MINT})
SELECT f.key AS cluster_id, coalesce(k.old_id, f.person_id) AS person_id,
       k.old_id IS NOT NULL AS inherited
FROM fresh f LEFT JOIN kept k ON k.cluster_id = f.key
""", USED=Fragment(used_ids_sql("prev_person_records", "prev_id_history")),
     MINT=Fragment(mint_sql("firsts", "used")))


HISTORY_SQL = """
CREATE OR REPLACE TABLE id_history AS
SELECT * FROM prev_id_history
UNION ALL
SELECT moved.old_id, moved.new_id,
       CASE WHEN n_targets > 1 THEN 'split'
            WHEN moved.new_id <> moved.old_id THEN 'merged' END AS change,
       moved.n AS records_moved, $run_id AS run_id,
       $delivery AS delivery, now() AS recorded_at
FROM (
    SELECT p.person_id AS old_id, i.person_id AS new_id, count(*) AS n,
           count(*) OVER (PARTITION BY p.person_id) AS n_targets,
           bool_or(i.person_id = p.person_id) OVER (PARTITION BY p.person_id) AS kept_own
    FROM prev_person_records p
    JOIN clusters c USING (unique_id)
    JOIN person_ids i USING (cluster_id)
    GROUP BY p.person_id, i.person_id) moved
WHERE moved.new_id <> moved.old_id OR moved.n_targets > 1
ORDER BY 1, 2
"""

LOOKUP_VIEW_SQL = """
CREATE OR REPLACE VIEW person_id_lookup AS
WITH RECURSIVE chain(asked_id, person_id, steps) AS (
    SELECT old_id, new_id, 1 FROM id_history WHERE old_id <> new_id
    UNION
    SELECT c.asked_id, h.new_id, c.steps + 1 FROM chain c
    JOIN id_history h ON h.old_id = c.person_id AND h.old_id <> h.new_id
    WHERE c.steps < 50)
SELECT DISTINCT asked_id, c.person_id FROM chain c
WHERE c.person_id IN (SELECT person_id FROM person_records)
UNION
SELECT DISTINCT person_id, person_id FROM person_records
"""


def load_previous(con: duckdb.DuckDBPyConnection, published: Path) -> bool:
    """Copy the previous publication's ids into the build database; False if there is none."""
    if not published.exists():
        con.execute(EMPTY_PREVIOUS_SQL)
        return False
    con.execute("ATTACH ? AS prev (READ_ONLY)", [str(published)])
    try:
        tables = {r[0] for r in con.sql(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'prev'").fetchall()}
        if {"person_records", "id_history"} <= tables:
            con.execute(PREVIOUS_TABLES_SQL)
        else:
            con.execute(EMPTY_PREVIOUS_SQL)
            if "person_records" in tables:
                con.execute("INSERT INTO prev_person_records "
                            "SELECT unique_id, person_id FROM prev.person_records")
    finally:
        con.execute("DETACH prev")
    return True


def assign_person_ids(con: duckdb.DuckDBPyConnection, run_id: str, delivery: str) -> None:
    """Build `person_ids` (cluster -> stable id) and extend `id_history`."""
    con.execute(ASSIGN_SQL, {"salt": run_id})
    con.execute(HISTORY_SQL, {"run_id": run_id, "delivery": delivery})


def mint_person_id(warehouse: Path, unique_id: str, salt: str) -> str:
    """The id a person first seen in the record `unique_id` gets against the publication
    `warehouse` (read-only): the id the next nightly run mints for a person whose lowest record
    this is (`MINT_SQL`, the same used ids), unless a fresh id collides with a used one; then
    each salts with its own run (`salt`: here the arrest's id)."""
    with session(warehouse) as con:
        used = _used_ids(con, warehouse)
        con.execute("CREATE TEMP TABLE firsts AS SELECT 1 AS key, $uid AS first_unique_id",
                    {"uid": unique_id})
        return con.execute(mint_sql("firsts", used), {"salt": salt}).fetchone()[1]


def _used_ids(con: duckdb.DuckDBPyConnection, warehouse: Path) -> str:
    """The ids the publication (attached as `wh`) has used, as a table: the same for every
    arrest against it, so kept while it is warm (`stores.warm.held_table`)."""
    tables = {r[0] for r in con.sql("SELECT table_name FROM duckdb_tables() "
                                    "WHERE database_name = 'wh'").fetchall()}
    history = "wh.id_history" if "id_history" in tables else None
    return held_table(con, warehouse, "_used_person_ids",
                      used_ids_sql("wh.person_records", history))


def prepare_ids(warehouse: Path) -> None:
    """Make now the used ids `mint_person_id` reads (see `_used_ids`): for the arrest worker,
    while it waits."""
    with session(warehouse) as con:
        _used_ids(con, warehouse)
