"""Police extract `police_persons.csv`: `;`-separated, Windows-1252, dates dd-mm-jjjj.

One row per person per registration. The on-arrest feed (`arrests/<id>.json`) carries a police
record of the same shape; it is read in `sources/arrests.py`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sources.common import (
    CsvExtract,
    ParseResult,
    QuarantineLog,
    check_date,
    check_required,
    check_unique,
    check_values,
    normalise_code,
    raw_field_dates,
    read_csv_extract,
    split_name_sql,
)
from sources.registry import Source
from sources.retention import RetentionRule, Term
from stores.sql import fill

SOURCE = "police"
FILE = "police_persons.csv"
COLUMNS = [
    "record_id", "registratie_datum", "rol", "feit", "huiselijk_geweld", "achternaam",
    "voorvoegsel", "voornamen", "geboortedatum", "geboorteplaats", "geslacht", "bsn", "straat",
    "huisnummer", "postcode", "woonplaats", "aangehouden",
]
ROLES = {"verdachte", "slachtoffer", "getuige", "betrokkene"}
JN = {"J", "N"}
SEXES = {"M", "V", "X"}
# dd-mm-jjjj; a clerk's single-digit day or month ('2-6-1984') is still that date
DATE_PATTERN = r"[0-9]{1,2}-[0-9]{1,2}-[0-9]{4}"
# Fields other than the record id and surname: empty means missing (a required one is then
# logged as a field fault, and the row kept).
OPTIONAL = ["rol", "huiselijk_geweld", "aangehouden", "registratie_datum", "voorvoegsel",
            "voornamen", "geboortedatum", "geboorteplaats", "geslacht", "bsn", "straat",
            "huisnummer", "postcode", "woonplaats", "feit"]


def read_police(delivery: Path) -> ParseResult:
    """Read and validate the police extract of one delivery folder."""
    return read_csv_extract(EXTRACT, delivery)


def validate_police_rows(frame: pd.DataFrame, log: QuarantineLog) -> pd.DataFrame:
    """Apply the contract's field rules. A row is set aside whole only when it cannot be
    identified (no record id, no surname, a duplicated id); any other bad value is nulled
    and logged at field level, and the registration stays in the photo (a clerk's typo in a
    flag or a date must not take a suspect's registration out of it). Codes are compared
    after case and spaces are normalised ('Verdachte', ' j ')."""
    for col in ("record_id", "achternaam"):
        frame = check_required(frame, log, col)
    frame = check_unique(frame, log).copy(deep=False)
    frame["rol"] = normalise_code(frame["rol"])
    for col in ("huiselijk_geweld", "aangehouden", "geslacht"):
        frame[col] = normalise_code(frame[col], upper=True)
    frame = check_date(frame, log, "registratie_datum", "%d-%m-%Y", "dd-mm-jjjj",
                       optional=False, pattern=DATE_PATTERN)
    frame = check_values(frame, log, "rol", ROLES)
    frame = check_values(frame, log, "huiselijk_geweld", JN)
    frame = check_values(frame, log, "aangehouden", JN)
    frame = check_values(frame, log, "geslacht", SEXES, optional=True)
    return check_date(frame, log, "geboortedatum", "%d-%m-%Y", "dd-mm-jjjj",
                      pattern=DATE_PATTERN)


EXTRACT = CsvExtract(SOURCE, FILE, "cp1252", ";", COLUMNS, OPTIONAL, validate_police_rows,
                     flags=("huiselijk_geweld", "aangehouden"))

_V = "VARCHAR"
RAW_TYPES = {
    "record_id": _V, "registratie_datum": "DATE", "rol": _V, "feit": _V,
    "huiselijk_geweld": "BOOLEAN", "achternaam": _V, "voorvoegsel": _V, "voornamen": _V,
    "geboortedatum": "DATE", "geboorteplaats": _V, "geslacht": _V, "bsn": _V, "straat": _V,
    "huisnummer": _V, "postcode": _V, "woonplaats": _V, "aangehouden": "BOOLEAN",
    "source_line": "BIGINT"}

STD_SQL = fill("""
    SELECT 'police:' || record_id AS unique_id, 'police' AS source, record_id,
        rol AS role,
        {names},
        geboortedatum AS dob, year(geboortedatum) AS dob_year,
        month(geboortedatum) AS dob_month, day(geboortedatum) AS dob_day,
        foto_bsn(bsn) AS bsn, bsn IS NOT NULL AS bsn_given,
        foto_sex(geslacht) AS sex, foto_fold(straat) AS street,
        foto_housenumber(huisnummer) AS huisnummer, foto_postcode(postcode) AS postcode,
        foto_fold(woonplaats) AS city, registratie_datum AS record_date
    FROM raw_police""", names=split_name_sql("voornamen", "voorvoegsel", "achternaam"))

# A registration: role, offence, domestic violence, arrest; grouped by registration number.
EVENTS_SQL = """
    SELECT pr.person_id, 'police' AS source, p.record_id, p.registratie_datum AS event_date,
           'politieregistratie' AS event_type, p.rol AS role, p.feit AS description,
           CASE WHEN p.aangehouden THEN 'aangehouden' END AS status, NULL::DATE AS end_date,
           regexp_extract(p.record_id, '^(PL-[^-]+)', 1) AS reference,
           p.huiselijk_geweld AS domestic_violence, NULL AS sash_risk
    FROM raw_police p
    JOIN scoped_records pr ON pr.source = 'police' AND pr.record_id = p.record_id"""

PRESENCE_SQL = """
    SELECT 'police:' || record_id AS unique_id, nullif(trim(achternaam), '') IS NOT NULL
           AS had_name, geboortedatum IS NOT NULL AS had_birth,
           nullif(trim(postcode), '') IS NOT NULL AS had_postcode FROM raw_police"""

# Why a person is of concern: a suspect in a registration, or arrested.
CONCERN_SQL = """
    SELECT person_id, 'politie: verdachte' AS reason FROM r
        WHERE source = 'police' AND role = 'verdachte'
    UNION ALL
    SELECT r.person_id, 'politie: aangehouden' FROM r
        JOIN raw_police p ON r.source = 'police' AND p.record_id = r.record_id
        WHERE p.aangehouden"""

# Persons in one registration: the victim of a suspect, a fellow suspect, or else involved.
RELATIONS_SQL = """
    WITH police AS (
        SELECT pr.person_id, p.record_id, p.rol,
               regexp_extract(p.record_id, '^(PL-[^-]+)', 1) AS reg
        FROM raw_police p
        JOIN person_records pr ON pr.source = 'police' AND pr.record_id = p.record_id)
    SELECT a.person_id, b.person_id AS related_id,
           CASE WHEN b.rol = 'slachtoffer' AND a.rol = 'verdachte' THEN 'slachtoffer'
                WHEN b.rol = 'verdachte' THEN 'verdachte' ELSE 'medebetrokkene' END AS kind,
           'police' AS source, [a.record_id, b.record_id] AS evidence
    FROM police a JOIN police b ON a.reg = b.reg AND a.person_id <> b.person_id"""

# Wpg: out of daily use 5 years after the registration, destroyed after 10 (docs/retention.md).
def quarantined_since(rows: pd.DataFrame, extra: dict[str, pd.DataFrame]
                      ) -> tuple[pd.Series, pd.Series]:
    """The registration date of rows set aside whole, read from their raw line (no kinds)."""
    since = raw_field_dates(rows["raw"], ";", COLUMNS, "registratie_datum", "%d-%m-%Y",
                            DATE_PATTERN)
    return since, pd.Series(None, index=rows.index, dtype="object")


RETENTION = RetentionRule(since="registratie_datum", term=Term(5, 10),
                          quarantined=quarantined_since)

PARTNER = Source(
    name=SOURCE, file=FILE, format="csv", reader=read_police, raw_types=RAW_TYPES,
    carries_bsn=True, label="Politie", retention_class="police",
    retention=RETENTION,
    std_sql=STD_SQL, presence_sql=PRESENCE_SQL, events_sql=EVENTS_SQL,
    concern_sql=CONCERN_SQL, relations_sql=RELATIONS_SQL, identity_trust=3,
    triage_role=True, triage_details=True)
