"""The home's small transactional stores (judgements, the audit log, users): one way to open them.

Each is a SQLite file under the home by default (WAL, so a writer and readers do not block each
other) and a PostgreSQL database when its environment variable holds a URL, reached through
SQLAlchemy Core so that the same code serves both. A SQLite file holds reviewers' names, user
accounts or the record of who looked at whom: it is created owner-only before SQLite first
writes it (its -wal and -shm files take its mode), whatever the process's umask.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    DDL,
    URL,
    DateTime,
    Engine,
    MetaData,
    Table,
    TypeDecorator,
    create_engine,
    event,
    make_url,
)

from stores.sql import Constant, Fragment, Identifier, fill

BUSY_TIMEOUT_MS = 10_000   # a second writer waits this long for the first, not fails


class UtcDateTime(TypeDecorator):
    """A moment in UTC. SQLite keeps no time zone: it is stored as UTC and read back as UTC,
    so a store says the same moment on SQLite and on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a moment must carry a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def store_url(home: Path, env_var: str, file_name: str) -> URL:
    """`$<env_var>` when set (a shared database), else the home's SQLite file `file_name`."""
    chosen = os.environ.get(env_var)
    return make_url(chosen) if chosen else URL.create("sqlite", database=str(home / file_name))


def sqlite_file(url: URL) -> Path | None:
    """The file behind a SQLite URL; None for another database or an in-memory one."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Every SQLite connection: WAL (readers never block the writer nor it them), a busy
    timeout (a second writer waits), foreign keys enforced."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS:d}")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _driver_autocommit(dbapi_connection: Any, _record: Any) -> None:
    """pysqlite opens transactions itself, as DEFERRED: hand that to SQLAlchemy's `begin`."""
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: Any) -> None:
    """Every transaction takes SQLite's write lock at once (BEGIN IMMEDIATE): a writer that
    reads before it writes (the audit log's last hash, a user's failure count) never reads a
    state another writer is about to change."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def open_store(home: Path, env_var: str, file_name: str, metadata: MetaData,
               create: bool = False, serialised: bool = False) -> Iterator[Engine | None]:
    """A store's engine, disposed after use. `create`: make the file (owner-only) and the
    tables when missing, for a writer; a reader gets None when there is no SQLite file yet,
    and never creates one. `serialised`: on SQLite every transaction is BEGIN IMMEDIATE (one
    writer at a time; on PostgreSQL the store locks what it must itself)."""
    url = store_url(home, env_var, file_name)
    path = sqlite_file(url)
    if path is not None:
        if not path.exists():
            if not create:
                yield None
                return
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        if create:
            os.chmod(path, 0o600)
    engine = create_engine(url)
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _pragmas)
        if serialised:
            event.listen(engine, "connect", _driver_autocommit)
            event.listen(engine, "begin", _begin_immediate)
    try:
        if create:
            metadata.create_all(engine)
        yield engine
    finally:
        engine.dispose()


_SQLITE_REFUSE = ("CREATE TRIGGER {trigger} BEFORE {change} ON {table} {when}"
                  "BEGIN SELECT RAISE(ABORT, {message}); END")
_PG_FUNCTION = ("CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN {allow}{allow_update}RAISE EXCEPTION {message}; END $$")
_PG_TRIGGER = ("CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table} "
               "FOR EACH ROW EXECUTE FUNCTION {function}()")


def refuse_changes(table: Table, message: str, delete_allowed_when: str | None = None,
                   update_allowed_when: str | None = None) -> None:
    """Make `table` append-only in the database itself: UPDATE and DELETE raise `message`
    (SQLite triggers; a PostgreSQL trigger is declared too, not yet tried on a real server).
    `delete_allowed_when`: an SQL condition on OLD, written in code, under which a DELETE is
    let through (the audit log's logged prune); `update_allowed_when`: one on OLD and NEW
    under which an UPDATE is (the judgement store's redaction of an erased record's
    evidence); the same text serves both databases."""
    for statement, dialect in refusal_ddl(table, message, delete_allowed_when,
                                          update_allowed_when):
        _on_create(table, dialect, statement)


def refusal_ddl(table: Table, message: str, delete_allowed_when: str | None = None,
                update_allowed_when: str | None = None) -> list[tuple[str, str]]:
    """The statements `refuse_changes` declares, as (statement, dialect): also for a store
    made before a condition was added (`replace_sqlite_triggers`)."""
    name, said = table.name, Constant(message)
    out = []
    for change, trigger, allowed in (("UPDATE", "no_update", update_allowed_when),
                                     ("DELETE", "no_delete", delete_allowed_when)):
        guard = Fragment(fill("WHEN NOT ({condition}) ", condition=Fragment(allowed))
                         if allowed else "")
        out.append((fill(_SQLITE_REFUSE, trigger=Identifier(f"{name}_{trigger}"),
                         change=Fragment(change), table=Identifier(name), when=guard,
                         message=said), "sqlite"))
    allow = Fragment(fill("IF TG_OP = 'DELETE' AND ({condition}) THEN RETURN OLD; END IF; ",
                          condition=Fragment(delete_allowed_when))
                     if delete_allowed_when else "")
    allow_update = Fragment(fill("IF TG_OP = 'UPDATE' AND ({condition}) THEN RETURN NEW; "
                                 "END IF; ", condition=Fragment(update_allowed_when))
                            if update_allowed_when else "")
    function = Identifier(f"{name}_append_only")
    out.append((fill(_PG_FUNCTION, function=function, allow=allow, allow_update=allow_update,
                     message=said), "postgresql"))
    out.append((fill(_PG_TRIGGER, trigger=function, table=Identifier(name),
                     function=function), "postgresql"))
    return out


def replace_update_trigger(connection: Any, table: Table, message: str,
                           update_allowed_when: str) -> None:
    """Re-declare `table`'s SQLite UPDATE trigger as `refuse_changes` declares it now (a store
    created by an earlier version lacks the condition), inside the caller's transaction."""
    connection.exec_driver_sql(fill("DROP TRIGGER IF EXISTS {t}",
                                    t=Identifier(f"{table.name}_no_update")))
    connection.exec_driver_sql(refusal_ddl(table, message,
                                           update_allowed_when=update_allowed_when)[0][0])


def scrub_sqlite(path: Path) -> None:
    """Leave no freed page of a SQLite file holding what was overwritten or deleted: the WAL
    copied back and emptied, the file rebuilt (VACUUM) with freed space zeroed."""
    import sqlite3

    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS:d}")
        con.execute("PRAGMA secure_delete=ON")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.execute("VACUUM")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()


def _on_create(table: Table, dialect: str, statement: str) -> None:
    event.listen(table, "after_create", DDL(statement).execute_if(dialect=dialect))
