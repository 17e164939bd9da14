"""Care extract `care_reports.jsonl`: one report per line, the persons involved nested.

Reports go to one frame (report grain), the persons involved to another (one row per
betrokkene). The reporter (`melder`) is withheld at the door: never matched, profiled or
published, and not even stored; only their number is counted.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from sources.common import (
    BLANK,
    UTF8_BOM,
    ParseResult,
    QuarantineLog,
    check_unique,
    physical_lines,
    rejected,
    text_lines,
)
from sources.registry import Source
from sources.retention import RetentionRule, Term

SOURCE = "care"
FILE = "care_reports.jsonl"
REPORT_KEYS = ["melding_id", "ontvangen_op", "type", "sash_risico", "status", "betrokkenen"]
PERSON_KEYS = ["betrokkene_id", "rol", "naam", "geboortedatum", "adres"]
TYPES = {"huiselijk_geweld", "kindermishandeling", "ex_partner_stalking", "zorgen_om_persoon"}
SASH = {"laag", "midden", "hoog"}
ROLES = {"pleger", "slachtoffer", "kind", "melder"}


MELDER = "melder"   # a person withheld at the door (counted, never stored)
Person = dict | str | None   # a candidate row, MELDER, or None: quarantined
# A birth date as standardisation's SQL reads it (`strptime(geboortedatum, '%Y-%m-%d')` when
# it is 10 characters long, `left(geboortedatum, 4)` as the year): checked here as strictly,
# so that no value reaches SQL that SQL would refuse. ASCII digits only: Python's `\d` also
# matches other scripts' digits ('١٩٨٧'), which SQL does not read as a number.
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
YEAR = re.compile(r"(19|20)[0-9][0-9]")
# `ontvangen_op`: an ISO date-time (a date alone is taken as midnight), offset optional.
ISO_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?")
# The layout partners write (`2024-11-27T09:42:00+01:00`), read by the standard library
# (`receipt_time`): a year pandas can hold, whole seconds, an offset with a colon.
_PLAIN_TIME = re.compile(
    r"(?:1[7-9]|2[0-1])[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2})?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})")


def read_care(delivery: Path) -> tuple[ParseResult, pd.DataFrame]:
    """Read the care extract: (person records result, accepted reports frame).

    Every person in the file is one row of the accounting: accepted, quarantined or withheld
    (a melder). A line that cannot be read as a report (not JSON, not an object, no list of
    persons) is one quarantined row. Nothing a line holds is ever raised as an exception."""
    path = delivery / FILE
    if not path.exists():
        return rejected(SOURCE, path, "file missing from the delivery"), empty_reports()
    data = path.read_bytes()
    if not data.strip():
        return rejected(SOURCE, path, "file is empty"), empty_reports()
    if data.startswith(UTF8_BOM):   # allowed in a UTF-8 file: it only says so
        data = data[len(UTF8_BOM):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = len(physical_lines(data[: err.start]))
        lines = text_lines(data.decode("utf-8", "replace"))
        return rejected(SOURCE, path, f"line {line} is not valid UTF-8: the file's encoding "
                        "is wrong", lines, first_line=1), empty_reports()
    log = QuarantineLog(SOURCE, FILE)
    reports: list[dict] = []
    persons: list[dict] = []
    melders = 0
    lines = text_lines(text)
    for line_no, line in enumerate(lines, start=1):
        if not line.strip(BLANK):
            continue
        report, people = read_report_line(line_no, line, log)
        melders += sum(1 for p in people if p is MELDER)
        persons.extend(p for p in people if isinstance(p, dict))
        if report is not None:
            reports.append(report)
    frame = pd.DataFrame(persons, columns=["melding_id", *PERSON_KEYS, "_line", "_raw"])
    frame = frame.rename(columns={"betrokkene_id": "record_id"})
    rows_read = len(frame) + log.rows() + melders
    frame, reports = drop_repeated_reports(frame, reports, log)
    frame = check_unique(frame, log)
    result = ParseResult(SOURCE, FILE, frame.reset_index(drop=True), log.frame(), rows_read,
                         withheld={"melder": melders}, rows_in_file=persons_in_file(lines))
    return result, reports_frame(reports)


def drop_repeated_reports(frame: pd.DataFrame, reports: list[dict], log: QuarantineLog
                          ) -> tuple[pd.DataFrame, list[dict]]:
    """Quarantine the persons of every report whose `melding_id` is on more than one line:
    which line is the report cannot be known, and joining persons to two reports would count
    each of them twice downstream."""
    seen = pd.Series([r["melding_id"] for r in reports], dtype="object")
    repeated = set(seen[seen.duplicated(keep=False)])
    if not repeated:
        return frame, reports
    bad = frame["melding_id"].isin(repeated)
    log.add_frame(frame[bad], "melding_id", "melding_id occurs on more than one line")
    return frame[~bad], [r for r in reports if r["melding_id"] not in repeated]


def persons_in_file(lines: list[str]) -> int:
    """The file's own count of rows, apart from the reader: per non-blank line, the persons
    in its `betrokkenen` list, or one for a line that holds no such list."""
    total = 0
    for line in lines:
        if not line.strip(BLANK):
            continue
        try:
            obj = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            total += 1
            continue
        people = obj.get("betrokkenen") if isinstance(obj, dict) else None
        total += len(people) if isinstance(people, list) else 1
    return total


def read_report_line(line_no: int, line: str, log: QuarantineLog
                     ) -> tuple[dict | None, list[Person]]:
    """One JSON line: (the report or None, per person: a dict for a candidate row, `MELDER`
    for a melder withheld, None for a person quarantined). Faults go to `log`; a person who
    may be a melder never leaves a value or an id there."""
    try:
        obj = json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        log.add(line_no, None, "(line)", "not valid JSON")   # may hold a melder: no raw
        return None, []
    if not isinstance(obj, dict):
        log.add(line_no, None, "(line)", "not a JSON object")
        return None, []
    people = obj.get("betrokkenen")
    if not isinstance(people, list):
        log.add(line_no, None, "betrokkenen",
                "required key is missing" if "betrokkenen" not in obj else "not a list")
        return None, []
    melding_id = obj.get("melding_id")
    if not _text(melding_id):
        reason = ("required key is missing" if "melding_id" not in obj
                  else "required field is empty or not text")
        if not people:   # no person lost; the report itself is dropped, and said so
            log.add(line_no, None, "melding_id", f"report's {reason} (a report without "
                    "persons: dropped)", kept=True)
        return None, [_refuse_person(line_no, i, p, log, "melding_id", f"report's {reason}")
                      for i, p in enumerate(people, start=1)]
    report = report_values(line_no, obj, log)
    return report, [read_person(line_no, i, p, melding_id.strip(), log)
                    for i, p in enumerate(people, start=1)]


def _text(value: object) -> bool:
    """A non-empty string (JSON numbers, lists and objects are not text)."""
    return isinstance(value, str) and bool(value.strip())


def normalise_role(value: object) -> str | None:
    """A role as a careless partner writes it ('Melder', ' MELDER ', 'mel der' stays wrong),
    in the contract's spelling; None when it is not text."""
    if not isinstance(value, str):
        return None
    return " ".join(value.split()).lower()


