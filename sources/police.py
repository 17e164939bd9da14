"""Police extract `police_persons.csv`: `;`-separated, Windows-1252, dates dd-mm-jjjj.

One row per person per registration. The on-arrest feed (`arrests/<id>.json`) carries a police
record of the same shape; it is read in `sources/arrests.py`.
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
