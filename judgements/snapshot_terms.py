"""Evidence snapshots follow the terms of the records they show (issue 17).

A judgement's evidence snapshot (`judgements.evidence`) holds both records' standardised
values as the reviewer saw them, in `<home>/judgements.sqlite`, which outlives every run. The
record it shows may later pass its terms (`sources.retention`): past its use term its values
may no longer be shown, past its destroy term they must be in no file. The judgement itself
(ids, decision, who, when, why) stays: it is what foto did, and a record past its term is not
published, so the judgement lies dormant.

A record's terms are read, freshest first, from the current publication (`record_terms`: the
terms the configuration gives now, for every record still in the photo), else from the
snapshot itself (the terms the record had when it was judged; `evidence["terms"]`). A snapshot
made before terms were kept, of a record no longer published, cannot be judged: it is not
shown, and left for the privacy officer (counted `unknown`), never destroyed on a guess.

Past the destroy term the snapshot is overwritten the way erasure overwrites it
(`judgements.store.redact_evidence`, marker `PAST_DESTROY_TERM`, the SQLite file scrubbed),
after each publication (`publish.publication.publish`, beside the pruning of kept copies
past their destroy term), "today" being the delivery date the publication is of. A record
without a destroy term by date (the BRP's), or whose terms cannot be told, follows the term of
records gone from the photo (`judgements.snapshot_gone`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from judgements.store import (
    MARKERS,
    PAST_DESTROY_TERM,
    RecordKey,
    open_store,
    redact_evidence,
    snapshots,
)
from stores.database import table_exists
from stores.duck import open_duckdb

# A record's (use_until, destroy_by); None in either: no such term (or no date).
Dates = tuple[date | None, date | None]
HIDDEN = {"past_use_term": True}   # what a reader sees of a record it may no longer show


@dataclass(frozen=True)
class Redacted:
    """What one pass overwrote: judgements, the records past their destroy term they showed,
    and snapshots whose record's terms could not be told (counts only)."""

    judgements: int
    records: int
    unknown: int


def published_terms(warehouse: Path | None) -> dict[str, Dates]:
    """The current publication's `record_terms` by unique id (empty without one, or before
    terms were kept)."""
    return publication_terms(warehouse) or {}


def publication_terms(warehouse: Path | None) -> dict[str, Dates] | None:
    """The publication's `record_terms` by unique id: every record in the photo, with its
    terms; None when that cannot be told (no publication, or one made before terms were
    kept), which is not the same as a photo without records."""
    if warehouse is None or not warehouse.exists():
        return None
    con = open_duckdb(warehouse, read_only=True)
    try:
        if not table_exists(con, "record_terms"):
            return None
        rows = con.execute("SELECT source || ':' || record_id, use_until, destroy_by "
                           "FROM record_terms").fetchall()
    finally:
        con.close()
    return {uid: (use, destroy) for uid, use, destroy in rows}


def terms_of(key: RecordKey, evidence: Mapping[str, Any],
             published: Mapping[str, Dates]) -> Dates | None:
    """`key`'s terms: the current publication's, else those the snapshot kept, else None
    (cannot be told)."""
    if key.unique_id in published:
        return published[key.unique_id]
    kept = evidence.get("terms")
    held = kept.get(key.unique_id) if isinstance(kept, dict) else None
    if not isinstance(held, dict):
        return None
    return _day(held.get("use_until")), _day(held.get("destroy_by"))


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def _ended(day: date | None, today: date) -> bool:
    return day is not None and day <= today


def past_destroy(home: Path, today: date, published: Mapping[str, Dates]
                 ) -> tuple[set[RecordKey], int]:
    """The judged records whose destroy term has ended on `today` and whose values a snapshot
    still holds, and how many snapshots show a record whose terms cannot be told."""
    due: set[RecordKey] = set()
    unknown = 0
    with open_store(home) as engine:
        stored = snapshots(engine)
    for _, left, right, evidence in stored:
        if not isinstance(evidence, dict) or overwritten(evidence):
            continue
        for key in (left, right):
            dates = terms_of(key, evidence, published)
            if dates is None:
                unknown += 1
            elif _ended(dates[1], today):
                due.add(key)
    return due, unknown


def redact_past_destroy(home: Path, today: date, warehouse: Path | None) -> Redacted:
    """Overwrite the snapshots of every judgement about a record past its destroy term on
    `today` (`warehouse`: the current publication's, for the terms the configuration gives
    now)."""
    due, unknown = past_destroy(home, today, published_terms(warehouse))
    ordered = sorted(due, key=lambda k: k.unique_id)
    done = redact_evidence(home, ordered, PAST_DESTROY_TERM) if ordered else 0
    return Redacted(done, len(ordered), unknown)


def readable(left: RecordKey, right: RecordKey, evidence: Mapping[str, Any], today: date,
             published: Mapping[str, Dates]) -> dict[str, Any]:
    """A snapshot as a reader may show it on `today`: the values of a record past its use
    term, or whose terms cannot be told and that is no longer published, replaced by
    `HIDDEN`; so is the pair's explanation then (it compares both records' values)."""
    out = dict(evidence)
    hidden = set()
    for key in (left, right):
        dates = terms_of(key, evidence, published)
        if (dates is None and key.unique_id not in published) or \
                (dates is not None and _ended(dates[0], today)):
            hidden.add(key.unique_id)
    if not hidden:
        return out
    for side in ("left", "right"):
        record = out.get(side)
        if not isinstance(record, dict):
            continue
        uid = record.get("unique_id")
        if uid is None or uid in hidden:   # one without its id cannot be told apart: hidden
            out[side] = dict(HIDDEN)
    if out.get("explanation") is not None:
        out["explanation"] = dict(HIDDEN)
    return out


def readable_snapshots(home: Path, today: date, warehouse: Path | None
                       ) -> dict[int, dict[str, Any]]:
    """Every judgement's snapshot as a reader may show it on `today` (`readable`), by id:
    the one way to read snapshots for showing."""
    published = published_terms(warehouse)
    with open_store(home) as engine:
        stored = snapshots(engine)
    return {jid: (evidence if overwritten(evidence) else
                  readable(left, right, evidence, today, published))
            for jid, left, right, evidence in stored}


def overwritten(evidence: Any) -> bool:
    """Whether a snapshot was already overwritten (erased, past the destroy term, or gone
    from the photo past `retention.evidence_days_after_gone`: `judgements.snapshot_gone`)."""
    return json.dumps(evidence, sort_keys=True) in MARKERS
