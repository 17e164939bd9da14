"""Municipal BRP extract `municipal_brp.csv`: `,`-separated UTF-8, dates jjjjmmdd with 00 parts.

The cleanest source, but only of residents. Partly unknown birth dates (`19840600`) are valid
BRP values and are kept as text here; standardisation splits them into year, month and day.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sources.common import (
    ParseResult,
    QuarantineLog,
    check_date,
    check_required,
    check_unique,
    check_values,
    empty_to_none,
    normalise_code,
    null_values,
    read_csv_text,
)

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
    path = delivery / FILE
    got = read_csv_text(SOURCE, path, "utf-8", ",", COLUMNS)
    if isinstance(got, ParseResult):
        return got
    frame, log, in_file = got
    rows_read = len(frame) + log.rows()
    empty_to_none(frame, OPTIONAL)
    frame = validate_municipal_rows(frame, log)
    return ParseResult(SOURCE, FILE, frame.reset_index(drop=True), log.frame(), rows_read,
                       rows_in_file=in_file)


def validate_municipal_rows(frame: pd.DataFrame, log: QuarantineLog) -> pd.DataFrame:
    """Apply the contract's field rules. A row is set aside whole only when it cannot be
    identified (no A-nummer or not 10 digits, no surname, a duplicated A-nummer); a bad birth
    date, sex, BSN or registration date is nulled and logged at field level, the row kept."""
    for col in ("record_id", "geslachtsnaam"):
        frame = check_required(frame, log, col)
    frame = check_unique(frame, log)
    bad_anr = ~frame["record_id"].str.fullmatch(r"[0-9]{10}")
    log.add_frame(frame[bad_anr], "record_id", "A-nummer is not 10 digits")
    frame = frame[~bad_anr].copy()
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
    year = pd.to_numeric(text.str[:4].where(shape), errors="coerce")
    month = pd.to_numeric(text.str[4:6].where(shape), errors="coerce")
    day = pd.to_numeric(text.str[6:8].where(shape), errors="coerce")
    full = (month > 0) & (day > 0)
    real = pd.to_datetime(text.where(shape & full), format="%Y%m%d", errors="coerce").notna()
    partial_ok = shape & (year > 1800) & (month <= 12) & (day <= 31) & ((month > 0) | (day == 0))
    ok = (full & real) | (~full & partial_ok)
    missing = frame["geboortedatum"].isna()
    frame = null_values(frame, log, "geboortedatum", ~missing & ~ok,
                        "not a valid BRP date (jjjjmmdd, 00 = unknown)")
    return null_values(frame, log, "geboortedatum", missing, "required field is empty")
