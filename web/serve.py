"""`foto serve`: the triage photo behind a login, with a purpose before each person and every
look in the audit log (issue 16).

Who may see what is `access.roles` (asked on every route through `_need`); `PERMISSIONS`
names, for every route this app has, what it needs, so that the tests go through all of them
and a route added without a permission is found. Without a session a page answers a redirect
to /login (a GET) or 401.

The sheets are the current publication's own files (`published/` -> `publications/<id>/
triage/`), read at each request so that a new publication is served from the next request on;
a person id from an address must match `PERSON_ID` and be a person of that publication's
`triage.duckdb` before its sheet file is read, and anything else is a plain 404. The index is
not the published `index.html` (every person, searched in the browser) but one page of
persons at a time, rendered and searched in the server from the same `triage.duckdb`
(`web.index_page`). Only fixed names are read otherwise (`publication.js`, `manifest.json`).
The pages' relative links (`sheets/<id>.html`, `../index.html`) land on routes that redirect
to the served addresses.

Nothing here logs a page's content: uvicorn's access log is off (addresses hold person ids),
and an error is answered with its type and an id, never its text.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from access import roles
from access.users import verify_login
from audit.log import VIEW_ACTIONS, newest_entries, person_entries, record, search_hash
from config import Access, Serve
from stores.database import connect
from stores.keys import home_key
from stores.publications import current_publication
from web import purpose
from web.app import HEADERS
from web.index_page import NoSuchPage, index_page, render_index
from web.index_page import templates as index_templates_of
from web.review import review_router
from web.sessions import Session, Sessions, pre_login_token, same
from web.worker import AfterJudgement, Worker

SESSION_COOKIE = "foto_session"
PRE_COOKIE = "foto_login"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD"})
PERSON_ID = re.compile(r"^F[0-9A-F]{12}$")
NONCE = re.compile(r"^[A-Za-z0-9_-]{43}$")
AUDIT_PAGE = 100
MAX_SEARCH = 200
PAGE_NUMBER = re.compile(r"^[1-9][0-9]{0,6}$")
REVIEW = "/review"

# What each route needs (None: open without a session). The review page's routes are
# included under REVIEW and all need roles.REVIEW.
PERMISSIONS: dict[str, str | None] = {
    "/login": None,
    "/logout": "",   # any session
    "/": roles.INDEX,
    "/index.html": roles.INDEX,
    "/publication.js": roles.INDEX,
    "/sheets/{name}": roles.SHEETS,
    "/personen/{person_id}": roles.SHEETS,
    "/audit": roles.AUDIT_LOG,
    "/audit/person": roles.ACCESS_REPORT,
    "/audit/person/{person_id}": roles.ACCESS_REPORT,
}

templates = Environment(loader=PackageLoader("web", "templates"),
                        autoescape=select_autoescape(default=True, default_for_string=True))
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


def permission(path: str) -> str | None:
    """What the route `path` needs (a KeyError for a route nobody declared)."""
    if path == REVIEW or path.startswith(REVIEW + "/"):
        return roles.REVIEW
    return PERMISSIONS[path]


def _csp(body: bytes) -> str:
    """The page's policy: this server only; a published page's own inline script (if it has
    one) allowed by its hash, nothing else inline."""
    hashes = " ".join("'sha256-" + base64.b64encode(hashlib.sha256(s).digest()).decode() + "'"
                      for s in _INLINE_SCRIPT.findall(body))
    return HEADERS["Content-Security-Policy"].replace(
        "script-src 'self'", f"script-src 'self' {hashes}".rstrip())


def _secured(response: Response) -> Response:
    """Every answer's headers (a page's own policy, set by `_published`, kept)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _published(body: bytes) -> Response:
    """A published page as it is, under a policy that admits its own inline script only."""
    return HTMLResponse(body, headers={"Content-Security-Policy": _csp(body)})


def _triage(home: Path) -> tuple[Path, str]:
    """The current publication's triage folder and the publication's id (503 before one)."""
    publication = current_publication(home)
    if publication is None or not (publication / "triage" / "triage.duckdb").is_file():
        raise HTTPException(503, "no publication in this home yet")
    return publication / "triage", publication.name


def _known_person(triage: Path, person_id: str) -> bool:
    if not PERSON_ID.match(person_id):
        return False
    with connect(triage / "triage.duckdb", read_only=True) as con:
        return con.execute("SELECT 1 FROM triage_person WHERE person_id = $pid LIMIT 1",
                           {"pid": person_id}).fetchone() is not None


