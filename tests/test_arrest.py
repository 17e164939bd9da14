"""On-arrest runs: the sensor, an arrest of a known and of an unknown person, the arrest in the
next nightly run, and an arrest published while the nightly job runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, build_sensor_context

from assets.resources import FotoPaths
from persons.records import PERSON_RECORDS_COLUMNS
from pipelines.sensors import arrest_sensor
from publish.arrests import done_path, record_done
from stores.publications import current_publication, current_triage
from tests.conftest import ROOT, SAMPLE, foto


def _known_person(warehouse: Path) -> dict:
    """A BRP resident of concern (so a sheet exists), as the warehouse holds them."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cursor = con.execute("""
            SELECT pr.person_id, m.* FROM raw_municipal m
            JOIN person_records pr ON pr.source = 'municipal' AND pr.record_id = m.record_id
            JOIN person p ON p.person_id = pr.person_id
            WHERE p.person_of_concern AND substr(m.geboortedatum, 5, 4) NOT LIKE '%00%'
              AND m.postcode IS NOT NULL
            ORDER BY pr.person_id LIMIT 1""")
        names = [d[0] for d in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))
    finally:
        con.close()


def _arrest(arrest_id: str, person: dict, bsn: bool = True) -> dict:
    d = person["geboortedatum"]
    return {"arrest_id": arrest_id, "aangehouden_op": "2026-11-27T14:03:00+01:00",
            "record_id": f"PL-{arrest_id[3:]}-01", "feit": "bedreiging",
            "huiselijk_geweld": True, "achternaam": person["geslachtsnaam"],
            "voorvoegsel": person["voorvoegsel"] or "", "voornamen": person["voornamen"],
            "geboortedatum": f"{d[6:]}-{d[4:6]}-{d[:4]}",
            "bsn": person["bsn"] if bsn else None, "straat": person["straatnaam"],
            "huisnummer": str(person["huisnummer"]), "postcode": person["postcode"],
            "woonplaats": person["woonplaats"]}


def _write(folder: Path, arrest: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{arrest['arrest_id']}.json"
    path.write_text(json.dumps(arrest), encoding="utf-8")
    return path


def _person_holding(warehouse: Path, record_id: str) -> str | None:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = con.execute("SELECT person_id FROM person_records WHERE source = 'police' "
                          "AND record_id = ?", [record_id]).fetchone()
    finally:
        con.close()
    return row[0] if row else None


@pytest.fixture
def home(sample_home: Path) -> Path:
    return sample_home


def test_sensor_requests_one_run_per_new_arrest_file(tmp_path: Path) -> None:
    inbox, home = tmp_path / "inbox", tmp_path / "home"
    for i in (1, 2, 3):
        _write(inbox / "arrests", {"arrest_id": f"AH-2026-00000{i}"})
    paths = FotoPaths(inbox=str(inbox), home=str(home))
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(instance=instance, resources={"paths": paths})
        first = list(arrest_sensor(context))
        assert sorted(r.run_key for r in first) == ["AH-2026-000001", "AH-2026-000002",
                                                    "AH-2026-000003"]
        assert all(r.run_config["ops"]["arrest_sheet"]["config"]["file"].endswith(
            f"{r.run_key}.json") for r in first)
        # once published, an arrest file is not requested again
        record_done(home, {"arrest_id": "AH-2026-000002", "arrested_at": "2026-11-27T13:03"})
        again = list(arrest_sensor(build_sensor_context(instance=instance,
                                                        resources={"paths": paths})))
        assert sorted(r.run_key for r in again) == ["AH-2026-000001", "AH-2026-000003"]


@pytest.mark.e2e
def test_arrest_of_a_known_person_lands_on_their_id_and_sheet(
        home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    person = _known_person(home / "warehouse.duckdb")
    arrest = _arrest("AH-2026-900001", person, bsn=False)   # no BSN: names, date, address
    arrest["voornamen"] = person["voornamen"].split()[0]     # one first name only
    file = _write(tmp_path / "feed" / "arrests", arrest)

    assert foto("arrest", str(file), "--home", str(home)) == 0
    out = capsys.readouterr().out
    assert f"on known person {person['person_id']}" in out

    entry = json.loads(done_path(home, arrest["arrest_id"]).read_text())
    assert entry["person_id"] == person["person_id"] and not entry["new_person"]
    published = current_triage(home)
    sheet = (published / "sheets" / f"{person['person_id']}.html").read_text(encoding="utf-8")
    assert "Aangehouden op 27-11-2026 14:03" in sheet and "bedreiging" in sheet
    # the arrest for domestic violence is a signal at once, by the written rule
    assert "Huiselijk geweld (12 mnd)" in sheet
    index = (published / "index.html").read_text(encoding="utf-8")
    assert index.index(f"sheets/{person['person_id']}.html") < index.index('id="personen"')
    # a file seen again runs once
    assert foto("arrest", str(file), "--home", str(home)) == 0
    assert "already published" in capsys.readouterr().out


@pytest.mark.e2e
def test_arrest_of_an_unknown_person_gets_a_new_id_and_sheet(home: Path, tmp_path: Path) -> None:
    nobody = {"geslachtsnaam": "Zwaneveld-Oosterbroek", "voorvoegsel": "",
              "voornamen": "Quirijn", "geboortedatum": "19710309", "bsn": None,
              "straatnaam": "Nergensstraat", "huisnummer": 99, "postcode": "9999ZZ",
              "woonplaats": "Nergenshuizen"}
    file = _write(tmp_path / "feed" / "arrests", _arrest("AH-2026-900002", nobody))
    assert foto("arrest", str(file), "--home", str(home)) == 0
    entry = json.loads(done_path(home, "AH-2026-900002").read_text())
    assert entry["new_person"]
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    known = {r[0] for r in con.sql("SELECT DISTINCT person_id FROM person_records").fetchall()}
    con.close()
    assert entry["person_id"] not in known
    sheet = (current_triage(home) / "sheets" / f"{entry['person_id']}.html").read_text(
        encoding="utf-8")
    assert "Niet eerder bekend" in sheet
    assert "Huiselijk geweld (12 mnd)" in sheet and "prioriteit midden" in sheet


@pytest.mark.e2e
def test_bad_arrest_file_is_quarantined_with_its_reason(home: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    file = _write(tmp_path / "feed" / "arrests", {"arrest_id": "AH-2026-900003"})
    assert foto("arrest", str(file), "--home", str(home)) == 1
    assert "missing field(s)" in capsys.readouterr().out
    reason = home / "arrests" / "quarantine" / "AH-2026-900003.json.reason.txt"
    assert "missing field(s)" in reason.read_text()
    assert not done_path(home, "AH-2026-900003").exists()


@pytest.mark.e2e
def test_arrest_on_a_publication_of_an_earlier_version_waits_for_the_nightly_run(
        home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    person = _known_person(home / "warehouse.duckdb")
    con = duckdb.connect(str(current_publication(home) / "warehouse.duckdb"))
    con.execute("ALTER TABLE person_records DROP COLUMN linked_by")
    con.close()
    file = _write(tmp_path / "feed" / "arrests", _arrest("AH-2026-900009", person))
    assert foto("arrest", str(file), "--home", str(home)) == 1
    out = " ".join(capsys.readouterr().out.split())      # the console wraps lines
    assert "earlier version of foto (it lacks person_records.linked_by)" in out
    assert not done_path(home, "AH-2026-900009").exists()
    assert not (home / "arrests" / "quarantine" / "AH-2026-900009.json").exists()


@pytest.mark.e2e
def test_person_records_holds_the_columns_the_arrest_path_reads(sample_run: Path) -> None:
    con = duckdb.connect(str(sample_run / "warehouse.duckdb"), read_only=True)
    columns = [c for (c,) in con.sql("SELECT column_name FROM duckdb_columns() "
                                     "WHERE table_name = 'person_records'").fetchall()]
    con.close()
    assert sorted(columns) == sorted(PERSON_RECORDS_COLUMNS)


@pytest.mark.e2e
def test_arrest_survives_into_the_next_nightly_run(home: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE / "inbox", inbox)
    person = _known_person(home / "warehouse.duckdb")
    arrest = _arrest("AH-2026-900004", person)
    file = _write(inbox / "arrests", arrest)
    assert foto("arrest", str(file), "--home", str(home)) == 0
    assert foto("run", "--inbox", str(inbox), "--home", str(home)) == 0
    assert _person_holding(home / "warehouse.duckdb", arrest["record_id"]) == person["person_id"]
    index = (current_triage(home) / "index.html").read_text(encoding="utf-8")
    assert f"sheets/{person['person_id']}.html" in index.split('id="personen"')[0]


def _foto_process(log: Path, *args: str) -> subprocess.Popen:
    """`foto` in its own process, its output to a file: Dagster's log tailers outlive a run and
    would hold a pipe open after the process ended."""
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    with open(log, "w", encoding="utf-8") as out:
        return subprocess.Popen([sys.executable, "-m", "foto.cli", *args], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT)


@pytest.mark.e2e
def test_arrest_during_the_nightly_run_with_an_analyst_reading(home: Path,
                                                               tmp_path: Path) -> None:
    """Real processes: the nightly job, an arrest that arrives while it builds, and an
    analyst with the warehouse open read-only. No lock errors, and the nightly publication
    carries the arrest published during it."""
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE / "inbox", inbox)
    person = _known_person(home / "warehouse.duckdb")
    arrest = _arrest("AH-2026-900005", person)
    analyst = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        before = analyst.sql("SELECT count(*) FROM person").fetchall()
        nightly = _foto_process(tmp_path / "nightly.log", "run", "--inbox", str(inbox),
                                "--home", str(home))
        deadline = time.monotonic() + 120
        while not list(home.glob("runs/*/warehouse.duckdb")) and time.monotonic() < deadline:
            time.sleep(0.05)
        file = _write(inbox / "arrests", arrest)   # after the nightly run read the feed
        arrested = _foto_process(tmp_path / "arrest.log", "arrest", str(file), "--home",
                                 str(home))
        arrested.wait(timeout=300)
        assert analyst.sql("SELECT count(*) FROM person").fetchall() == before
        nightly.wait(timeout=600)
    finally:
        analyst.close()
    arrest_out = (tmp_path / "arrest.log").read_text(encoding="utf-8")
    nightly_out = (tmp_path / "nightly.log").read_text(encoding="utf-8")
    assert arrested.returncode == 0, arrest_out[-2000:]
    assert nightly.returncode == 0, nightly_out[-2000:]
    for out in (arrest_out, nightly_out):
        assert "Could not set lock" not in out and "Conflicting lock" not in out
    entry = json.loads(done_path(home, arrest["arrest_id"]).read_text())
    assert entry["person_id"] == person["person_id"]
    published = current_triage(home)
    sheet = (published / "sheets" / f"{person['person_id']}.html").read_text(encoding="utf-8")
    assert "Aangehouden op 27-11-2026 14:03" in sheet
    assert f"sheets/{person['person_id']}.html" in \
        (published / "index.html").read_text(encoding="utf-8").split('id="personen"')[0]


# ---- issue 13, defect 5: a record id is never trusted over the content --------------------

def _police_record(warehouse: Path) -> dict:
    """A published police record with a full identity, and the person holding it."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cursor = con.execute("""
            SELECT pr.person_id, r.* FROM raw_police r
            JOIN person_records pr ON pr.source = 'police' AND pr.record_id = r.record_id
            WHERE r.geboortedatum IS NOT NULL AND r.voornamen IS NOT NULL AND r.bsn IS NOT NULL
            ORDER BY r.record_id LIMIT 1""")
        names = [d[0] for d in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))
    finally:
        con.close()


def _arrest_of_record(arrest_id: str, r: dict) -> dict:
    """An arrest carrying the published police record `r` (its id and its identity)."""
    return {"arrest_id": arrest_id, "aangehouden_op": "2026-11-27T14:03:00+01:00",
            "record_id": r["record_id"], "feit": "bedreiging", "huiselijk_geweld": False,
            "achternaam": r["achternaam"], "voorvoegsel": r["voorvoegsel"],
            "voornamen": r["voornamen"], "geboortedatum": r["geboortedatum"].strftime("%d-%m-%Y"),
            "bsn": r["bsn"], "straat": "Elders", "huisnummer": "1", "postcode": None,
            "woonplaats": "Ergens"}


def _process(file: Path, home: Path):
    from config import load_config
    from matching.models import current_model
    from publish.arrest_flow import process_arrest

    return process_arrest(file, home, current_model(home / "models"), load_config())


OTHER_IDENTITY = {
    "surname": ({"achternaam": "Zwaneveld"}, ["achternaam"]),
    "birth_date": ({"geboortedatum": "01-01-1950"}, ["geboortedatum"]),
    "bsn": ({"bsn": "111222333"}, ["bsn"]),
    "bsn_dropped": ({"bsn": None}, ["bsn"]),
    "given_names": ({"voornamen": "Quirijn"}, ["voornamen"]),
    "another_person": ({"achternaam": "Zwaneveld-Oosterbroek", "voornamen": "Quirijn",
                        "geboortedatum": "09-03-1971", "bsn": None},
                       ["achternaam", "bsn", "geboortedatum", "voornamen"]),
}


@pytest.mark.e2e
@pytest.mark.parametrize(("change", "fields"), OTHER_IDENTITY.values(),
                         ids=OTHER_IDENTITY.keys())
def test_a_record_id_known_with_other_content_is_a_conflict_not_a_match(
        change: dict, fields: list[str], home: Path, tmp_path: Path) -> None:
    record = _police_record(home / "warehouse.duckdb")
    sheets = current_triage(home) / "sheets"
    before = {p.name: p.read_bytes() for p in sheets.glob("*.html")}
    arrest = _arrest_of_record("AH-2026-910001", record) | change
    file = _write(tmp_path / "feed" / "arrests", arrest)
    outcome = _process(file, home)
    assert outcome.status == "conflict" and outcome.exit_code == 1
    assert f"record id {record['record_id']}" in outcome.message
    assert all(f in outcome.message for f in fields), outcome.message
    assert not any(str(v) in outcome.message for v in change.values() if v)
    assert not done_path(home, arrest["arrest_id"]).exists()
    assert {p.name: p.read_bytes() for p in sheets.glob("*.html")} == before
    assert "conflict" in (home / "arrests" / "quarantine" /
                          f"{file.name}.reason.txt").read_text()


@pytest.mark.e2e
def test_the_same_record_with_the_same_identity_keeps_its_person(home: Path,
                                                                 tmp_path: Path) -> None:
    """Compared as standardised values: case, spacing and a BSN's dots do not count."""
    record = _police_record(home / "warehouse.duckdb")
    arrest = _arrest_of_record("AH-2026-910002", record)
    arrest["achternaam"] = f"  {arrest['achternaam'].upper()} "
    arrest["bsn"] = f"{record['bsn'][:4]}.{record['bsn'][4:6]}.{record['bsn'][6:]}"
    outcome = _process(_write(tmp_path / "feed" / "arrests", arrest), home)
    assert outcome.status == "published", outcome.message
    assert outcome.person_id == record["person_id"] and outcome.match_probability == 1.0


