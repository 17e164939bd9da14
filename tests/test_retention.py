"""Retention per source (issue 17): records past their use term are not accepted, counted as
expired, and the terms are configuration that is checked at start.

What a record's term is, is computed here apart from the pipeline: from the raw files as the
contract describes them and the terms the sources declare (`sources/<name>.py`, `RETENTION`);
the pipeline's door (`assets.ingest._read`, what the `raw_<source>` asset runs) must agree.
"Today" is the delivery date, so the clock moves forward by giving the same delivery a later
date.
"""

from __future__ import annotations

import copy
import csv
import json
import shutil
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from assets.ingest import _read
from config import DEFAULT_PATH, ConfigError, load_config
from sources.registry import registry
from sources.retention import Term, Terms, resolve_terms
from tests.conftest import SAMPLE

DEFAULTS: dict[str, Any] = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
DELIVERY = next(p for p in sorted((SAMPLE / "inbox").iterdir()) if p.name[0].isdigit())
SOURCES = ("police", "justice", "care", "municipal")


def no_terms(source: str) -> Terms:
    """The source's rule without any term: every record the reader accepts stays."""
    return Terms(replace(registry()[source].retention, term=Term(None, None), kinds={}))


# -- the raw files, read apart from the pipeline ---------------------------------------------

def _dmy(text: str, layout: str) -> date | None:
    try:
        return datetime.strptime(text, layout).date()
    except ValueError:
        return None


def raw_dates(source: str, folder: Path) -> dict[str, tuple[date | None, str | None]]:
    """record id -> (the date its terms run from, its kind), straight from the file."""
    path = folder / registry()[source].file
    if source == "police":
        with path.open(encoding="cp1252", newline="") as f:
            return {r["record_id"]: (_dmy(r["registratie_datum"], "%d-%m-%Y"), None)
                    for r in csv.DictReader(f, delimiter=";")}
    if source == "justice":
        frame = pd.read_parquet(path)
        return {r: (None if pd.isna(d) else pd.Timestamp(d).date(), k) for r, d, k in
                zip(frame["record_id"], frame["status_datum"], frame["zaak_status"],
                    strict=True)}
    if source == "care":
        out = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                report = json.loads(line)
            except json.JSONDecodeError:
                continue
            day = _dmy(str(report.get("ontvangen_op"))[:10], "%Y-%m-%d")
            for person in report.get("betrokkenen", []):
                out[person.get("betrokkene_id")] = (day, report.get("type"))
        return out
    with path.open(encoding="utf-8", newline="") as f:
        return {r["record_id"]: (_dmy(r["datum_inschrijving"], "%Y%m%d"), None)
                for r in csv.DictReader(f)}


def _plus_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:   # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def due(source: str, folder: Path, on: date) -> set[str]:
    """Records whose use term, as declared, has passed on `on`."""
    rule = registry()[source].retention
    out = set()
    for record_id, (day, kind) in raw_dates(source, folder).items():
        years = rule.kinds.get(kind, rule.term).use_years
        if day is not None and years is not None and _plus_years(day, years) <= on:
            out.add(record_id)
    return out


def _delivery_on(tmp_path: Path, day: date) -> Path:
    """The sample's delivery under another date (no arrest feed beside it)."""
    folder = tmp_path / "inbox" / day.isoformat()
    if not folder.exists():
        shutil.copytree(DELIVERY, folder)
    return folder


def _accepted(source: str, folder: Path, terms: Terms | None = None) -> tuple[Any, set[str]]:
    result, _ = _read(source, folder, terms)
    return result, set(result.accepted["record_id"]) if len(result.accepted) else set()


# -- the sample's records past their term ----------------------------------------------------

@pytest.mark.parametrize("source", SOURCES)
def test_a_record_past_its_use_term_is_not_accepted_but_counted(source: str,
                                                                 tmp_path: Path) -> None:
    """(d) Per source, against the file itself: read = the file's own count = accepted +
    quarantined + withheld + expired, and exactly the records due are the ones missing."""
    today = date.fromisoformat(DELIVERY.name)
    folder = _delivery_on(tmp_path, today)
    result, accepted = _accepted(source, folder)
    _, without_terms = _accepted(source, folder, no_terms(source))
    counts = result.counts()
    withheld = sum(v for k, v in counts.items() if k.startswith("withheld_"))
    assert counts["read"] == counts["rows_in_file"]
    assert counts["read"] == (counts["accepted"] + counts["quarantined"] + withheld
                              + counts["expired"])
    expected = due(source, folder, today) & without_terms
    assert without_terms - accepted == expected
    assert counts["expired"] == len(expected)
    if source != "municipal":   # the BRP has no term by date
        assert counts["expired"] > 0, "the sample carries records past their term"


