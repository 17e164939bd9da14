"""Police extract `police_persons.csv`: `;`-separated, Windows-1252, dates dd-mm-jjjj.

One row per person per registration. Also reads the on-arrest feed (`arrests/<id>.json`), which
carries a police record of the same shape.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from assets.sources.common import (
    ParseResult,
    QuarantineLog,
    check_date,
    check_required,
    check_unique,
    check_values,
    empty_to_none,
    normalise_code,
    read_csv_text,
)

SOURCE = "police"
FILE = "police_persons.csv"
COLUMNS = [
    "record_id", "registratie_datum", "rol", "feit", "huiselijk_geweld", "achternaam",
    "voorvoegsel", "voornamen", "geboortedatum", "geboorteplaats", "geslacht", "bsn", "straat",
    "huisnummer", "postcode", "woonplaats", "aangehouden",
]
TIMEZONE = "Europe/Amsterdam"  # arrest times are local; a registration date is a local day
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
    path = delivery / FILE
    got = read_csv_text(SOURCE, path, "cp1252", ";", COLUMNS)
    if isinstance(got, ParseResult):
        return got
    frame, log, in_file = got
    rows_read = len(frame) + log.rows()
    empty_to_none(frame, OPTIONAL)
    frame = validate_police_rows(frame, log)
    for flag in ("huiselijk_geweld", "aangehouden"):
        frame[flag] = pd.array(frame[flag].map({"J": True, "N": False}), dtype="boolean")
    return ParseResult(SOURCE, FILE, frame.reset_index(drop=True), log.frame(), rows_read,
                       rows_in_file=in_file)


def validate_police_rows(frame: pd.DataFrame, log: QuarantineLog) -> pd.DataFrame:
    """Apply the contract's field rules. A row is set aside whole only when it cannot be
    identified (no record id, no surname, a duplicated id); any other bad value is nulled
    and logged at field level, and the registration stays in the photo (a clerk's typo in a
    flag or a date must not take a suspect's registration out of it). Codes are compared
    after case and spaces are normalised ('Verdachte', ' j ')."""
    for col in ("record_id", "achternaam"):
        frame = check_required(frame, log, col)
    frame = check_unique(frame, log)
    frame = frame.copy()
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


ARREST_KEYS = [
    "arrest_id", "aangehouden_op", "record_id", "feit", "huiselijk_geweld", "achternaam",
    "voorvoegsel", "voornamen", "geboortedatum", "bsn", "straat", "huisnummer", "postcode",
    "woonplaats",
]


class ArrestError(ValueError):
    """An arrest file that breaks the contract: which field, and why (never the value)."""

    def __init__(self, file: str, field: str, reason: str) -> None:
        where = f"{file}, field {field}" if field != "(file)" else file
        super().__init__(f"{where}: {reason}")
        self.field, self.reason = field, reason


def read_arrest(path: Path) -> dict:
    """Read one arrest file; raise ValueError naming the file and field when it breaks the contract.

    The message never holds a value from the file.
    """
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ArrestError(path.name, "(file)",
                          f"not a valid UTF-8 JSON object ({type(err).__name__})") from None
    if not isinstance(obj, dict):
        raise ArrestError(path.name, "(file)", "not a JSON object")
    missing = [k for k in ARREST_KEYS if k not in obj]
    if missing:
        raise ArrestError(path.name, "(file)", f"missing field(s) {missing}")
    for key in ("arrest_id", "record_id", "achternaam", "aangehouden_op"):
        if not isinstance(obj[key], str) or not obj[key].strip():
            raise ArrestError(path.name, key, "required text is empty or not text")
    if not isinstance(obj["huiselijk_geweld"], bool):
        raise ArrestError(path.name, "huiselijk_geweld", "not true/false")
    if obj["geboortedatum"] is not None and pd.isna(
            pd.to_datetime(obj["geboortedatum"], format="%d-%m-%Y", errors="coerce")):
        raise ArrestError(path.name, "geboortedatum", "not a valid date dd-mm-jjjj")
    if pd.isna(pd.to_datetime(obj["aangehouden_op"], errors="coerce", utc=True)):
        raise ArrestError(path.name, "aangehouden_op", "not an ISO date-time")
    return obj


def arrest_as_police_row(arrest: dict) -> pd.DataFrame:
    """An arrest (as `read_arrest` returns it) as one row of the police extract: the arrested
    person is a suspect (`verdachte`) of a registration dated the day of the arrest."""
    arrested = pd.to_datetime(arrest["aangehouden_op"], utc=True).tz_convert(TIMEZONE)
    dob = arrest["geboortedatum"]
    row = {
        "record_id": arrest["record_id"], "registratie_datum": arrested.date(),
        "rol": "verdachte", "feit": arrest["feit"] or None,
        "huiselijk_geweld": bool(arrest["huiselijk_geweld"]),
        "achternaam": arrest["achternaam"], "voorvoegsel": arrest["voorvoegsel"] or None,
        "voornamen": arrest["voornamen"] or None,
        "geboortedatum": pd.to_datetime(dob, format="%d-%m-%Y").date() if dob else None,
        "geboorteplaats": None, "geslacht": None, "bsn": arrest["bsn"] or None,
        "straat": arrest["straat"] or None, "huisnummer": arrest["huisnummer"] or None,
        "postcode": arrest["postcode"] or None, "woonplaats": arrest["woonplaats"] or None,
        "aangehouden": True,
    }
    return pd.DataFrame([row], columns=COLUMNS)


def with_arrests(result: ParseResult, arrests_dir: Path, delivery_date: str) -> ParseResult:
    """The police extract plus the on-arrest feed up to the delivery date, so that an arrest
    published during the day is part of the next nightly photo and never lost.

    An arrest whose record the extract already holds adds nothing (the extract's row is the
    police's own registration; counted as withheld). A refused arrest file is quarantined with
    its file, field and reason. Counts still add up: every arrest file read is accepted,
    quarantined or withheld."""
    if result.file_error or not arrests_dir.is_dir():
        return result
    known = set(result.accepted["record_id"]) if not result.accepted.empty else set()
    rows, refused, in_extract, read = [], [], 0, 0
    for path in sorted(arrests_dir.glob("*.json")):
        try:
            arrest = read_arrest(path)
        except ArrestError as err:
            read += 1
            log = QuarantineLog(SOURCE, f"arrests/{path.name}")
            log.add(1, None, err.field, err.reason)
            refused.append(log.frame())
            continue
        arrested_on = pd.Timestamp(arrest["aangehouden_op"]).tz_convert(TIMEZONE).date()
        if arrested_on.isoformat() > delivery_date:
            continue   # after this delivery: a later run takes it
        read += 1
        if arrest["record_id"] in known:
            in_extract += 1
            continue
        known.add(arrest["record_id"])
        row = arrest_as_police_row(arrest)
        row["_line"], row["_raw"] = 1, None
        rows.append(row)
    if not read:
        return result
    accepted = pd.concat([result.accepted, *rows], ignore_index=True) if rows \
        else result.accepted
    withheld = dict(result.withheld)
    if in_extract:
        withheld["arrest_in_extract"] = in_extract
    return ParseResult(SOURCE, result.file, accepted,
                       pd.concat([result.quarantine, *refused], ignore_index=True),
                       result.rows_read + read, result.file_error, withheld)
