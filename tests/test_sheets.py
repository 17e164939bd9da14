"""Triage sheets: one per person of concern, nobody else, every value shown as text."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from publish.audiences import TRIAGE_TABLES
from publish.sheets import render_sheets
from stores.publications import current_triage


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
    from publish.arrest_sheets import write_arrest_sheet

    arrest = {"person_id": "FNEW1", "naam": "Jan de Vries", "geboortedatum": None,
              "woonplaats": "Rotterdam", "arrested_on": "2026-11-28",
              "arrested_local": "28-11-2026 14:03", "feit": "bedreiging",
              "huiselijk_geweld": False, "new_person": True, "undecided": 2}
    # the arrest's record is all the profile holds (`publish.arrest_sheets.arrest_parts`)
    parts = {"p": _person("FNEW1", "Jan de Vries", aantal_registraties=1, politie=1),
             "signals": [], "network": [], "certainty": None,
             "timeline": [_event("FNEW1", date(2026, 11, 28), status="aangehouden")]}
    html = write_arrest_sheet(tmp_path, parts, arrest).read_text(encoding="utf-8")
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
    published = current_triage(sample_run)
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


def _many_persons(db: Path, n: int) -> Path:
    """The one-person triage database of `_triage_db` copied to `n` persons F0..F<n-1>, each
    with a name of its own."""
    con = duckdb.connect(str(db))
    for table in TRIAGE_TABLES:
        extra = ", naam || ' ' || i::VARCHAR AS naam" if table == "triage_person" else ""
        con.execute(f"CREATE TABLE many AS SELECT * REPLACE ('F' || i::VARCHAR AS person_id"
                    f"{extra}) FROM {table}, range({n}) r(i)")
        con.execute(f"DROP TABLE {table}")
        con.execute(f"ALTER TABLE many RENAME TO {table}")
    con.close()
    return db


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: rendered in-process")
def test_sheets_rendered_in_worker_processes_are_the_same_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import publish.sheets as sheets

    db = _many_persons(_triage_db(tmp_path / "t.duckdb", "Peter de Vries"), 40)
    serial = render_sheets(db, tmp_path / "serial", "20261127T000000")
    monkeypatch.setattr(sheets, "PARALLEL_FROM", 2)
    monkeypatch.setattr(sheets, "BATCH", 7)          # six batches over two workers
    calls: list[int] = []
    real = sheets.render_sheet
    monkeypatch.setattr(sheets, "render_sheet",      # counts sheets this process renders
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    parallel = render_sheets(db, tmp_path / "parallel", "20261127T000000")
    assert parallel == serial == {"sheets": 40, "rendered": 40, "reused": 0}
    assert not calls                                  # every sheet came from a worker
    names = sorted(p.name for p in (tmp_path / "serial").rglob("*") if p.is_file())
    assert names == sorted(p.name for p in (tmp_path / "parallel").rglob("*") if p.is_file())
    for page in (tmp_path / "serial").rglob("*"):
        if page.is_file():
            twin = tmp_path / "parallel" / page.relative_to(tmp_path / "serial")
            assert twin.read_bytes() == page.read_bytes(), page.name


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.e2e  # a real browser on the published pages
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


# --- what a new user ran into (issue 13) -------------------------------------------------

def _person(pid: str, naam: str, **extra: object) -> dict:
    """One triage_person row with every declared column, plausible defaults."""
    row = {"person_id": pid, "naam": naam, "bekend_als": [], "geboortedatum": None,
           "geboortejaar": None, "geslacht": "M", "bsn_bekend": True, "woonplaats": None,
           "bronnen": ["police"], "aantal_registraties": 2, "politie": 2, "justitie": 0,
           "zorg": 0, "gemeente": 0, "bekend_sinds": date(2025, 1, 1),
           "laatst_gezien": date(2026, 6, 1), "reden_in_beeld": ["politie: verdachte"],
           "prioriteit": "laag", "prioriteit_reden": "geen signalen", "signalen": [],
           "aantal_slachtoffers": 0, "aantal_minderjarige_kinderen_in_meldingen": 0}
    assert set(row) == set(TRIAGE_TABLES["triage_person"])
    return row | extra


def _event(pid: str, datum: date, gebeurtenis: str = "politieregistratie",
           partner: str = "Politie", rol: str | None = "verdachte",
           omschrijving: str | None = "bedreiging", status: str | None = None) -> dict:
    return {"person_id": pid, "datum": datum, "partner": partner, "gebeurtenis": gebeurtenis,
            "rol": rol, "omschrijving": omschrijving, "status": status}


def _publish(tmp_path: Path, persons: list[dict], timeline: list[dict] | None = None,
             signals: list[dict] | None = None, stamp: str = "20261127T031500") -> Path:
    """Render a triage database of these rows (the declared tables) into `<tmp>/out`."""
    import pandas as pd

    tmp_path.mkdir(parents=True, exist_ok=True)
    db = tmp_path / "t.duckdb"
    con = duckdb.connect(str(db))
    frames = {
        "triage_person": pd.DataFrame(persons),
        "triage_tijdlijn": pd.DataFrame(timeline or [], columns=list(
            TRIAGE_TABLES["triage_tijdlijn"])),
        "triage_signaal": pd.DataFrame(signals or [], columns=list(
            TRIAGE_TABLES["triage_signaal"])),
        "triage_netwerk": pd.DataFrame([], columns=list(TRIAGE_TABLES["triage_netwerk"])),
        "triage_zekerheid": pd.DataFrame([], columns=list(TRIAGE_TABLES["triage_zekerheid"])),
    }
    for table, frame in frames.items():
        con.register("frame", frame)
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM frame")
        con.unregister("frame")
    for table in ("triage_tijdlijn", "triage_signaal"):
        for column in ("datum", "vanaf", "tot"):
            if column in TRIAGE_TABLES[table]:
                con.execute(f"ALTER TABLE {table} ALTER {column} TYPE DATE")
    con.close()
    render_sheets(db, tmp_path / "out", stamp)
    return tmp_path / "out"


def _text(html: str) -> str:
    """What a reader sees of a page: its text without tags, scripts or attributes."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{8}T\d{6}\b")


