"""The suppression list: records that may no longer be used (`foto erase`), append-only.

A court, the privacy officer or the partner itself may order a record erased. The photo cannot
wait for the partner's next delivery to lose it, nor trust that delivery to have dropped it: the
record is put on this list, and every later run withholds it at the door (the nightly ingest and
the arrest path), until a delivery no longer carries it. Then the nightly run closes the entry
(a lift): the partner has erased it at the source, and nothing here keeps it out any longer.

Kept like the judgement store (`judgements.store`): its own database, `<home>/suppressions.sqlite`
(SQLite in WAL mode, owner-only, through SQLAlchemy Core so a shared PostgreSQL can take over by
URL, `FOTO_SUPPRESSIONS_URL`), opened through `stores.sqlstore`. Append-only in the database
itself: a suppression is closed by a row in `suppression_lift`, never by changing it, so every
request and its end stay traceable. It holds record ids, who asked, when, and the reason as the
officer typed it (free text, like a judgement's reason): never a record's values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    inspect,
    select,
)

from judgements.store import RecordKey
from stores import sqlstore
from stores.sqlstore import UtcDateTime, refuse_changes

ENV_VAR = "FOTO_SUPPRESSIONS_URL"
FILE_NAME = "suppressions.sqlite"

metadata = MetaData()
suppression = Table(
    "suppression", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("record_id", String(128), nullable=False),
    Column("suppressed_by", Text, nullable=False),
    Column("suppressed_at", UtcDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    CheckConstraint("length(trim(suppressed_by)) > 0", name="suppression_by"),
    CheckConstraint("length(trim(reason)) > 0", name="suppression_reason"),
    Index("suppression_record", "source", "record_id", "id"),
    sqlite_autoincrement=True,
)
lift = Table(
    "suppression_lift", metadata,
    Column("suppression_id", BigInteger().with_variant(Integer, "sqlite"),
           ForeignKey("suppression.id"), primary_key=True),
    Column("lifted_at", UtcDateTime, nullable=False),
    Column("delivery", String(32), nullable=False),   # the delivery that no longer carried it
)

refuse_changes(suppression, "suppressions are append-only: close one by a lift instead")
refuse_changes(lift, "a lift is final: suppress the record again instead")


@dataclass(frozen=True)
class Suppression:
    """One suppression; `lifted_at` is None while it is open. `reason` is free text typed by an
    officer: shown to nobody but the store's readers, never logged."""

    id: int
    key: RecordKey
    suppressed_by: str
    suppressed_at: datetime
    reason: str
    lifted_at: datetime | None = None


@contextmanager
def open_store(home: Path, create: bool = False) -> Iterator[Engine | None]:
    """The store's engine, disposed after use; None for a reader before the first erasure."""
    with sqlstore.open_store(home, ENV_VAR, FILE_NAME, metadata, create=create) as engine:
        yield engine


def suppress(home: Path, key: RecordKey, by: str, reason: str,
             now: datetime | None = None) -> int:
    """Put `key` on the list (also when it is on it already: each request is its own entry);
    returns the new entry's id."""
    with open_store(home, create=True) as engine, engine.begin() as con:
        result = con.execute(insert(suppression).values(
            source=key.source, record_id=key.record_id, suppressed_by=by,
            suppressed_at=now or datetime.now(UTC), reason=reason))
        return int(result.inserted_primary_key[0])


def entries(home: Path, open_only: bool = True) -> list[Suppression]:
    """The list's entries, oldest first; `open_only`: those not lifted."""
    with open_store(home) as engine:
        if engine is None or not inspect(engine).has_table(suppression.name):
            return []
        s, lifted = suppression.c, lift.c
        query = (select(s.id, s.source, s.record_id, s.suppressed_by, s.suppressed_at,
                        s.reason, lifted.lifted_at)
                 .join(lift, lifted.suppression_id == s.id, isouter=True).order_by(s.id))
        if open_only:
            query = query.where(lifted.lifted_at.is_(None))
        with engine.connect() as con:
            rows = con.execute(query).all()
    return [Suppression(i, RecordKey(src, rid), by, at, reason, lifted_at)
            for i, src, rid, by, at, reason, lifted_at in rows]


def suppressed(home: Path) -> set[RecordKey]:
    """The records every run must withhold now (open entries)."""
    return {e.key for e in entries(home)}


def suppressed_ids(home: Path, source: str) -> set[str]:
    """The record ids of `source` withheld now."""
    return {k.record_id for k in suppressed(home) if k.source == source}


def lift_absent(home: Path, source: str, carried: Iterable[str], delivery: str,
                now: datetime | None = None) -> list[int]:
    """Close every open suppression of `source` whose record the delivery no longer carries
    (`carried`: every record id the source's files held, accepted, quarantined or withheld);
    returns the ids of the entries closed."""
    present = set(carried)
    closing = [e.id for e in entries(home) if e.key.source == source
               and e.key.record_id not in present]
    if not closing:
        return []
    with open_store(home, create=True) as engine, engine.begin() as con:
        at = now or datetime.now(UTC)
        for entry_id in closing:
            con.execute(insert(lift).values(suppression_id=entry_id, lifted_at=at,
                                            delivery=delivery))
    return closing