def _refuse_person(line_no: int, index: int, person: object, log: QuarantineLog,
                   field_name: str, reason: str) -> Person:
    """A person of a report that cannot be read: a melder is withheld; anyone else is
    quarantined with neither id nor values."""
    if isinstance(person, dict) and normalise_role(person.get("rol")) == "melder":
        return MELDER
    log.add(line_no, None, field_name, f"{reason} (person {index} of the report)")
    return None


def read_person(line_no: int, index: int, person: object, melding_id: str,
                log: QuarantineLog) -> Person:
    """Check one person of a report. The role is read first: a melder is withheld (None)
    before anything else is looked at; a role that is unknown or not text is quarantined
    without id or values (it may be a melder spelled another way). A subject without an id or
    a name is quarantined whole (with its own values, kept for the data steward); a bad birth
    date or address is nulled and logged, the person kept."""
    if not isinstance(person, dict):
        log.add(line_no, None, "betrokkenen", f"person {index} of the report is not an object")
        return None
    role = normalise_role(person.get("rol"))
    if role == "melder":
        return MELDER
    if role not in ROLES:
        log.add(line_no, None, "rol", f"value outside the contract's set {sorted(ROLES)} or not "
                f"text (person {index} of the report; it may be a melder: nothing kept)")
        return None
    raw = json.dumps(person, ensure_ascii=False, default=str)
    record_id = person.get("betrokkene_id")
    if not _text(record_id):
        log.add(line_no, None, "betrokkene_id", "required field is empty or not text", raw)
        return None
    record_id = record_id.strip()
    if not _text(person.get("naam")):
        log.add(line_no, record_id, "naam", "required field is empty or not text", raw)
        return None
    row = {"melding_id": melding_id, "betrokkene_id": record_id, "rol": role,
           "naam": person["naam"].strip(), "geboortedatum": person.get("geboortedatum"),
           "adres": person.get("adres"), "_line": line_no, "_raw": raw}
    if not valid_birth_date(row["geboortedatum"]):
        log.add(line_no, record_id, "geboortedatum", "not an ISO date or a year", raw, kept=True)
        row["geboortedatum"] = None
    if row["adres"] is not None and not isinstance(row["adres"], str):
        log.add(line_no, record_id, "adres", "not text", raw, kept=True)
        row["adres"] = None
    return row


