"""User accounts: `<home>/access.sqlite` (or `$FOTO_ACCESS_URL`), one row per account.

Kept apart from the audit log: accounts change (a failure count, a lockout, a new hash, a
disabled flag) where the log must not, and the log is exported to a supervisor where password
hashes must never go. Passwords are stored as argon2id hashes (argon2-cffi's defaults, RFC 9106
low-memory profile) and rehashed at the next login when those parameters change.

A login that fails counts against the account; `max_failed_logins` failures in a row lock it
for `lockout_minutes` (configuration `access`), during which even the right password is
refused. An unknown name costs the same hash verification as a known one, so timing does not
tell which names exist. Every add, disable, login and failed login is written to the audit
log; an unknown name is logged as `unknown` with a keyed hash of what was typed (it may be a
password typed in the wrong field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    select,
    update,
)

from access.roles import ROLES
from audit.log import record, search_hash
from config import Access
from stores import sqlstore
from stores.sqlstore import UtcDateTime

ENV_VAR = "FOTO_ACCESS_URL"
FILE_NAME = "access.sqlite"
NAME = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")

metadata = MetaData()
account = Table(
    "account", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("disabled_at", UtcDateTime, nullable=True),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", UtcDateTime, nullable=True),
    CheckConstraint("role IN ('triage', 'analyst', 'privacy')", name="account_role"),
)

_hasher = PasswordHasher()


@cache
def _unknown_hash() -> str:
    """Verified against when the name is unknown: the same work as a real account's check
    (made on first need, not at import: every `foto` command imports this module)."""
    return _hasher.hash("no account has this password")


class AccessRefused(Exception):
    """A user could not be added or changed (the message names the rule and a checked account
    name, never a password): shown as it is."""

    safe_message = True


@dataclass(frozen=True)
class User:
    name: str
    role: str


def _engine(home: Path, create: bool = True):
    return sqlstore.open_store(home, ENV_VAR, FILE_NAME, metadata, create=create,
                               serialised=True)


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise AccessRefused("a user name is 2-64 characters: lower-case letters, digits, . _ -, "
                            "starting with a letter")
    return name


def check_password(password: str, rules: Access) -> None:
    if len(password) < rules.min_password_length:
        raise AccessRefused(f"the password is too short: at least {rules.min_password_length} "
                            "characters")
    if not password.strip():
        raise AccessRefused("the password is blank")


def add_user(home: Path, name: str, role: str, password: str, rules: Access,
             by: str | None = None) -> User:
    """Create an account (refused when the name exists, even disabled: a name is never reused,
    so the audit log's `who` keeps meaning one person)."""
    check_name(name)
    if role not in ROLES:
        raise AccessRefused(f"role: one of {', '.join(ROLES)}")
    check_password(password, rules)
    hashed = _hasher.hash(password)
    with _engine(home) as engine, engine.begin() as con:
        if con.execute(select(account.c.id).where(account.c.name == name)).first():
            raise AccessRefused(f"user {name} exists already")
        con.execute(insert(account).values(name=name, role=role, password_hash=hashed,
                                           created_at=datetime.now(UTC), failed_logins=0))
    record(home, "user_add", who=by, detail={"user": name, "role": role})
    return User(name, role)


def disable_user(home: Path, name: str, by: str | None = None) -> None:
    """Disable an account: it can no longer log in; it stays, for the audit log's sake."""
    check_name(name)
    with _engine(home) as engine, engine.begin() as con:
        done = con.execute(update(account).where(account.c.name == name)
                           .where(account.c.disabled_at.is_(None))
                           .values(disabled_at=datetime.now(UTC))).rowcount
        if not done:
            known = con.execute(select(account.c.id).where(account.c.name == name)).first()
            raise AccessRefused(f"user {name} is disabled already" if known
                                else f"no user {name}")
    record(home, "user_disable", who=by, detail={"user": name})


def verify_login(home: Path, name: str, password: str, rules: Access,
                 now: datetime | None = None) -> User | None:
    """The user when `name` and `password` are right and the account is enabled and not locked;
    else None. Audited either way (`login` / `login_failed` with the reason as a word)."""
    now = now or datetime.now(UTC)
    with _engine(home) as engine, engine.begin() as con:
        row = con.execute(select(account).where(account.c.name == name)).first() \
            if NAME.match(name) else None
        if row is None:
            _verify(_unknown_hash(), password)
            outcome, user = "unknown_user", None
        elif row.disabled_at is not None:
            _verify(row.password_hash, password)
            outcome, user = "disabled", None
        elif row.locked_until is not None and row.locked_until > now:
            _verify(row.password_hash, password)
            outcome, user = "locked", None
        elif not _verify(row.password_hash, password):
            failures = row.failed_logins + 1
            locked = failures >= rules.max_failed_logins
            con.execute(update(account).where(account.c.id == row.id).values(
                failed_logins=0 if locked else failures,
                locked_until=now + timedelta(minutes=rules.lockout_minutes) if locked
                else row.locked_until))
            outcome, user = ("locked_now" if locked else "wrong_password"), None
        else:
            values: dict = {"failed_logins": 0, "locked_until": None}
            if _hasher.check_needs_rehash(row.password_hash):
                values["password_hash"] = _hasher.hash(password)
            con.execute(update(account).where(account.c.id == row.id).values(**values))
            outcome, user = "ok", User(row.name, row.role)
    if user is not None:
        record(home, "login", who=user.name, role=user.role)
    elif row is not None:
        record(home, "login_failed", who=row.name, role=row.role, detail={"why": outcome})
    else:
        record(home, "login_failed", who="unknown", role="none",
               detail={"why": outcome, "name_hash": search_hash(home, name)})
    return user


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def users(home: Path) -> list[tuple[str, str, bool]]:
    """(name, role, enabled) of every account, by name."""
    with _engine(home, create=False) as engine:
        if engine is None:
            return []
        with engine.connect() as con:
            rows = con.execute(select(account.c.name, account.c.role, account.c.disabled_at)
                               .order_by(account.c.name)).all()
    return [(n, r, d is None) for n, r, d in rows]
