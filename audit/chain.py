"""The hash chain: how an entry is serialised and hashed, and how a run of entries is checked.

Each entry's hash is sha256 over one canonical serialisation of all its fields, the previous
entry's hash included, so that changing, inserting or removing an entry breaks every hash after
it. The serialisation is a JSON array in a fixed field order, the moment in UTC with
microseconds, the detail as the canonical JSON text it is stored as: the same on SQLite, on
PostgreSQL and in an export, so anyone with the entries can recompute the chain.

What a chain alone cannot show is the newest entries cut off: `verify` reports the head (last
id and hash) for the privacy officer to note, and every export carries it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

GENESIS = "0" * 64   # the prev_hash of the first entry ever written


@dataclass(frozen=True)
class Entry:
    """One audit entry as stored (`detail` is canonical JSON text)."""

    id: int
    at: datetime
    who: str
    role: str
    action: str
    person_id: str | None
    purpose: str | None
    publication: str | None
    detail: str
    prev_hash: str
    hash: str


FIELDS = tuple(Entry.__dataclass_fields__)


def moment(at: datetime) -> str:
    """The moment as the chain hashes it: UTC, ISO 8601, microseconds."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(id_: int, at: datetime, who: str, role: str, action: str,
               person_id: str | None, purpose: str | None, publication: str | None,
               detail: str, prev_hash: str) -> str:
    """sha256 (hex) of the entry's canonical serialisation, its predecessor's hash included."""
    canonical = json.dumps([id_, moment(at), who, role, action, person_id, purpose,
                            publication, detail, prev_hash],
                           ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def recomputed(entry: Entry) -> str:
    return entry_hash(entry.id, entry.at, entry.who, entry.role, entry.action,
                      entry.person_id, entry.purpose, entry.publication, entry.detail,
                      entry.prev_hash)


@dataclass(frozen=True)
class ChainCheck:
    """What `verify` found: whole or not, the first broken entry and why, the head."""

    entries: int
    first_id: int | None
    head_id: int | None
    head_hash: str | None
    broken_id: int | None = None
    why: str = ""

    @property
    def whole(self) -> bool:
        return self.broken_id is None


def verify(entries: Iterable[Entry], first_prev: str | None) -> ChainCheck:
    """Check `entries` (in id order) as one unbroken chain. `first_prev`: the hash the first
    entry must follow (GENESIS for the log's very first entry, a prune's anchor after a prune);
    None takes the first entry's own prev_hash as given (an exported period)."""
    count, first_id, last = 0, None, None
    expected_prev = first_prev
    for entry in entries:
        if first_id is None:
            first_id = entry.id
        elif entry.id != last.id + 1:
            return _broken(count, first_id, last, entry.id,
                           f"entries {last.id + 1}-{entry.id - 1} are missing")
        if expected_prev is not None and entry.prev_hash != expected_prev:
            why = ("its previous hash is not the hash of the entry before it"
                   if last is not None else
                   "it does not follow the log's start or the last prune's anchor")
            return _broken(count, first_id, last, entry.id, why)
        if recomputed(entry) != entry.hash:
            return _broken(count, first_id, last, entry.id,
                           "its content does not match its hash (changed after it was written)")
        count += 1
        last = entry
        expected_prev = entry.hash
    return ChainCheck(count, first_id, last.id if last else None, last.hash if last else None)


def _broken(count: int, first_id: int | None, last: Entry | None, broken_id: int,
            why: str) -> ChainCheck:
    return ChainCheck(count, first_id, last.id if last else None, last.hash if last else None,
                      broken_id=broken_id, why=why)
