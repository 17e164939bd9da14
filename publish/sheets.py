"""Triage sheets ("de foto"): one static HTML page per person of concern, and an index.

Rendered from the published triage database only, so a sheet can never show more than the
declared triage columns (`publish.audiences`). Jinja2 autoescaping makes every value text:
a name holding `<script>` is shown, never run. Pages need no server and print on A4.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from functools import cache
from pathlib import Path

import duckdb
from jinja2 import Environment, PackageLoader, select_autoescape

from profiles.flags import priority_explanation, priority_rank_sql
from publish.audiences import disclosure
from publish.display import (
    FOLD_JS,
    LABELS,
    concern_phrase,
    concern_sentences,
    dutch_date,
    dutch_datetime,
    dutch_long_date,
    fold,
    label,
    person_name,
    plural,
    search_text,
)
from stores.database import rows_of
from stores.duck import open_duckdb
from stores.sql import Fragment, Identifier, fill

DIGESTS = "digests.json"  # person id -> hash of what the sheet shows
# Person ids whose sheet an arrest replaced after the publication wrote its digests, one a line:
# their digests no longer describe their files, so the next publication renders them afresh.
# Appended to (under the publish lock) rather than the digests rewritten, which at a million
# persons is megabytes of JSON read and written per arrest.
STALE_DIGESTS = "digests.stale"
# The publication's date, for the sheets to show: a sheet is the same file in every
# publication whose content for that person is the same (hard-linked, and a rerun of a
# delivery changes no sheet), so the date it shows comes from its publication's folder.
PUBLICATION_JS = "publication.js"
# The index's rows of persons, rendered once per publication: an arrest run puts its arrests
# above them without rendering tens of thousands of rows again.
INDEX_ROWS = "index_persons.fragment.html"
PRIORITY_RANK = priority_rank_sql("prioriteit")


@cache
def environment() -> Environment:
    """The pages' Jinja environment: every code, date and name goes through one filter of
    `publish.display`, so the index and every sheet read alike. One per process: its
    templates are compiled once (an arrest run renders a sheet and the index in a tenth of a
    second less; the arrest worker every time). Nothing in it changes after it is made."""
    env = Environment(loader=PackageLoader("publish", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    for kind in LABELS:
        env.filters[kind] = lambda code, kind=kind: label(kind, code)
    env.filters["percent"] = percent
    env.filters["datum"] = dutch_date
    env.filters["lange_datum"] = dutch_long_date
    env.filters["tijdstip"] = dutch_datetime
    env.filters["naam"] = person_name
    env.filters["fold"] = fold
    env.globals |= {"plural": plural, "concern_sentences": concern_sentences,
                    "concern_phrase": concern_phrase,
                    "priority_explanation": priority_explanation,
                    "disclosure": disclosure(), "fold_js": FOLD_JS,
                    "search_text": search_text}
    return env


def percent(p: float) -> str:
    """A probability as Dutch triage staff read it: '97,3%', never a rounded-up '100%'."""
    if p >= 0.999:
        return "meer dan 99,9%"
    return f"{p * 100:.1f}%".replace(".", ",")


def _grouped(rows: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in rows:
        out.setdefault(row["person_id"], []).append(row)
    return out


def _digest(parts: dict) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


# What a sheet shows, per part: the published triage table and the order of its rows.
SHEET_PARTS: dict[str, tuple[str, str]] = {
    "signals": ("triage_signaal", "ORDER BY ALL"),
    "timeline": ("triage_tijdlijn", "ORDER BY person_id, datum DESC NULLS LAST, partner, "
                                    "gebeurtenis, rol, omschrijving, status"),
    "network": ("triage_netwerk", "ORDER BY ALL"),
    "certainty": ("triage_zekerheid", ""),
}


def sheet_parts(con: duckdb.DuckDBPyConnection, person_id: str | None = None) -> list[dict]:
    """What each sheet shows, read from the triage tables on `con` (`publish.audiences`):
    one dict per person (`p`, `signals`, `timeline`, `network`, `certainty`), in the index's
    order; only `person_id`'s when given. The nightly publication and an arrest read alike."""
    where, params = ("WHERE person_id = $pid", {"pid": person_id}) if person_id else ("", {})
    persons = rows_of(con, fill("SELECT * FROM triage_person {where} ORDER BY {rank}, naam",
                                where=Fragment(where), rank=Fragment(PRIORITY_RANK)), params)
    parts = {key: _grouped(rows_of(con, fill("SELECT * FROM {table} {where} {order}",
                                             table=Identifier(table), where=Fragment(where),
                                             order=Fragment(order)), params))
             for key, (table, order) in SHEET_PARTS.items()}
    return [{"p": p, "signals": parts["signals"].get(p["person_id"], []),
             "timeline": parts["timeline"].get(p["person_id"], []),
             "network": parts["network"].get(p["person_id"], []),
             "certainty": (parts["certainty"].get(p["person_id"]) or [None])[0]}
            for p in persons]


def render_sheet(env: Environment, parts: dict, arrest: dict | None = None) -> str:
    """One person's sheet, from `sheet_parts`; with an `arrest`, marked as arrested."""
    return env.get_template("sheet.html").render(**parts, arrest=arrest)


