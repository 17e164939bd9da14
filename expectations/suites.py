"""One suite per stage. Each computes its metrics in DuckDB, then validates them (gate.py).

Thresholds come from `expectations/config.json`, never from literals here.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from expectations.gate import GateResult, Rule, validate

CONFIG_PATH = Path(__file__).with_name("config.json")


@cache
def config() -> dict[str, Any]:
    return json.loads(CONFIG_PATH.read_text(encoding="utf-8"))


def _one_row(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Any]:
    rel = con.sql(sql)
    row = rel.fetchall()[0]
    return dict(zip(rel.columns, row, strict=True))


def raw_suite(con: duckdb.DuckDBPyConnection, source: str) -> GateResult:
    """The extract was read, most rows were accepted, and the counts add up."""
    cfg = config()["raw"]
    metrics = _one_row(con, f"""
        SELECT CASE WHEN file_error IS NULL THEN 1 ELSE 0 END AS file_accepted,
               accepted AS rows_accepted,
               CASE WHEN read = 0 THEN 0 ELSE quarantined / read END AS quarantine_share,
               read - accepted - quarantined - withheld AS rows_unaccounted_for,
               (SELECT count(*) - count(DISTINCT record_id) FROM raw_{source})
                   AS duplicate_record_ids
        FROM ingest_counts WHERE source = '{source}'""")
    rules = [
        Rule("file_accepted", low=1, why="the file exists and matches the contract"),
        Rule("rows_accepted", low=cfg["min_rows_accepted"]),
        Rule("quarantine_share", high=cfg["max_quarantine_share"]),
        Rule("rows_unaccounted_for", low=0, high=0, why="read = accepted + quarantined"),
        Rule("duplicate_record_ids", high=0),
    ]
    return validate(f"raw_{source}", metrics, rules)


def std_suite(con: duckdb.DuckDBPyConnection) -> GateResult:
    """Every accepted record became one canonical record with its key fields filled."""
    cfg = config()["std"]
    metrics = _one_row(con, """
        SELECT (SELECT sum(accepted) FROM ingest_counts) - count(*) AS records_lost,
               count(*) - count(DISTINCT unique_id) AS duplicate_unique_ids,
               avg(CASE WHEN surname IS NOT NULL OR source = 'care' THEN 1 ELSE 0 END)
                   AS surname_filled_share,
               avg(CASE WHEN dob_year IS NOT NULL THEN 1 ELSE 0 END) AS birth_year_filled_share
        FROM std_persons""")
    rules = [
        Rule("records_lost", low=0, high=0),
        Rule("duplicate_unique_ids", high=0),
        Rule("surname_filled_share", low=cfg["min_surname_filled_share"]),
        Rule("birth_year_filled_share", low=cfg["min_birth_year_filled_share"]),
    ]
    return validate("std_persons", metrics, rules)


def linkage_suite(con: duckdb.DuckDBPyConnection) -> GateResult:
    """Every accepted record sits in exactly one person; no person holds two valid BSNs."""
    cfg = config()["linkage"]
    metrics = _one_row(con, """
        WITH per_person AS (
            SELECT pr.person_id, count(DISTINCT s.bsn) AS bsns, count(*) AS n
            FROM person_records pr JOIN std_persons s USING (unique_id)
            GROUP BY pr.person_id)
        SELECT
            (SELECT count(*) FROM std_persons s WHERE NOT EXISTS (
                SELECT 1 FROM person_records p WHERE p.unique_id = s.unique_id))
                AS records_missing,
            (SELECT count(*) - count(DISTINCT unique_id) FROM person_records)
                AS records_duplicated,
            (SELECT count(*) FROM person_records WHERE role = 'melder') AS melders,
            (SELECT count(*) FROM per_person WHERE bsns > 1) AS persons_with_two_valid_bsns,
            (SELECT coalesce(max(n), 0) FROM per_person WHERE bsns = 0)
                AS largest_person_without_bsn
        """)
    rules = [
        Rule("records_missing", high=cfg["max_records_missing"]),
        Rule("records_duplicated", high=cfg["max_records_duplicated"]),
        Rule("melders", high=cfg["max_melders"], why="a reporter is never a subject"),
        Rule("persons_with_two_valid_bsns", high=cfg["max_persons_with_two_valid_bsns"]),
        Rule("largest_person_without_bsn", high=cfg["max_person_size_without_bsn"]),
    ]
    return validate("person_records", metrics, rules)


def profile_suite(con: duckdb.DuckDBPyConnection) -> GateResult:
    """One profile row per person, each backed by at least one accepted record."""
    cfg = config()["profile"]
    metrics = _one_row(con, """
        SELECT
            (SELECT count(*) - count(DISTINCT person_id) FROM person) AS duplicate_person_rows,
            (SELECT count(*) FROM person p WHERE NOT EXISTS (
                SELECT 1 FROM person_records r WHERE r.person_id = p.person_id))
                AS persons_without_records,
            (SELECT count(DISTINCT person_id) FROM person_records)
                - (SELECT count(*) FROM person) AS persons_without_profile,
            (SELECT count(*) FROM flags WHERE coalesce(len(evidence_record_ids), 0) = 0)
                AS flags_without_evidence,
            (SELECT count(*) FROM person WHERE person_of_concern AND priority IS NULL)
                AS persons_of_concern_without_priority
        """)
    rules = [
        Rule("duplicate_person_rows", high=cfg["max_duplicate_person_rows"]),
        Rule("persons_without_records", high=cfg["max_persons_without_records"]),
        Rule("persons_without_profile", low=0, high=0),
        Rule("flags_without_evidence", high=0, why="every flag names its evidence"),
        Rule("persons_of_concern_without_priority", high=0),
    ]
    return validate("person", metrics, rules)
