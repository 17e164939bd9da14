"""The audit log's store: `<home>/audit.sqlite` (or `$FOTO_AUDIT_URL`), append-only.

Writers are serialised, because each entry's hash covers the one before it: on SQLite every
transaction is BEGIN IMMEDIATE (the write lock is taken before the last hash is read); on
PostgreSQL the append takes `LOCK TABLE audit_entry IN EXCLUSIVE MODE` (readers go on, a second
writer waits), and a unique `prev_hash` refuses a fork on both. The database refuses UPDATE and
DELETE (triggers), but for a DELETE of entries before the newest `audit_prune` row's
`first_kept_id`: the prune, which records that row and a `prune` entry in the same transaction.

What an entry may hold is checked here, once, for every caller: who, role and ids are short
plain tokens; `detail` holds counts and ids (numbers, booleans, tokens, lists of them), never
free text, so a name or a reason cannot be put into the log by mistake.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    text,
)

from audit.chain import GENESIS, Entry, entry_hash
from stores import sqlstore
from stores.sqlstore import UtcDateTime, refuse_changes

ENV_VAR = "FOTO_AUDIT_URL"
FILE_NAME = "audit.sqlite"

ACTIONS = frozenset({
    "login", "login_failed", "logout", "view", "review_view", "index", "search",
    "access_report", "audit_read",
    "judgement", "run", "publication", "rollback", "arrest", "erase", "erase_lifted", "prune",
    "export", "user_add", "user_disable", "destroy_term", "dagster_prune",
})
TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@/+-]{0,127}$")
MAX_PURPOSE = 200

metadata = MetaData()
audit_entry = Table(
    "audit_entry", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=False),
    Column("at", UtcDateTime, nullable=False),
    Column("who", String(128), nullable=False),
    Column("role", String(32), nullable=False),
    Column("action", String(32), nullable=False),
    Column("person_id", String(128), nullable=True),
    Column("purpose", String(MAX_PURPOSE), nullable=True),
    Column("publication", String(128), nullable=True),
    Column("detail", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False, unique=True),
    Column("hash", String(64), nullable=False, unique=True),
    Index("audit_entry_person", "person_id", "id"),
    Index("audit_entry_at", "at"),
)
audit_prune = Table(
    "audit_prune", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("first_kept_id", BigInteger, nullable=False),
    Column("anchor_hash", String(64), nullable=False),
    Column("removed", BigInteger, nullable=False),
    sqlite_autoincrement=True,
)
_REFUSE = "the audit log is append-only: entries leave it only by a logged prune"
refuse_changes(audit_entry, _REFUSE, delete_allowed_when=(
    "OLD.id < (SELECT coalesce(max(first_kept_id), 0) FROM audit_prune)"))
refuse_changes(audit_prune, _REFUSE)


@contextmanager
def open_log(home: Path, create: bool = False) -> Iterator[Engine | None]:
    """The log's engine (see `stores.sqlstore.open_store`); writers serialised."""
    with sqlstore.open_store(home, ENV_VAR, FILE_NAME, metadata, create=create,
                             serialised=True) as engine:
        yield engine


def canonical_detail(detail: dict[str, Any] | None) -> str:
    """`detail` as the canonical JSON text stored and hashed; refused unless it holds only
    counts and ids."""
    detail = detail or {}
    for key, value in detail.items():
        if not TOKEN.match(key) or not _plain(value):
            raise ValueError(f"audit detail {key!r}: only numbers, booleans and ids "
                             "(no free text) may be logged")
    return json.dumps(detail, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def as_id(value: str) -> str:
    """An id from outside foto (a file name, an arrest id) as the log may hold it: itself when
    it is a plain token, else `sha256:` and the start of its hash."""
    if TOKEN.match(value):
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:32]


def _plain(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float):
        return True
    if isinstance(value, str):
        return bool(TOKEN.match(value))
    if isinstance(value, list | tuple):
        return all(_plain(v) and not isinstance(v, list | tuple) for v in value)
    return False


def _check(who: str, role: str, action: str, person_id: str | None,
           purpose: str | None, publication: str | None) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    for name, value in (("who", who), ("role", role), ("person_id", person_id),
                        ("publication", publication)):
        if value is not None and not TOKEN.match(value):
            raise ValueError(f"audit {name}: not an id (letters, digits and _.:@/+- only)")
    if purpose is not None and not 0 < len(purpose.strip()) <= MAX_PURPOSE:
        raise ValueError(f"audit purpose: 1 to {MAX_PURPOSE} characters")


def append(engine: Engine, who: str, role: str, action: str, *, person_id: str | None = None,
           purpose: str | None = None, publication: str | None = None,
           detail: dict[str, Any] | None = None, now: datetime | None = None) -> Entry:
    """Append one entry in its own transaction, chained to the last one; returns it."""
    with engine.begin() as con:
        return append_in(con, who, role, action, person_id=person_id, purpose=purpose,
                         publication=publication, detail=detail, now=now)