def render_sheets(triage_db: Path, out_dir: Path, published_at: str,
                  previous: Path | None = None) -> dict[str, int]:
    """Write `index.html` and `sheets/<person_id>.html`.

    A sheet whose content is unchanged since the `previous` publication's triage folder is
    hard-linked from it instead of rendered again, so a nightly run re-publishes only persons
    whose photo changed. Returns counts of sheets rendered and reused.
    """
    env = environment()
    con = open_duckdb(triage_db, read_only=True)
    try:
        all_parts = sheet_parts(con)
    finally:
        con.close()
    persons = [parts["p"] for parts in all_parts]
    sheets = out_dir / "sheets"
    sheets.mkdir(parents=True, exist_ok=True)
    write_publication_js(out_dir, published_at)
    old_digests = _previous_digests(previous)
    digests: dict[str, str] = {}
    reused = 0

    def index() -> None:
        persons_html = env.get_template("index_persons.html").render(persons=persons)
        (out_dir / INDEX_ROWS).write_text(persons_html, encoding="utf-8")
        (out_dir / "index.html").write_text(env.get_template("index.html").render(
            persons_html=persons_html, persons_count=len(persons), arrests=[],
            published_at=published_at), encoding="utf-8")

    with SheetWriter(env, sheets) as writer:
        for parts in all_parts:
            pid = parts["p"]["person_id"]
            digests[pid] = _digest(parts)
            if previous is not None and old_digests.get(pid) == digests[pid] \
                    and (previous / "sheets" / f"{pid}.html").exists():
                os.link(previous / "sheets" / f"{pid}.html", sheets / f"{pid}.html")
                reused += 1
            else:
                writer.add(parts)   # rendered by workers already while the rest is compared
        rendered = writer.finish(meanwhile=index)
    (sheets / DIGESTS).write_text(json.dumps(digests, sort_keys=True), encoding="utf-8")
    return {"sheets": len(persons), "rendered": rendered, "reused": reused}


# Sheets per batch handed to a rendering process, and the fewest changed sheets worth starting
# processes for: a worker starts a fresh interpreter (about a second of imports), which a
# judgement's or a small region's few hundred sheets do not repay.
BATCH = 500
PARALLEL_FROM = 2000


class SheetWriter:
    """Renders and writes changed sheets as they are found (`add`), then runs `meanwhile`
    (the index) in this process while the last ones render (`finish`, which says how many).

    Why processes: Jinja renders in pure Python, under the GIL, so threads would not use a
    second core; rendering was most of the publication's CPU (a 1M-person region publishes
    about 100,000 sheets). Why as they are found: comparing every sheet's digest with the
    previous publication's is one core's work (about 100,000 digests at a million persons);
    once `PARALLEL_FROM` changed sheets are waiting the workers start and take batches while
    the rest are compared, instead of after. Fewer changed sheets than that render in this
    process (a worker's start-up is not repaid). Why `spawn`: the run's process holds
    DuckDB's and Dagster's threads, and a forked child could inherit a lock one of them held.
    The workers get the sheets' parts through multiprocessing's pipes (no file outside the
    home) and write each sheet as this process would: the same files, whichever writes them;
    the index and the digests stay here, in the index's order."""

    def __init__(self, env: Environment, sheets: Path) -> None:
        self.env, self.sheets = env, sheets
        self.waiting: list[dict] = []
        self.pool: ProcessPoolExecutor | None = None
        self.done: list[Future] = []

    def __enter__(self) -> SheetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=exc[0] is not None)

    def add(self, parts: dict) -> None:
        self.waiting.append(parts)
        if self.pool is None and len(self.waiting) >= PARALLEL_FROM \
                and len(os.sched_getaffinity(0)) >= 2:
            self.pool = ProcessPoolExecutor(len(os.sched_getaffinity(0)),
                                            mp_context=multiprocessing.get_context("spawn"))
        while self.pool is not None and len(self.waiting) >= BATCH:
            self._submit(self.waiting[:BATCH])
            del self.waiting[:BATCH]

    def _submit(self, batch: list[dict]) -> None:
        assert self.pool is not None
        self.done.append(self.pool.submit(_render_batch, str(self.sheets), batch))

    def finish(self, meanwhile: Callable[[], None]) -> int:
        if self.pool is None:
            meanwhile()
            return _render_batch(str(self.sheets), self.waiting, self.env)
        for i in range(0, len(self.waiting), BATCH):
            self._submit(self.waiting[i:i + BATCH])
        self.waiting = []
        meanwhile()
        return sum(f.result() for f in self.done)


def _render_batch(sheets: str, batch: list[dict], env: Environment | None = None) -> int:
    """Write one batch of sheets: with this process's `env`, or in a worker with the
    worker's own."""
    env = env or environment()
    for parts in batch:
        target = Path(sheets) / f"{parts['p']['person_id']}.html"
        target.write_text(render_sheet(env, parts), encoding="utf-8")
    return len(batch)


def write_publication_js(out_dir: Path, published_at: str) -> Path:
    """`publication.js`: fills every `.foto-publicatie` of a page with the publication's
    date and time (dd-mm-jjjj hh:mm), on screen and in print."""
    text = json.dumps(dutch_datetime(published_at))
    target = out_dir / PUBLICATION_JS
    target.write_text(
        "document.querySelectorAll('.foto-publicatie').forEach(function (e) {\n"
        f"  e.textContent = {text};\n}});\n", encoding="utf-8")
    return target


def _previous_digests(previous: Path | None) -> dict[str, str]:
    """The `previous` publication's digests, without those of sheets an arrest replaced."""
    path = previous / "sheets" / DIGESTS if previous else None
    if path is None or not path.exists():
        return {}
    digests = json.loads(path.read_text(encoding="utf-8"))
    stale = path.with_name(STALE_DIGESTS)
    if stale.exists():
        for person_id in stale.read_text(encoding="utf-8").split():
            digests.pop(person_id, None)
    return digests
