"""Triage sheets: one per person of concern, nobody else, every value shown as text."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from warehouse.audiences import TRIAGE_TABLES
from warehouse.sheets import render_sheets


def _triage_db(path: Path, name: str) -> Path:
    """A triage database with the declared tables and one person of concern."""
    con = duckdb.connect(str(path))
    values = {"person_id": "'F1'", "naam": f"'{name}'", "bekend_als": "['Alias']",
              "geboortedatum": "DATE '1984-06-02'", "geboortejaar": "1984",
              "geslacht": "'M'", "bsn_bekend": "true", "woonplaats": "'Rotterdam'",
              "bronnen": "['police', 'care']", "aantal_registraties": "2",
              "politie": "1", "justitie": "0", "zorg": "1", "gemeente": "0",
              "bekend_sinds": "DATE '2025-01-01'", "laatst_gezien": "DATE '2026-06-01'",
              "reden_in_beeld": "['politie: verdachte']", "prioriteit": "'hoog'",
              "prioriteit_reden": "'Ex-partnerstalking, SASH hoog'",
              "signalen": "['ex_partner_stalking_sash_hoog']", "aantal_slachtoffers": "1",
              "aantal_minderjarige_kinderen_in_meldingen": "0"}
    cols = list(TRIAGE_TABLES["triage_person"])
    con.execute("CREATE TABLE triage_person AS SELECT "
                + ", ".join(f"{values[c]} AS {c}" for c in cols))
    con.execute("CREATE TABLE triage_signaal AS SELECT 'F1' AS person_id, "
                "'Ex-partnerstalking, SASH hoog' AS signaal, 'hoog' AS ernst, 'regel' AS regel,"
                " DATE '2026-01-01' AS vanaf, NULL::DATE AS tot")
    con.execute("CREATE TABLE triage_tijdlijn AS SELECT 'F1' AS person_id, "
                "DATE '2026-06-01' AS datum, 'Politie' AS partner, 'politieregistratie' AS "
                "gebeurtenis, 'verdachte' AS rol, 'bedreiging' AS omschrijving, "
                "NULL AS status")
    con.execute("CREATE TABLE triage_netwerk AS SELECT 'F1' AS person_id, "
                "'ex_partner' AS relatie, 1 AS aantal")
    con.execute("CREATE TABLE triage_zekerheid AS SELECT 'F1' AS person_id, 2 AS records, "
                "0.97 AS zwakste_koppeling_kans, ['surname', 'dob'] AS komt_overeen, "
                "['given_name'] AS komt_deels_overeen, ['address'] AS wijkt_af")
    con.close()
    return path


def test_a_name_with_markup_is_shown_as_text(tmp_path: Path) -> None:
    db = _triage_db(tmp_path / "t.duckdb", "<script>alert(1)</script> de Vries")
    assert render_sheets(db, tmp_path / "out", "20261127T000000")["sheets"] == 1
    for page in (tmp_path / "out" / "index.html", tmp_path / "out" / "sheets" / "F1.html"):
        html = page.read_text(encoding="utf-8")
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; de Vries" in html


def _sheet_with_certainty(tmp_path: Path, name: str, column: str) -> str:
    """F1's rendered sheet, with one more column (`<value> AS <name>`) in its certainty."""
    db = _triage_db(tmp_path / "t.duckdb", name)
    con = duckdb.connect(str(db))
    con.execute(f"CREATE OR REPLACE TABLE triage_zekerheid AS "
                f"SELECT *, {column} FROM triage_zekerheid")
    con.close()
    render_sheets(db, tmp_path / "out", "20261127T000000")
    return (tmp_path / "out" / "sheets" / "F1.html").read_text(encoding="utf-8")


def test_a_record_joined_to_the_person_as_a_whole_is_said_so(tmp_path: Path) -> None:
    html = _sheet_with_certainty(tmp_path, "Peter de Vries", "'persoon' AS gekoppeld_als")
    assert "op de persoon als geheel gekoppeld" in html


def test_records_left_undecided_between_persons_are_said_so(tmp_path: Path) -> None:
    html = _sheet_with_certainty(tmp_path, "Dirk van der Zee", "2 AS onbesliste_personen")
    assert "Bij 2 andere personen is niet te beslissen" in html


