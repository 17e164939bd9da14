"""The review page: the queue, one item at a time, and a decision stored at once.

Routes live in an APIRouter (`review_router`) so that a login can stand in front of them
later (`foto serve`, role analyst); `create_review_app` is the app `foto review` serves on
127.0.0.1, guarded by `web.app`. Who decides: `request.state.reviewer` when the app fixes it
(`foto review --by NAME`, later the login), else the name field of the page.

Every request opens the current publication's warehouse read-only and closes it before it
answers: a nightly run's publication replaces the file, and the next request reads the new
one. A decision goes through the same functions and checks as `foto judge`
(`judgements.intake.make_request`, `judgements.evidence.with_evidence`, `store.append`).
Record keys from an address are checked by the same key rules before any SQL and bound as
parameters; an unknown or malformed key is a plain 404. Nothing is written under
`published/`. The audit log records each item viewed and each judgement, by ids only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from pydantic import BaseModel

from audit.log import record
from audit.store import as_id
from judgements.evidence import published_warehouse, with_evidence
from judgements.intake import JudgementRefused, make_request, parse_key
from judgements.store import append, open_store
from sources.registry import registry
from stores.database import connect
from web import effect, pair_view, waterfall
from web.app import Access, guard
from web.judged import latest_judgements
from web.worker import AfterJudgement, Worker

NEXT_RUN = "takes effect in the next run"

templates = Environment(loader=PackageLoader("web", "templates"),
                        autoescape=select_autoescape(default=True, default_for_string=True))


class Decision(BaseModel):
    """A decision as the page posts it; checked by `judgements.intake`, not here."""

    left: str
    right: str
    decision: str
    reason: str = ""
    by: str = ""


def _page(request: Request, name: str, base: str, **context: Any) -> HTMLResponse:
    reviewer = getattr(request.state, "reviewer", None)
    return HTMLResponse(templates.get_template(name).render(
        csrf=getattr(request.state, "csrf", ""), reviewer=reviewer, base=base, **context))


def _warehouse(home: Path) -> Path:
    try:
        return published_warehouse(home)
    except JudgementRefused:
        raise HTTPException(503, "no publication in this home yet (run `foto run` first)") \
            from None


def _uid(text: str, sources: frozenset[str], side: str) -> str:
    """A key from an address as a unique id, or 404 (no trace of what was asked)."""
    try:
        return parse_key(text, sources, side).unique_id
    except JudgementRefused:
        raise HTTPException(404, "no such item") from None


def review_router(home: Path, worker: Worker | None = None, base: str = "") -> APIRouter:
    """The review page's routes for the home's current publication; `base` is the prefix the
    router is included under (`/review` in `foto serve`), for the page's own links."""
    router = APIRouter()
    sources = frozenset(registry().names())

    def url(entry: dict[str, Any]) -> str:
        return base + item_url(entry)

    @router.get("/", response_class=HTMLResponse)
    def queue_page(request: Request) -> HTMLResponse:
        with connect(_warehouse(home), read_only=True) as con:
            items = pair_view.queue(con)
        return _page(request, "queue.html", base, items=items, url=url,
                     judged=latest_judgements(home))

    @router.get("/rank/{rank}")
    def by_rank(rank: int) -> RedirectResponse:
        with connect(_warehouse(home), read_only=True) as con:
            entry = pair_view.queue_item(con, rank)
        if entry is None:
            raise HTTPException(404, "no such item")
        return RedirectResponse(url(entry), status_code=303)

    @router.get("/item", response_class=HTMLResponse)
    def item_page(request: Request, left: str = "", right: str = "") -> HTMLResponse:
        left_uid, right_uid = _uid(left, sources, "left"), _uid(right, sources, "right")
        if left_uid == right_uid:
            raise HTTPException(404, "no such item")
        warehouse = _warehouse(home)
        with connect(warehouse, read_only=True) as con:
            found = pair_view.item(con, left_uid, right_uid)
            data = waterfall.waterfall_data(con, home, *sorted((left_uid, right_uid))) \
                if found else None
        if found is None:
            raise HTTPException(404, "no such item")
        log_item_view(home, request, found, warehouse.parent.name)
        chart = Markup(waterfall.waterfall_svg(data)) if data else None
        judged = latest_judgements(home).get((found["left"], found["right"]))
        return _page(request, "item.html", base, item=found, chart=chart, url=url,
                     judged=judged)

    @router.post("/judgement")
    def judge(request: Request, body: Decision) -> JSONResponse:
        by = getattr(request.state, "reviewer", None) or body.by
        try:
            asked = make_request(body.left, body.right, body.decision, by, body.reason,
                                 sources)
            warehouse = published_warehouse(home)
            judged = with_evidence([asked], warehouse)
        except JudgementRefused as refused:   # its message names fields, never values
            return JSONResponse({"refused": str(refused)}, status_code=400)
        with connect(warehouse, read_only=True) as con:
            change = effect.describe(con, asked.left.unique_id, asked.right.unique_id,
                                     asked.decision)
        with open_store(home, create=True) as engine:
            ids = append(engine, judged)
        # the audit log keeps that a judgement was taken, by ids only: never the reason; by
        # the logged-in user under `foto serve`, else (`foto review`) under the service account
        # (the page's name field is free text: it is in the judgement, not in the log)
        session = getattr(request.state, "session", None)
        record(home, "judgement", who=getattr(session, "user", None),
               role=getattr(session, "role", None),
               detail={"judgement_ids": ids, "count": len(ids), asked.decision: 1})
        job = worker.submit(ids) if worker else None
        return JSONResponse({"id": ids[0], "decision": asked.decision, "effect": change,
                             "job": job, "status": "queued" if job else NEXT_RUN})

    @router.get("/status/{job}")
    def status(job: str) -> JSONResponse:
        state = worker.state(job) if worker else None
        if state is None:
            raise HTTPException(404, "no such job")
        return JSONResponse(state)

    return router


