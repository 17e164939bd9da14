"""`foto serve`'s index: one page of persons at a time, searched in the server.

The published `index.html` holds every person (tens of megabytes at 100,000 persons) and is
searched in the browser: a laptop cannot load it, and it hands every name in the region to
whoever opens it. Served, the index is rendered per request from the publication's
`triage.duckdb` (read-only): `PAGE_SIZE` persons in the published index's order (priority,
name; the person id breaks ties, so that pages never overlap), with the same rows, columns and
arrests as the published page (its templates, `serve_index.html` overriding the search).

The search keeps the published page's meaning: every word typed, folded (no case, no
diacritics), must occur in the person's `publish.display.search_text`. It runs in SQL with the
words as one bound list and `contains` (a plain substring test: `%`, `_`, quotes and
backslashes are only characters); no SQL text depends on what was typed. A row of plain ASCII
is folded by DuckDB's `lower` (the same as `fold` for ASCII), any other through
`search_text` itself, registered on the connection, so both sides fold alike.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import duckdb
from jinja2 import ChoiceLoader, Environment, PackageLoader

from publish.arrest_flow import index_arrests
from publish.display import search_text, search_words
from publish.sheets import PRIORITY_RANK, environment
from stores.database import connect, rows_of
from stores.sql import Fragment, fill

PAGE_SIZE = 50
SEARCH_UDF = "foto_search_text"

# The search text of a row, in SQL: DuckDB's own for a row in plain ASCII (where `fold` is
# `lower` and the name as shown differs only in case), `search_text` for any other.
_YEAR = "TRY_CAST(geboortejaar AS BIGINT)"
_DAY = "TRY_CAST(geboortedatum AS DATE)"
_PLAIN = (f"concat_ws(' ', naam, person_id, woonplaats, CAST(nullif({_YEAR}, 0) AS VARCHAR), "
          f"strftime({_DAY}, '%d-%m-%Y'))")
_HAYSTACK = (f"CASE WHEN strlen({_PLAIN}) = length({_PLAIN}) THEN lower({_PLAIN}) "
             f"ELSE {SEARCH_UDF}(naam, person_id, woonplaats, {_YEAR}, {_DAY}) END")
_ORDER = Fragment(fill("ORDER BY {rank}, naam, person_id", rank=Fragment(PRIORITY_RANK)))
_FOUND = fill("FROM (SELECT *, {hay} AS zoek FROM triage_person) "
              "WHERE list_bool_and(list_transform($words::VARCHAR[], "
              "lambda w: contains(zoek, w)))", hay=Fragment(_HAYSTACK))
# The two queries of a page: all persons, or those the words find. Nothing typed is in them.
COUNT_ALL = "SELECT count(*) FROM triage_person"
COUNT_FOUND = fill("SELECT count(*) {found}", found=Fragment(_FOUND))
PAGE_ALL = fill("SELECT * FROM triage_person {order} LIMIT $limit OFFSET $offset",
                order=_ORDER)
PAGE_FOUND = fill("SELECT * EXCLUDE (zoek) {found} {order} LIMIT $limit OFFSET $offset",
                  found=Fragment(_FOUND), order=_ORDER)


@dataclass(frozen=True)
class IndexPage:
    """One page of the index: its persons, and where it stands among all."""

    persons: list[dict[str, Any]]
    total: int      # persons in the publication
    found: int      # persons the search found (all, without a search)
    page: int
    pages: int


class NoSuchPage(LookupError):
    """A page number beyond the last page (or below 1)."""


def _prepared(con: duckdb.DuckDBPyConnection) -> None:
    con.create_function(SEARCH_UDF, search_text,
                        ["VARCHAR", "VARCHAR", "VARCHAR", "BIGINT", "DATE"], "VARCHAR",
                        null_handling="special", side_effects=False)


def index_page(triage_db: Path, page: int, query: str = "") -> IndexPage:
    """Page `page` (from 1) of the persons in `triage_db` that `query` finds (all without
    one); `NoSuchPage` past the last page. Page 1 of nothing found is an empty page."""
    words = search_words(query)
    searched = {"words": words} if words else {}
    with connect(triage_db, read_only=True) as con:
        if words:
            _prepared(con)
        total = con.execute(COUNT_ALL).fetchall()[0][0]
        found = con.execute(COUNT_FOUND, searched).fetchall()[0][0] if words else total
        pages = max(1, math.ceil(found / PAGE_SIZE))
        if not 1 <= page <= pages:
            raise NoSuchPage(page)
        persons = rows_of(con, PAGE_FOUND if words else PAGE_ALL,
                          searched | {"limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE})
    return IndexPage(persons, total, found, page, pages)


def templates() -> Environment:
    """The published pages' environment (their filters, their `base.html`), which also finds
    `serve_index.html` in this package's templates."""
    published = environment()
    return published.overlay(loader=ChoiceLoader([published.loader,
                                                  PackageLoader("web", "templates")]))


def render_index(env: Environment, triage: Path, home: Path, shown: IndexPage, query: str,
                 csrf: str) -> str:
    """The served index page: the published index's look, one page of persons, the arrests
    the publication holds (on page 1), how fresh each partner's data is."""
    manifest = _manifest(triage)
    published_at = manifest.get("published_at", "")
    rows = env.get_template("index_persons.html").render(persons=shown.persons)
    arrests = index_arrests(home, triage.parent) if shown.page == 1 else []
    return env.get_template("serve_index.html").render(
        persons_html=rows, persons_count=shown.total, arrests=arrests,
        published_at=published_at, delivery=manifest.get("delivery"),
        freshness=manifest.get("freshness") or {}, shown=shown, zoek=query, csrf=csrf,
        page_url=page_url(query), page_numbers=page_numbers(shown.page, shown.pages))


def page_url(query: str) -> Callable[[int], str]:
    """The address of a page of this search (the search text in it as a query value)."""
    def url(page: int) -> str:
        return "/?" + urlencode(({"zoek": query} if query else {}) | {"pagina": page})
    return url


def page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """The page links shown: the first, the last and those near `page`; None for a gap."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out


def _manifest(triage: Path) -> dict[str, Any]:
    try:
        said = json.loads((triage / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return said if isinstance(said, dict) else {}