def valid_birth_date(value: object) -> bool:
    """None, an ISO date that exists (`jjjj-mm-dd`, exactly) or a year alone (`jjjj`)."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    if YEAR.fullmatch(value):
        return True
    if not ISO_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def report_values(line_no: int, obj: dict, log: QuarantineLog) -> dict:
    """The report's own fields, each checked on its own: a bad type, risk, status or receipt
    time is nulled and logged (the persons in the report are kept)."""
    report = {"melding_id": obj["melding_id"].strip(), "_line": line_no}
    for key, allowed in (("type", TYPES), ("sash_risico", SASH)):
        value = obj.get(key)
        code = normalise_role(value)
        if value is not None and code not in allowed:
            log.add(line_no, None, key, f"value outside the contract's set {sorted(allowed)}",
                    kept=True)
            code = None
        report[key] = code
    status = obj.get("status")
    if status is not None and not isinstance(status, str):
        log.add(line_no, None, "status", "not text", kept=True)
        status = None
    report["status"] = status
    report["ontvangen_op"] = receipt_time(obj.get("ontvangen_op"))
    if report["ontvangen_op"] is None:
        log.add(line_no, None, "ontvangen_op", "not an ISO date-time", kept=True)
    return report


def receipt_time(value: object) -> pd.Timestamp | datetime | None:
    """`ontvangen_op` as a UTC time, or None when it is not an ISO date-time. Each line's value
    is parsed on its own: one column of mixed layouts must not fail them all.

    The layout partners write (`_PLAIN_TIME`) is read by `datetime.fromisoformat` (a few
    microseconds; `pd.Timestamp` and its time zone took 64 per report, 3 s at a million
    persons); the same instant, which `reports_frame` types as pandas did. Anything else, and a
    plain value the standard library refuses (a 30th of February, an offset of 24 hours),
    is read by pandas as before."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not ISO_DATE_TIME.fullmatch(text):
        return None
    if _PLAIN_TIME.fullmatch(text):
        try:
            return datetime.fromisoformat(text).astimezone(UTC)
        except ValueError:
            pass
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, OverflowError):
        return None
    if pd.isna(stamp):
        return None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def reports_frame(reports: list[dict]) -> pd.DataFrame:
    """Accepted reports with typed receipt time (UTC)."""
    frame = pd.DataFrame(reports, columns=[*REPORT_KEYS[:-1], "_line"])
    frame["ontvangen_op"] = pd.to_datetime(frame["ontvangen_op"], utc=True)
    return frame


def empty_reports() -> pd.DataFrame:
    return reports_frame([])


