"""Who may use a page served on 127.0.0.1: whoever holds this start's token.

The page shows full records, and any local process (or a web page in the analyst's browser)
can reach a port on 127.0.0.1. So every request needs a cookie holding a random token made at
start and printed once, with the address (`/?token=...`); the first visit exchanges it for an
HttpOnly, SameSite=Strict cookie and is sent on without the token in its address (it would
stay in the history). A request that changes something needs a second token in a header
(`X-CSRF-Token`), which only the page itself can read (from its own HTML). The Host header
must name this machine (127.0.0.1 or localhost): a page of another site that rebinds its name
to 127.0.0.1 is refused.

Nothing here logs: an error in a route is answered with its type and an error id, and its
text, which may quote a record, is never written anywhere.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse, RedirectResponse

COOKIE = "foto_review"
CSRF_HEADER = "x-csrf-token"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
SAFE_METHODS = frozenset({"GET", "HEAD"})

# Every answer: not cached, not framed, no referrer (an address holds record ids), and only
# this server's own script and styles (no CDN: the machine is offline).
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"),
}


@dataclass(frozen=True)
class Access:
    """This start's secrets: the token that opens the page and the one a change must carry."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    def url(self, port: int) -> str:
        """The address to open, printed once at start."""
        return f"http://127.0.0.1:{port}/?token={self.token}"


def _same(given: str | None, expected: str) -> bool:
    """A constant-time comparison that takes any text (a forged cookie may be non-ASCII)."""
    return secrets.compare_digest((given or "").encode(), expected.encode())


def _host(request: Request) -> str:
    """The Host header's name without its port."""
    host = request.headers.get("host", "")
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _refused(status: int, text: str) -> Response:
    return _secured(PlainTextResponse(text, status_code=status))


def _secured(response: Response) -> Response:
    response.headers.update(HEADERS)
    return response


def guard(app: FastAPI, access: Access) -> None:
    """Let through only requests from this machine that carry the cookie (and for a change the
    CSRF header); routes find the CSRF token, for their pages, in `request.state.csrf`."""

    @app.middleware("http")
    async def _guard(request: Request,
                     call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if _host(request) not in LOCAL_HOSTS:
            return _refused(400, "this page answers on 127.0.0.1 only")
        given = request.query_params.get("token")
        if given is not None:
            if request.method not in SAFE_METHODS or not _same(given, access.token):
                return _refused(403, "wrong token: open the address `foto review` printed")
            response = RedirectResponse(request.url.path, status_code=303)
            response.set_cookie(COOKIE, access.token, httponly=True, samesite="strict",
                                path="/")
            return _secured(response)
        if not _same(request.cookies.get(COOKIE), access.token):
            return _refused(403, "not signed in: open the address `foto review` printed")
        if request.method not in SAFE_METHODS \
                and not _same(request.headers.get(CSRF_HEADER), access.csrf):
            return _refused(403, "missing or wrong CSRF token: reload the page")
        request.state.csrf = access.csrf
        try:
            response = await call_next(request)
        except Exception as err:  # noqa: BLE001 - told by type and id; its text may quote data
            return _refused(500, f"internal error ({type(err).__name__}, id "
                                 f"{uuid.uuid4().hex[:8]}); nothing was logged")
        return _secured(response)
