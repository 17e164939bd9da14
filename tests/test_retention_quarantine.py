"""Retention of rows set aside whole (issue 17): a row quarantined whole (a duplicated id, no
surname, no name) keeps its raw line in the warehouse's `quarantine` table; past its use term
it goes as an accepted record would, counted `expired` (not `quarantined`), so that
read = accepted + quarantined + withheld + expired still holds. A line whose date cannot be
read stays."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from assets.ingest import _read, store_ingest
from tests.conftest import SAMPLE

DELIVERY = next(p for p in sorted((SAMPLE / "inbox").iterdir()) if p.name[0].isdigit())
TODAY = date.fromisoformat(DELIVERY.name)

# Police lines set aside whole, each with a surname of its own to find its raw line by.
# Registered 6 years before the delivery: past the 5-year use term.
OLD = f"{TODAY.day:02d}-{TODAY.month:02d}-{TODAY.year - 6}"
NEW = f"{TODAY.day:02d}-{TODAY.month:02d}-{TODAY.year - 1}"
POLICE = {
    # a duplicated id, registered long ago: both lines expire
    "Oudeduplo": ("PL-2020999001-01", OLD), "Oudeduplu": ("PL-2020999001-01", OLD),
    # no surname (set aside whole), long ago: expires; found by its first name
    "": ("PL-2020999002-01", OLD),
    # a duplicated id, registered last year: stays quarantined
    "Nieuwduplo": ("PL-2025999003-01", NEW), "Nieuwduplu": ("PL-2025999003-01", NEW),
    # a duplicated id whose date cannot be read: stays (its term cannot be told)
    "Onleesbaro": ("PL-2020999004-01", "31-02-20x0"),
    "Onleesbaru": ("PL-2020999004-01", "31-02-20x0"),
}


def _police_line(record_id: str, registered: str, surname: str) -> str:
    first = "Quirijntje" if not surname else "Jan"
    return (f"{record_id};{registered};verdachte;inbraak;N;{surname};;{first};01-01-1980;;M;;"
            f"Dorpsstraat;1;1234AB;Utrecht;N")


def _delivery(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox" / DELIVERY.name
    shutil.copytree(DELIVERY, folder)
    police = folder / "police_persons.csv"
    lines = [_police_line(rid, day, surname) for surname, (rid, day) in POLICE.items()]
    police.write_bytes(police.read_bytes() + ("\r\n".join(lines) + "\r\n").encode("cp1252"))
    care = folder / "care_reports.jsonl"
    reports = [
        # a report received 4 years ago (past care's 3 years): a person without a name is
        # set aside whole, and expires with the report
        {"melding_id": "VT-2022-999001", "ontvangen_op": f"{TODAY.year - 4}-03-01T10:00:00+01:00",
         "type": "zorgen_om_persoon", "sash_risico": None, "status": "open",
         "betrokkenen": [{"betrokkene_id": "VT-2022-999001-1", "rol": "slachtoffer",
                          "naam": None, "geboortedatum": "1990-01-01",
                          "adres": "Zwaluwpad 7, 3011 AA Rotterdam"}]},
        # received last year: the same fault stays in the quarantine
        {"melding_id": "VT-2025-999002", "ontvangen_op": f"{TODAY.year - 1}-03-01T10:00:00+01:00",
         "type": "zorgen_om_persoon", "sash_risico": None, "status": "open",
         "betrokkenen": [{"betrokkene_id": "VT-2025-999002-1", "rol": "slachtoffer",
                          "naam": None, "geboortedatum": "1991-01-01",
                          "adres": "Merelpad 9, 3011 AA Rotterdam"}]},
    ]
    text = care.read_text(encoding="utf-8")
    care.write_text(text + "".join(json.dumps(r) + "\n" for r in reports), encoding="utf-8")
    return folder


def _balanced(counts: dict[str, int]) -> bool:
    withheld = sum(v for k, v in counts.items() if k.startswith("withheld_"))
    return counts["read"] == counts["rows_in_file"] == (
        counts["accepted"] + counts["quarantined"] + withheld + counts["expired"])


def test_a_police_row_set_aside_whole_past_its_term_leaves_the_quarantine(
        tmp_path: Path) -> None:
    base, _ = _read("police", DELIVERY)
    result, extra = _read("police", _delivery(tmp_path))
    counts = result.counts()
    assert _balanced(counts)
    # three old lines expired, the four others are quarantined
    assert counts["expired"] == base.expired + 3
    assert counts["quarantined"] == base.rows_quarantined + 4
    raws = "\n".join(result.quarantine["raw"].dropna())
    for surname in ("Oudeduplo", "Oudeduplu", "Quirijntje"):
        assert surname not in raws
    for surname in ("Nieuwduplo", "Nieuwduplu", "Onleesbaro", "Onleesbaru"):
        assert surname in raws
    # stored: the warehouse's quarantine table holds none of the expired lines
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        store_ingest(con, result, extra)
        stored = "\n".join(r[0] for r in con.sql(
            "SELECT raw FROM quarantine WHERE raw IS NOT NULL").fetchall())
        read, accepted, quarantined, withheld, expired = con.sql(
            "SELECT read, accepted, quarantined, withheld, expired FROM ingest_counts"
        ).fetchall()[0]
    finally:
        con.close()
    assert "Oudeduplo" not in stored and "Quirijntje" not in stored and "Nieuwduplo" in stored
    assert read == accepted + quarantined + withheld + expired


def test_a_care_person_set_aside_whole_expires_with_its_report(tmp_path: Path) -> None:
    base, _ = _read("care", DELIVERY)
    result, extra = _read("care", _delivery(tmp_path))
    counts = result.counts()
    assert _balanced(counts)
    assert counts["expired"] == base.expired + 1
    assert counts["quarantined"] == base.rows_quarantined + 1
    raws = "\n".join(result.quarantine["raw"].dropna())
    assert "Zwaluwpad" not in raws and "Merelpad" in raws
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        store_ingest(con, result, extra)
        columns = {r[0] for r in con.sql("DESCRIBE care_reports").fetchall()}
    finally:
        con.close()
    assert "_line" not in columns   # where a report was read is not stored


def _publish(home: Path, build: Path, n: int) -> None:
    """`build` as the home's current publication (what the next run reads the quarantine's
    first delivery days from)."""
    from stores.publications import point_at, publication_id

    folder = home / "publications" / publication_id(f"2026120{n}T000000", f"{n:08d}")
    folder.mkdir(parents=True)
    shutil.copy(build, folder / "warehouse.duckdb")
    point_at(home, folder)


def test_a_quarantined_line_without_a_readable_date_expires_by_its_first_delivery(
        tmp_path: Path) -> None:
    """A line set aside whole whose date cannot be read leaves the quarantine
    `retention.quarantine_days` after the first delivery that carried it, though the partner
    delivers it again every day (the clock moved by deliveries under later dates); a line
    first delivered later stays; counted `expired`, and the counts add up."""
    from datetime import timedelta

    from assets.ingest import ingest
    from config import load_config
    from sources.registry import registry
    from sources.retention import resolve_terms

    days = load_config().retention.quarantine_days
    terms = resolve_terms(load_config(), list(registry()))["police"]
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    previous = _delivery(tmp_path)
    seen: dict[str, tuple[dict[str, int], str]] = {}
    for n, moved in enumerate((0, days - 1, days), start=1):
        day = TODAY + timedelta(days=moved)
        folder = tmp_path / "inbox" / day.isoformat()
        if moved:   # the partner delivers the same file again
            shutil.copytree(previous, folder)
        previous = folder
        if moved == days - 1:   # a new undated line, first delivered now
            police = folder / "police_persons.csv"
            police.write_bytes(police.read_bytes() + (_police_line(
                "PL-2020999005-01", "00-00-0000", "Laatonleesbaar") + "\r\n").encode("cp1252"))
        build = tmp_path / f"build{n}.duckdb"
        result, _, _ = ingest("police", folder, home, terms, build, days)
        assert _balanced(result.counts())
        con = duckdb.connect(str(build), read_only=True)
        try:
            stored = "\n".join(r[0] for r in con.sql(
                "SELECT raw FROM quarantine WHERE raw IS NOT NULL").fetchall())
        finally:
            con.close()
        seen[str(moved)] = (result.counts(), stored)
        _publish(home, build, n)
    (before, kept), (after, gone) = seen[str(days - 1)], seen[str(days)]
    assert "Onleesbaro" in seen["0"][1] and "Onleesbaro" in kept and "Laatonleesbaar" in kept
    assert "Onleesbaro" not in gone and "Onleesbaru" not in gone
    assert "Laatonleesbaar" in gone   # first delivered a day ago: stays
    assert after["expired"] == before["expired"] + 2
    assert after["quarantined"] == before["quarantined"] - 2


@pytest.mark.parametrize("key", ["quarantine_days", "evidence_days_after_gone"])
@pytest.mark.parametrize(("days", "message"), [
    (0, r"retention\.{key}"), ("90", r"retention\.{key}"),
    (3 * 365 + 1, r"^config: retention\.{key}: 1096 days is longer than the "
                  r"shortest use term \(3 years\)$")])
def test_a_bad_days_term_is_refused_naming_its_key(tmp_path: Path, key: str, days: object,
                                                   message: str) -> None:
    """The quarantine's term, and that of judgements' evidence snapshots of records gone from
    the photo (`judgements.snapshot_gone`): whole days, 1 or more, no longer than the
    shortest use term."""
    from config import DEFAULT_PATH, ConfigError, load_config
    from sources.registry import registry
    from sources.retention import resolve_terms

    data = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    data["retention"][key] = days
    path = tmp_path / "foto.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError, match=message.format(key=key)):
        resolve_terms(load_config(path), list(registry()))
