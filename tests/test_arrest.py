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

from matching.persons import PERSON_RECORDS_COLUMNS
from pipelines.resources import FotoPaths
from pipelines.sensors import arrest_sensor
from tests.conftest import ROOT, SAMPLE, foto
from warehouse.arrests import done_path, record_done
from warehouse.publish import current_publication


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
def home(sample_run: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(sample_run, home, symlinks=True)
    return home


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
    published = home / "published"
    sheet = (published / "sheets" / f"{person['person_id']}.html").read_text(encoding="utf-8")
    assert "Aangehouden op 27-11-2026 14:03" in sheet and "bedreiging" in sheet
    # the arrest for domestic violence is a signal at once, by the written rule
    assert "Huiselijk geweld (12 mnd)" in sheet
    index = (published / "index.html").read_text(encoding="utf-8")
    assert index.index(f"sheets/{person['person_id']}.html") < index.index('id="personen"')
    # a file seen again runs once
    assert foto("arrest", str(file), "--home", str(home)) == 0
    assert "already published" in capsys.readouterr().out


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
    sheet = (home / "published" / "sheets" / f"{entry['person_id']}.html").read_text(
        encoding="utf-8")
    assert "Niet eerder bekend" in sheet
    assert "Huiselijk geweld (12 mnd)" in sheet and "prioriteit midden" in sheet


def test_bad_arrest_file_is_quarantined_with_its_reason(home: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    file = _write(tmp_path / "feed" / "arrests", {"arrest_id": "AH-2026-900003"})
    assert foto("arrest", str(file), "--home", str(home)) == 1
    assert "missing field(s)" in capsys.readouterr().out
    reason = home / "arrests" / "quarantine" / "AH-2026-900003.json.reason.txt"
    assert "missing field(s)" in reason.read_text()
    assert not done_path(home, "AH-2026-900003").exists()


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


def test_person_records_holds_the_columns_the_arrest_path_reads(sample_run: Path) -> None:
    con = duckdb.connect(str(sample_run / "warehouse.duckdb"), read_only=True)
    columns = [c for (c,) in con.sql("SELECT column_name FROM duckdb_columns() "
                                     "WHERE table_name = 'person_records'").fetchall()]
    con.close()
    assert sorted(columns) == sorted(PERSON_RECORDS_COLUMNS)


def test_arrest_survives_into_the_next_nightly_run(home: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE / "inbox", inbox)
    person = _known_person(home / "warehouse.duckdb")
    arrest = _arrest("AH-2026-900004", person)
    file = _write(inbox / "arrests", arrest)
    assert foto("arrest", str(file), "--home", str(home)) == 0
    assert foto("run", "--inbox", str(inbox), "--home", str(home)) == 0
    assert _person_holding(home / "warehouse.duckdb", arrest["record_id"]) == person["person_id"]
    index = (home / "published" / "index.html").read_text(encoding="utf-8")
    assert f"sheets/{person['person_id']}.html" in index.split('id="personen"')[0]


def _foto_process(log: Path, *args: str) -> subprocess.Popen:
    """`foto` in its own process, its output to a file: Dagster's log tailers outlive a run and
    would hold a pipe open after the process ended."""
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    with open(log, "w", encoding="utf-8") as out:
        return subprocess.Popen([sys.executable, "-m", "pipelines.cli", *args], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT)


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
    published = home / "published"
    sheet = (published / "sheets" / f"{person['person_id']}.html").read_text(encoding="utf-8")
    assert "Aangehouden op 27-11-2026 14:03" in sheet
    assert f"sheets/{person['person_id']}.html" in \
        (published / "index.html").read_text(encoding="utf-8").split('id="personen"')[0]