@pytest.mark.parametrize("page", ["index.html", "sheets/F1.html"])
def test_pages_carry_the_publication_date_and_only_dutch_dates(tmp_path: Path,
                                                               page: str) -> None:
    persons = [_person("F1", "Peter de Vries", geboortedatum=date(1984, 6, 2),
                       woonplaats="Rotterdam")]
    timeline = [_event("F1", date(2026, 3, 4)), _event("F1", date(2025, 12, 31),
                                                       "strafzaak", "OM / Reclassering")]
    signals = [{"person_id": "F1", "signaal": "Lopende strafzaak", "ernst": "midden",
                "regel": "regel", "vanaf": date(2026, 1, 2), "tot": date(2026, 2, 3)}]
    out = _publish(tmp_path, persons, timeline, signals, stamp="20261127T031500")
    html = (out / page).read_text(encoding="utf-8")
    text = _text(html)
    if page.startswith("sheets"):   # the date comes from the publication's folder
        assert '<span class="foto-publicatie">' in html
        assert '<script src="../publication.js"></script>' in html
        text += _text((out / "publication.js").read_text(encoding="utf-8"))
    assert "27-11-2026 04:15" in text           # 03:15 UTC is 04:15 in Amsterdam
    assert not ISO_DAY.search(text), ISO_DAY.search(text).group()
    if page.startswith("sheets"):
        for day in ("02-06-1984", "04-03-2026", "31-12-2025", "02-01-2026", "03-02-2026",
                    "01-01-2025", "01-06-2026"):
            assert day in text, day


def test_a_sheet_is_the_same_file_in_every_publication_of_the_same_content(
        tmp_path: Path) -> None:
    """A rerun of a delivery changes no sheet, and a reused sheet shows the date of the
    publication it is in: the date is its folder's, not the sheet's."""
    persons = [_person("F1", "Peter de Vries", geboortedatum=date(1984, 6, 2))]
    one = _publish(tmp_path / "a", persons, stamp="20261127T031500")
    two = _publish(tmp_path / "b", persons, stamp="20261128T031500")
    assert (one / "sheets" / "F1.html").read_bytes() == (two / "sheets" / "F1.html").read_bytes()
    assert "28-11-2026 04:15" in (two / "publication.js").read_text(encoding="utf-8")


def test_every_table_of_a_sheet_repeats_its_header_on_a_new_page(tmp_path: Path) -> None:
    persons = [_person("F1", "Peter de Vries", geboortedatum=date(1984, 6, 2))]
    signals = [{"person_id": "F1", "signaal": "Lopende strafzaak", "ernst": "midden",
                "regel": "regel", "vanaf": None, "tot": None}]
    out = _publish(tmp_path, persons, [_event("F1", date(2026, 3, 4))], signals)
    html = (out / "sheets" / "F1.html").read_text(encoding="utf-8")
    tables = re.findall(r"<table\b.*?</table>", html, flags=re.S)
    inner = re.findall(r"<table>.*?</table>", html, flags=re.S)
    assert len(inner) == 2 and all("<thead>" in t for t in inner)
    running = re.search(r'<div class="runhead">(.*?)</div>', html, flags=re.S).group(1)
    for text in ("Peter de Vries", "F1", "02-06-1984", 'class="foto-publicatie"'):
        assert text in running, text
    assert "thead { display: table-header-group; }" in html and tables


