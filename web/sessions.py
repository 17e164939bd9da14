"""`foto serve`'s sessions: kept in the server's memory, keyed by a random id.

The cookie holds only that id (32 random bytes, unguessable); everything else (who, role,
CSRF token, the purposes given) stays in the server, so a stolen copy of a cookie file tells
nothing and a restart logs everyone out. A session ends after `idle` without a request and at
the latest `absolute` after its login. A login always makes a NEW id: an id that existed
before (planted by someone else: session fixation) is never promoted.

Before login there is no session: the login form's CSRF token is an HMAC, under the home's
session key, of a random nonce kept in a short cookie (`pre_login_token`), so the form can
only be posted from a page this server gave out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


def same(given: str | None, expected: str) -> bool:
    """A constant-time comparison that takes any text (a forged cookie may be non-ASCII)."""
    return secrets.compare_digest((given or "").encode(), expected.encode())


@dataclass
class Session:
    """One login: who, with which role, the CSRF token its forms carry, and the purpose given
    for each person opened (asked once per person per session)."""

    id: str
    user: str
    role: str
    started: datetime
    seen: datetime
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    purposes: dict[str, str] = field(default_factory=dict)


class Sessions:
    """The live sessions of one server; safe across uvicorn's worker threads."""

    def __init__(self, idle: timedelta, absolute: timedelta) -> None:
        self.idle, self.absolute = idle, absolute
        self._live: dict[str, Session] = {}
        self._lock = threading.Lock()

    def start(self, user: str, role: str, now: datetime | None = None) -> Session:
        """A new session under a new random id (never one a browser brought along)."""
        now = now or datetime.now(UTC)
        session = Session(secrets.token_urlsafe(32), user, role, now, now)
        with self._lock:
            self._drop_expired(now)
            self._live[session.id] = session
        return session

    def get(self, sid: str | None, now: datetime | None = None) -> Session | None:
        """The live session of `sid` (its idle clock restarted), or None: unknown or expired
        (an expired one is removed: it cannot come back)."""
        if not sid:
            return None
        now = now or datetime.now(UTC)
        with self._lock:
            session = self._live.get(sid)
            if session is None:
                return None
            if now - session.seen > self.idle or now - session.started > self.absolute:
                del self._live[sid]
                return None
            session.seen = now
            return session

    def end(self, sid: str | None) -> None:
        with self._lock:
            self._live.pop(sid or "", None)

    def _drop_expired(self, now: datetime) -> None:
        for sid in [s.id for s in self._live.values()
                    if now - s.seen > self.idle or now - s.started > self.absolute]:
            del self._live[sid]


def pre_login_token(key: bytes, nonce: str) -> str:
    """The login form's CSRF token for the nonce in the browser's pre-login cookie."""
    return hmac.new(key, b"login:" + nonce.encode(), hashlib.sha256).hexdigest()
