"""The nightly job end to end on the committed sample, and a blocked run on broken input."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from publish.audiences import TRIAGE_TABLES
from stores.publications import current_publication, current_triage
from tests.conftest import SAMPLE, foto
from tests.scan import files_holding

pytestmark = pytest.mark.e2e


def q(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def test_every_accepted_record_is_in_person_records_once(sample_run: Path) -> None:
    wh = sample_run / "warehouse.duckdb"
    accepted = q(wh, "SELECT sum(accepted) FROM ingest_counts")[0][0]
    records, distinct = q(wh, "SELECT count(*), count(DISTINCT (source, record_id)) "
                              "FROM person_records")[0]
    assert records == distinct == accepted > 0
    assert q(wh, "SELECT count(*) FROM person_records pr JOIN std_persons s USING "
                 "(unique_id) WHERE pr.person_id IS NULL")[0][0] == 0


def test_counts_add_up_per_source(sample_run: Path) -> None:
    rows = q(sample_run / "warehouse.duckdb",
             "SELECT source, read, accepted + quarantined + withheld + expired FROM ingest_counts")
    assert len(rows) == 4
    for source, read, accounted in rows:
        assert read == accounted, source


def test_no_melder_anywhere(sample_run: Path) -> None:
    wh = sample_run / "warehouse.duckdb"
    assert q(wh, "SELECT count(*) FROM person_records WHERE role = 'melder'")[0][0] == 0
    assert q(wh, "SELECT count(*) FROM raw_care WHERE rol = 'melder'")[0][0] == 0
    melders = q(wh, "SELECT withheld FROM ingest_counts WHERE source = 'care'")[0][0]
    assert melders > 0  # the sample has reporters, and they were withheld


def test_profile_one_row_per_person(sample_run: Path) -> None:
    wh = sample_run / "warehouse.duckdb"
    persons = q(wh, "SELECT count(DISTINCT person_id) FROM person_records")[0][0]
    assert q(wh, "SELECT count(*), count(DISTINCT person_id) FROM person")[0] == \
        (persons, persons)
    assert q(wh, "SELECT count(*) FROM person WHERE person_of_concern")[0][0] > 0


def test_records_of_one_bsn_are_linked(sample_run: Path) -> None:
    """Records carrying the same valid BSN in different sources end up as one person."""
    wh = sample_run / "warehouse.duckdb"
    split = q(wh, """SELECT count(*) FROM (SELECT s.bsn FROM std_persons s
                     JOIN person_records p USING (unique_id) WHERE s.bsn IS NOT NULL
                     GROUP BY s.bsn HAVING count(DISTINCT p.person_id) > 1)""")[0][0]
    bsns = q(wh, "SELECT count(DISTINCT bsn) FROM std_persons")[0][0]
    assert split / bsns < 0.01


def test_published_triage_holds_only_declared_columns(sample_run: Path) -> None:
    triage = current_triage(sample_run) / "triage.duckdb"
    assert (current_triage(sample_run) / "manifest.json").exists()
    tables = q(triage, "SELECT table_name FROM duckdb_tables()")
    assert {t for (t,) in tables} == set(TRIAGE_TABLES)
    for table, columns in TRIAGE_TABLES.items():
        got = [c for (c,) in q(triage, f"SELECT column_name FROM duckdb_columns() "
                                       f"WHERE table_name = '{table}'")]
        assert got == list(columns)


def _copy_inbox(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE / "inbox", inbox)
    return inbox


def test_broken_delivery_is_blocked_and_previous_publication_stays(
        sample_run: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(sample_run, home, symlinks=True)
    before = current_triage(home)
    inode = (home / "warehouse.duckdb").stat().st_ino
    inbox = _copy_inbox(tmp_path)
    day = sorted(p for p in inbox.iterdir() if p.is_dir() and p.name[0].isdigit())[-1]
    broken = inbox / "2099-01-01"
    shutil.copytree(day, broken)
    police = broken / "police_persons.csv"
    police.write_bytes(police.read_bytes().replace(b";", b","))   # wrong delimiter

    code = foto("run", "--inbox", str(inbox), "--home", str(home))

    assert code == 1
    assert current_triage(home) == before
    assert (home / "warehouse.duckdb").stat().st_ino == inode
    assert q(current_triage(home) / "triage.duckdb", "SELECT count(*) FROM triage_person")[0][0] > 0


def _personal_values() -> set[bytes]:
    """The sample's BSNs, long surnames and first names, and birth dates in the layouts the
    sources use (old enough never to be mistaken for a run's own dates)."""
    import csv

    with open(next((SAMPLE / "inbox").glob("*/municipal_brp.csv")), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    needles = {r["bsn"] for r in rows if r["bsn"]}
    needles |= {r["geslachtsnaam"] for r in rows if len(r["geslachtsnaam"]) > 7}
    needles |= {r["voornamen"].split()[0] for r in rows if len(r["voornamen"].split()[0]) > 7}
    for r in rows:
        d = r["geboortedatum"]
        if d[4:6] != "00" and d[6:] != "00" and d < "2000":
            needles |= {d, f"{d[:4]}-{d[4:6]}-{d[6:]}", f"{d[6:]}-{d[4:6]}-{d[:4]}"}
    return {n.encode() for n in needles}


def test_no_personal_data_in_reports_event_log_or_run_output(
        sample_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Operators read the quality report, the Dagster event log, compute logs, run metadata
    and what `foto run` prints: none of these may hold a name, BSN or birth date."""
    home = tmp_path / "home"
    shutil.copytree(sample_run, home, symlinks=True)
    capsys.readouterr()
    assert foto("run", "--inbox", str(SAMPLE / "inbox"), "--home", str(home)) == 0
    out = capsys.readouterr()
    needles = _personal_values()
    assert len(needles) > 1000
    reports = list((home / "reports").glob("*.html"))
    assert len(reports) == 2
    assert files_holding(home / "reports", needles) == {}
    assert files_holding(home / "dagster", needles) == {}
    printed = (out.out + out.err).encode()
    assert b"quality report" in printed
    assert not [n for n in needles if n in printed]


POISONED_BIRTH_DATE = "1987-12- 5"   # pandas reads it, DuckDB's strptime refuses it


def _poison_care(inbox: Path) -> set[bytes]:
    """Give one care person a birth date that only a later stage refuses; returns that
    person's values (the name, and the date in every form it could be written back in)."""
    import json

    path = next(inbox.glob("*/care_reports.jsonl"))
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        report = json.loads(line)
        person = next((p for p in report["betrokkenen"] if p.get("rol") == "pleger"
                       and p.get("geboortedatum") and len(p.get("naam") or "") > 7), None)
        if person:
            person["geboortedatum"] = POISONED_BIRTH_DATE
            lines[i] = json.dumps(report, ensure_ascii=False)
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            name = person["naam"]
            return {v.encode() for v in (name, json.dumps(name)[1:-1], POISONED_BIRTH_DATE,
                                         json.dumps(POISONED_BIRTH_DATE)[1:-1], "1987-12-")}
    raise AssertionError("no care person with a birth date in the sample")


def _break_model(home: Path) -> None:
    """A home whose current model is not a model: the match step fails, whatever the data."""
    models = home / "models"
    models.mkdir(parents=True, exist_ok=True)
    (models / "person_v1.json").write_text("{ not a model", encoding="utf-8")
    (models / "CURRENT").write_text("person_v1.json\n", encoding="utf-8")


@pytest.mark.parametrize("breakage", ["poisoned_care_birth_date", "broken_model"])
def test_no_personal_data_in_dagster_storage_after_a_failed_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], breakage: str) -> None:
    """The personal-data scan after FAILED runs, not only after good ones: a step that fails
    (on a value a reader let through, or on anything else) leaves no name, BSN or birth date in
    Dagster's storage (event log `runs/<id>.db`, `index.db`, schedules, compute logs: the whole
    `<home>/dagster`), nor anywhere in the home outside the databases meant to hold data, nor
    in what `foto` prints. The failure names the stage, the error's type and an error id."""
    inbox = _copy_inbox(tmp_path)
    home = tmp_path / "home"
    needles = _personal_values()
    if breakage == "broken_model":
        _break_model(home)
    else:
        needles |= _poison_care(inbox)
    capsys.readouterr()
    code = foto("run", "--inbox", str(inbox), "--home", str(home))
    out = capsys.readouterr()
    printed = (out.out + out.err).encode()
    if breakage == "broken_model":
        assert code == 2
        assert b"stage match_pairs failed: " in printed and b"error id" in printed
    else:   # the reader now catches the value: it costs that value, not the run
        assert code in (0, 1)
    runs = list((home / "dagster").rglob("*.db"))
    assert runs, "the run left no Dagster storage to scan"
    data_files = {".duckdb", ".wal"}
    # Stores meant to hold persons are not scanned: the triage pages of a publication (for the
    # triage audience) and the arrest state (`arrests/`: each published arrest, owner-only,
    # so that it can be laid again when its inbox file is gone).
    data_dirs = {"triage", "arrests"}
    meant = [p for p in home.rglob("*") if p.is_file() and (
        p.suffix in data_files or data_dirs & set(p.relative_to(home).parts))]
    found = files_holding(home, {n.decode() for n in needles}, skip=meant)
    assert found == {}, f"personal values in {sorted(found)}"
    assert not [n for n in needles if n in printed]


def test_rerun_of_the_same_delivery_changes_no_sheet_and_no_person_id(
        sample_run: Path, tmp_path: Path) -> None:
    """Same delivery, same photo: ids are stable and every sheet reads the same; only the
    sheets of arrested persons are rendered again (the arrest is laid over them)."""
    import json

    home = tmp_path / "home"
    shutil.copytree(sample_run, home, symlinks=True)
    old = current_triage(home)
    before = set(q(home / "warehouse.duckdb",
                   "SELECT person_id, source, record_id FROM person_records"))
    assert foto("run", "--inbox", str(_copy_inbox(tmp_path)), "--home", str(home)) == 0
    after = set(q(home / "warehouse.duckdb",
                  "SELECT person_id, source, record_id FROM person_records"))
    assert before == after
    new = current_triage(home)
    manifest = json.loads((new / "manifest.json").read_text())
    arrested = len(list((home / "arrests" / "done").glob("*.json")))
    assert manifest["rendered"] <= arrested
    assert manifest["reused"] + manifest["rendered"] == manifest["sheets"] > 0
    sheets = sorted((new / "sheets").glob("*.html"))
    assert [p.name for p in sheets] == sorted(p.name for p in (old / "sheets").glob("*.html"))
    changed = [p.name for p in sheets if p.read_bytes() != (old / "sheets" / p.name).read_bytes()]
    assert not changed


def test_rollback_restores_the_previous_publication(sample_run: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(sample_run, home, symlinks=True)
    # the pointer is a file naming the publication (`stores.publications`), not a symlink
    first = current_publication(home)
    assert foto("run", "--inbox", str(_copy_inbox(tmp_path)), "--home", str(home)) == 0
    second = current_publication(home)
    assert second != first
    assert foto("rollback", "--home", str(home)) == 0
    assert current_publication(home) == first
    assert (home / "warehouse.duckdb").stat().st_ino == \
        (first / "warehouse.duckdb").stat().st_ino
    assert foto("rollback", "--home", str(home)) == 2     # nothing earlier than the first


def test_reader_with_published_files_open_is_not_disturbed_by_a_publication(
        sample_run: Path, tmp_path: Path) -> None:
    """An analyst's open connection keeps reading the photo it opened while a new one is
    published: publication swaps links, it never writes into a published file."""
    home = tmp_path / "home"
    shutil.copytree(sample_run, home, symlinks=True)
    analyst = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    triage = duckdb.connect(str(current_triage(home) / "triage.duckdb"), read_only=True)
    try:
        before = analyst.sql("SELECT count(*), max(person_id) FROM person").fetchall()
        sheets = triage.sql("SELECT count(*) FROM triage_person").fetchall()
        assert foto("run", "--inbox", str(SAMPLE / "inbox"), "--home", str(home)) == 0
        assert analyst.sql("SELECT count(*), max(person_id) FROM person").fetchall() == before
        assert triage.sql("SELECT count(*) FROM triage_person").fetchall() == sheets
    finally:
        analyst.close()
        triage.close()
