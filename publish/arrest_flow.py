"""The on-arrest run, without Dagster around it: from an arrest file to a published sheet.

1. Read the file by the contract; a bad file is quarantined with its reason (file and field,
   never a value) and nothing is published.
2. Standardise it as a police record and match it against the current publication with the
   pinned model (`persons.incremental`): it joins a known person or becomes a new one.
3. Check the sheet about to be published (one person, backed by records, every signal with
   its rule) and, under the publish lock, write the person's sheet into the current
   publication, record the arrest, and rewrite the index with the latest arrests first.

The nightly publication calls `overlay_arrests` under the same lock, so an arrest published
while the nightly job ran is carried into the new publication, never undone; `foto rollback`
calls it on the publication it returns to. An arrest, once published, stays in every later
publication until a nightly delivery carries it (its record, with the same identity, is in that
publication's `person_records`). Each publication lists the arrests it holds in
`<publication>/arrests.json`: "already published" means the current publication holds it.

A record id is never trusted over the content: an arrest whose record id a publication (or an
earlier arrest) holds about another person, and a second file under a published arrest id with
other content, are conflicts, refused with the fields that differ (never the values).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from audit.log import record
from audit.store import as_id
from config import FotoConfig
from config.defaults import TIMEZONE
from expectations.gate import GateResult, Rule, validate
from judgements.store import RecordKey
from judgements.suppressions import suppressed
from matching.models import ModelRef
from persons.ids import mint_person_id
from persons.incremental import (
    IncrementalMatch,
    columns_missing,
    match_one,
    standardise_police_rows,
)
from profiles.arrest_profile import NewRecord
from publish.arrest_sheets import arrest_parts, write_arrest_sheet, write_index
from publish.arrests import (
    REFUSED,
    all_arrests,
    done_entry,
    drop_past_use_term,
    publish_lock,
    quarantine,
    quarantine_name,
    recent_arrests,
    record_done,
    write_private,
)
from sources.arrests import (
    IDENTITY_FIELDS,
    ArrestError,
    arrest_as_police_row,
    arrested_at,
    content_hash,
    field_hashes,
    read_arrest,
)
from sources.registry import registry
from sources.retention import resolve_terms
from standardise.arrest_feed import SOURCE as ARREST_SOURCE
from stores.at_rest import HomeNotEncrypted, refuse_unencrypted
from stores.publications import current_publication
from stores.sql import Fragment, Identifier, fill
from stores.warm import reader


@dataclass
class ArrestOutcome:
    """What an arrest run did; ids, counts and timings only (operators read it)."""

    arrest_id: str
    status: str            # published | already_published | refused | conflict | blocked |
                           # no_publication | stale_publication | suppressed
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

    @property
    def failed(self) -> bool:
        """Refused before a sheet could be checked: the job fails its run on these."""
        return self.status in REFUSED

    def details(self, model_version: str) -> dict[str, Any]:
        """What the run reports (Dagster metadata, the worker's answer to `foto arrest`):
        ids, counts and seconds only."""
        return {"arrest_id": self.arrest_id, "status": self.status,
                "person_id": self.person_id or "", "new_person": self.new_person,
                "undecided_between_persons": self.undecided,
                "candidates": self.candidates, "model_version": model_version,
                "publication": self.publication or "",
                **{f"seconds_{k}": v for k, v in self.seconds.items()}}


class ArrestConflict(ValueError):
    """A record id or arrest id already known with other content: which id, and which fields
    differ (never a value). Refused: the id is not trusted over the content."""

    def __init__(self, what: str, fields: list[str]) -> None:
        super().__init__(f"{what} is known with other content (differs in {fields}): "
                         "conflict, refused")
        self.fields = fields


HELD = "arrests.json"   # per publication: {arrest_id: content hash} of the arrests it holds


def process_arrest(file: Path, home: Path, model: ModelRef,
                   config: FotoConfig) -> ArrestOutcome:
    """Publish one arrest (see the module's docstring) and record what became of it in the
    audit log: the command line and the daemon's sensor both come through here."""
    outcome = _process_arrest(file, home, model, config)
    started = time.perf_counter()
    record(home, "arrest", person_id=outcome.person_id, publication=outcome.publication,
           detail={"arrest_id": as_id(outcome.arrest_id), "status": outcome.status,
                   "new_person": outcome.new_person})
    outcome.seconds["audit"] = round(time.perf_counter() - started, 4)
    return outcome


def _process_arrest(file: Path, home: Path, model: ModelRef,
                    config: FotoConfig) -> ArrestOutcome:
    clock = _Clock()
    try:
        arrest = read_arrest(file, at_the_door=True)
    except ArrestError as err:
        quarantine(home, file, str(err), err.data)
        return ArrestOutcome(quarantine_name(file.name)[:-5], "refused", f"{err}; quarantined")
    outcome = ArrestOutcome(arrest["arrest_id"], "published")
    if _suppressed(home, arrest):
        outcome.status = "suppressed"
        outcome.message = ("its record is on the suppression list (foto erase): withheld, "
                           "nothing published or kept")
        return outcome
    try:
        _check_arrest_id(home, arrest)
    except ArrestConflict as err:
        return _refuse_conflict(home, file, arrest, outcome, err)
    record = standardise_police_rows(arrest_as_police_row(arrest))
    clock.lap("standardise", outcome)
    with publish_lock(home):
        clock.lap("wait_for_lock", outcome)
        try:
            refuse_unencrypted(home, config.encryption)
        except HomeNotEncrypted as refused:
            outcome.status, outcome.message = "blocked", str(refused)
            return outcome
        publication = current_publication(home)
        if publication is None:
            outcome.status = "no_publication"
            outcome.message = "nothing is published yet: the nightly run carries this arrest"
            return outcome
        done = done_entry(home, arrest["arrest_id"])
        if done is not None and _holds(publication, done):
            outcome.status, outcome.message = "already_published", \
                "this arrest was published before"
            outcome.person_id, outcome.new_person = done["person_id"], done["new_person"]
            outcome.publication = publication.name
            return outcome
        missing = columns_missing(publication / "warehouse.duckdb")
        if missing:
            outcome.status = "stale_publication"
            outcome.message = (f"the current publication was built by an earlier version of "
                               f"foto (it lacks {', '.join(missing)}): the nightly run carries "
                               f"this arrest")
            return outcome
        try:
            entry = _place(home, arrest, record, publication / "warehouse.duckdb", model,
                           config, outcome)
        except ArrestConflict as err:
            return _refuse_conflict(home, file, arrest, outcome, err)
        clock.lap("match", outcome)
        parts = _parts_for(publication / "warehouse.duckdb", entry, record) or {}
        clock.lap("sheet", outcome)
        gate = arrest_suite(parts)
        clock.lap("check", outcome)
        if not gate.passed:
            outcome.status, outcome.message = "blocked", gate.summary()
            return outcome
        write_arrest_sheet(publication / "triage", parts, entry)
        record_done(home, entry)
        held = (_held(publication, home, config.arrests.recent_days)
                | {entry["arrest_id"]: entry["content_sha256"]})
        _write_held(publication, held)
        write_index(publication / "triage", _entries(home, held), _published_at(publication))
        outcome.publication = publication.name
        clock.lap("publish", outcome)
    return outcome


def overlay_arrests(home: Path, staged: Path, model: ModelRef, config: FotoConfig,
                    delivery: str, feed: Path | None = None) -> int:
    """Before a publication becomes current (under the publish lock): lay every published
    arrest that its photo does not carry yet, and every recent one, with its sheet, then the
    index; returns the number laid.

    An arrest is carried when the publication's `person_records` holds its record with the
    same identity (a nightly run read it): it goes on that person, and is laid only while
    recent. One not carried (a rerun of an earlier delivery, a rollback, a file the nightly
    run quarantined) is matched again, by its content, and always laid: once published, an
    arrest never vanishes. Recent arrests in the `feed` that no arrest run published yet are
    published here. "Recent" counts back from the end of the `delivery` day, so a rerun
    shows the same. An arrest whose record is past its use term on the delivery day is not
    laid, and its entry is removed (`publish.arrests.drop_past_use_term`)."""
    warehouse = staged / "warehouse.duckdb"
    now = datetime.fromisoformat(delivery).replace(tzinfo=UTC) + timedelta(days=1)
    since = now - timedelta(days=config.arrests.recent_days)
    # an arrest past its use term on the delivery day is laid no more, and its entry goes
    drop_past_use_term(home, resolve_terms(config, list(registry()))[ARREST_SOURCE],
                       delivery)
    if feed is not None and feed.is_dir():
        _publish_feed(home, feed, warehouse, model, config, since, now)
    laid: dict[str, str] = {}
    gone = {k.unique_id for k in suppressed(home)}
    entries = [e for e in all_arrests(home) if e.get("unique_id") not in gone]
    carriers = _carriers(warehouse, entries)
    for entry in entries:
        placed = _lay(home, entry, carriers.get(entry["arrest_id"]), warehouse, model,
                      config, since, now)
        parts = _parts_for(warehouse, placed) if placed is not None else None
        if placed is None or parts is None:
            continue
        write_arrest_sheet(staged / "triage", parts, placed)
        record_done(home, placed)
        laid[placed["arrest_id"]] = placed.get("content_sha256", "")
    _write_held(staged, laid)
    write_index(staged / "triage", _entries(home, laid), _published_at(staged))
    return len(laid)


def relay_arrests(home: Path, publication: Path, model: ModelRef,
                  config: FotoConfig) -> int | None:
    """Lay the published arrests over an earlier `publication` before a rollback makes it
    current (the caller holds the publish lock); the number laid, or None when that
    publication was built by an earlier version of foto and cannot be matched against.
    "Recent" counts from that publication's delivery, as when it was first published."""
    manifest = publication / "triage" / "manifest.json"
    delivery = json.loads(manifest.read_text(encoding="utf-8")).get("delivery") \
        if manifest.exists() else None
    if not delivery or columns_missing(publication / "warehouse.duckdb"):
        return None
    return overlay_arrests(home, publication, model, config, delivery)


def _publish_feed(home: Path, feed: Path, warehouse: Path, model: ModelRef,
                  config: FotoConfig, since: datetime, now: datetime) -> None:
    """Publish the recent arrests of the feed that no arrest run published yet."""
    for file in sorted(feed.glob("*.json")):
        try:
            arrest = read_arrest(file)
        except ArrestError:
            continue  # the nightly run quarantined it, with its reason
        if done_entry(home, arrest["arrest_id"]) is not None or \
                not since <= arrested_at(arrest) < now or _suppressed(home, arrest):
            continue
        record = standardise_police_rows(arrest_as_police_row(arrest))
        try:
            record_done(home, _place(home, arrest, record, warehouse, model, config,
                                     ArrestOutcome(arrest["arrest_id"], "published")))
        except ArrestConflict:
            continue  # the nightly run quarantined it as a conflict


def _lay(home: Path, entry: dict[str, Any], carrier: str | None, warehouse: Path,
         model: ModelRef, config: FotoConfig, since: datetime, now: datetime
         ) -> dict[str, Any] | None:
    """The entry as `warehouse`'s publication shows it, or None when it need not be laid
    (carried by the photo, the `carrier` person, and no longer recent)."""
    recent = since <= datetime.fromisoformat(entry["arrested_at"]) < now
    if carrier is not None:
        return entry | {"person_id": carrier} if recent else None
    arrest = entry.get("arrest")
    if not isinstance(arrest, dict):   # an entry of an earlier version: as it used to be
        return entry if recent else None
    record = standardise_police_rows(arrest_as_police_row(arrest))
    outcome = ArrestOutcome(entry["arrest_id"], "published")
    return entry | _place(home, arrest, record, warehouse, model, config, outcome,
                          by_content=True) | {"published_at": entry.get("published_at")}


def _suppressed(home: Path, arrest: dict[str, Any]) -> bool:
    """Whether the arrest's record is on the suppression list: withheld at this door too, so
    that an arrest file cannot bring an erased record back."""
    return RecordKey(ARREST_SOURCE, str(arrest["record_id"])) in suppressed(home)


def _check_arrest_id(home: Path, arrest: dict[str, Any]) -> None:
    """A second file under a published arrest id must hold the same arrest."""
    done = done_entry(home, arrest["arrest_id"])
    if done is None or done.get("content_sha256", content_hash(arrest)) == content_hash(arrest):
        return
    before, now = done.get("field_sha256") or {}, field_hashes(arrest)
    fields = sorted(k for k in now if before.get(k) != now[k])
    raise ArrestConflict(f"arrest id {arrest['arrest_id']} (published before)", fields)


def _refuse_conflict(home: Path, file: Path, arrest: dict[str, Any], outcome: ArrestOutcome,
                     err: ArrestConflict) -> ArrestOutcome:
    """Refuse a conflicting arrest: quarantine it with its reason, nothing published."""
    reason = f"{file.name}: {err}"
    quarantine(home, file, reason,
               json.dumps(arrest, indent=2, ensure_ascii=False).encode("utf-8"))
    outcome.status, outcome.message = "conflict", f"{reason}; quarantined"
    return outcome


def arrest_suite(parts: dict[str, Any]) -> GateResult:
    """The profile checks, for the one sheet an arrest publishes."""
    metrics = {
        "person_rows": 1 if parts.get("p") else 0,
        "records_behind_person": (parts.get("p") or {}).get("aantal_registraties") or 0,
        "signals_without_rule": sum(1 for s in parts.get("signals", []) if not s.get("regel")),
    }
    return validate("arrest_sheet", metrics, [
        Rule("person_rows", low=1, high=1, why="the sheet shows one person"),
        Rule("records_behind_person", low=1, why="every profile is backed by a record"),
        Rule("signals_without_rule", high=0, why="every signal names the rule behind it"),
    ])


def _place(home: Path, arrest: dict[str, Any], record: Any, warehouse: Path,
           model: ModelRef, config: FotoConfig, outcome: ArrestOutcome,
           by_content: bool = False) -> dict[str, Any]:
    """Match the arrest's record against `warehouse`; the arrest's published entry.

    A record the published photo already holds keeps its person only when it holds it with
    the same identity (the nightly run read this arrest, or the police extract holds that very
    registration); with another identity it is a conflict (`ArrestConflict`), never a match,
    unless `by_content` (an arrest published before the conflict arose: matched by its content,
    the record id ignored). An earlier arrest under this record id about another person is a
    conflict too."""
    unique_id = record.column("unique_id")[0].as_py()
    identity = _identity_hashes(record.to_pylist()[0])
    holder = _person_of(warehouse, unique_id)
    if holder is not None and _published_identity(warehouse, unique_id) != identity:
        if not by_content:
            fields = _differing(_published_identity(warehouse, unique_id), identity)
            raise ArrestConflict(f"record id {arrest['record_id']} (published)", fields)
        holder = None
    if not by_content:
        _check_record_id(home, arrest, identity)
    arrested = pd.Timestamp(arrested_at(arrest)).tz_convert(TIMEZONE)
    # the arrest's day: a published record past its use term by then links nothing
    match = IncrementalMatch(unique_id, holder, 1.0, unique_id, 0, 0, 0) if holder \
        else match_one(warehouse, record, model.path, config.matching.thresholds,
                       config.constraints, as_of=arrested.date().isoformat())
    outcome.person_id = match.person_id or mint_person_id(warehouse, match.unique_id,
                                                           arrest["arrest_id"])
    outcome.new_person = match.person_id is None
    outcome.undecided = match.undecided
    outcome.match_probability = match.match_probability
    outcome.candidates = match.candidates
    row = record.to_pylist()[0]
    return {
        "arrest_id": arrest["arrest_id"],
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
        "content_sha256": content_hash(arrest), "field_sha256": field_hashes(arrest),
        "identity_sha256": identity,
        # the arrest itself, so that a later publication can lay it again when the file has
        # left the inbox (this entry is owner-only, like the warehouse)
        "arrest": arrest,
    }


def _check_record_id(home: Path, arrest: dict[str, Any], identity: dict[str, str]) -> None:
    """An earlier arrest under this record id must be about the same person."""
    for other in all_arrests(home):
        if other.get("record_id") != arrest["record_id"] or \
                other.get("arrest_id") == arrest["arrest_id"]:
            continue
        theirs = other.get("identity_sha256")
        if isinstance(theirs, dict) and theirs != identity:
            raise ArrestConflict(f"record id {arrest['record_id']} (arrest "
                                 f"{other['arrest_id']})", _differing(theirs, identity))


def _identity_hashes(row: dict[str, Any]) -> dict[str, str]:
    """Per identity field of the contract, a hash of its standardised values (see
    `sources.arrests.IDENTITY_FIELDS` for what "the same person record" means)."""
    return {name: hashlib.sha256(json.dumps([row.get(c) for c in cols], default=str)
                                 .encode("utf-8")).hexdigest()[:16]
            for name, cols in IDENTITY_FIELDS.items()}


def _differing(a: dict[str, str], b: dict[str, str]) -> list[str]:
    return sorted(k for k in IDENTITY_FIELDS if a.get(k) != b.get(k))


def _published_identity(warehouse: Path, unique_id: str) -> dict[str, str]:
    """The identity hashes of the record `warehouse` holds under `unique_id`."""
    columns = sorted({c for cols in IDENTITY_FIELDS.values() for c in cols})
    with reader(warehouse) as con:
        cursor = con.execute(fill("SELECT {columns} FROM std_persons WHERE unique_id = ?",
                                  columns=Fragment(", ".join(Identifier(c).sql()
                                                             for c in columns))), [unique_id])
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
    return _identity_hashes(dict(zip(names, row, strict=True))) if row else {}


def _carrier(warehouse: Path, entry: dict[str, Any]) -> str | None:
    """The person whose record, with the arrest's identity, `warehouse` holds: the photo
    carries the arrest. None when not held, or held about another person."""
    person = _person_of(warehouse, entry.get("unique_id", ""))
    if person is None:
        return None
    mine = entry.get("identity_sha256")
    if isinstance(mine, dict) and _published_identity(warehouse, entry["unique_id"]) != mine:
        return None
    return person


def _carriers(warehouse: Path, entries: list[dict[str, Any]]) -> dict[str, str]:
    """`_carrier` for many entries in one query: {arrest_id: person}."""
    if not entries:
        return {}
    columns = sorted({c for cols in IDENTITY_FIELDS.values() for c in cols})
    with reader(warehouse) as con:
        con.register("_ids", pd.DataFrame({"unique_id": sorted(
            {str(e.get("unique_id", "")) for e in entries})}))
        cursor = con.execute(fill("""
            SELECT pr.unique_id, pr.person_id, {columns}
            FROM person_records pr JOIN std_persons s USING (unique_id)
            WHERE pr.unique_id IN (SELECT unique_id FROM _ids)""", columns=Fragment(
            ", ".join(Identifier(f"s.{c}").sql() for c in columns))))
        names = [d[0] for d in cursor.description]
        held = {r[0]: (r[1], _identity_hashes(dict(zip(names[2:], r[2:], strict=True))))
                for r in cursor.fetchall()}
        con.unregister("_ids")
    out = {}
    for entry in entries:
        person, identity = held.get(entry.get("unique_id"), (None, None))
        mine = entry.get("identity_sha256")
        if person is not None and (not isinstance(mine, dict) or mine == identity):
            out[entry["arrest_id"]] = person
    return out


def _held(publication: Path, home: Path | None = None, days: int = 0) -> dict[str, str]:
    """The arrests `publication` holds: {arrest_id: content hash}. A publication of an
    earlier version of foto has no list: with `home`, its arrests of the last `days` stand
    in."""
    try:
        held = json.loads((publication / HELD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        held = None if home is not None else {}
    if held is None:
        return {e["arrest_id"]: e.get("content_sha256", "") for e in recent_arrests(home, days)}
    return held if isinstance(held, dict) else {}


def _write_held(publication: Path, held: dict[str, str]) -> None:
    write_private(publication / HELD, (json.dumps(held, indent=2, sort_keys=True) + "\n")
                  .encode("utf-8"))


def _holds(publication: Path, entry: dict[str, Any]) -> bool:
    """Whether `publication` shows this arrest: it laid it (same content), or its photo
    carries the arrest's record (a nightly run read it)."""
    held = _held(publication)
    if held.get(entry["arrest_id"]) == entry.get("content_sha256"):
        return True
    return _carrier(publication / "warehouse.duckdb", entry) is not None


def _entries(home: Path, held: dict[str, str]) -> list[dict[str, Any]]:
    """The published entries of the arrests a publication holds, newest first (the index)."""
    return [e for e in all_arrests(home) if e["arrest_id"] in held]


def _parts_for(warehouse: Path, entry: dict[str, Any], std: Any = None
               ) -> dict[str, Any] | None:
    """The sheet's content: the person as the next nightly run will know them, built by the
    nightly builders over their records in `warehouse` plus the arrest's record (unless
    `warehouse` holds it already: a nightly run read it). None for an entry of an earlier
    version (no arrest kept) about a person `warehouse` does not know. `std`: the arrest's
    record as `standardise_police_rows` made it already (made here when not given)."""
    arrest = entry.get("arrest")
    new = None
    if isinstance(arrest, dict) and \
            _person_of(warehouse, entry["unique_id"]) != entry["person_id"]:
        row = arrest_as_police_row(arrest)
        new = NewRecord(police_row=row, std=std if std is not None
                        else standardise_police_rows(row),
                        strongest_link_to=None if entry["new_person"]
                        else entry.get("matched_unique_id"),
                        link_probability=None if entry["new_person"]
                        else entry.get("match_probability"),
                        model_version=str(entry.get("model_version") or ""))
    return arrest_parts(warehouse, entry["person_id"], entry["arrested_on"], new)


def _person_of(warehouse: Path, unique_id: str) -> str | None:
    with reader(warehouse) as con:
        row = con.execute("SELECT person_id FROM person_records WHERE unique_id = ?",
                          [unique_id]).fetchone()
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


def index_arrests(home: Path, publication: Path) -> list[dict[str, Any]]:
    """The arrests the index of `publication` shows, newest first: those it holds (as
    `write_index` was given them), for `foto serve`, which renders the index itself."""
    return _entries(home, _held(publication))
