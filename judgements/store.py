"""The judgement store: append-only, outliving every run, keyed on (source, record_id).

A run's warehouse is rebuilt each night and published as a whole; a person's decision must not
be: it is kept in its own database, `<home>/judgements.sqlite` (SQLite in WAL mode, so a
reviewer can write while a nightly run reads), reached through SQLAlchemy Core so that a shared
PostgreSQL can take over by URL (`FOTO_JUDGEMENTS_URL`) without a change of code.

Append-only: there is no update or delete here, and the database itself refuses both (SQLite
triggers; a PostgreSQL trigger is declared too, not yet tried on a real server). A decision is
changed by a newer judgement on the same pair: `current` takes the highest id per pair, and
the older ones stay, so every change can be traced. Pairs are stored ordered (left unique id <
right unique id), so (A, B) and (B, A) are one pair.

The file holds reviewers' names, their reasons and snapshots of records: it is made owner-only
before SQLite first writes it (its -wal and -shm files take its mode).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import (
    URL,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    func,
    insert,
    inspect,
    or_,
    select,
    update,
)

from stores import sqlstore
from stores.sqlstore import UtcDateTime, refuse_changes, replace_update_trigger

ENV_VAR = "FOTO_JUDGEMENTS_URL"
FILE_NAME = "judgements.sqlite"
DECISIONS = ("same", "different", "unsure")

metadata = MetaData()
judgement = Table(
    "judgement", metadata,
    # SQLite's rowid alias (INTEGER) with AUTOINCREMENT: an id is never handed out twice
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("left_source", String(64), nullable=False),
    Column("left_record_id", String(64), nullable=False),
    Column("right_source", String(64), nullable=False),
    Column("right_record_id", String(64), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("judged_by", Text, nullable=False),
    Column("judged_at", UtcDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("model_version", Text, nullable=True),
    Column("match_probability", Float, nullable=True),
    Column("evidence", Text, nullable=False),   # JSON: what the reviewer saw
    CheckConstraint("decision IN ('same', 'different', 'unsure')", name="judgement_decision"),
    CheckConstraint("length(trim(judged_by)) > 0", name="judgement_judged_by"),
    CheckConstraint("length(trim(reason)) > 0", name="judgement_reason"),
    CheckConstraint("match_probability IS NULL OR match_probability BETWEEN 0 AND 1",
                    name="judgement_probability"),
    Index("judgement_pair", "left_source", "left_record_id", "right_source",
          "right_record_id", "id"),
    sqlite_autoincrement=True,
)

# When each record a snapshot still showing values is of was last in the published photo
# (`judgements.snapshot_gone`): ids and delivery dates only. Not a judgement but a clock, set
# after each publication: it is not append-only, and a row goes once no snapshot shows its
# record's values. `last_published`: the delivery date of the latest publication holding the
# record (NULL: none seen since the clock was kept); `missed_since`: that of the first
# publication without it since (NULL while it is published).
record_seen = Table(
    "record_seen", metadata,
    Column("source", String(64), primary_key=True),
    Column("record_id", String(64), primary_key=True),
    Column("last_published", Date, nullable=True),
    Column("missed_since", Date, nullable=True),
    CheckConstraint("last_published IS NOT NULL OR missed_since IS NOT NULL",
                    name="record_seen_dated"),
)

APPEND_ONLY = "judgements are append-only: record a newer judgement instead"
# What an erased record's judgements keep of the evidence (`redact_evidence`), what those
# of a record past its destroy term keep (`judgements.snapshot_terms`), what those of a record
# gone from the photo for longer than `retention.evidence_days_after_gone` keep
# (`judgements.snapshot_gone`), and the one change the database lets through: the evidence
# replaced by one of them, nothing else touched.
REDACTED = '{"erased": true}'
PAST_DESTROY_TERM = '{"past_destroy_term": true}'
GONE_PAST_TERM = '{"gone_past_term": true}'
MARKERS = (REDACTED, PAST_DESTROY_TERM, GONE_PAST_TERM)
_REDACTION = (
    "NEW.evidence IN ('" + "', '".join(MARKERS) + "') AND NEW.id = OLD.id "
    "AND NEW.left_source = OLD.left_source AND NEW.left_record_id = OLD.left_record_id "
    "AND NEW.right_source = OLD.right_source AND NEW.right_record_id = OLD.right_record_id "
    "AND NEW.decision = OLD.decision AND NEW.judged_by = OLD.judged_by "
    "AND NEW.judged_at = OLD.judged_at AND NEW.reason = OLD.reason "
    "AND NEW.model_version IS NOT DISTINCT FROM OLD.model_version "
    "AND NEW.match_probability IS NOT DISTINCT FROM OLD.match_probability")
refuse_changes(judgement, APPEND_ONLY, update_allowed_when=_REDACTION)


@dataclass(frozen=True)
class RecordKey:
    """A source record, as every delivery names it: never a person id (those change)."""

    source: str
    record_id: str

    @property
    def unique_id(self) -> str:
        return f"{self.source}:{self.record_id}"


def ordered(a: RecordKey, b: RecordKey) -> tuple[RecordKey, RecordKey]:
    """The pair as stored: left unique id < right unique id (Splink's order, by code point)."""
    return (a, b) if a.unique_id < b.unique_id else (b, a)


@dataclass(frozen=True)
class Judgement:
    """One decision to store, with what the model said at the time and what the reviewer saw."""

    left: RecordKey
    right: RecordKey
    decision: str
    judged_by: str
    reason: str
    model_version: str | None = None
    match_probability: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


def store_url(home: Path) -> URL:
    """`$FOTO_JUDGEMENTS_URL` when set (a shared database), else the home's SQLite file."""
    return sqlstore.store_url(home, ENV_VAR, FILE_NAME)


@contextmanager
def open_store(home: Path, create: bool = False) -> Iterator[Engine | None]:
    """The store's engine, disposed after use. `create`: make the file (owner-only) and the
    table when missing, for a writer; a reader gets None when there is no SQLite file yet,
    and never creates one."""
    with sqlstore.open_store(home, ENV_VAR, FILE_NAME, metadata, create=create) as engine:
        yield engine


def append(engine: Engine, judgements: Sequence[Judgement],
           now: datetime | None = None) -> list[int]:
    """Store `judgements` in ONE transaction (all or none); returns their ids, in order."""
    judged_at = now or datetime.now(UTC)
    ids: list[int] = []
    with engine.begin() as con:
        for j in judgements:
            left, right = ordered(j.left, j.right)
            if left == right:
                raise ValueError("a record cannot be judged against itself")
            result = con.execute(insert(judgement).values(
                left_source=left.source, left_record_id=left.record_id,
                right_source=right.source, right_record_id=right.record_id,
                decision=j.decision, judged_by=j.judged_by, judged_at=judged_at,
                reason=j.reason, model_version=j.model_version,
                match_probability=j.match_probability,
                evidence=json.dumps(j.evidence, sort_keys=True, default=str)))
            ids.append(int(result.inserted_primary_key[0]))
    return ids


def redact_evidence(home: Path, keys: Sequence[RecordKey], marker: str = REDACTED) -> int:
    """Replace the evidence snapshot (both records' standardised values, as the reviewer saw
    them) of every judgement about one of `keys` by `marker` (`REDACTED`: an erased record's
    values must be in no file; `PAST_DESTROY_TERM`: nor those of a record past its destroy
    term; `GONE_PAST_TERM`: nor those of a record gone from the photo for longer than the
    configured term). The decision, who and why stay (the judgement lies dormant); the
    SQLite file is then scrubbed of the overwritten bytes. Returns the judgements redacted."""
    if marker not in MARKERS:
        raise ValueError("an evidence snapshot is replaced by one of the store's markers")
    if not keys:
        return 0
    with open_store(home) as engine:
        if engine is None or not inspect(engine).has_table(judgement.name):
            return 0
        j = judgement.c
        hit = or_(*(or_(and_(j.left_source == k.source, j.left_record_id == k.record_id),
                        and_(j.right_source == k.source, j.right_record_id == k.record_id))
                    for k in keys))
        with engine.begin() as con:
            if engine.dialect.name == "sqlite":
                replace_update_trigger(con, judgement, APPEND_ONLY, _REDACTION)
            redacted = con.execute(update(judgement).where(hit, j.evidence.notin_(MARKERS))
                                   .values(evidence=marker)).rowcount
        path = sqlstore.sqlite_file(engine.url)
    if path is not None and redacted:
        sqlstore.scrub_sqlite(path)
    return int(redacted)


def snapshots(engine: Engine | None) -> list[tuple[int, RecordKey, RecordKey, dict[str, Any]]]:
    """Every judgement's evidence snapshot, as stored: (id, left, right, evidence). For the
    retention of the snapshots (`judgements.snapshot_terms`), which is also what a reader
    showing them goes through; empty without a store."""
    if engine is None or not inspect(engine).has_table(judgement.name):
        return []
    j = judgement.c
    with engine.connect() as con:
        rows = con.execute(select(j.id, j.left_source, j.left_record_id, j.right_source,
                                  j.right_record_id, j.evidence).order_by(j.id)).all()
    return [(int(i), RecordKey(ls, lr), RecordKey(rs, rr), json.loads(evidence))
            for i, ls, lr, rs, rr, evidence in rows]


# What `current` returns: the warehouse table's columns but `active` (which depends on a run).
CURRENT_SCHEMA = pa.schema([
    ("unique_id_l", pa.string()), ("unique_id_r", pa.string()),
    ("source_l", pa.string()), ("record_id_l", pa.string()),
    ("source_r", pa.string()), ("record_id_r", pa.string()),
    ("decision", pa.string()), ("judgement_id", pa.int64()), ("judged_by", pa.string()),
    ("judged_at", pa.timestamp("us", tz="UTC")), ("reason", pa.string()),
    ("model_version", pa.string()), ("match_probability", pa.float64()),
])


def current(engine: Engine | None) -> pa.Table:
    """The latest judgement per pair (highest id wins), as a table of `CURRENT_SCHEMA`; empty
    without a store or before the first judgement."""
    if engine is None or not inspect(engine).has_table(judgement.name):
        return CURRENT_SCHEMA.empty_table()
    j = judgement.c
    pair = (j.left_source, j.left_record_id, j.right_source, j.right_record_id)
    latest = select(func.max(j.id).label("id")).group_by(*pair).subquery()
    query = (select(j.left_source, j.left_record_id, j.right_source, j.right_record_id,
                    j.decision, j.id, j.judged_by, j.judged_at, j.reason, j.model_version,
                    j.match_probability)
             .join(latest, latest.c.id == j.id).order_by(j.id))
    with engine.connect() as con:
        rows = con.execute(query).all()
    columns: dict[str, list] = {name: [] for name in CURRENT_SCHEMA.names}
    for (ls, lr, rs, rr, decision, jid, by, at, reason, version, probability) in rows:
        for name, value in (("unique_id_l", f"{ls}:{lr}"), ("unique_id_r", f"{rs}:{rr}"),
                            ("source_l", ls), ("record_id_l", lr), ("source_r", rs),
                            ("record_id_r", rr), ("decision", decision),
                            ("judgement_id", jid), ("judged_by", by), ("judged_at", at),
                            ("reason", reason), ("model_version", version),
                            ("match_probability", probability)):
            columns[name].append(value)
    return pa.table(columns, schema=CURRENT_SCHEMA)