def append_in(con: Connection, who: str, role: str, action: str, *,
              person_id: str | None = None, purpose: str | None = None,
              publication: str | None = None, detail: dict[str, Any] | None = None,
              now: datetime | None = None) -> Entry:
    """Append one entry within the caller's transaction (which holds the write lock)."""
    _check(who, role, action, person_id, purpose, publication)
    text_detail = canonical_detail(detail)
    if con.dialect.name == "postgresql":
        con.execute(text("LOCK TABLE audit_entry IN EXCLUSIVE MODE"))
    last = con.execute(select(audit_entry.c.id, audit_entry.c.hash)
                       .order_by(audit_entry.c.id.desc()).limit(1)).first()
    new_id, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = (now or datetime.now(UTC)).astimezone(UTC)
    digest = entry_hash(new_id, at, who, role, action, person_id, purpose, publication,
                        text_detail, prev)
    con.execute(insert(audit_entry).values(
        id=new_id, at=at, who=who, role=role, action=action, person_id=person_id,
        purpose=purpose, publication=publication, detail=text_detail, prev_hash=prev,
        hash=digest))
    return Entry(new_id, at, who, role, action, person_id, purpose, publication, text_detail,
                 prev, digest)


def _entry(row: Any) -> Entry:
    return Entry(*row)


def _columns() -> list:
    return [audit_entry.c[name] for name in Entry.__dataclass_fields__]


def entries(engine: Engine, since: datetime | None = None, before: datetime | None = None,
            person_id: str | None = None) -> Iterator[Entry]:
    """Entries in id order (streamed), optionally of a period [since, before) or one person."""
    query = select(*_columns()).order_by(audit_entry.c.id)
    if since is not None:
        query = query.where(audit_entry.c.at >= since)
    if before is not None:
        query = query.where(audit_entry.c.at < before)
    if person_id is not None:
        query = query.where(audit_entry.c.person_id == person_id)
    with engine.connect() as con:
        for row in con.execution_options(yield_per=5000).execute(query):
            yield _entry(row)


def newest(engine: Engine, limit: int, before_id: int | None = None) -> list[Entry]:
    """At most `limit` entries, newest first, older than entry `before_id` when given: one
    page of the log as the privacy officer reads it, without loading the whole log."""
    query = select(*_columns()).order_by(audit_entry.c.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(audit_entry.c.id < before_id)
    with engine.connect() as con:
        return [_entry(row) for row in con.execute(query)]


def last_prune(engine: Engine) -> Entry | None:
    """The newest `prune` entry: its detail names the first kept entry and its anchor."""
    with engine.connect() as con:
        row = con.execute(select(*_columns()).where(audit_entry.c.action == "prune")
                          .order_by(audit_entry.c.id.desc()).limit(1)).first()
    return _entry(row) if row else None


def oldest_id(engine: Engine) -> int | None:
    """The id of the oldest entry kept (None for an empty log)."""
    with engine.connect() as con:
        return con.execute(select(func.min(audit_entry.c.id))).scalar()


def prune(engine: Engine, cutoff: datetime, who: str, role: str,
          now: datetime | None = None) -> Entry:
    """Remove the entries before the first one written at or after `cutoff`, in one transaction
    with the `audit_prune` row that permits it and the `prune` entry that records it (count,
    first kept id, the anchor: the hash the first kept entry follows). The chain stays
    verifiable from the first kept entry on."""
    with engine.begin() as con:
        if con.dialect.name == "postgresql":
            con.execute(text("LOCK TABLE audit_entry IN EXCLUSIVE MODE"))
        c = audit_entry.c
        kept = con.execute(select(c.id, c.prev_hash).where(c.at >= cutoff)
                           .order_by(c.id).limit(1)).first()
        last = con.execute(select(c.id, c.hash).order_by(c.id.desc()).limit(1)).first()
        first = con.execute(select(func.min(c.id))).scalar()
        if kept is not None:
            first_kept, anchor = kept
        elif last is not None:      # everything is older: the prune entry itself is kept
            first_kept, anchor = last[0] + 1, last[1]
        else:
            first_kept, anchor = 1, GENESIS
        removed = max(0, first_kept - first) if first is not None else 0
        # the prune entry first: it chains on the newest entry, which the delete may remove
        entry = append_in(con, who, role, "prune", now=now, detail={
            "removed": removed, "first_kept_id": first_kept, "anchor": anchor,
            "cutoff": cutoff.astimezone(UTC).date().isoformat()})
        if removed:
            con.execute(insert(audit_prune).values(
                at=(now or datetime.now(UTC)), first_kept_id=first_kept, anchor_hash=anchor,
                removed=removed))
            con.execute(delete(audit_entry).where(c.id < first_kept))
        return entry
