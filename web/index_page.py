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
backslashes are only characters); no SQL text depends on what was typed. A row is folded by
DuckDB where its functions fold exactly as `fold` (`SQL_FOLDED`), else through `search_text`
itself, registered on the connection, so both sides fold alike.
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
from publish.display import FOLD_MAP, search_text, search_words
from publish.sheets import PRIORITY_RANK, environment
from stores.database import connect, rows_of
from stores.sql import Constant, Fragment, Identifier, fill

PAGE_SIZE = 50
SEARCH_UDF = "foto_search_text"

# The search text of a row, in SQL, where DuckDB folds it exactly as `fold`: a row in plain
# ASCII by `lower`; a row of `SQL_FOLDED` letters (the Latin letters with their diacritics, in
# any case, composed or not) by `lower`, the letters Unicode does not decompose
# (`FOLD_MAP`) and `strip_accents`; any other row through `search_text` itself, registered on
# the connection (a Python call per row: slower, so kept to the rows that need it).
# tests/test_serve.py checks every letter of `SQL_FOLDED` against `fold`.
_LATIN = ((0x20, 0x7E), (0xA1, 0x24F), (0x300, 0x36F), (0x1E00, 0x1EFF))
# what strip_accents keeps and NFKD does not: compatibility forms (ĳ, ǆ, ſ, ², ½, ...), and
# U+0345 (a mark whose capital is a letter) and U+034F (a mark `fold` keeps)
_NOT_FOLDED = frozenset("¨ª¯²³´µ¸¹º¼½¾ĲĳŉſǄǅǆǇǈǉǊǋǌǱǲǳẚẛ\u0345\u034f")
SQL_FOLDED = frozenset(chr(c) for low, high in _LATIN for c in range(low, high + 1)) \
    - _NOT_FOLDED


def _char_class(chars: frozenset[str]) -> str:
    """An RE2 character class of `chars`, as ranges of code points."""
    points, ranges = sorted(map(ord, chars)), []
    for point in points:
        if ranges and point == ranges[-1][1] + 1:
            ranges[-1][1] = point
        else:
            ranges.append([point, point])
    return "[" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges) + "]*"


def sql_fold(expression: str) -> str:
    """`fold` of a text `expression` in SQL, exact for text of `SQL_FOLDED` letters."""
    def letters(text: str) -> str:
        for letter, plain in FOLD_MAP.items():
            text = fill("replace({text}, {letter}, {plain})", text=Fragment(text),
                        letter=Constant(letter), plain=Constant(plain))
        return text
    return letters(f"strip_accents({letters(f'lower({expression})')})")


_YEAR = "TRY_CAST(geboortejaar AS BIGINT)"
_DAY = "TRY_CAST(geboortedatum AS DATE)"
_PLAIN = (f"concat_ws(' ', naam, person_id, woonplaats, CAST(nullif({_YEAR}, 0) AS VARCHAR), "
          f"strftime({_DAY}, '%d-%m-%Y'))")
_HAYSTACK = fill("CASE WHEN strlen(plain) = length(plain) THEN lower(plain) "
                 "WHEN regexp_full_match(plain, {latin}) THEN {folded} "
                 "ELSE {udf}(naam, person_id, woonplaats, {year}, {day}) END",
                 latin=Constant(_char_class(SQL_FOLDED)), folded=Fragment(sql_fold("plain")),
                 udf=Identifier(SEARCH_UDF), year=Fragment(_YEAR), day=Fragment(_DAY))
_ORDER = Fragment(fill("ORDER BY {rank}, naam, person_id", rank=Fragment(PRIORITY_RANK)))
_FOUND = fill("FROM (SELECT * EXCLUDE (plain), {hay} AS zoek FROM "
              "(SELECT *, {plain} AS plain FROM triage_person)) "
              "WHERE list_bool_and(list_transform($words::VARCHAR[], "
              "lambda w: contains(zoek, w)))", hay=Fragment(_HAYSTACK),
              plain=Fragment(_PLAIN))
# The queries of a page: all persons, or those the words find (with their count). Nothing
# typed is in them: the words are one bound list.
COUNT_ALL = "SELECT count(*) FROM triage_person"
PAGE_ALL = fill("SELECT * FROM triage_person {order} LIMIT $limit OFFSET $offset",
                order=_ORDER)
PAGE_FOUND = fill("SELECT * EXCLUDE (zoek), count(*) OVER () AS _found {found} {order} "
                  "LIMIT $limit OFFSET $offset", found=Fragment(_FOUND), order=_ORDER)


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
    if page < 1:
        raise NoSuchPage(page)
    window = {"limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE}
    with connect(triage_db, read_only=True) as con:
        total = con.execute(COUNT_ALL).fetchall()[0][0]
        if words:
            _prepared(con)
            persons = rows_of(con, PAGE_FOUND, window | {"words": words})
            found = persons[0].pop("_found") if persons else 0
            for person in persons[1:]:
                del person["_found"]
        else:
            persons, found = rows_of(con, PAGE_ALL, window), total
    pages = max(1, math.ceil(found / PAGE_SIZE))
    if page > pages:
        raise NoSuchPage(page)
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
