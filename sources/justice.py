"""Justice extract `justice_cases.parquet`: one row per suspect per case, typed columns.

A Parquet file carries its own types; a file whose columns or types differ from the contract is
refused whole (its values could not be read safely), rows with a missing key are quarantined.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sources.common import (
    ParseResult,
    QuarantineLog,
    check_required,
    check_unique,
    check_values,
    normalise_code,
    null_values,
    rejected,
)
from sources.registry import Source
from sources.retention import RetentionRule, Term

SOURCE = "justice"
FILE = "justice_cases.parquet"
COLUMN_TYPES: dict[str, str] = {
    "record_id": "string", "verdachte_naam": "string", "geboortedatum": "date",
    "bsn": "string", "feit": "string", "zaak_status": "string", "status_datum": "date",
    "toezicht_reclassering": "bool", "toezicht_einddatum": "date", "contactverbod": "bool",
}
DATE_COLUMNS = ("geboortedatum", "status_datum", "toezicht_einddatum")
STATUSES = {"ingeschreven", "vervolging", "sepot", "veroordeeld", "vrijspraak"}


def read_justice(delivery: Path) -> ParseResult:
    """Read and validate the justice extract of one delivery folder."""
    path = delivery / FILE
    if not path.exists():
        return rejected(SOURCE, path, "file missing from the delivery")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as err:
        return rejected(SOURCE, path, f"not a readable Parquet file ({type(err).__name__})")
    problem = schema_problem(table.schema)
    if problem:
        return rejected(SOURCE, path, problem, ["?"] * table.num_rows, field_name="(schema)")
    frame = table.select(list(COLUMN_TYPES)).drop_columns(list(DATE_COLUMNS)).to_pandas()
    for col in DATE_COLUMNS:
        frame[col] = as_dates(table.column(col))
    for col in ("record_id", "verdachte_naam", "bsn", "feit", "zaak_status"):
        frame[col] = frame[col].astype("object").where(frame[col].notna(), None)
    frame = frame[list(COLUMN_TYPES)]
    frame["_line"] = range(1, len(frame) + 1)
    frame["_raw"] = None
    log = QuarantineLog(SOURCE, FILE)
    rows_read = len(frame)
    frame = validate_justice_rows(frame, log)
    return ParseResult(SOURCE, FILE, frame.reset_index(drop=True), log.frame(), rows_read,
                       rows_in_file=rows_in_file(path))


def rows_in_file(path: Path) -> int:
    """The file's own count of rows, from its Parquet footer (apart from the reader)."""
    return int(pq.ParquetFile(path).metadata.num_rows)


def as_dates(column: pa.ChunkedArray) -> list[date | None]:
    """A date or timestamp column as Python dates, through Arrow: pandas' nanosecond
    timestamps cannot hold a year like 0001 or 9999, and a partner's typo must not crash the
    run (the birth date's plausibility is checked later, against the delivery date)."""
    out: list[date | None] = []
    for value in column.to_pylist():
        if isinstance(value, datetime):
            out.append(value.date())
        else:
            out.append(value)
    return out


def schema_problem(schema: pa.Schema) -> str | None:
    """Name the first way the file's schema differs from the contract, or None."""
    names = set(schema.names)
    missing = [c for c in COLUMN_TYPES if c not in names]
    if missing:
        return f"column(s) missing: {missing}"
    doubled = sorted({c for c in schema.names if schema.names.count(c) > 1 and c in COLUMN_TYPES})
    if doubled:
        return f"column(s) occur more than once: {doubled}"
    for col, kind in COLUMN_TYPES.items():
        typ = schema.field(col).type
        ok = {
            "string": pa.types.is_string(typ) or pa.types.is_large_string(typ)
            or pa.types.is_null(typ),
            "date": pa.types.is_date(typ) or pa.types.is_timestamp(typ) or pa.types.is_null(typ),
            "bool": pa.types.is_boolean(typ) or pa.types.is_null(typ),
        }[kind]
        if not ok:
            return f"column {col} has type {typ}, the contract says {kind}"
    return None


def validate_justice_rows(frame: pd.DataFrame, log: QuarantineLog) -> pd.DataFrame:
    """Apply the contract's field rules. A row is set aside whole only when it cannot be
    identified (no parketnummer, no name or a name not in the contract's layout, a duplicated
    parketnummer); an unknown case status (after case and spaces are normalised) or a missing
    status date is nulled and logged at field level, the case kept."""
    for col in ("record_id", "verdachte_naam"):
        frame = check_required(frame, log, col)
    frame = check_unique(frame, log).copy()
    frame["zaak_status"] = normalise_code(frame["zaak_status"])
    frame = check_values(frame, log, "zaak_status", STATUSES)
    frame = null_values(frame, log, "status_datum", frame["status_datum"].isna(),
                        "required field is empty")
    no_comma = ~frame["verdachte_naam"].str.contains(",", regex=False)
    log.add_frame(frame[no_comma], "verdachte_naam",
                  "not in the form 'Achternaam, Voorletters [voorvoegsel]'")
    frame = frame[~no_comma].copy()
    for col in ("toezicht_reclassering", "contactverbod"):
        frame[col] = frame[col].fillna(False).astype(bool)
    return frame


