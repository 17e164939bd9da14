"""The on-arrest run, without Dagster around it: from an arrest file to a published sheet.

1. Read the file by the contract; a bad file is quarantined with its reason (file and field,
   never a value) and nothing is published.
2. Standardise it as a police record and match it against the current publication with the
   pinned model (`matching.incremental`): it joins a known person or becomes a new one.
3. Check the sheet about to be published (one person, backed by records, every signal with
   its rule) and, under the publish lock, write the person's sheet into the current
   publication, record the arrest, and rewrite the index with the latest arrests first.

The nightly publication calls `overlay_arrests` under the same lock, so an arrest published
while the nightly job ran is carried into the new publication, never undone.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from assets.sources.police import TIMEZONE, ArrestError, arrest_as_police_row, read_arrest
from expectations.gate import GateResult, Rule, validate
from matching.incremental import (
    IncrementalMatch,
    columns_missing,
    match_one,
    standardise_police_rows,
)
from matching.models import ModelRef
from matching.thresholds import Thresholds
from warehouse.arrest_profile import flags_with_arrest
from warehouse.arrest_sheets import new_person_parts, person_parts, write_arrest_sheet, write_index
from warehouse.arrests import (
    RECENT_DAYS,
    done_path,
    is_published,
    publish_lock,
    quarantine,
    recent_arrests,
    record_done,
)
from warehouse.publish import current_publication


@dataclass
class ArrestOutcome:
    """What an arrest run did; ids, counts and timings only (operators read it)."""

    arrest_id: str
    status: str            # published | already_published | refused | blocked |
                           # no_publication | stale_publication
    message: str = ""
    person_id: str | None = None
    new_person: bool = False
    undecided: int = 0     # known persons it fits about equally, who may not be one person
    match_probability: float | None = None
    candidates: int = 0
    publication: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 0 if self.status in ("published", "already_published") else 1


def new_person_id(unique_id: str) -> str:
    """The id a person first seen in this record gets; the nightly clustering mints the same
    one for a person whose lowest record id this is (matching/ids.py)."""
    return "F" + hashlib.sha256(unique_id.encode()).hexdigest()[:12].upper()


def process_arrest(file: Path, home: Path, model: ModelRef,
                   thresholds: Thresholds) -> ArrestOutcome:
    """Publish one arrest (see the module's docstring)."""
    clock = _Clock()
    try:
        arrest = read_arrest(file)
    except (ValueError, OSError) as err:
        quarantine(home, file, str(err))
        return ArrestOutcome(file.stem, "refused", f"{err}; quarantined")
    outcome = ArrestOutcome(arrest["arrest_id"], "published")
    if is_published(home, arrest["arrest_id"]):
        done = json.loads(done_path(home, arrest["arrest_id"]).read_text(encoding="utf-8"))
        outcome.status, outcome.message = "already_published", "this arrest was published before"
        outcome.person_id, outcome.new_person = done["person_id"], done["new_person"]
        return outcome
    record = standardise_police_rows(arrest_as_police_row(arrest))
    clock.lap("standardise", outcome)
    with publish_lock(home):
        clock.lap("wait_for_lock", outcome)
        publication = current_publication(home)
        if publication is None:
            outcome.status = "no_publication"
            outcome.message = "nothing is published yet: the nightly run carries this arrest"
            return outcome
        missing = columns_missing(publication / "warehouse.duckdb")
        if missing:
            outcome.status = "stale_publication"
            outcome.message = (f"the current publication was built by an earlier version of "
                               f"foto (it lacks {', '.join(missing)}): the nightly run carries "
                               f"this arrest")
            return outcome
        entry = _place(arrest, file, record, publication / "warehouse.duckdb", model,
                       thresholds, outcome)
        clock.lap("match", outcome)
        parts = _parts_for(publication / "warehouse.duckdb", entry)
        gate = arrest_suite(parts)
        clock.lap("check", outcome)
        if not gate.passed:
            outcome.status, outcome.message = "blocked", gate.summary()
            return outcome
        write_arrest_sheet(publication / "triage", parts, entry)
        record_done(home, entry)
        now = datetime.fromisoformat(entry["arrested_at"])
        write_index(publication / "triage", recent_arrests(home, now),
                    _published_at(publication))
        outcome.publication = publication.name
        clock.lap("publish", outcome)
    return outcome


def overlay_arrests(home: Path, staged: Path, model: ModelRef, thresholds: Thresholds,
                    delivery: str, feed: Path | None = None) -> int:
    """Before a nightly publication becomes current (under the publish lock): give every
    recent arrest its sheet in it, on the person that publication holds the arrest record in,
    or, for an arrest the nightly run did not read, by matching it again; then the index.
    Recent arrests in the `feed` that no arrest run published yet are published here.
    "Recent" counts back from the end of the `delivery` day, so a rerun shows the same."""
    warehouse = staged / "warehouse.duckdb"
    now = datetime.fromisoformat(delivery).replace(tzinfo=UTC) + timedelta(days=1)
    if feed is not None and feed.is_dir():
        since = now - timedelta(days=RECENT_DAYS)
        for file in sorted(feed.glob("*.json")):
            if is_published(home, file.stem):
                continue
            try:
                arrest = read_arrest(file)
            except ArrestError:
                continue  # the nightly run quarantined it, with its reason
            arrested = pd.Timestamp(arrest["aangehouden_op"])
            if not since <= arrested < now or is_published(
                    home, arrest["arrest_id"]):
                continue
            record = standardise_police_rows(arrest_as_police_row(arrest))
            record_done(home, _place(arrest, file, record, warehouse, model, thresholds,
                                     ArrestOutcome(arrest["arrest_id"], "published")))
    arrests = [a for a in recent_arrests(home, now)
               if datetime.fromisoformat(a["arrested_at"]) < now]
    for entry in arrests:
        person = _person_of(warehouse, entry["unique_id"])
        if person is None:
            file = Path(entry["file"])
            try:
                arrest = read_arrest(file)
            except (ValueError, OSError):
                continue  # the file was taken away: its sheet stays in older publications
            record = standardise_police_rows(arrest_as_police_row(arrest))
            entry |= _place(arrest, file, record, warehouse, model, thresholds,
                            ArrestOutcome(entry["arrest_id"], "published"))
        else:
            entry["person_id"] = person
        write_arrest_sheet(staged / "triage", _parts_for(warehouse, entry), entry)
        record_done(home, entry)
    write_index(staged / "triage", arrests, _published_at(staged))
    return len(arrests)


def arrest_suite(parts: dict[str, Any]) -> GateResult:
    """The profile checks, for the one sheet an arrest publishes."""
    metrics = {
        "person_rows": 1 if parts.get("p") else 0,
        "records_behind_person": (parts.get("p") or {}).get("aantal_registraties") or 0,
        "signals_without_rule": sum(1 for s in parts["signals"] if not s.get("regel")),
    }
    return validate("arrest_sheet", metrics, [
        Rule("person_rows", low=1, high=1, why="the sheet shows one person"),
        Rule("records_behind_person", low=1, why="every profile is backed by a record"),
        Rule("signals_without_rule", high=0, why="every signal names the rule behind it"),
    ])


def _place(arrest: dict[str, Any], file: Path, record: Any, warehouse: Path, model: ModelRef,
           thresholds: Thresholds, outcome: ArrestOutcome) -> dict[str, Any]:
    """Match the arrest's record against `warehouse`; the arrest's published entry. A record
    the published photo already holds (a nightly run read the arrest) keeps its person."""
    unique_id = record.column("unique_id")[0].as_py()
    holder = _person_of(warehouse, unique_id)
    match = IncrementalMatch(unique_id, holder, 1.0, unique_id, 0, 0, 0) if holder \
        else match_one(warehouse, record, model.path, thresholds)
    outcome.person_id = match.person_id or new_person_id(match.unique_id)
    outcome.new_person = match.person_id is None
    outcome.undecided = match.undecided
    outcome.match_probability = match.match_probability
    outcome.candidates = match.candidates
    arrested = pd.Timestamp(arrest["aangehouden_op"]).tz_convert(TIMEZONE)
    row = record.to_pylist()[0]
    return {
        "arrest_id": arrest["arrest_id"], "file": str(file.resolve()),
        "record_id": arrest["record_id"], "unique_id": match.unique_id,
        "person_id": outcome.person_id, "new_person": outcome.new_person,
        "undecided": match.undecided,
        "match_probability": match.match_probability,
        "matched_unique_id": match.matched_unique_id, "model_version": model.version,
        "arrested_at": arrested.tz_convert(UTC).isoformat(),
        "arrested_on": arrested.date().isoformat(),
        "arrested_local": arrested.strftime("%d-%m-%Y %H:%M"),
        "feit": arrest["feit"], "huiselijk_geweld": arrest["huiselijk_geweld"],
        "naam": row["display_name"], "woonplaats": row["city"],
        "geboortedatum": row["dob"].isoformat() if row["dob"] else None,
        "published_at": datetime.now(UTC).isoformat(),
    }


def _parts_for(warehouse: Path, entry: dict[str, Any]) -> dict[str, Any]:
    """The sheet's content: the person as `warehouse` knows them, or the arrest alone, with
    flags and priority evaluated again with the arrest on the timeline."""
    known = person_parts(warehouse, entry["person_id"])
    parts = known if known is not None else new_person_parts(entry)
    signals, priority, reason = flags_with_arrest(warehouse, entry["person_id"], entry)
    parts["signals"] = signals
    parts["p"] = parts["p"] | {"prioriteit": priority, "prioriteit_reden": reason}
    return parts


def _person_of(warehouse: Path, unique_id: str) -> str | None:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = con.execute("SELECT person_id FROM person_records WHERE unique_id = ?",
                          [unique_id]).fetchone()
    finally:
        con.close()
    return row[0] if row else None


def _published_at(publication: Path) -> str:
    manifest = publication / "triage" / "manifest.json"
    if manifest.exists():
        return json.loads(manifest.read_text(encoding="utf-8")).get("published_at", "")
    return ""


class _Clock:
    """Seconds per step, for the run's metadata and the latency benchmark."""

    def __init__(self) -> None:
        self._last = time.perf_counter()

    def lap(self, name: str, outcome: ArrestOutcome) -> None:
        now = time.perf_counter()
        outcome.seconds[name] = round(now - self._last, 4)
        self._last = now
