"""The judgements a run obeys, as tables of the build database.

The judgement store (issue 15) writes the warehouse table `judgements` (the current judgement
per unordered pair of records, with `active`: both records are in this run) before the persons
stage. This module reads it, and only it: the rest of the persons stage works on
`judged_pairs`, which always exists (empty without judgements), so that a run without a store,
or a test that builds clusters by hand, behaves exactly as before judgements existed.

`judged_pairs` holds the active judgements of this run's records, one per pair (l < r):
`decision` ('same', 'different', 'unsure'), `judgement_id`, and `applied` (false: a `same`
that contradicts another judgement or a hard constraint, see `persons.judgements`).
"""

from __future__ import annotations

import duckdb

from judgements.warehouse import COLUMNS
from stores.database import table_exists

# The warehouse table `judgements` as the store writes it (docs/warehouse.md): the interface
# between the judgement store and the persons stage, declared once, by the store.
JUDGEMENT_COLUMNS: dict[str, str] = COLUMNS

JUDGED_PAIRS_DDL = """(unique_id_l VARCHAR, unique_id_r VARCHAR, decision VARCHAR,
                       judgement_id BIGINT, applied BOOLEAN)"""


def load_judged_pairs(con: duckdb.DuckDBPyConnection) -> int:
    """(Re)build `judged_pairs` from `judgements`: active rows whose two records are both in
    `std_persons` (a record that left the deliveries leaves its judgements dormant, never
    failing the run), the newest per pair. Returns how many judgements are active."""
    con.execute("CREATE OR REPLACE TABLE judged_pairs " + JUDGED_PAIRS_DDL)
    if not table_exists(con, "judgements"):
        return 0
    # the store orders each pair (l < r); ordering again costs nothing and keeps pairs
    # comparable with `match_pairs`, whose lower record id is on the left
    con.execute("""
        INSERT INTO judged_pairs
        WITH j AS (
            SELECT least(unique_id_l, unique_id_r) AS l, greatest(unique_id_l, unique_id_r) AS r,
                   decision, judgement_id
            FROM judgements
            WHERE active AND decision IN ('same', 'different', 'unsure')
              AND unique_id_l <> unique_id_r)
        SELECT l, r, decision, judgement_id, true FROM j
        WHERE l IN (SELECT unique_id FROM std_persons)
          AND r IN (SELECT unique_id FROM std_persons)
        QUALIFY row_number() OVER (PARTITION BY l, r ORDER BY judgement_id DESC) = 1
        ORDER BY l, r""")
    return con.sql("SELECT count(*) FROM judged_pairs").fetchall()[0][0]


def ensure_judged_pairs(con: duckdb.DuckDBPyConnection) -> None:
    """An empty `judged_pairs` unless the run has built it (a build without judgements)."""
    con.execute("CREATE TABLE IF NOT EXISTS judged_pairs " + JUDGED_PAIRS_DDL)