PDFTOTEXT = shutil.which("pdftotext")


def _chromium(tmp_path: Path, *args: str) -> str:
    """Run headless chromium as the existing browser test does; its stdout."""
    assert CHROMIUM, "chromium is missing: .ci/run should have installed it"
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True, text=True, timeout=120, check=True).stdout


@pytest.mark.e2e  # a real browser on the published pages
@pytest.mark.skipif((CHROMIUM is None or PDFTOTEXT is None) and not os.environ.get("CI"),
                    reason="chromium or pdftotext is not installed (.ci/run installs both)")
def test_a_printed_sheet_repeats_person_date_and_table_header_on_every_page(
        tmp_path: Path) -> None:
    persons = [_person("F1", "Peter de Vries", geboortedatum=date(1984, 6, 2))]
    timeline = [_event("F1", date(2020, 1, 1) + timedelta(days=9 * i),
                       omschrijving=f"registratie nummer {i}") for i in range(90)]
    out = _publish(tmp_path, persons, timeline)
    pdf = tmp_path / "sheet.pdf"
    _chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
              (out / "sheets" / "F1.html").as_uri())
    pages = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= 3
    for page in pages[1:]:
        head = page.strip().splitlines()[0]
        for text in ("Peter de Vries", "F1", "02-06-1984", "27-11-2026 04:15"):
            assert text in head, (text, head)
        if "registratie nummer" in page:   # a page of the timeline starts with its header
            assert re.search(r"Datum\s+Partner\s+Gebeurtenis", page)


def _search(tmp_path: Path, out: Path, query: str) -> set[str]:
    """The person ids the index shows after typing `query` (opened as index.html#zoek=…)."""
    from urllib.parse import quote

    dom = _chromium(tmp_path, "--dump-dom",
                    f"{(out / 'index.html').as_uri()}#zoek={quote(query)}")
    rows = re.findall(r'<tr data-zoek="[^"]*"( style="[^"]*")?>\s*<td>.*?sheets/(\w+)\.html',
                      dom, flags=re.S)
    assert rows, "no rows of persons in the index"
    return {pid for style, pid in rows if "none" not in style}


SEARCH_PERSONS = [
    _person("F1", "Çetin Yılmaz", woonplaats="Rotterdam", geboortejaar=1984,
            geboortedatum=date(1984, 6, 2)),
    _person("F2", "Zoë Wójcik", woonplaats="Schiedam", geboortejaar=1990,
            geboortedatum=date(1990, 1, 5)),
    _person("F3", "RAMAUTAR", woonplaats="'S-GRAVENHAGE", geboortejaar=1975),
    _person("F4", "Jan Øster", woonplaats="Capelle aan den IJssel", geboortejaar=2001),
]


@pytest.mark.e2e  # a real browser on the published pages
@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="chromium is not installed (.ci/run installs it; in CI this fails)")
@pytest.mark.parametrize(("query", "found"), [
    ("cetin", {"F1"}), ("ÇETIN", {"F1"}), ("yilmaz", {"F1"}), ("wojcik", {"F2"}),
    ("zoe", {"F2"}), ("oster", {"F4"}), ("ramautar", {"F3"}), ("F3", {"F3"}),
    ("rotterdam", {"F1"}), ("gravenhage", {"F3"}), ("ijssel", {"F4"}), ("1990", {"F2"}),
    ("cetin 1984", {"F1"}), ("cetin 1990", set()), ("", {"F1", "F2", "F3", "F4"}),
])
def test_index_search_folds_case_and_diacritics_and_finds_id_city_and_year(
        tmp_path: Path, query: str, found: set[str]) -> None:
    out = _publish(tmp_path, SEARCH_PERSONS)
    assert _search(tmp_path, out, query) == found


