"""Retention end to end (issue 17): a record past its use term is in no file of the home after
a run, and a record that held two persons together no longer does once it expires."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.scan import databases_holding, files_holding
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
    assert any(sample_run.rglob("*.duckdb")) and any(sample_run.rglob("*.db"))
    assert files_holding(sample_run, needles) == {}
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


def test_an_arrest_sheet_leaves_out_linked_records_past_their_term(sample_run: Path) -> None:
    """The arrest path applies the same terms to the records it takes from the publication:
    on an arrest's day, a published record of the person past its use term since the nightly
    run (`record_terms`) is on no sheet, in no count. A day 3 years after the delivery stands
    in for an arrest long after the last nightly run."""
    from publish.arrest_sheets import arrest_parts

    warehouse = sample_run / "warehouse.duckdb"
    later = "2029-06-01"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        person, old, kept = con.execute("""
            SELECT pr.person_id,
                   count(*) FILTER (t.use_until <= CAST($day AS DATE)),
                   count(*) FILTER (t.use_until IS NULL OR t.use_until > CAST($day AS DATE))
            FROM person_records pr JOIN record_terms t USING (source, record_id)
            GROUP BY pr.person_id
            HAVING count(*) FILTER (t.use_until <= CAST($day AS DATE) AND pr.source = 'police')
                   > 0
               AND count(*) FILTER (t.use_until IS NULL OR t.use_until > CAST($day AS DATE)) > 0
            ORDER BY pr.person_id LIMIT 1""", {"day": later}).fetchone()
    finally:
        con.close()
    now = arrest_parts(warehouse, person, DELIVERY.name)
    then = arrest_parts(warehouse, person, later)
    assert now is not None and then is not None
    assert now["p"]["aantal_registraties"] == old + kept
    assert then["p"]["aantal_registraties"] == kept
    cutoff = date(2024, 6, 1)   # police records of before it are past 5 years in 2029-06
    assert any(str(r.get("datum"))[:10] < cutoff.isoformat() for r in now["timeline"])
    assert not any(str(r.get("datum"))[:10] < cutoff.isoformat() and
                   r.get("partner") == "Politie" for r in then["timeline"])


# A dismissal case (justice `sepot`: 3 years in the photo, destroyed after 4) with a name no
# other record of the sample carries, in the photo at the delivery and judged there.
CASE = "10/998201-23"
NAME = ("Zwaluwenburg-Kortenhoef, Q.", ("waluwenburg", "WALUWENBURG"))


def test_a_judged_record_past_its_destroy_term_leaves_its_values_in_no_file(
        tmp_path: Path) -> None:
    """(c) A reviewer's evidence snapshot in `judgements.sqlite` holds the judged records'
    values. The case is judged within its use term; the same delivery a year and three months
    later it is past its destroy term: after that run its values are in no file under the
    home (kept publications holding it are removed, the snapshot is overwritten), and the
    judgement itself (ids, decision, who) stays."""
    import shutil

    import pandas as pd

    from judgements.store import PAST_DESTROY_TERM
    from tests.conftest import foto

    today = date.fromisoformat(DELIVERY.name)
    inbox = tmp_path / "inbox"
    shutil.copytree(DELIVERY, inbox / today.isoformat())
    cases = inbox / today.isoformat() / "justice_cases.parquet"
    frame = pd.read_parquet(cases)
    row = frame.iloc[0].to_dict() | {
        "record_id": CASE, "verdachte_naam": NAME[0], "bsn": None, "zaak_status": "sepot",
        "feit": "diefstal (art. 310 Sr)", "toezicht_reclassering": False,
        "toezicht_einddatum": None, "contactverbod": False,
        # within the 3-year use term by two months; past the 4-year destroy term at `later`
        "status_datum": today.replace(year=today.year - 3) + timedelta(days=60)}
    pd.concat([frame, pd.DataFrame([row])]).astype(frame.dtypes.to_dict()).to_parquet(
        cases, index=False)
    home = tmp_path / "home"
    assert foto("run", "--inbox", str(inbox), "--home", str(home)) == 0
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        other = con.execute("SELECT unique_id FROM person_records WHERE source = 'police' "
                            "ORDER BY unique_id LIMIT 1").fetchall()[0][0]
    finally:
        con.close()
    assert foto("judge", f"justice:{CASE}", other, "--different", "--by", "R. Beoordelaar",
                "--reason", "andere persoon", "--later", "--home", str(home)) == 0
    judgements = home / "judgements.sqlite"
    assert files_holding(home, NAME[1]).get("judgements.sqlite"), "the snapshot holds them"

    later = today.replace(year=today.year + 1) + timedelta(days=92)
    shutil.copytree(inbox / today.isoformat(), inbox / later.isoformat())
    assert foto("run", "--inbox", str(inbox), "--home", str(home)) == 0

    assert files_holding(home, NAME[1]) == {}
    assert databases_holding(home, NAME[1]) == {}
    import sqlite3

    con = sqlite3.connect(judgements)
    try:
        kept = con.execute("SELECT left_record_id, right_record_id, decision, judged_by, "
                           "evidence FROM judgement").fetchall()
    finally:
        con.close()
    assert len(kept) == 1
    assert CASE in kept[0][:2] and kept[0][2:] == ("different", "R. Beoordelaar",
                                                   PAST_DESTROY_TERM)
