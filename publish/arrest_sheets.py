"""Publishing an arrested person: their sheet, marked "aangehouden op …", and the index with
the latest arrests on top.

The sheet is every other sheet's: the same profile builders, the same declared triage tables
(`publish.audiences`) and the same renderer (`publish.sheets`), run for this one person over
their published records plus the arrest's; a person nobody knew yet has the arrest's record
alone. The arrest's marker (the "Aangehouden op" line, and its registration on the timeline
named as the arrest) is the only difference from the sheet the next nightly run publishes.
Files are replaced atomically (write, then rename), so a reader sees the old sheet or the new
one, and a sheet hard-linked into an older publication is never changed in place.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

from profiles.arrest_profile import NewRecord, load_person
from profiles.build import build_profile
from publish.audiences import TRIAGE_TABLES, triage_select
from publish.display import label
from publish.sheets import (
    DIGESTS,
    INDEX_ROWS,
    STALE_DIGESTS,
    environment,
    render_sheet,
    sheet_parts,
)
from stores.sql import Fragment, Identifier, fill
from stores.warm import session

ARRESTED = "politie: aangehouden"  # the reason in beeld an arrest gives (`person.concern_reasons`)


def arrest_parts(warehouse: Path, person_id: str, reference_date: str,
                 new: NewRecord | None = None) -> dict[str, Any] | None:
    """What the arrested person's sheet shows: the nightly builders (`profiles.build`) and the
    nightly triage tables (`publish.audiences`) run over the person's published records plus
    the arrest's `new` record, read as the nightly sheets read them (`publish.sheets`). None
    when neither the publication nor the arrest knows the person."""
    with session(warehouse) as con:
        load_person(con, warehouse, person_id, new, as_of=reference_date)
        build_profile(con, reference_date, [person_id])
        for table in TRIAGE_TABLES:
            con.execute(fill("CREATE TABLE {table} AS {select}", table=Identifier(table),
                             select=Fragment(triage_select(table, "p.person_id = $pid"))),
                        {"pid": person_id})
        found = sheet_parts(con, person_id)
    return found[0] if found else None


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
    """The timeline with the police registration of this arrest marked as the arrest (the
    sheet's profile holds the arrest's record, so the registration is always there)."""
    return [t | {"gebeurtenis": "aanhouding", "status": "aangehouden"}
            if is_this_arrest(t, arrest) else t for t in timeline]


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
    html = render_sheet(environment(), parts, arrest)
    sheets = triage_dir / "sheets"
    sheets.mkdir(parents=True, exist_ok=True)
    target = sheets / f"{arrest['person_id']}.html"
    _replace(target, html)
    if (sheets / DIGESTS).exists():
        with open(sheets / STALE_DIGESTS, "a", encoding="utf-8") as stale:
            stale.write(f"{arrest['person_id']}\n")
    return target


def write_index(triage_dir: Path, arrests: list[dict[str, Any]], published_at: str) -> Path:
    """The index: recent arrests first, newest on top, then every person of concern by
    priority (rows the publication rendered once), and how fresh each partner's data is.

    The rows (tens of megabytes at a million persons) are copied from their file into the
    page between the rendered head and tail, never read into a string: the page is the one
    the template makes with the rows in place, byte for byte."""
    manifest = json.loads((triage_dir / "manifest.json").read_text(encoding="utf-8"))
    html = environment().get_template("index.html").render(
        persons_html=_ROWS_HERE, persons_count=manifest["sheets"], arrests=arrests,
        published_at=published_at, delivery=manifest.get("delivery"),
        freshness=manifest.get("freshness") or {})
    head, tail = html.split(_ROWS_HERE)
    target = triage_dir / "index.html"
    tmp = target.with_name(f".{target.name}.tmp")
    with open(tmp, "wb") as out, open(triage_dir / INDEX_ROWS, "rb") as rows:
        out.write(head.encode("utf-8"))
        shutil.copyfileobj(rows, out, 1 << 20)
        out.write(tail.encode("utf-8"))
    os.replace(tmp, target)
    return target


# Where the rows go in the rendered index: a marker no row, name or date can hold.
_ROWS_HERE = "\x00foto-index-rows\x00"


def _replace(target: Path, text: str) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