@pytest.mark.e2e
def test_a_second_file_under_a_published_arrest_id_with_other_content_is_refused(
        home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    person = _known_person(home / "warehouse.duckdb")
    first = _arrest("AH-2026-910003", person)
    assert _process(_write(tmp_path / "a" / "arrests", first), home).status == "published"
    entry = json.loads(done_path(home, first["arrest_id"]).read_text())
    for change, fields in (({"feit": "inbraak"}, ["feit"]),
                           ({"achternaam": "Zwaneveld", "bsn": None}, ["achternaam", "bsn"])):
        file = _write(tmp_path / "b" / "arrests", first | change)
        outcome = _process(file, home)
        assert outcome.status == "conflict", outcome.message
        assert f"arrest id {first['arrest_id']}" in outcome.message
        assert all(f in outcome.message for f in fields)
        assert json.loads(done_path(home, first["arrest_id"]).read_text()) == entry
    # what the operator sees: exit 1, the arrest id and the fields, never a value
    file = _write(tmp_path / "d" / "arrests", first | {"voornamen": "Quirijn"})
    capsys.readouterr()
    assert foto("arrest", str(file), "--home", str(home)) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert f"arrest id {first['arrest_id']} (published before) is known with other content " \
           "(differs in ['voornamen']): conflict, refused" in out
    assert "Quirijn" not in out
    same = tmp_path / "c" / "arrests" / f"{first['arrest_id']}.json"
    same.parent.mkdir(parents=True)
    same.write_text(json.dumps(dict(reversed(first.items())), indent=4), encoding="utf-8")
    assert _process(same, home).status == "already_published"


def test_the_nightly_reader_quarantines_record_id_conflicts(tmp_path: Path) -> None:
    """`with_arrests` agrees with the arrest path: a record id the extract holds about
    another person, an arrest id with two contents, a record id in two arrests about two
    persons are conflicts, quarantined with their reason; counts add up."""
    import pandas as pd

    from sources.common import ParseResult, QuarantineLog
    from sources.police import COLUMNS
    from standardise.arrest_feed import with_arrests

    extract = pd.DataFrame([{
        "record_id": "PL-1-01", "registratie_datum": pd.Timestamp("2026-10-01").date(),
        "rol": "verdachte", "feit": "inbraak", "huiselijk_geweld": False, "achternaam": "Vries",
        "voorvoegsel": "de", "voornamen": "Peter", "geboortedatum":
        pd.Timestamp("1984-06-02").date(), "geboorteplaats": None, "geslacht": "M",
        "bsn": None, "straat": "Oud", "huisnummer": "1", "postcode": None, "woonplaats": None,
        "aangehouden": False, "_line": 2, "_raw": "x"}], columns=[*COLUMNS, "_line", "_raw"])
    result = ParseResult("police", "police_persons.csv", extract,
                         QuarantineLog("police", "police_persons.csv").frame(), 1)
    base = {"aangehouden_op": "2026-11-27T14:03:00+01:00", "feit": "bedreiging",
            "huiselijk_geweld": True, "achternaam": "Vries", "voorvoegsel": "de",
            "voornamen": "Peter", "geboortedatum": "02-06-1984", "bsn": None, "straat": "Nieuw",
            "huisnummer": "2", "postcode": None, "woonplaats": None}
    feed = tmp_path / "arrests"
    arrests = {
        "AH-1": base | {"record_id": "PL-1-01"},                          # the extract's own
        "AH-2": base | {"record_id": "PL-1-01", "achternaam": "Bakker"},  # other person
        "AH-3": base | {"record_id": "PL-3-01"},
        "AH-3-copy": base | {"record_id": "PL-3-01", "arrest_id": "AH-3", "feit": "x"},
        "AH-4": base | {"record_id": "PL-4-01"},
        "AH-5": base | {"record_id": "PL-4-01", "geboortedatum": "03-06-1984"},
        "AH-6": base | {"record_id": "PL-6-01"},
        "AH-7": base | {"record_id": "PL-6-01", "straat": "Anders"},      # same person
    }
    feed.mkdir()
    for name, arrest in arrests.items():
        (feed / f"{name}.json").write_text(json.dumps({"arrest_id": name} | arrest))
    out = with_arrests(result, feed, "2026-11-27")
    q = out.quarantine.set_index("file")
    assert sorted(q.index) == ["arrests/AH-2.json", "arrests/AH-3-copy.json",
                               "arrests/AH-3.json", "arrests/AH-4.json", "arrests/AH-5.json"]
    assert "held by the police extract with other content in ['achternaam']" in \
        q.loc["arrests/AH-2.json", "reason"]
    assert not q["reason"].str.contains("Bakker|Vries|1984").any()
    assert sorted(out.accepted["record_id"]) == ["PL-1-01", "PL-6-01"]
    assert out.withheld == {"arrest_in_extract": 1, "arrest_duplicate": 1}
    c = out.counts()
    assert c["read"] == 1 + 8 == c["accepted"] + c["quarantined"] + sum(
        v for k, v in c.items() if k.startswith("withheld_"))


# ---- issue 13, defect 6b: a published arrest never vanishes --------------------------------

def _shows_arrest(home: Path, person_id: str, when: str) -> bool:
    """Whether the current publication shows the arrest: on the person's sheet and on top of
    the index."""
    published = current_triage(home)
    sheet = published / "sheets" / f"{person_id}.html"
    index = (published / "index.html").read_text(encoding="utf-8").split('id="personen"')[0]
    return sheet.exists() and f"Aangehouden op {when}" in sheet.read_text(encoding="utf-8") \
        and f"sheets/{person_id}.html" in index


@pytest.mark.e2e
def test_a_published_arrest_survives_a_rerun_of_an_earlier_delivery_and_a_rollback(
        home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Published on 28-11; `foto run` re-runs the 27-11 delivery (which does not read it) and
    `foto rollback` returns to the publication from before the arrest: the arrest stays, and
    'already published' is said only while the current publication holds it."""
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE / "inbox", inbox)
    before_arrest = current_publication(home)
    rerun = ("run", "--inbox", str(inbox), "--home", str(home), "--date", "2026-11-27")
    assert foto(*rerun) == 0
    person = _known_person(home / "warehouse.duckdb")
    arrest = _arrest("AH-2026-910009", person) | {"aangehouden_op": "2026-11-28T10:15:00+01:00"}
    file = _write(inbox / "arrests", arrest)
    assert foto("arrest", str(file), "--home", str(home)) == 0
    assert _shows_arrest(home, person["person_id"], "28-11-2026 10:15")
    with_arrest = current_publication(home)

    assert foto(*rerun) == 0
    assert current_publication(home) != with_arrest
    assert _shows_arrest(home, person["person_id"], "28-11-2026 10:15")
    capsys.readouterr()
    assert foto("arrest", str(file), "--home", str(home)) == 0
    assert "already published" in capsys.readouterr().out

    for expected in (with_arrest, before_arrest):
        assert foto("rollback", "--home", str(home)) == 0
        assert "published arrest(s) laid over it" in " ".join(capsys.readouterr().out.split())
        assert current_publication(home) == expected
        assert _shows_arrest(home, person["person_id"], "28-11-2026 10:15")
    assert arrest["arrest_id"] in json.loads((before_arrest / "arrests.json").read_text())
    assert foto("arrest", str(file), "--home", str(home)) == 0
    assert "already published" in capsys.readouterr().out


@pytest.mark.e2e
def test_already_published_means_the_current_publication_holds_it(home: Path,
                                                                  tmp_path: Path) -> None:
    """A done entry alone is not enough: a publication that lacks the arrest (an earlier
    version's, or one put in place by hand) gets it laid again."""
    person = _known_person(home / "warehouse.duckdb")
    arrest = _arrest("AH-2026-910010", person)
    file = _write(tmp_path / "feed" / "arrests", arrest)
    assert _process(file, home).status == "published"
    publication = current_publication(home)
    (publication / "arrests.json").write_text("{}")
    sheet = current_triage(home) / "sheets" / f"{person['person_id']}.html"
    sheet.unlink()
    again = _process(file, home)
    assert again.status == "published" and again.person_id == person["person_id"]
    assert "Aangehouden op 27-11-2026 14:03" in sheet.read_text(encoding="utf-8")
    assert _process(file, home).status == "already_published"