def test_an_arrest_that_fits_two_known_persons_says_so_not_unknown(tmp_path: Path) -> None:
    from warehouse.arrest_sheets import new_person_parts, write_arrest_sheet

    arrest = {"person_id": "FNEW1", "naam": "Jan de Vries", "geboortedatum": None,
              "woonplaats": "Rotterdam", "arrested_on": "2026-11-28",
              "arrested_local": "28-11-2026 14:03", "feit": "bedreiging",
              "huiselijk_geweld": False, "new_person": True, "undecided": 2}
    html = write_arrest_sheet(tmp_path, new_person_parts(arrest), arrest).read_text(
        encoding="utf-8")
    assert "Past even goed bij 2 bekende personen" in html
    assert "Niet eerder bekend" not in html


def test_sheet_says_what_triage_needs_in_dutch(tmp_path: Path) -> None:
    db = _triage_db(tmp_path / "t.duckdb", "Peter de Vries")
    render_sheets(db, tmp_path / "out", "20261127T000000")
    html = (tmp_path / "out" / "sheets" / "F1.html").read_text(encoding="utf-8")
    for text in ("prioriteit hoog", "Ex-partnerstalking, SASH hoog", "Politie",
                 "Veilig Thuis / wijkteam", "1 × ex-partner", "97,0%",
                 "achternaam, geboortedatum komen overeen", "adres wijkt af"):
        assert text in html, text


@pytest.mark.e2e
def test_one_sheet_per_person_of_concern_and_no_one_else(sample_run: Path) -> None:
    published = sample_run / "published"
    con = duckdb.connect(str(published / "triage.duckdb"), read_only=True)
    concern = {p for (p,) in con.sql("SELECT person_id FROM triage_person").fetchall()}
    con.close()
    sheets = {p.stem for p in (published / "sheets").glob("*.html")}
    assert sheets == concern and concern
    wh = duckdb.connect(str(sample_run / "warehouse.duckdb"), read_only=True)
    others = {p for (p,) in wh.sql(
        "SELECT person_id FROM person WHERE NOT person_of_concern").fetchall()}
    wh.close()
    assert not sheets & others            # victims, witnesses, children: no sheet
    manifest = json.loads((published / "manifest.json").read_text())
    assert manifest["sheets"] == len(concern)


def test_unchanged_sheets_are_reused_changed_ones_rendered(tmp_path: Path) -> None:
    db = _triage_db(tmp_path / "t.duckdb", "Peter de Vries")
    first = render_sheets(db, tmp_path / "one", "1")
    assert first == {"sheets": 1, "rendered": 1, "reused": 0}
    again = render_sheets(db, tmp_path / "two", "2", previous=tmp_path / "one")
    assert again == {"sheets": 1, "rendered": 0, "reused": 1}
    assert (tmp_path / "two" / "sheets" / "F1.html").stat().st_ino == \
        (tmp_path / "one" / "sheets" / "F1.html").stat().st_ino
    con = duckdb.connect(str(db))
    con.execute("UPDATE triage_person SET prioriteit = 'midden'")
    con.close()
    changed = render_sheets(db, tmp_path / "three", "3", previous=tmp_path / "two")
    assert changed == {"sheets": 1, "rendered": 1, "reused": 0}
    assert "prioriteit midden" in (tmp_path / "three" / "sheets" / "F1.html").read_text()


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="chromium is not installed (.ci/run installs it; in CI this fails)")
def test_sheet_and_index_in_headless_chromium(tmp_path: Path) -> None:
    """What a person sees in a real browser: the page's text, and no script from a name."""
    db = _triage_db(tmp_path / "t.duckdb",
                    "<script>document.title=1</script>Peter de Vries")
    render_sheets(db, tmp_path / "out", "20261127T000000")
    for page, expected in ((tmp_path / "out" / "sheets" / "F1.html", "Waarom in beeld"),
                           (tmp_path / "out" / "index.html", "Personen in beeld")):
        assert CHROMIUM, "chromium is missing: .ci/run should have installed it"
        dom = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
             page.as_uri()], capture_output=True, text=True, timeout=120, check=True).stdout
        assert expected in dom
        assert "<title>1</title>" not in dom
        assert "&lt;script&gt;document.title=1&lt;/script&gt;Peter de Vries" in dom
