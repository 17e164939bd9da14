"""Police extract `police_persons.csv`: `;`-separated, Windows-1252, dates dd-mm-jjjj.

One row per person per registration. Also reads the on-arrest feed (`arrests/<id>.json`), which
carries a police record of the same shape.
"""

from __future__ import annotations

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
OPTIONAL = ["voorvoegsel", "voornamen", "geboortedatum", "geboorteplaats", "geslacht", "bsn",
            "straat", "huisnummer", "postcode", "woonplaats", "feit"]


def read_police(delivery: Path) -> ParseResult:
    """Read and validate the police extract of one delivery folder."""
    path = delivery / FILE
    got = read_csv_text(SOURCE, path, "cp1252", ";", COLUMNS)
    if isinstance(got, ParseResult):
        return got
    frame, log = got
    rows_read = len(frame) + len(log.frame())
    empty_to_none(frame, OPTIONAL)
    frame = validate_police_rows(frame, log)
    frame["huiselijk_geweld"] = frame["huiselijk_geweld"] == "J"
    frame["aangehouden"] = frame["aangehouden"] == "J"
    return ParseResult(SOURCE, FILE, frame.reset_index(drop=True), log.frame(), rows_read)


def validate_police_rows(frame: pd.DataFrame, log: QuarantineLog) -> pd.DataFrame:
    """Apply the contract's field rules; failing rows go to the quarantine log."""
    for col in ("record_id", "achternaam"):
        frame = check_required(frame, log, col)
    frame = check_unique(frame, log)
    frame = check_date(frame, log, "registratie_datum", "%d-%m-%Y", "dd-mm-jjjj",
                       optional=False)
    frame = check_values(frame, log, "rol", ROLES)
    frame = check_values(frame, log, "huiselijk_geweld", JN)
    frame = check_values(frame, log, "aangehouden", JN)
    frame = check_values(frame, log, "geslacht", SEXES, optional=True)
    return check_date(frame, log, "geboortedatum", "%d-%m-%Y", "dd-mm-jjjj")