def read(delivery: Path) -> tuple[ParseResult, dict[str, pd.DataFrame]]:
    """The registry's reader: the persons, and the reports as the table `care_reports`, with
    the line each was read from (`_line`: private, never stored) so that the retention of a
    person set aside whole can find its report's date (`quarantined_since`)."""
    result, reports = read_care(delivery)
    return result, {"care_reports": reports}


_V = "VARCHAR"
RAW_TYPES = {"melding_id": _V, "record_id": _V, "rol": _V, "naam": _V, "geboortedatum": _V,
             "adres": _V, "source_line": "BIGINT"}
REPORT_TYPES = {"melding_id": _V, "ontvangen_op": "TIMESTAMP WITH TIME ZONE", "type": _V,
                "sash_risico": _V, "status": _V}

# One free-text name ('Jan van der Berg', 'Tjon A Fong'): the surname is the last word with
# the tussenvoegsels, particles or clan word before it; the address is free text as well.
STD_SQL = """
    WITH folded AS (
        SELECT c.*, r.ontvangen_op, foto_given(naam) AS nm,
            regexp_extract(adres, '([1-9][0-9]{3}\\s?[A-Za-z]{2})', 1) AS pc,
            regexp_extract(adres, '^[^,0-9]*?\\s([0-9]+)', 1) AS hn,
            trim(regexp_extract(adres, '^([^,0-9]+)', 1)) AS st,
            trim(regexp_extract(adres, '[1-9][0-9]{3}\\s?[A-Za-z]{2}\\s+(.+)$', 1)) AS ct
        FROM raw_care c LEFT JOIN care_reports r USING (melding_id)),
    joined AS (
        SELECT *, regexp_replace(nm, '\\s*-\\s*(?:(?:' || {tv_re}
                                 || ')\\s+)*', '-', 'g') AS nm2 FROM folded),
    parsed AS (
        SELECT *, CASE WHEN strpos(nm2, ' ') = 0 THEN {'given': nm2, 'rest': ''}
            ELSE regexp_extract(nm2, '^(.*?)\\s+((?:(?:' || {tv_re}
                                || '|' || {particle_re}
                                || ')\\s+)*(?:(?:' || {clan_re}
                                || ')\\s+a\\s+)?[^ ]+)$', ['given', 'rest']) END AS p
        FROM joined)
    SELECT 'care:' || record_id AS unique_id, 'care' AS source, record_id,
        rol AS role, naam AS display_name,
        nullif(p.given, '') AS given_names,
        CASE WHEN nullif(p.given, '') IS NOT NULL THEN foto_first_name(naam) END
            AS first_name,
        foto_initials(nullif(p.given, '')) AS initials,
        foto_tv(nullif(p.rest, '')) AS tussenvoegsel,
        foto_surname(nullif(p.rest, '')) AS surname,
        CASE WHEN length(geboortedatum) = 10 THEN strptime(geboortedatum, '%Y-%m-%d')::DATE
            END AS dob,
        try_cast(left(geboortedatum, 4) AS INTEGER) AS dob_year,
        CASE WHEN length(geboortedatum) = 10 THEN month(strptime(geboortedatum, '%Y-%m-%d'))
            END AS dob_month,
        CASE WHEN length(geboortedatum) = 10 THEN day(strptime(geboortedatum, '%Y-%m-%d'))
            END AS dob_day,
        NULL AS bsn, FALSE AS bsn_given, NULL AS sex,
        foto_fold(nullif(st, '')) AS street, foto_housenumber(nullif(hn, '')) AS huisnummer,
        foto_postcode(nullif(pc, '')) AS postcode, foto_fold(nullif(ct, '')) AS city,
        CAST(ontvangen_op AS DATE) AS record_date
    FROM parsed"""

# A report: the person's role, its type, SASH risk and status; grouped by melding id.
EVENTS_SQL = """
    SELECT pr.person_id, 'care' AS source, c.record_id,
           CAST(m.ontvangen_op AS DATE) AS event_date, 'zorgmelding' AS event_type,
           c.rol AS role, m.type AS description, m.status AS status, NULL AS end_date,
           c.melding_id AS reference,
           m.type IN ('huiselijk_geweld', 'ex_partner_stalking') AS domestic_violence,
           m.sash_risico AS sash_risk
    FROM raw_care c JOIN care_reports m USING (melding_id)
    JOIN scoped_records pr ON pr.source = 'care' AND pr.record_id = c.record_id"""

