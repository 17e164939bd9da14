"""Evidence snapshots of records gone from the photo go after a term (issue 17): a judged BRP
record has no destroy term by date, so once no longer delivered its snapshot is overwritten
`retention.evidence_days_after_gone` days after it was last published; one that comes back
before keeps it. Real SQLite store, real DuckDB publications, the clock moved by the delivery
dates of the publications, through the step each publication runs
(`publish.publication.destroy_past_term`)."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from config import load_config
from judgements.snapshot_gone import redact_gone
from judgements.store import GONE_PAST_TERM, Judgement, RecordKey, append, current, open_store
from publish.publication import destroy_past_term
from tests.scan import files_holding

DAYS = load_config().retention.evidence_days_after_gone
D0 = date(2026, 3, 2)
GONE, STAYS, LEGACY = (RecordKey("municipal", f"0363-00010{i}") for i in range(3))
BACK = RecordKey("police", "PR-7700913")
VALUES = {GONE: "Vertrokkenveld", STAYS: "Blijvenhoven", LEGACY: "Ouderkerkhof",
          BACK: "Terugkeersma"}
NO_TERM = {"use_until": None, "destroy_by": None}   # the BRP: no term by date


def _record(key: RecordKey) -> dict[str, str]:
    return {"unique_id": key.unique_id, "surname": VALUES[key], "dob": "1958-02-14"}


def _store(home: Path) -> None:
    """Three judgements, all about STAYS: with GONE and BACK (terms kept: the BRP's none, the
    police's far off), and with LEGACY (a snapshot made before terms were kept)."""
    with open_store(home, create=True) as engine:
        append(engine, [
            Judgement(GONE, STAYS, "same", "R. Beoordelaar", "why", evidence={
                "left": _record(GONE), "right": _record(STAYS), "explanation": None,
                "terms": {GONE.unique_id: NO_TERM, STAYS.unique_id: NO_TERM}}),
            Judgement(BACK, STAYS, "different", "R. Beoordelaar", "why", evidence={
                "left": _record(STAYS), "right": _record(BACK), "explanation": None,
                "terms": {STAYS.unique_id: NO_TERM,
                          BACK.unique_id: {"use_until": "2031-01-01",
                                           "destroy_by": "2036-01-01"}}}),
            Judgement(LEGACY, STAYS, "unsure", "R. Beoordelaar", "why", evidence={
                "left": _record(LEGACY), "right": _record(STAYS), "explanation": None}),
        ])


def _publication(home: Path, day: date, present: set[RecordKey], terms: bool = True) -> Path:
    """A publication of `day` whose photo holds `present` (its `record_terms`; none at all
    for one made before terms were kept)."""
    folder = home / "publications" / f"{day:%Y%m%d}T000000-run"
    folder.mkdir(parents=True)
    con = duckdb.connect(str(folder / "warehouse.duckdb"))
    try:
        if terms:
            con.execute("CREATE TABLE record_terms (source VARCHAR, record_id VARCHAR, "
                        "use_until DATE, destroy_by DATE)")
            for key in sorted(present, key=lambda k: k.unique_id):
                far = (date(2031, 1, 1), date(2036, 1, 1)) if key == BACK else (None, None)
                con.execute("INSERT INTO record_terms VALUES (?, ?, ?, ?)",
                            [key.source, key.record_id, *far])
    finally:
        con.close()
    return folder


def _evidence(home: Path) -> dict[RecordKey, str]:
    """Each judgement's stored evidence text, by the record other than STAYS."""
    with sqlite3.connect(home / "judgements.sqlite") as con:
        rows = con.execute("SELECT left_record_id, right_record_id, evidence FROM judgement "
                           "ORDER BY id").fetchall()
    keys = {k.record_id: k for k in (GONE, LEGACY, BACK)}
    return {keys[left if left in keys else right]: evidence for left, right, evidence in rows}


@pytest.fixture(scope="module")
def timeline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """GONE and BACK are delivered until day 20 and missed from day 30; BACK comes back on
    day 60 and stays; LEGACY is in no publication. After each publication: what the store
    holds."""
    home = tmp_path_factory.mktemp("gone") / "home"
    home.mkdir(mode=0o700)
    _store(home)
    with open_store(home) as engine:
        judged = current(engine).to_pylist()
    both, back = {GONE, STAYS, BACK}, {STAYS, BACK}
    schedule = [(0, both), (20, both), (30, {STAYS}), (60, back), (DAYS - 1, back),
                (DAYS, back), (20 + DAYS - 1, back), (20 + DAYS, back)]
    seen: dict[int, dict[RecordKey, str]] = {}
    held: dict[int, dict[str, list[str]]] = {}
    for offset, present in schedule:
        day = D0 + timedelta(days=offset)
        destroy_past_term(home, _publication(home, day, present), day.isoformat(), DAYS)
        seen[offset] = _evidence(home)
        held[offset] = files_holding(home, list(VALUES.values()))
    with open_store(home) as engine:
        after = current(engine).to_pylist()
    last = D0 + timedelta(days=400)
    destroy_past_term(home, _publication(home, last, back), last.isoformat(), DAYS)
    with sqlite3.connect(home / "judgements.sqlite") as con:
        columns = [row[1] for row in con.execute("PRAGMA table_info(record_seen)")]
        clocks = con.execute("SELECT source, record_id, last_published, missed_since "
                             "FROM record_seen ORDER BY 1, 2").fetchall()
    return {"home": home, "seen": seen, "held": held, "judged": judged, "after": after,
            "columns": columns, "clocks": clocks, "final": _evidence(home)}


def _holds(held: dict[str, list[str]], key: RecordKey) -> bool:
    return any(VALUES[key] in hits for hits in held.values())


def test_a_judged_record_without_a_term_that_stops_being_delivered_loses_its_snapshot_after_the_term(  # noqa: E501
        timeline: dict[str, Any]) -> None:
    seen, held = timeline["seen"], timeline["held"]
    last = 20   # the last day GONE was published
    # within the term (counted from the last publication holding it) its values stay
    for offset in (30, 60, DAYS, last + DAYS - 1):
        assert json.loads(seen[offset][GONE])["left"]["surname"] == VALUES[GONE], offset
        assert _holds(held[offset], GONE), offset
    # on the term's day they are overwritten, and no byte of them is left in any file
    assert seen[last + DAYS][GONE] == GONE_PAST_TERM
    assert not _holds(held[last + DAYS], GONE)
    # the judgements themselves (ids, decision, who, when, why) are untouched
    assert timeline["after"] == timeline["judged"]
    # the clock keeps ids and dates only, and goes with the record's last snapshot
    assert timeline["columns"] == ["source", "record_id", "last_published", "missed_since"]
    assert {(s, r) for s, r, _, _ in timeline["clocks"]} == {
        (k.source, k.record_id) for k in (STAYS, BACK)}


def test_a_judged_record_that_comes_back_before_the_term_keeps_its_snapshot(
        timeline: dict[str, Any]) -> None:
    seen, held = timeline["seen"], timeline["held"]
    # BACK was missed on the same days as GONE, and delivered again on day 60
    assert seen[20 + DAYS][GONE] == GONE_PAST_TERM
    assert json.loads(seen[20 + DAYS][BACK])["right"]["surname"] == VALUES[BACK]
    assert json.loads(timeline["final"][BACK])["right"]["surname"] == VALUES[BACK]
    assert _holds(held[20 + DAYS], BACK) and _holds(held[20 + DAYS], STAYS)
    # its clock starts again: published now, missed on no day
    clocks = {record_id: (last, missed) for _, record_id, last, missed in timeline["clocks"]}
    assert clocks[BACK.record_id] == ((D0 + timedelta(days=400)).isoformat(), None)


def test_a_snapshot_made_before_terms_were_kept_is_counted_from_the_first_publication_without_its_record(  # noqa: E501
        timeline: dict[str, Any]) -> None:
    seen, held = timeline["seen"], timeline["held"]
    # LEGACY was in no publication: its absence counts from the first one (day 0)
    assert json.loads(seen[DAYS - 1][LEGACY])["left"]["surname"] == VALUES[LEGACY]
    assert seen[DAYS][LEGACY] == GONE_PAST_TERM
    assert not _holds(held[DAYS], LEGACY)


def test_a_publication_that_cannot_tell_its_records_moves_no_clock(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    _store(home)
    stored = _evidence(home)
    for offset in (0, 10 * DAYS):
        day = D0 + timedelta(days=offset)
        done = redact_gone(home, day, _publication(home, day, set(), terms=False)
                           / "warehouse.duckdb", DAYS)
        assert (done.judgements, done.records, done.unknown) == (0, 0, 4)
    assert _evidence(home) == stored