def test_moving_the_clock_a_year_expires_exactly_the_records_due(tmp_path: Path) -> None:
    """(c) The same delivery a year later: the records newly past their term, computed from
    the raw files and the declared terms, are exactly those that are no longer accepted."""
    today = date.fromisoformat(DELIVERY.name)
    later = _plus_years(today, 1)
    newly = 0
    for source in SOURCES:
        now_folder, later_folder = _delivery_on(tmp_path, today), _delivery_on(tmp_path, later)
        _, now = _accepted(source, now_folder)
        result, then = _accepted(source, later_folder)
        _, readable = _accepted(source, later_folder, no_terms(source))
        became_due = (due(source, later_folder, later) - due(source, now_folder, today)) \
            & readable
        assert now - then == became_due, source
        assert then <= now
        assert result.expired == len(due(source, later_folder, later) & readable)
        newly += len(became_due)
    assert newly > 0, "a year later some of the sample's records are due"


def test_an_expired_care_report_leaves_with_its_persons_and_their_faults(
        tmp_path: Path) -> None:
    """A care report past its term leaves `care_reports` too, and the quarantine keeps no
    nulled value (with its raw line) of a record that expired."""
    today = date.fromisoformat(DELIVERY.name)
    result, extra = _read("care", _delivery_on(tmp_path, today))
    gone = due("care", DELIVERY, today)
    assert gone
    melding_ids = {record_id.rsplit("-", 1)[0] for record_id in gone}
    assert not melding_ids & set(extra["care_reports"]["melding_id"])
    assert not gone & set(result.quarantine["record_id"].dropna())


def test_a_configured_term_replaces_the_declared_one(tmp_path: Path) -> None:
    """Terms are configuration: police records used for 2 years instead of 5 expire by it."""
    today = date.fromisoformat(DELIVERY.name)
    data = copy.deepcopy(DEFAULTS)
    data["retention"]["terms"] = {"police": {"use_years": 2, "destroy_years": 10}}
    path = tmp_path / "foto.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    terms = resolve_terms(load_config(path), list(registry()))
    assert terms["police"].rule.term == Term(2, 10)
    assert terms["justice"] == resolve_terms(load_config(), list(registry()))["justice"]
    result, accepted = _accepted("police", _delivery_on(tmp_path, today), terms["police"])
    older = {r for r, (d, _) in raw_dates("police", DELIVERY).items()
             if d is not None and _plus_years(d, 2) <= today}
    assert older and not older & accepted
    assert result.expired == len(older)


# -- the terms as configuration --------------------------------------------------------------

