"""One suite per stage. Each computes its metrics in DuckDB, then validates them (gate.py).

Limits come from the configuration's `gate` section (config/foto.json), passed in by the
caller as the stage's section (`RawLimits`, ...), never from literals here.
"""

from __future__ import annotations

from typing import Any

import duckdb

from config import LinkageLimits, ProfileLimits, RawLimits, StdLimits
from expectations.gate import GateResult, Rule, validate
from sources.common import MAX_AGE_YEARS
from sources.registry import registry
from standardise.rules import install_macros
from stores.database import table_exists
from stores.sql import Fragment, Identifier, fill


def _one_row(con: duckdb.DuckDBPyConnection, sql: str,
             params: list[Any] | dict[str, Any] | None = None) -> dict[str, Any]:
    cursor = con.execute(sql, params or [])
    row = cursor.fetchall()[0]
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


# Birth year of an accepted raw row, whatever the source's layout (a date, ISO text, a year
# alone, or BRP's jjjjmmdd).
_BIRTH_YEAR = "TRY_CAST(left(CAST(geboortedatum AS VARCHAR), 4) AS INTEGER)"


def raw_suite(con: duckdb.DuckDBPyConnection, source: str, delivery: str,
              previous_accepted: int | None, cfg: RawLimits) -> GateResult:
    """The extract was read, most rows were accepted, the counts add up, its values are
    plausible, and it is about as large as the previous delivery of that source."""
    install_macros(con)
    has_bsn = registry()[source].carries_bsn   # the share's minimum: config gate.raw
    raw = Identifier(f"raw_{source}")
    bsn_share = fill("(SELECT count(foto_bsn(bsn)) / nullif(count(nullif(trim(bsn), '')), 0) "
                     "FROM {raw})", raw=raw) if has_bsn else "NULL"
    duplicates = duplicate_rows(con, source)
    metrics = _one_row(con, fill("""
        SELECT CASE WHEN file_error IS NULL THEN 1 ELSE 0 END AS file_accepted,
               accepted AS rows_accepted,
               CASE WHEN read = 0 THEN 0 ELSE quarantined / read END AS quarantine_share,
               read - accepted - quarantined - withheld - coalesce(expired, 0)
                   AS rows_unaccounted_for,
               read - coalesce(rows_in_file, -1) AS rows_read_vs_file,
               CASE WHEN read = 0 THEN 0 ELSE coalesce(values_nulled, 0) / read END
                   AS values_nulled_share,
               (SELECT count(*) - count(DISTINCT record_id) FROM {raw})
                   AS duplicate_record_ids,
               (SELECT count(*) FROM {raw}
                WHERE {birth_year} > year(CAST($delivery AS DATE))
                   OR {birth_year} < year(CAST($delivery AS DATE)) - {max_age})
                   AS birth_dates_out_of_range,
               {bsn_share} AS bsn_valid_share,
               accepted / nullif($previous, 0) AS rows_vs_previous_delivery,
               $duplicates AS duplicate_rows,
               $duplicates / nullif(accepted, 0) AS duplicate_row_share
        FROM ingest_counts WHERE source = $source""", raw=raw,
        birth_year=Fragment(_BIRTH_YEAR), max_age=Fragment(str(int(MAX_AGE_YEARS))),
        bsn_share=Fragment(bsn_share)),
                       {"previous": previous_accepted, "duplicates": duplicates,
                        "delivery": delivery, "source": source})
    band = cfg.rows_vs_previous_delivery
    dup = cfg.duplicate_row_share
    accepted = metrics["rows_accepted"] or 0
    rules = [
        Rule("file_accepted", low=1, why="the file exists and matches the contract"),
        Rule("rows_accepted", low=cfg.min_rows_accepted),
        Rule("quarantine_share", high=cfg.max_quarantine_share,
             why="rows set aside whole (a nulled value is not a lost row)"),
        Rule("rows_unaccounted_for", low=0, high=0,
             why="read = accepted + quarantined + withheld + expired (past the use term)"),
        Rule("rows_read_vs_file", low=0, high=0,
             why="rows read = the file's own count (data lines, Parquet rows, care persons): "
                 "no line swallowed by the parser"),
        Rule("values_nulled_share", high=cfg.max_values_nulled_share, warn=True,
             why="bad values nulled per row read (each in a row that was kept)"),
        Rule("duplicate_record_ids", high=0),
        Rule("birth_dates_out_of_range", high=0,
             why=f"no birth date after the delivery, no age over {MAX_AGE_YEARS}"),
        Rule("rows_vs_previous_delivery", low=band.low, high=band.high,
             why="a full snapshot stays about as large as the last published one: it does "
                 "not halve, nor grow by a quarter, overnight"),
        Rule("duplicate_rows", high=int(dup.warn * accepted), warn=True,
             why=f"rows equal to another in every field but the record id, at most "
                 f"{dup.warn:.1%} of the rows (the quality report lists them by record id)"),
        Rule("duplicate_row_share", high=dup.block,
             why="a delivery this full of copies under new record ids is a broken or "
                 "hostile export"),
    ]
    if has_bsn:
        rules.append(Rule("bsn_valid_share", low=cfg.min_bsn_valid_share[source],
                          why="BSNs given pass the 11-proef"))
    return validate(f"raw_{source}", metrics, rules)