_V = "VARCHAR"
RAW_TYPES = {
    "record_id": _V, "verdachte_naam": _V, "geboortedatum": "DATE", "bsn": _V, "feit": _V,
    "zaak_status": _V, "status_datum": "DATE", "toezicht_reclassering": "BOOLEAN",
    "toezicht_einddatum": "DATE", "contactverbod": "BOOLEAN", "source_line": "BIGINT"}

# 'Achternaam, Voorletters [voorvoegsel]': the surname before the comma, the given names (or
# initials) and a trailing tussenvoegsel after it.
STD_SQL = """
    WITH parts AS (
        SELECT *, foto_fold(split_part(verdachte_naam, ',', 1)) AS sur_part,
            trim(substr(verdachte_naam, strpos(verdachte_naam, ',') + 1)) AS raw_rest,
            foto_given(substr(verdachte_naam, strpos(verdachte_naam, ',') + 1)) AS rest
        FROM raw_justice),
    split AS (
        SELECT *, regexp_extract(coalesce(rest, ''),
            '^(.*?)\\s*((?:(?:' || {tv_re} || ')(?:\\s+|$))*)$',
            ['given', 'tv']) AS g
        FROM parts)
    SELECT 'justice:' || record_id AS unique_id, 'justice' AS source, record_id,
        'verdachte' AS role, verdachte_naam AS display_name,
        nullif(trim(g.given), '') AS given_names,
        foto_first_name(raw_rest) AS first_name,
        foto_initials(nullif(trim(g.given), '')) AS initials,
        coalesce(nullif(trim(g.tv), ''), foto_tv(sur_part)) AS tussenvoegsel,
        foto_surname(sur_part) AS surname,
        geboortedatum AS dob, year(geboortedatum) AS dob_year,
        month(geboortedatum) AS dob_month, day(geboortedatum) AS dob_day,
        foto_bsn(bsn) AS bsn, bsn IS NOT NULL AND trim(bsn) <> '' AS bsn_given,
        NULL AS sex, NULL AS street, NULL AS huisnummer, NULL AS postcode, NULL AS city,
        status_datum AS record_date
    FROM split"""

# A case's status, and probation supervision or a contact ban when the case carries one.
EVENTS_SQL = """
    SELECT pr.person_id, 'justice' AS source, j.record_id, j.status_datum AS event_date,
           'strafzaak' AS event_type, 'verdachte' AS role, j.feit AS description,
           j.zaak_status AS status, NULL AS end_date, j.record_id AS reference,
           NULL AS domestic_violence, NULL AS sash_risk
    FROM raw_justice j
    JOIN scoped_records pr ON pr.source = 'justice' AND pr.record_id = j.record_id
    UNION ALL
    SELECT pr.person_id, 'justice', j.record_id, j.status_datum,
           CASE WHEN j.toezicht_reclassering THEN 'toezicht_reclassering'
                ELSE 'contactverbod' END,
           'verdachte', j.feit,
           concat_ws(', ', CASE WHEN j.toezicht_reclassering THEN 'reclasseringstoezicht' END,
                     CASE WHEN j.contactverbod THEN 'contactverbod' END),
           j.toezicht_einddatum, j.record_id, NULL, NULL
    FROM raw_justice j
    JOIN scoped_records pr ON pr.source = 'justice' AND pr.record_id = j.record_id
    WHERE j.toezicht_reclassering OR j.contactverbod"""

PRESENCE_SQL = """
    SELECT 'justice:' || record_id AS unique_id,
           nullif(trim(verdachte_naam), '') IS NOT NULL AS had_name,
           geboortedatum IS NOT NULL AS had_birth, NULL AS had_postcode FROM raw_justice"""

# Why a person is of concern: a suspect in a case.
CONCERN_SQL = """
    SELECT person_id, 'justitie: strafzaak' AS reason FROM r WHERE source = 'justice'"""

# From the date of the case's current status (docs/retention.md): a case in the photo for 5
# years, gone after 20 (the Wjsg's base term for a crime's data: our copy never outlives the
# register); a dismissal or acquittal is no sign of risk: in use 3 years, gone after 4.
RETENTION = RetentionRule(
    since="status_datum", term=Term(5, 20), kind="zaak_status",
    kinds={"sepot": Term(3, 4), "vrijspraak": Term(3, 4)}, kind_values=frozenset(STATUSES))

PARTNER = Source(
    name=SOURCE, file=FILE, format="parquet", reader=read_justice, raw_types=RAW_TYPES,
    carries_bsn=True, label="OM / Reclassering", retention_class="justice",
    retention=RETENTION,
    std_sql=STD_SQL, presence_sql=PRESENCE_SQL, events_sql=EVENTS_SQL,
    concern_sql=CONCERN_SQL, identity_trust=2,
    triage_role=True, triage_details=True)