def _config(tmp_path: Path, terms: Any) -> Path:
    data = copy.deepcopy(DEFAULTS)
    data["retention"]["terms"] = terms
    path = tmp_path / "foto.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(("terms", "message"), [
    ({"police": {"use_years": 11, "destroy_years": 10}},
     r"retention\.terms\.police: Value error|need use_years <= destroy_years"),
    ({"police": {"use_years": 0, "destroy_years": 10}}, r"retention\.terms\.police\.use_years"),
    ({"police": {"use_years": -1, "destroy_years": 10}}, r"retention\.terms\.police\.use_years"),
    ({"police": {"use_years": "5", "destroy_years": 10}}, r"retention\.terms\.police\.use_years"),
    ({"police": {"use_years": 5, "destroy_years": None}}, r"needs a destroy term"),
    ({"police": {"use_years": 5}}, r"retention\.terms\.police\.destroy_years: missing"),
    ({"police": {"use_years": 5, "destroy_years": 10, "keep": 1}},
     r"retention\.terms\.police\.keep: unknown key"),
    ({"justice": {"use_years": 5, "destroy_years": 20,
                  "kinds": {"sepot": {"use_years": 9, "destroy_years": 4}}}},
     r"retention\.terms\.justice\.kinds\.sepot"),
])
def test_a_bad_term_is_refused_naming_its_key(tmp_path: Path, terms: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(_config(tmp_path, terms))


@pytest.mark.parametrize(("terms", "message"), [
    ({"housing": {"use_years": 5, "destroy_years": 10}},
     r"^config: retention\.terms\.housing: no such source \(known: care, justice, "
     r"municipal, police\)$"),
    ({"justice": {"use_years": 5, "destroy_years": 20,
                  "kinds": {"geseponeerd": {"use_years": 1, "destroy_years": 4}}}},
     r"^config: retention\.terms\.justice\.kinds\.geseponeerd: no such kind of justice"),
    ({"police": {"use_years": 5, "destroy_years": 10,
                 "kinds": {"verdachte": {"use_years": 1, "destroy_years": 4}}}},
     r"^config: retention\.terms\.police\.kinds\.verdachte: no such kind of police "
     r"\(known: none\)$"),
])
def test_terms_name_only_declared_sources_and_kinds(tmp_path: Path, terms: Any,
                                                    message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve_terms(load_config(_config(tmp_path, terms)), list(registry()))


def test_a_kind_gets_its_own_term_by_configuration(tmp_path: Path) -> None:
    terms = resolve_terms(load_config(_config(tmp_path, {"care": {
        "use_years": 3, "destroy_years": 20,
        "kinds": {"zorgen_om_persoon": {"use_years": 1, "destroy_years": 2}}}})),
        list(registry()))
    assert terms["care"].rule.term_of("zorgen_om_persoon") == Term(1, 2)
    assert terms["care"].rule.term_of("huiselijk_geweld") == Term(3, 20)


@pytest.mark.parametrize("terms", [
    {"police": {"use_years": 12, "destroy_years": 10}},
    {"nobody": {"use_years": 1, "destroy_years": 2}},
])
def test_the_cli_exits_2_with_one_line_on_a_bad_term(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], terms: Any) -> None:
    from foto.cli import main

    home = tmp_path / "home"
    code = main(["run", "--inbox", str(SAMPLE / "inbox"), "--home", str(home),
                 "--config", str(_config(tmp_path, terms))])
    out = capsys.readouterr().out.strip()
    assert code == 2
    assert out.startswith("foto run: config: retention.terms.") and "\n" not in out
    assert not home.exists()


def test_every_source_declares_its_terms() -> None:
    for source in registry():
        rule = source.retention
        assert rule.tables() <= set(source.tables)
        assert set(rule.kinds) <= rule.kind_values
    assert registry()["police"].retention.term == Term(5, 10)
    assert registry()["municipal"].retention.term == Term(None, None)


# -- kept copies past the destroy term -------------------------------------------------------

def _copy_with_terms(folder: Path, destroy_by: str | None) -> None:
    """A kept copy: a warehouse whose one record must be gone by `destroy_by` (None: a copy
    made before the terms were kept, without `record_terms`)."""
    import duckdb

    folder.mkdir(parents=True)
    (folder / "triage").mkdir()
    con = duckdb.connect(str(folder / "warehouse.duckdb"))
    try:
        if destroy_by is not None:
            con.execute("CREATE TABLE record_terms AS SELECT 'police' AS source, "
                        "'PL-1' AS record_id, NULL::DATE AS use_until, "
                        "CAST($d AS DATE) AS destroy_by", {"d": destroy_by})
    finally:
        con.close()


def test_kept_copies_past_the_destroy_term_are_removed_never_the_current(
        tmp_path: Path) -> None:
    from publish.destroy import prune_past_destroy
    from publish.publication import point_to

    home = tmp_path / "home"
    pubs, runs = home / "publications", home / "runs"
    old, kept, unknown, current = (f"2026110{i}T010000-aaaaaaa{i}" for i in range(1, 5))
    _copy_with_terms(pubs / old, "2026-11-27")       # due today: removed
    _copy_with_terms(pubs / kept, "2026-11-28")      # due tomorrow: kept
    _copy_with_terms(pubs / unknown, None)           # cannot be told: kept
    _copy_with_terms(pubs / current, "2020-01-01")   # the current one: never removed
    _copy_with_terms(runs / "blocked" / "publication", "2026-01-01")
    point_to(home, pubs / current)
    removed = prune_past_destroy(home, "2026-11-27")
    assert sorted(removed) == [f"publications/{old}", "runs/blocked"]
    assert sorted(p.name for p in pubs.iterdir()) == [kept, unknown, current]
    assert not (runs / "blocked").exists()