# Columns of a raw table that say where a row came from, not what it holds.
_NOT_CONTENT = ("record_id", "source_line")


def duplicate_rows(con: duckdb.DuckDBPyConnection, source: str) -> int:
    """Rows of `raw_<source>` equal to another row in every field but the record id (a
    careless or hostile export repeating rows under new ids): how many beyond the first of
    each group. The groups are stored in `duplicate_row_groups` (source, rows, record ids)
    for the quality report."""
    if not table_exists(con, f"raw_{source}"):
        return 0
    raw = Identifier(f"raw_{source}")
    columns = [c for (c, *_) in con.sql(fill("DESCRIBE {raw}", raw=raw)).fetchall()
               if c not in _NOT_CONTENT and not c.startswith("_")]
    content = ", ".join(Identifier(c).sql() for c in columns)
    con.execute("""CREATE TABLE IF NOT EXISTS duplicate_row_groups (
        source VARCHAR, rows BIGINT, record_ids VARCHAR[])""")
    con.execute("DELETE FROM duplicate_row_groups WHERE source = ?", [source])
    con.execute(fill("""
        INSERT INTO duplicate_row_groups
        SELECT ?, count(*), list(record_id ORDER BY record_id) FROM {raw}
        GROUP BY {content} HAVING count(*) > 1""", raw=raw, content=Fragment(content)), [source])
    return int(con.execute("SELECT coalesce(sum(rows - 1), 0) FROM duplicate_row_groups "
                           "WHERE source = ?", [source]).fetchall()[0][0])


def _source_had() -> str:
    """Per accepted raw record: did the source give a name, a birth date, a postcode? (NULL:
    the source has no such field; each source declares its query, `Source.presence_sql`.) The
    standardised record must keep what the source had."""
    parts = [s.presence_sql for s in registry() if s.presence_sql]
    if not parts:
        return ("SELECT NULL::VARCHAR AS unique_id, NULL::BOOLEAN AS had_name, "
                "NULL::BOOLEAN AS had_birth, NULL::BOOLEAN AS had_postcode WHERE FALSE")
    return " UNION ALL ".join(fill("SELECT unique_id, had_name, had_birth, had_postcode "
                                   "FROM ({presence})", presence=Fragment(p)) for p in parts)


