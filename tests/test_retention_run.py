"""Retention end to end (issue 17): a record past its use term is in no file of the home after
a run, and a record that held two persons together no longer does once it expires."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.scan import databases_holding, every_file, files_holding
from tests.test_retention import DELIVERY, SOURCES, due

pytestmark = pytest.mark.e2e


def test_a_record_past_its_term_is_in_no_file_of_the_home(sample_run: Path) -> None:
    """(a) The sample carries records past their term: after the run, not one of their ids
    is in any file under the home (a byte search of every file: Dagster's storage, reports,
    publications, build folders, judgements), nor in any table of any DuckDB database there
    (opened and queried: its pages may compress a value). Their ids are theirs alone: each is
    an old registration, case or report no other record shares."""
    today = date.fromisoformat(DELIVERY.name)
    gone = {record_id for source in SOURCES for record_id in due(source, DELIVERY, today)}
    assert len(gone) >= 10
    # a care person's id is its report's id and a number: the report's id finds both
    needles = {r.rsplit("-", 1)[0] if r.startswith("VT-") else r for r in gone}
    con = duckdb.connect(str(sample_run / "warehouse.duckdb"), read_only=True)
    try:
        counted = con.sql("SELECT sum(expired) FROM ingest_counts").fetchall()[0][0]
    finally:
        con.close()
    assert 0 < counted <= len(gone)   # the rest are melders of old reports: withheld
    files = every_file(sample_run)
    assert any(p.suffix == ".duckdb" for p in files) and any(p.suffix == ".db" for p in files)
    assert files_holding(files, {n.encode() for n in needles}) == {}
    assert databases_holding(sample_run, needles) == {}


# A resident of the sample (A-nummer), and two police registrations of a name they are not
# registered under: the bridge carries the resident's BSN, first name and birth date, the other
# registration the same name and birth date without a BSN, at another address. Through the
# bridge the three are one person; without it the resident and the other registration share a
# first name and a birth date only, and are two.
RESIDENT = "2464312796"
BRIDGE, OTHER = "PL-2026998101-01", "PL-2026998102-01"


def _add_bridge(folder: Path, bridge_date: date) -> None:
    import csv

    with (folder / "municipal_brp.csv").open(encoding="utf-8", newline="") as f:
        a = next(r for r in csv.DictReader(f) if r["record_id"] == RESIDENT)
    d = a["geboortedatum"]
    dob, first = f"{d[6:]}-{d[4:6]}-{d[:4]}", a["voornamen"].split()[0]
    address = "Zandpad;21;3522AB;Utrecht"
    lines = [f"{BRIDGE};{bridge_date:%d-%m-%Y};betrokkene;inbraak;N;Oosthaarlem;;{first};{dob};;"
             f"{a['geslacht']};{a['bsn']};{address};N",
             f"{OTHER};01-05-2026;betrokkene;inbraak;N;Oosthaarlem;;{first};{dob};;"
             f"{a['geslacht']};;{address};N"]
    police = folder / "police_persons.csv"
    police.write_bytes(police.read_bytes() + ("\r\n".join(lines) + "\r\n").encode("cp1252"))


def _persons(home: Path) -> dict[str, str]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return dict(con.execute(
            "SELECT record_id, person_id FROM person_records WHERE record_id IN (?, ?, ?)",
            [RESIDENT, BRIDGE, OTHER]).fetchall())
    finally:
        con.close()


def test_an_expired_record_that_held_two_persons_together_leaves_two(tmp_path: Path) -> None:
    """(b) The bridge is 5 years old less a month at the delivery: in the photo, it holds the
    resident and the other registration together as one person. The same delivery a year
    later (the clock moved forward), the bridge is past its term: the resident and the other
    registration are two persons, the resident under their id of before."""
    import shutil

    from tests.conftest import foto

    today = date.fromisoformat(DELIVERY.name)
    inbox = tmp_path / "inbox"
    shutil.copytree(DELIVERY, inbox / today.isoformat())
    _add_bridge(inbox / today.isoformat(),
                today.replace(year=today.year - 5) + timedelta(days=30))
    home = tmp_path / "home"
    assert foto("run", "--inbox", str(inbox), "--home", str(home)) == 0
    before = _persons(home)
    assert len(before) == 3 and len(set(before.values())) == 1, "the bridge joins the three"

    later = today.replace(year=today.year + 1)
    shutil.copytree(inbox / today.isoformat(), inbox / later.isoformat())
    assert foto("run", "--inbox", str(inbox), "--home", str(home)) == 0
    after = _persons(home)
    assert BRIDGE not in after
    assert after[RESIDENT] != after[OTHER]
    assert after[RESIDENT] == before[RESIDENT]