def log_item_view(home: Path, request: Request, found: dict[str, Any],
                  publication: str) -> None:
    """An item shows two records' personal data: its view is in the audit log, once for each
    person it shows (so that each one's access report lists it), with both records' ids and
    both persons' ids, never a name. Under `foto serve` by the logged-in analyst, under `foto
    review` by the service account (as its judgements)."""
    session = getattr(request.state, "session", None)
    records = [as_id(found["left"]), as_id(found["right"])]
    persons = [p["person_id"] if p and p.get("person_id") else None
               for p in found["persons"]]
    for person_id in dict.fromkeys(persons):
        record(home, "review_view", who=getattr(session, "user", None),
               role=getattr(session, "role", None), person_id=person_id,
               publication=publication, detail={"records": records, "persons": persons})


def item_url(entry: dict[str, Any]) -> str:
    """The address of a queue entry's item (keys as query values: justice ids hold `/`)."""
    return "/item?" + urlencode({"left": entry["unique_id_l"], "right": entry["unique_id_r"]})


def create_review_app(home: Path, after_judgement: AfterJudgement | None = None,
                      reviewer: str | None = None,
                      access: Access | None = None) -> FastAPI:
    """The review page for `home`, behind this start's token (`access`; a new one when not
    given). `after_judgement(ids)` runs after each stored decision, in the background, one at
    a time (e.g. re-publishing the persons it touches); its message shows on the page.
    `reviewer` fixes who decides (else the page asks)."""
    worker = Worker(after_judgement) if after_judgement else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if worker:
            worker.shutdown()   # a running update finishes before the server ends

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    name = (reviewer or "").strip() or None

    @app.middleware("http")
    async def _reviewer(request: Request, call_next: Any) -> Any:
        request.state.reviewer = name
        return await call_next(request)

    guard(app, access or Access())   # added last: runs first
    app.include_router(review_router(home, worker))
    app.mount("/static", StaticFiles(packages=[("web", "static")]), name="static")
    return app