def std_suite(con: duckdb.DuckDBPyConnection, cfg: StdLimits) -> GateResult:
    """Every accepted record became one canonical record, and the canonical columns are
    filled wherever the source had the value (a parser that drops names or dates shows here)."""
    metrics = _one_row(con, fill("""
        WITH had AS ({had})
        SELECT (SELECT sum(accepted) FROM ingest_counts) - count(*) AS records_lost,
               count(*) - count(DISTINCT unique_id) AS duplicate_unique_ids,
               avg(CASE WHEN surname IS NOT NULL OR list_contains($free_text, source)
                        THEN 1 ELSE 0 END) AS surname_filled_share,
               avg(CASE WHEN dob_year IS NOT NULL THEN 1 ELSE 0 END) AS birth_year_filled_share,
               avg(CASE WHEN coalesce(surname, given_names, initials) IS NULL THEN 1 ELSE 0 END)
                   FILTER (WHERE had_name) AS name_lost_share,
               avg(CASE WHEN dob_year IS NULL THEN 1 ELSE 0 END) FILTER (WHERE had_birth)
                   AS birth_year_lost_share,
               avg(CASE WHEN postcode IS NULL THEN 1 ELSE 0 END) FILTER (WHERE had_postcode)
                   AS postcode_lost_share
        FROM std_persons LEFT JOIN had USING (unique_id)""", had=Fragment(_source_had())),
                       {"free_text": [s.name for s in registry() if not s.surname_field]})
    rules = [
        Rule("records_lost", low=0, high=0),
        Rule("duplicate_unique_ids", high=0),
        Rule("surname_filled_share", low=cfg.min_surname_filled_share),
        Rule("birth_year_filled_share", low=cfg.min_birth_year_filled_share),
        Rule("name_lost_share", high=cfg.max_name_lost_share,
             why="records whose source gave a name but whose standardised name is empty"),
        Rule("birth_year_lost_share", high=cfg.max_birth_year_lost_share,
             why="records whose source gave a birth date but whose birth year is empty"),
        Rule("postcode_lost_share", high=cfg.max_postcode_lost_share,
             why="records whose source gave a postcode that is not a Dutch postcode"),
    ]
    return validate("std_persons", metrics, rules)


# Each record's identity: the representative of its group of identical records, else itself.
_IDENTITY_SQL = """
    SELECT p.unique_id, coalesce(d.representative, p.unique_id) AS identity
    FROM person_records p LEFT JOIN identity_duplicates d USING (unique_id)"""