# An arrest that the nightly run read as a police registration, in the forms the timeline
# may hold it: a DATE (from triage.duckdb) or text, arrest status or only the same offence.
@pytest.mark.parametrize("registration", [
    _event("F1", date(2026, 11, 28), status="aangehouden"),
    _event("F1", "2026-11-28", status="aangehouden"),
    _event("F1", date(2026, 11, 28), status=None),
    _event("F1", datetime(2026, 11, 28, 0, 0), status="aangehouden"),
])
def test_an_arrest_is_one_line_of_the_timeline(tmp_path: Path, registration: dict) -> None:
    from publish.arrest_sheets import write_arrest_sheet

    arrest = {"person_id": "F1", "naam": "Jan de Vries", "arrested_on": "2026-11-28",
              "arrested_local": "28-11-2026 14:03", "feit": "bedreiging",
              "huiselijk_geweld": False, "new_person": False, "undecided": 0}
    parts = {"p": _person("F1", "Jan de Vries"), "signals": [], "network": [],
             "certainty": None,
             "timeline": [registration, _event("F1", date(2026, 1, 5), omschrijving="diefstal")]}
    html = write_arrest_sheet(tmp_path, parts, arrest).read_text(encoding="utf-8")
    timeline = html[html.index("<h2>Tijdlijn</h2>"):html.index("<h2>Hoe zeker")]
    assert timeline.count("28-11-2026") == 1
    assert timeline.count("<tr>") == 3      # header, the arrest, the other registration
    assert "aanhouding" in timeline


def test_a_registration_read_twice_is_one_line_of_the_published_timeline(
        tmp_path: Path) -> None:
    """Two records that read alike on the sheet (one registration delivered twice, an arrest
    the extract holds under another record id) are one line of `triage_tijdlijn`."""
    from publish.audiences import triage_select

    con = duckdb.connect()
    con.execute("CREATE TABLE person AS SELECT 'F1' AS person_id, true AS person_of_concern")
    con.execute("""CREATE TABLE events AS SELECT * FROM (VALUES
        ('F1', 'police', 'PL-1-a', DATE '2026-11-28', 'politieregistratie', 'verdachte',
         'bedreiging', 'aangehouden'),
        ('F1', 'police', 'PL-1-b', DATE '2026-11-28', 'politieregistratie', 'verdachte',
         'bedreiging', 'aangehouden'),
        ('F1', 'justice', 'J-1', DATE '2026-11-28', 'strafzaak', 'verdachte',
         'bedreiging', 'ingeschreven'),
        ('F1', 'justice', 'J-1', DATE '2026-11-28', 'toezicht_reclassering', 'verdachte',
         'bedreiging', 'reclasseringstoezicht'))
        t(person_id, source, record_id, event_date, event_type, role, description, status)""")
    rows = con.sql(triage_select("triage_tijdlijn")).fetchall()
    assert len(rows) == 3


# --- what reviewers decided (issue 15) ---------------------------------------------------

REVIEWER, WHY = "Fatima Reviewer", "Dossier 2026-77: zelfde moeder"


def _judged_sheet(tmp_path: Path, judged: list[tuple]) -> tuple[str, dict, Path]:
    """F1's sheet and certainty row, and the triage database, published from a small warehouse:
    F1 holds police:1 and care:2 (a model link, 97%) and municipal:3 (joined to care:2 by a
    reviewer's `same`, judgement 7, late on 2 December UTC: 3 December in Amsterdam); police:9
    (F2) fits F1 and another person about equally (`undecided`). `judged`: more rows of
    `judged_pairs` (l, r, decision, judgement_id, applied), each judged on 1 December."""
    from publish.audiences import triage_select
    from publish.sheets import sheet_parts

    db = _triage_db(tmp_path / "t.duckdb", "Peter de Vries")
    con = duckdb.connect()
    con.execute("""CREATE TABLE person AS SELECT * FROM (VALUES ('F1', true), ('F2', true))
                   t(person_id, person_of_concern)""")
    con.execute("""CREATE TABLE person_records AS SELECT * FROM (VALUES
        ('F1', 'police:1', 3, 'care:2', 0.97, 'pair'),
        ('F1', 'care:2', 3, 'police:1', 0.97, 'judgement'),
        ('F1', 'municipal:3', 3, 'care:2', NULL, 'judgement'),
        ('F2', 'police:9', 1, NULL, NULL, NULL))
        t(person_id, unique_id, records_in_person, strongest_link_to, link_probability,
          linked_by)""")
    con.execute("""CREATE TABLE link_explanation AS SELECT 'care:2' AS unique_id_l,
                   'police:1' AS unique_id_r, ['surname', 'dob'] AS agreed,
                   ['given_name'] AS partly_agreed, ['address'] AS disagreed""")
    con.execute("""CREATE TABLE match_pairs AS SELECT * FROM (VALUES
        ('care:2', 'police:1', 'link'), ('police:1', 'police:9', 'undecided'))
        t(unique_id_l, unique_id_r, decision)""")
    con.execute("""CREATE TABLE judged_pairs AS SELECT * FROM (VALUES
        ('care:2', 'municipal:3', 'same', 7, true))
        t(unique_id_l, unique_id_r, decision, judgement_id, applied)""")
    for row in judged:
        con.execute("INSERT INTO judged_pairs VALUES (?, ?, ?, ?, ?)", list(row))
    con.execute("""CREATE TABLE judgements AS
        SELECT j.*, $by AS judged_by, $why AS reason,
               CASE WHEN judgement_id = 7 THEN TIMESTAMPTZ '2026-12-02 23:30:00+00'
                    ELSE TIMESTAMPTZ '2026-12-01 10:00:00+00' END AS judged_at
        FROM judged_pairs j""", {"by": REVIEWER, "why": WHY})
    con.execute("ATTACH ? AS t", [str(db)])
    con.execute("CREATE OR REPLACE TABLE t.main.triage_zekerheid AS "
                + triage_select("triage_zekerheid"))
    con.close()
    render_sheets(db, tmp_path / "out", "20261203T120000")
    con = duckdb.connect(str(db), read_only=True)
    certainty = sheet_parts(con, "F1")[0]["certainty"]
    con.close()
    return (tmp_path / "out" / "sheets" / "F1.html").read_text(encoding="utf-8"), certainty, db


