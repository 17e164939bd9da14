"""Care extract `care_reports.jsonl`: one report per line, the persons involved nested.

Reports go to one frame (report grain), the persons involved to another (one row per
betrokkene). The reporter (`melder`) is withheld at the door: never matched, profiled or
published, and not even stored; only their number is counted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from assets.sources.common import ParseResult, QuarantineLog, check_unique, rejected

SOURCE = "care"
FILE = "care_reports.jsonl"
REPORT_KEYS = ["melding_id", "ontvangen_op", "type", "sash_risico", "status", "betrokkenen"]
PERSON_KEYS = ["betrokkene_id", "rol", "naam", "geboortedatum", "adres"]
TYPES = {"huiselijk_geweld", "kindermishandeling", "ex_partner_stalking", "zorgen_om_persoon"}
SASH = {"laag", "midden", "hoog"}
ROLES = {"pleger", "slachtoffer", "kind", "melder"}


def read_care(delivery: Path) -> tuple[ParseResult, pd.DataFrame]:
    """Read the care extract: (person records result, accepted reports frame)."""
    path = delivery / FILE
    if not path.exists():
        return rejected(SOURCE, path, "file missing from the delivery"), empty_reports()
    data = path.read_bytes()
    if not data.strip():
        return rejected(SOURCE, path, "file is empty"), empty_reports()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        return rejected(SOURCE, path, f"line {line} is not valid UTF-8: the file's encoding "
                        "is wrong", data.decode("utf-8", "replace").splitlines()), empty_reports()
    log = QuarantineLog(SOURCE, FILE)
    reports: list[dict] = []
    persons: list[dict] = []
    melders = 0
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        report, problem = parse_report_line(line)
        if problem:
            log.add(line_no, None, problem[0], problem[1], None)  # may hold a melder
            continue
        reports.append({k: report[k] for k in REPORT_KEYS[:-1]} | {"_line": line_no})
        for person in report["betrokkenen"]:
            if person.get("rol") == "melder":
                melders += 1
                continue
            persons.append({k: person.get(k) for k in PERSON_KEYS}
                           | {"melding_id": report["melding_id"], "_line": line_no,
                              "_raw": json.dumps(person, ensure_ascii=False)})
    frame = pd.DataFrame(persons, columns=["melding_id", *PERSON_KEYS, "_line", "_raw"])
    frame = frame.rename(columns={"betrokkene_id": "record_id"})
    rows_read = len(frame) + len(log.frame()) + melders
    frame = validate_person_rows(frame, log)
    result = ParseResult(SOURCE, FILE, frame.reset_index(drop=True), log.frame(), rows_read,
                         withheld={"melder": melders})
    return result, reports_frame(reports)


def parse_report_line(line: str) -> tuple[dict, tuple[str, str] | None]:
    """Parse one JSON line and check the report's own fields; (report, (field, reason))."""
    try:
        report = json.loads(line)
    except json.JSONDecodeError:
        return {}, ("(line)", "not valid JSON")
    if not isinstance(report, dict):
        return {}, ("(line)", "not a JSON object")
    for key in REPORT_KEYS:
        if key not in report:
            return {}, (key, "required key is missing")
    if not isinstance(report["melding_id"], str) or not report["melding_id"]:
        return {}, ("melding_id", "required field is empty")
    if report["type"] not in TYPES:
        return {}, ("type", f"value outside the contract's set {sorted(TYPES)}")
    if report["sash_risico"] is not None and report["sash_risico"] not in SASH:
        return {}, ("sash_risico", f"value outside the contract's set {sorted(SASH)}")
    if pd.isna(pd.to_datetime(report["ontvangen_op"], errors="coerce", utc=True)):
        return {}, ("ontvangen_op", "not an ISO date-time")
    if not isinstance(report["betrokkenen"], list) or not all(
            isinstance(p, dict) for p in report["betrokkenen"]):
        return {}, ("betrokkenen", "not a list of objects")
    return report, None


def validate_person_rows(frame: pd.DataFrame, log: QuarantineLog) -> pd.DataFrame:
    """Field rules for the persons involved; failing persons go to the quarantine log."""
    empty_id = frame["record_id"].isna() | (frame["record_id"].astype("string") == "")
    log.add_frame(frame[empty_id], "betrokkene_id", "required field is empty")
    frame = frame[~empty_id]
    frame = check_unique(frame, log)
    bad_role = ~frame["rol"].isin(ROLES)
    log.add_frame(frame[bad_role], "rol", f"value outside the contract's set {sorted(ROLES)}")
    frame = frame[~bad_role]
    no_name = frame["naam"].isna() | (frame["naam"].astype("string").str.strip() == "")
    log.add_frame(frame[no_name], "naam", "required field is empty")
    frame = frame[~no_name].copy()
    dob = frame["geboortedatum"].astype("string")
    iso = pd.to_datetime(dob.where(dob.str.len() == 10), format="%Y-%m-%d", errors="coerce")
    year_only = dob.str.fullmatch(r"(19|20)\d\d").fillna(False).astype(bool)
    bad_dob = frame["geboortedatum"].notna() & iso.isna() & ~year_only
    log.add_frame(frame[bad_dob], "geboortedatum", "not an ISO date or a year")
    return frame[~bad_dob]


def reports_frame(reports: list[dict]) -> pd.DataFrame:
    """Accepted reports with typed receipt time (UTC)."""
    frame = pd.DataFrame(reports, columns=[*REPORT_KEYS[:-1], "_line"])
    frame["ontvangen_op"] = pd.to_datetime(frame["ontvangen_op"], utc=True)
    return frame


def empty_reports() -> pd.DataFrame:
    return reports_frame([])