def linkage_suite(con: duckdb.DuckDBPyConnection, cfg: LinkageLimits,
                  previous: dict[str, Any] | None = None) -> GateResult:
    """Every accepted record sits in exactly one person; no person holds two valid BSNs or is
    a chain of look-alikes; the persons found and the share of records linked stay near the
    last publication's."""
    previous = previous or {}
    chain = cfg.chaining
    identity = (_IDENTITY_SQL if table_exists(con, "identity_duplicates") else
                "SELECT unique_id, unique_id AS identity FROM person_records")
    metrics = _one_row(con, fill("""
        WITH identity AS ({identity}),
        per_person AS (
            SELECT pr.person_id, count(DISTINCT s.bsn) AS bsns, count(*) AS n,
                   count(DISTINCT i.identity) AS identities
            FROM person_records pr JOIN std_persons s USING (unique_id)
            JOIN identity i USING (unique_id)
            GROUP BY pr.person_id),
        -- A chain of look-alikes (A like B, B like C, ... strangers at the ends) is a tree of
        -- links: 2/n of its record pairs. One person's records are mostly alike each other;
        -- on generated deliveries (10,000 to 1,000,000 records) no true person of ten records
        -- or more had under 0.36 of its pairs linked. Size alone says nothing: an offender
        -- outside the BRP has many records and no BSN. Records identical in every compared
        -- field count once (`identity_duplicates`): their copies are scored once and linked
        -- through one of them, and 2,000 copies of one row are one record here, not a chain.
        large AS (SELECT person_id, identities AS n FROM per_person
                  WHERE identities >= $min_records),
        linked AS (
            SELECT a.person_id, count(DISTINCT (least(il.identity, ir.identity),
                                  greatest(il.identity, ir.identity))) AS pairs
            FROM match_pairs m JOIN person_records a ON a.unique_id = m.unique_id_l
            JOIN person_records b ON b.unique_id = m.unique_id_r AND b.person_id = a.person_id
            JOIN identity il ON il.unique_id = m.unique_id_l
            JOIN identity ir ON ir.unique_id = m.unique_id_r
            WHERE m.decision IN ('link', 'attach') AND il.identity <> ir.identity
              AND a.person_id IN (SELECT person_id FROM large)
            GROUP BY a.person_id)
        SELECT
            (SELECT count(*) FROM std_persons s WHERE NOT EXISTS (
                SELECT 1 FROM person_records p WHERE p.unique_id = s.unique_id))
                AS records_missing,
            (SELECT count(*) - count(DISTINCT unique_id) FROM person_records)
                AS records_duplicated,
            (SELECT count(*) FROM person_records WHERE role = 'melder') AS melders,
            (SELECT count(*) FROM per_person WHERE bsns > 1) AS persons_with_two_valid_bsns,
            (SELECT count(*) FROM large LEFT JOIN linked USING (person_id)
             WHERE coalesce(pairs, 0) < $min_linked_pair_share * n * (n - 1) / 2)
                AS loosely_linked_persons,
            (SELECT count(*) FROM per_person) / nullif($persons, 0) AS persons_vs_previous_run,
            (SELECT coalesce(sum(n) FILTER (WHERE n > 1), 0) / sum(n) FROM per_person)
                - $linked_share AS linked_share_change,
            (SELECT count(*) FROM review_pairs) / nullif((SELECT count(*) FROM std_persons), 0)
                AS review_pairs_per_record
        """, identity=Fragment(identity)),
        {"persons": previous.get("persons"), "linked_share": previous.get("linked_share"),
               "min_records": chain.min_records,
               "min_linked_pair_share": chain.min_linked_pair_share})
    # `same` judgements left unapplied because they contradict another judgement or a hard
    # constraint (`persons.judgements`): a reviewer must settle them; the run stands
    metrics["judgement_conflicts"] = (
        con.sql("SELECT count(*) FROM judgement_conflicts").fetchall()[0][0]
        if table_exists(con, "judgement_conflicts") else 0)
    band = cfg.persons_vs_previous_run
    change = cfg.max_linked_share_change
    rules = [
        Rule("records_missing", high=cfg.max_records_missing),
        Rule("records_duplicated", high=cfg.max_records_duplicated),
        Rule("melders", high=cfg.max_melders, why="a reporter is never a subject"),
        Rule("persons_with_two_valid_bsns", high=cfg.max_persons_with_two_valid_bsns),
        Rule("loosely_linked_persons", high=cfg.max_loosely_linked_persons,
             why=f"persons of {chain.min_records} records or more in which fewer than "
                 f"{chain.min_linked_pair_share:.0%} of the record pairs are linked directly: "
                 "look-alikes joined one to the next, not one person"),
        Rule("persons_vs_previous_run", low=band.low, high=band.high),
        Rule("linked_share_change", low=-change, high=change,
             why="share of records in a person with other records, against the last run"),
        Rule("review_pairs_per_record", high=cfg.max_review_pairs_per_record, warn=True,
             why="pairs waiting for a human reviewer"),
        Rule("judgement_conflicts", high=0, warn=True,
             why="reviewers' judgements that contradict each other or a hard constraint, not "
                 "applied (`judgement_conflicts`): a reviewer settles them"),
    ]
    return validate("person_records", metrics, rules)


def profile_suite(con: duckdb.DuckDBPyConnection, cfg: ProfileLimits) -> GateResult:
    """One profile row per person, each backed by at least one accepted record."""
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
        Rule("duplicate_person_rows", high=cfg.max_duplicate_person_rows),
        Rule("persons_without_records", high=cfg.max_persons_without_records),
        Rule("persons_without_profile", low=0, high=0),
        Rule("flags_without_evidence", high=0, why="every flag names its evidence"),
        Rule("persons_of_concern_without_priority", high=0),
    ]
    return validate("person", metrics, rules)