def _render(name: str, session: Session | None, status: int = 200, **context: Any) -> Response:
    return HTMLResponse(templates.get_template(name).render(session=session, **context),
                        status_code=status)


def _need(request: Request, what: str) -> Session:
    session: Session = request.state.session
    if not roles.may(session.role, what):
        raise HTTPException(403, "your role may not see this page")
    return session


def _cookie(response: Response, name: str, value: str, secure: bool, path: str = "/",
            max_age: int | None = None) -> None:
    response.set_cookie(name, value, httponly=True, samesite="strict", secure=secure, path=path,
                        max_age=max_age)


def create_serve_app(home: Path, access: Access, serve: Serve,
                     after_judgement: AfterJudgement | None = None) -> FastAPI:
    """The app `foto serve` runs for `home`: logins checked by `access` rules, sessions by
    `serve`'s; `after_judgement` as for the review page (`web.review.create_review_app`)."""
    home = Path(home)
    worker = Worker(after_judgement) if after_judgement else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if worker:
            worker.shutdown()   # a running update finishes before the server ends

    sessions = Sessions(timedelta(minutes=serve.session_idle_minutes),
                        timedelta(hours=serve.session_max_hours))
    key = home_key(home, "session")
    secure = serve.secure_cookie
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.sessions = sessions

    def login_page(request: Request, failed: bool = False, status: int = 200) -> Response:
        # the browser's nonce is kept while it has one: a second load of /login (a favicon
        # redirected here, another tab) must not void the form already shown
        nonce = request.cookies.get(PRE_COOKIE, "")
        if not NONCE.match(nonce):
            nonce = secrets.token_urlsafe(32)
        response = _render("serve_login.html", None, status, failed=failed,
                           csrf_token=pre_login_token(key, nonce))
        _cookie(response, PRE_COOKIE, nonce, secure, path="/login")
        return response

    @app.get("/login")
    def login_form(request: Request) -> Response:
        return login_page(request)

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        field = {k: v[0] for k, v in form.items() if v}
        nonce = request.cookies.get(PRE_COOKIE)
        if not nonce or not same(field.get("csrf_token"), pre_login_token(key, nonce)):
            return PlainTextResponse("missing or wrong CSRF token: reload the login page",
                                     status_code=403)
        user = verify_login(home, field.get("username", ""), field.get("password", ""),
                            access)
        if user is None:
            return login_page(request, failed=True, status=401)
        sessions.end(request.cookies.get(SESSION_COOKIE))
        session = sessions.start(user.name, user.role)
        response = RedirectResponse(
            "/audit" if roles.may(user.role, roles.AUDIT_LOG) else "/", status_code=303)
        _cookie(response, SESSION_COOKIE, session.id, secure)
        response.delete_cookie(PRE_COOKIE, path="/login")
        return response

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        session: Session = request.state.session
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        if not same((form.get("csrf_token") or [""])[0], session.csrf):
            return PlainTextResponse("missing or wrong CSRF token", status_code=403)
        sessions.end(session.id)
        record(home, "logout", who=session.user, role=session.role)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    index_templates = index_templates_of()

    @app.get("/")
    def index(request: Request, zoek: str = "", pagina: str = "1") -> Response:
        """One page of the index, searched in the server (`web.index_page`); the page seen
        is logged, a search only as a keyed hash of its text."""
        session = _need(request, roles.INDEX)
        if len(zoek) > MAX_SEARCH:
            raise HTTPException(400, "a search is at most 200 characters")
        if not PAGE_NUMBER.match(pagina):
            raise HTTPException(404, "no such page")
        triage, publication = _triage(home)
        try:
            shown = index_page(triage / "triage.duckdb", int(pagina), zoek)
        except NoSuchPage:
            raise HTTPException(404, "no such page") from None
        if zoek.strip():
            record(home, "search", who=session.user, role=session.role,
                   publication=publication, detail={"search_hash": search_hash(home, zoek),
                                                    "page": shown.page,
                                                    "found": shown.found})
        else:
            record(home, "index", who=session.user, role=session.role, publication=publication,
                   detail={"page": shown.page})
        return HTMLResponse(render_index(index_templates, triage, home, shown, zoek.strip(),
                                         session.csrf))

    @app.get("/index.html")
    def index_file(request: Request) -> Response:
        _need(request, roles.INDEX)
        return RedirectResponse("/", status_code=303)

    @app.get("/publication.js")
    def publication_js(request: Request) -> Response:
        _need(request, roles.INDEX)
        triage, _ = _triage(home)
        return Response((triage / "publication.js").read_bytes(),
                        media_type="text/javascript")

    @app.get("/sheets/{name}")
    def sheet_file(request: Request, name: str) -> Response:
        _need(request, roles.SHEETS)
        person_id = name.removesuffix(".html")
        if not PERSON_ID.match(person_id):
            raise HTTPException(404, "no such person")
        return RedirectResponse(f"/personen/{person_id}", status_code=303)

    @app.get("/personen/{person_id}")
    def sheet(request: Request, person_id: str, doel: str | None = None) -> Response:
        session = _need(request, roles.SHEETS)
        triage, publication = _triage(home)
        if not _known_person(triage, person_id):
            raise HTTPException(404, "no such person")
        given = purpose.checked(doel) if doel is not None else session.purposes.get(person_id)
        if given is None:
            return _render("serve_purpose.html", session, 400 if doel is not None else 200,
                           person_id=person_id, fixed=purpose.FIXED, refused=doel is not None)
        page = (triage / "sheets" / f"{person_id}.html").read_bytes()
        session.purposes[person_id] = given
        record(home, "view", who=session.user, role=session.role, person_id=person_id,
               purpose=given, publication=publication)
        return _published(page)

    @app.get("/audit")
    def audit_log(request: Request, voor: int | None = None) -> Response:
        session = _need(request, roles.AUDIT_LOG)
        entries = newest_entries(home, AUDIT_PAGE, voor)
        older = entries[-1].id if len(entries) == AUDIT_PAGE else None
        record(home, "audit_read", who=session.user, role=session.role)
        return _render("serve_audit.html", session, heading="Het logboek", entries=entries,
                       older=older)

    @app.get("/audit/person")
    def access_report_form(request: Request, id: str = "") -> Response:  # noqa: A002
        _need(request, roles.ACCESS_REPORT)
        if not PERSON_ID.match(id.strip()):
            raise HTTPException(404, "no such person")
        return RedirectResponse(f"/audit/person/{quote(id.strip())}", status_code=303)

    @app.get("/audit/person/{person_id}")
    def access_report(request: Request, person_id: str) -> Response:
        session = _need(request, roles.ACCESS_REPORT)
        if not PERSON_ID.match(person_id):
            raise HTTPException(404, "no such person")
        entries = [e for e in person_entries(home, person_id) if e.action in VIEW_ACTIONS]
        record(home, "access_report", who=session.user, role=session.role,
               person_id=person_id)
        return _render("serve_audit.html", session,
                       heading=f"Inzagerapport van persoon {person_id}", entries=entries,
                       older=None)

    app.include_router(review_router(home, worker, base=REVIEW), prefix=REVIEW)
    app.mount(REVIEW + "/static", StaticFiles(packages=[("web", "static")]), name="static")

    @app.middleware("http")
    async def _gate(request: Request,
                    call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """A session for every route but /login; the role for the review page; CSRF (a
        header or, for /logout, the form's field) for every change."""
        path = request.url.path
        try:
            needed = permission(path)
        except KeyError:
            needed = ""   # an unknown address: still only for a session (then a 404)
        if needed is None:
            return _secured(await call_next(request))
        session = sessions.get(request.cookies.get(SESSION_COOKIE))
        if session is None:
            if request.method in SAFE_METHODS:
                return _secured(RedirectResponse("/login", status_code=303))
            return _secured(PlainTextResponse("not logged in", status_code=401))
        if needed == roles.REVIEW and not roles.may(session.role, roles.REVIEW):
            return _secured(PlainTextResponse("your role may not see this page",
                                              status_code=403))
        if request.method not in SAFE_METHODS and path != "/logout" \
                and not same(request.headers.get(CSRF_HEADER), session.csrf):
            return _secured(PlainTextResponse("missing or wrong CSRF token", status_code=403))
        request.state.session = session
        request.state.csrf = session.csrf
        request.state.reviewer = session.user
        try:
            response = await call_next(request)
        except Exception as err:  # noqa: BLE001 - told by type and id; its text may quote data
            return _secured(PlainTextResponse(
                f"internal error ({type(err).__name__}, id {uuid.uuid4().hex[:8]}); "
                "nothing was logged", status_code=500))
        return _secured(response)

    return app