def test_a_link_a_reviewer_confirmed_is_said_with_its_day_never_who_or_why(
        tmp_path: Path) -> None:
    html, certainty, db = _judged_sheet(tmp_path, [])
    assert certainty["bevestigde_koppelingen"] == 1
    assert certainty["laatst_bevestigd"] == date(2026, 12, 3)   # Amsterdam's day, not UTC's
    assert ("Eén koppeling in deze foto is bevestigd door een reviewer op 3 december 2026."
            in _text(html))
    con = duckdb.connect(str(db), read_only=True)
    published = " ".join(str(row) for (table,) in con.sql(
        "SELECT table_name FROM duckdb_tables()").fetchall()
        for row in con.sql(f"SELECT * FROM {table}").fetchall())
    con.close()
    for secret in (REVIEWER, "Fatima", WHY, "Dossier", "moeder"):
        assert secret not in html and secret not in published, secret


def test_the_latest_of_several_confirmed_links_is_named(tmp_path: Path) -> None:
    html, certainty, _ = _judged_sheet(tmp_path, [("municipal:3", "police:1", "same", 5, True),
                                                   ("care:2", "police:9", "same", 6, False)])
    assert certainty["bevestigde_koppelingen"] == 2   # not the one left unapplied (a conflict)
    assert ("2 koppelingen in deze foto zijn bevestigd door een reviewer, de laatste op "
            "3 december 2026." in _text(html))


@pytest.mark.parametrize(("judged", "undecided", "seen"), [
    ([], 1, 0),
    # a reviewer judged a record of each person different: decided, whichever records
    ([("municipal:3", "police:9", "different", 8, True)], 0, 0),
    # a reviewer was unsure: still undecided, and the sheet says a reviewer looked
    ([("police:1", "police:9", "unsure", 8, True)], 1, 1),
])
def test_a_medewerker_decides_only_what_no_reviewer_decided(
        tmp_path: Path, judged: list[tuple], undecided: int, seen: int) -> None:
    html, certainty, _ = _judged_sheet(tmp_path, judged)
    assert certainty["onbesliste_personen"] == undecided
    assert certainty["onbesliste_personen_bekeken"] == seen
    text = _text(html)
    assert ("Een medewerker beoordeelt dat" in text) == bool(undecided)
    assert ("Een reviewer heeft ernaar gekeken en twijfelde ook." in text) == bool(seen)


def test_records_only_a_reviewer_joined_are_not_one_record(tmp_path: Path) -> None:
    html = _sheet_with_certainty(tmp_path, "Peter de Vries",
                                 "1 AS bevestigde_koppelingen, DATE '2026-12-03' AS "
                                 "laatst_bevestigd")
    assert "bevestigd door een reviewer op 3 december 2026" in html
    db = tmp_path / "t.duckdb"
    con = duckdb.connect(str(db))
    con.execute("UPDATE triage_zekerheid SET zwakste_koppeling_kans = NULL")
    con.close()
    shutil.rmtree(tmp_path / "out")
    render_sheets(db, tmp_path / "out", "20261127T000000")
    text = _text((tmp_path / "out" / "sheets" / "F1.html").read_text(encoding="utf-8"))
    assert "Het model koppelde ze niet; een reviewer wel." in text
    assert "Eén registratie" not in text
