"""Municipal BRP extract `municipal_brp.csv`: `,`-separated UTF-8, dates jjjjmmdd with 00 parts.

The cleanest source, but only of residents. Partly unknown birth dates (`19840600`) are valid
BRP values and are kept as text here; standardisation splits them into year, month and day.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sources.common import (
    CsvExtract,
    ParseResult,
    QuarantineLog,
    check_date,
    check_required,
    check_unique,
    check_values,
    normalise_code,
    null_values,
    read_csv_extract,
    split_name_sql,
)
from sources.registry import Source
from sources.retention import RetentionRule, Term
from stores.sql import fill

SOURCE = "municipal"
FILE = "municipal_brp.csv"
COLUMNS = [
    "record_id", "bsn", "geslachtsnaam", "voorvoegsel", "voornamen", "geboortedatum", "geslacht",
    "straatnaam", "huisnummer", "huisletter", "huisnummertoevoeging", "postcode", "woonplaats",
    "adres_id", "ouder1_bsn", "ouder2_bsn", "partner_bsn", "datum_inschrijving",
]
# Fields other than the A-nummer and surname: empty means missing.
OPTIONAL = ["bsn", "geboortedatum", "geslacht", "voorvoegsel", "voornamen", "huisletter",
            "huisnummertoevoeging", "ouder1_bsn", "ouder2_bsn", "partner_bsn", "straatnaam",
            "huisnummer", "postcode", "woonplaats", "adres_id", "datum_inschrijving"]


def read_municipal(delivery: Path) -> ParseResult:
    """Read and validate the BRP extract of one delivery folder."""
    return read_csv_extract(EXTRACT, delivery)


def validate_municipal_rows(frame: pd.DataFrame, log: QuarantineLog) -> pd.DataFrame:
    """Apply the contract's field rules. A row is set aside whole only when it cannot be
    identified (no A-nummer or not 10 digits, no surname, a duplicated A-nummer); a bad birth
    date, sex, BSN or registration date is nulled and logged at field level, the row kept."""
    for col in ("record_id", "geslachtsnaam"):
        frame = check_required(frame, log, col)
    frame = check_unique(frame, log)
    bad_anr = ~frame["record_id"].str.fullmatch(r"[0-9]{10}")
    if bad_anr.any():
        log.add_frame(frame[bad_anr], "record_id", "A-nummer is not 10 digits")
        frame = frame[~bad_anr]
    frame = frame.copy(deep=False)
    frame["geslacht"] = normalise_code(frame["geslacht"], upper=True)
    frame = null_values(frame, log, "bsn", frame["bsn"].isna(), "required field is empty")
    frame = check_values(frame, log, "geslacht", {"M", "V", "O"})
    frame = check_brp_date(frame, log)
    return check_date(frame, log, "datum_inschrijving", "%Y%m%d", "jjjjmmdd",
                      pattern=r"[0-9]{8}")


def check_brp_date(frame: pd.DataFrame, log: QuarantineLog) -> pd.DataFrame:
    """A BRP birth date is jjjjmmdd; month or day may be 00 (unknown), the rest must be real.
    The shape is checked here as strictly as standardisation's SQL reads it (`strptime`,
    `CAST(... AS INTEGER)`): ASCII digits only (a regex's `\\d` also takes '١٩٨٤', which SQL
    cannot cast); a value that fails is nulled and logged, the row kept."""
    text = frame["geboortedatum"].astype("string")
    shape = text.str.fullmatch(r"[0-9]{8}").fillna(False).astype(bool)
    year, month, day = (_digits(text, shape, start, stop)
                        for start, stop in ((0, 4), (4, 6), (6, 8)))
    full = (month > 0) & (day > 0)
    real = pd.to_datetime(text.where(shape & full), format="%Y%m%d", errors="coerce").notna()
    partial_ok = shape & (year > 1800) & (month <= 12) & (day <= 31) & ((month > 0) | (day == 0))
    ok = (full & real) | (~full & partial_ok)
    missing = frame["geboortedatum"].isna()
    frame = null_values(frame, log, "geboortedatum", ~missing & ~ok,
                        "not a valid BRP date (jjjjmmdd, 00 = unknown)")
    return null_values(frame, log, "geboortedatum", missing, "required field is empty")


def _digits(text: pd.Series, shape: pd.Series, start: int, stop: int) -> pd.Series:
    """Characters `start:stop` of the values of the BRP shape (8 ASCII digits) as numbers,
    missing elsewhere (nullable Int64, as `pd.to_numeric` gives them): one Arrow cast for the
    column, not a number parsed per value."""
    part = pc.if_else(pa.array(shape.to_numpy()),
                      pc.utf8_slice_codeunits(pa.array(text, type=pa.string()), start, stop),
                      None)
    values = pc.cast(part, pa.int64()).to_numpy(zero_copy_only=False)
    return pd.Series(pd.array(values, dtype="Int64"), index=text.index)


EXTRACT = CsvExtract(SOURCE, FILE, "utf-8", ",", COLUMNS, OPTIONAL, validate_municipal_rows)

_V = "VARCHAR"
RAW_TYPES = {
    "record_id": _V, "bsn": _V, "geslachtsnaam": _V, "voorvoegsel": _V, "voornamen": _V,
    "geboortedatum": _V, "geslacht": _V, "straatnaam": _V, "huisnummer": _V,
    "huisletter": _V, "huisnummertoevoeging": _V, "postcode": _V, "woonplaats": _V,
    "adres_id": _V, "ouder1_bsn": _V, "ouder2_bsn": _V, "partner_bsn": _V,
    "datum_inschrijving": "DATE", "source_line": "BIGINT"}

STD_SQL = fill("""
    SELECT 'municipal:' || record_id AS unique_id, 'municipal' AS source, record_id,
        'ingezetene' AS role,
        {names},
        CASE WHEN substr(geboortedatum, 5, 2) <> '00' AND substr(geboortedatum, 7, 2) <> '00'
             THEN strptime(geboortedatum, '%Y%m%d')::DATE END AS dob,
        CAST(left(geboortedatum, 4) AS INTEGER) AS dob_year,
        nullif(CAST(substr(geboortedatum, 5, 2) AS INTEGER), 0) AS dob_month,
        nullif(CAST(substr(geboortedatum, 7, 2) AS INTEGER), 0) AS dob_day,
        foto_bsn(bsn) AS bsn, TRUE AS bsn_given, foto_sex(geslacht) AS sex,
        foto_fold(straatnaam) AS street, foto_housenumber(huisnummer) AS huisnummer,
        foto_postcode(postcode) AS postcode, foto_fold(woonplaats) AS city,
        datum_inschrijving AS record_date
    FROM raw_municipal""", names=split_name_sql("voornamen", "voorvoegsel", "geslachtsnaam"))

# A registration at an address, grouped by dwelling.
EVENTS_SQL = """
    SELECT pr.person_id, 'municipal' AS source, b.record_id,
           b.datum_inschrijving AS event_date, 'inschrijving_adres' AS event_type,
           'ingezetene' AS role,
           concat_ws(' ', b.straatnaam, b.huisnummer, b.huisletter,
                     b.huisnummertoevoeging, b.postcode, b.woonplaats) AS description,
           NULL AS status, NULL AS end_date, b.adres_id AS reference,
           NULL AS domestic_violence, NULL AS sash_risk
    FROM raw_municipal b
    JOIN scoped_records pr ON pr.source = 'municipal' AND pr.record_id = b.record_id"""

PRESENCE_SQL = """
    SELECT 'municipal:' || record_id AS unique_id, TRUE AS had_name,
           geboortedatum IS NOT NULL AS had_birth,
           nullif(trim(postcode), '') IS NOT NULL AS had_postcode FROM raw_municipal"""

# Housemates (one dwelling), parents, children, siblings (a shared parent) and partners, by
# the BSNs the BRP records (equi-joins only: an IN over two columns would be a nested loop).
RELATIONS_SQL = """
    WITH brp AS (
        SELECT pr.person_id, b.* FROM raw_municipal b
        JOIN person_records pr ON pr.source = 'municipal' AND pr.record_id = b.record_id),
    parent_bsn AS (
        SELECT person_id, record_id, ouder1_bsn AS bsn FROM brp WHERE ouder1_bsn IS NOT NULL
        UNION ALL
        SELECT person_id, record_id, ouder2_bsn FROM brp WHERE ouder2_bsn IS NOT NULL),
    parents AS (
        SELECT DISTINCT pb.person_id AS child, pb.record_id, bp.person_id AS parent
        FROM parent_bsn pb JOIN bsn_person bp USING (bsn))
    SELECT a.person_id, b.person_id AS related_id, 'huisgenoot' AS kind,
           'municipal' AS source, [a.record_id, b.record_id] AS evidence
    FROM brp a JOIN brp b ON a.adres_id = b.adres_id AND a.person_id <> b.person_id
    UNION ALL
    SELECT child, parent, 'ouder', 'municipal', [record_id] FROM parents
    UNION ALL
    SELECT parent, child, 'kind', 'municipal', [record_id] FROM parents
    UNION ALL
    SELECT a.child, b.child, 'broer_zus', 'municipal', [a.record_id, b.record_id]
    FROM parents a JOIN parents b ON a.parent = b.parent AND a.child <> b.child
    UNION ALL
    SELECT brp.person_id, bp.person_id, 'partner', 'municipal', [brp.record_id]
    FROM brp JOIN bsn_person bp ON bp.bsn = brp.partner_bsn"""

# The BRP extract holds current registrations only (a full snapshot of today's residents): one
# is used as long as the BRP delivers it, whatever its date; one no longer delivered leaves the
# photo with the next run (docs/retention.md). No term by date.
RETENTION = RetentionRule(since="datum_inschrijving", term=Term(None, None))

PARTNER = Source(
    name=SOURCE, file=FILE, format="csv", reader=read_municipal, raw_types=RAW_TYPES,
    carries_bsn=True, label="Gemeente (BRP)", retention_class="municipal",
    retention=RETENTION,
    std_sql=STD_SQL, presence_sql=PRESENCE_SQL, events_sql=EVENTS_SQL,
    relations_sql=RELATIONS_SQL, identity_trust=1, address_register=True,
    triage_event="inschrijving op adres")