PRESENCE_SQL = """
    SELECT 'care:' || record_id AS unique_id, nullif(trim(naam), '') IS NOT NULL AS had_name,
           nullif(trim(CAST(geboortedatum AS VARCHAR)), '') IS NOT NULL AS had_birth,
           NULL AS had_postcode FROM raw_care"""

# Why a person is of concern: the pleger in a report, or the subject of a report of concern
# about a person.
CONCERN_SQL = """
    SELECT person_id, 'zorg: pleger' AS reason FROM r WHERE source = 'care' AND role = 'pleger'
    UNION ALL
    SELECT r.person_id, 'zorg: zorgen om persoon' FROM r
        JOIN raw_care c ON r.source = 'care' AND c.record_id = r.record_id
        JOIN care_reports m ON m.melding_id = c.melding_id
        WHERE m.type = 'zorgen_om_persoon' AND c.rol IN ('pleger', 'slachtoffer')"""

# Persons in one report: their roles, a child in the report, both sides of ex-partner stalking.
RELATIONS_SQL = """
    WITH care AS (
        SELECT pr.person_id, c.record_id, c.rol, c.melding_id, m.type
        FROM raw_care c JOIN care_reports m USING (melding_id)
        JOIN person_records pr ON pr.source = 'care' AND pr.record_id = c.record_id)
    SELECT a.person_id, b.person_id AS related_id,
           CASE WHEN m.type = 'ex_partner_stalking' AND a.rol IN ('pleger', 'slachtoffer')
                 AND b.rol IN ('pleger', 'slachtoffer') AND a.rol <> b.rol THEN 'ex_partner'
                WHEN b.rol = 'kind' THEN 'kind_in_melding'
                ELSE b.rol END AS kind,
           'care' AS source, [a.record_id, b.record_id] AS evidence
    FROM care a JOIN care b ON a.melding_id = b.melding_id AND a.person_id <> b.person_id
    JOIN care_reports m ON m.melding_id = a.melding_id"""

# From the report's receipt (docs/retention.md): a care signal is used 3 years, and gone after
# 20 (Veilig Thuis's own file term, as the WGBO's: our copy never outlives the partner's file).
def quarantined_since(rows: pd.DataFrame, extra: dict[str, pd.DataFrame]
                      ) -> tuple[pd.Series, pd.Series]:
    """Receipt time and type of the report on the line of each person set aside whole (its
    raw is the person alone; the report is the line's); NaT where the line's report was not
    accepted."""
    reports = extra.get("care_reports")
    if reports is None or "_line" not in reports or reports.empty:
        return (pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns]"),
                pd.Series(None, index=rows.index, dtype="object"))
    by_line = reports.drop_duplicates("_line").set_index("_line")
    lines = rows["line"].to_numpy()
    since = pd.Series(by_line["ontvangen_op"].reindex(lines).array, index=rows.index)
    kinds = pd.Series(by_line["type"].reindex(lines).astype("object").to_numpy(),
                      index=rows.index)
    return since, kinds.where(kinds.notna(), None)


RETENTION = RetentionRule(since="care_reports.ontvangen_op", term=Term(3, 20),
                          kind="care_reports.type", kind_values=frozenset(TYPES),
                          quarantined=quarantined_since)

PARTNER = Source(
    name=SOURCE, file=FILE, format="jsonl", reader=read, raw_types=RAW_TYPES,
    tables={"care_reports": REPORT_TYPES},
    carries_bsn=False, label="Veilig Thuis / wijkteam", retention_class="care",
    retention=RETENTION,
    std_sql=STD_SQL, presence_sql=PRESENCE_SQL, surname_field=False, events_sql=EVENTS_SQL,
    concern_sql=CONCERN_SQL, relations_sql=RELATIONS_SQL, identity_trust=4,
    triage_event="zorgmelding", triage_role=True)
