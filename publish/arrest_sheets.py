"""Publishing an arrested person: their sheet, marked "aangehouden op …", and the index with
the latest arrests on top.

The sheet shows the same declared triage columns as every other sheet (`publish.audiences`),
selected for this one person from a published warehouse; a person nobody knew yet gets a sheet
built from the arrest alone. Files are replaced atomically (write, then rename), so a reader
sees the old sheet or the new one, and a sheet hard-linked into an older publication is never
changed in place.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from publish.audiences import TRIAGE_TABLES, triage_select
from publish.display import label
from publish.sheets import DIGESTS, INDEX_ROWS, environment
from stores.database import rows_of

ARRESTED = "politie: aangehouden"  # the reason in beeld an arrest gives (`person.concern_reasons`)
_PARTS = {"triage_person": "p", "triage_signaal": "signals", "triage_tijdlijn": "timeline",
          "triage_netwerk": "network", "triage_zekerheid": "certainty"}


def person_parts(warehouse: Path, person_id: str) -> dict[str, Any] | None:
    """What one person's sheet shows, from a published warehouse; None if unknown there."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        if not con.execute("SELECT count(*) FROM person WHERE person_id = ?",
                           [person_id]).fetchone()[0]:
            return None  # a new person: the sheet's queries would search every table in vain
        parts: dict[str, Any] = {}
        for table, key in _PARTS.items():
            parts[key] = rows_of(con, triage_select(table, "p.person_id = $pid"),
                                 {"pid": person_id})
    finally:
        con.close()
    if not parts["p"]:
        return None
    parts["p"] = parts["p"][0]
    parts["certainty"] = parts["certainty"][0] if parts["certainty"] else None
    return parts


def new_person_parts(arrest: dict[str, Any]) -> dict[str, Any]:
    """A sheet for a person no partner knew: the arrest is all there is."""
    p = {name: None for name in TRIAGE_TABLES["triage_person"]}
    p |= {"person_id": arrest["person_id"], "naam": arrest["naam"],
          "geboortedatum": arrest.get("geboortedatum"), "woonplaats": arrest.get("woonplaats"),
          "bronnen": ["police"],
          "aantal_registraties": 1, "politie": 1, "justitie": 0, "zorg": 0, "gemeente": 0,
          "reden_in_beeld": [ARRESTED], "prioriteit": "onbekend",
          "prioriteit_reden": "nog niet beoordeeld: alleen de aanhouding is bekend",
          "bekend_sinds": arrest["arrested_on"], "laatst_gezien": arrest["arrested_on"]}
    return {"p": p, "signals": [], "timeline": [], "network": [], "certainty": None}


def arrest_event(arrest: dict[str, Any]) -> dict[str, Any]:
    """The arrest as a line of the sheet's timeline."""
    return {"person_id": arrest["person_id"], "datum": arrest["arrested_on"],
            "partner": label("partner", "police"), "gebeurtenis": "aanhouding", "rol": "verdachte",
            "omschrijving": arrest.get("feit"), "status": "aangehouden"}


def _day(value: Any) -> str:
    """A date, a datetime or an ISO text as 'YYYY-MM-DD', so that a timeline's DATE and an
    arrest's text compare as days."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value or "")[:10]


def is_this_arrest(row: dict[str, Any], arrest: dict[str, Any]) -> bool:
    """Whether a timeline row is the police's registration of this arrest: a police row of the
    arrest's day that says the person was arrested, or that names the arrest's offence. The
    nightly run reads an arrest as such a registration; the sheet must not show it twice."""
    if row.get("partner") != label("partner", "police"):
        return False
    if _day(row.get("datum")) != _day(arrest["arrested_on"]):
        return False
    return row.get("status") == "aangehouden" or (
        bool(arrest.get("feit")) and row.get("omschrijving") == arrest.get("feit"))


def with_arrest(timeline: list[dict[str, Any]], arrest: dict[str, Any]) -> list[dict[str, Any]]:
    """The timeline with the arrest on it once: the police registration of it marked as the
    arrest, or, when no nightly run has read it yet, the arrest as a row of its own on top."""
    if any(is_this_arrest(t, arrest) for t in timeline):
        return [t | {"gebeurtenis": "aanhouding", "status": "aangehouden"}
                if is_this_arrest(t, arrest) else t for t in timeline]
    return [arrest_event(arrest), *timeline]


def write_arrest_sheet(triage_dir: Path, parts: dict[str, Any], arrest: dict[str, Any]) -> Path:
    """Write the person's sheet with the arrest on top; forget its digest so that the next
    nightly publication renders the sheet afresh instead of reusing this file."""
    parts = dict(parts)
    p = dict(parts["p"])
    reasons = [r for r in p.get("reden_in_beeld") or [] if r not in ("aangehouden", ARRESTED)]
    p["reden_in_beeld"] = [ARRESTED, *reasons]
    p["prioriteit"] = p.get("prioriteit") or "onbekend"
    p["prioriteit_reden"] = p.get("prioriteit_reden") or "nog niet beoordeeld"
    parts["p"] = p
    parts["timeline"] = with_arrest(parts["timeline"], arrest)
    html = environment().get_template("sheet.html").render(**parts, arrest=arrest)
    sheets = triage_dir / "sheets"
    sheets.mkdir(parents=True, exist_ok=True)
    target = sheets / f"{arrest['person_id']}.html"
    _replace(target, html)
    digests_file = sheets / DIGESTS
    if digests_file.exists():
        digests = json.loads(digests_file.read_text(encoding="utf-8"))
        if digests.pop(arrest["person_id"], None) is not None:
            _replace(digests_file, json.dumps(digests, sort_keys=True))
    return target


def write_index(triage_dir: Path, arrests: list[dict[str, Any]], published_at: str) -> Path:
    """The index: recent arrests first, newest on top, then every person of concern by
    priority (rows the publication rendered once), and how fresh each partner's data is."""
    rows = (triage_dir / INDEX_ROWS).read_text(encoding="utf-8")
    manifest = json.loads((triage_dir / "manifest.json").read_text(encoding="utf-8"))
    html = environment().get_template("index.html").render(
        persons_html=rows, persons_count=manifest["sheets"], arrests=arrests,
        published_at=published_at, delivery=manifest.get("delivery"),
        freshness=manifest.get("freshness") or {})
    target = triage_dir / "index.html"
    _replace(target, html)
    return target


def _replace(target: Path, text: str) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
