"""What people read: labels for codes, Dutch dates, names in display casing, the footer made
from the audience declaration, why a person is listed, numbers in the quality report, and a
documented warehouse."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from expectations.report import format_number, format_threshold, metric_kind
from profiles.flags import HIGH_TOGETHER, PRIORITY_SQL, RULES, priority_explanation
from publish.audiences import DISCLOSED, TRIAGE_SOURCES, TRIAGE_TABLES, disclosure
from publish.display import (
    LABELS,
    concern_sentences,
    dutch_long_date,
    fold,
    label,
    person_name,
    plural,
)
from stores.publications import current_triage

ROOT = Path(__file__).resolve().parents[1]


# --- names -------------------------------------------------------------------------------

@pytest.mark.parametrize(("delivered", "shown"), [
    ("RAMAUTAR", "Ramautar"),
    ("ramautar", "Ramautar"),
    ("JAN VAN DER BERG", "Jan van der Berg"),
    ("VAN DER BERG", "Van der Berg"),             # a surname alone starts with a capital
    ("PETRA JANSEN-DE VRIES", "Petra Jansen-de Vries"),
    ("CHARLES D'ARTAGNAN", "Charles d'Artagnan"),
    ("RONALD MCDONALD", "Ronald McDonald"),
    ("SEAN O'BRIEN", "Sean O'Brien"),
    ("KEES VAN 'T HOF", "Kees van 't Hof"),
    ("IJSBRAND IJZERMAN", "IJsbrand IJzerman"),
    ("GINA TJON A FONG", "Gina Tjon A Fong"),
    ("WÓJCIK, T.P.", "Wójcik, T.P."),
    ("ÇETIN YILMAZ", "Çetin Yilmaz"),
    # a word in capitals inside a name in mixed case
    ("Glenn RAMAUTAR", "Glenn Ramautar"), ("Jan VAN DER BERG", "Jan van der Berg"),
    ("Petra Jansen-DE VRIES", "Petra Jansen-de Vries"),
    # mixed case was cased by a person on purpose: kept as delivered, as are initials
    ("S.R. El Amrani", "S.R. El Amrani"), ("Wójcik, T.P.", "Wójcik, T.P."),
    ("Gina Tjon A Fong", "Gina Tjon A Fong"),
    ("McDonald", "McDonald"), ("van Dijk", "van Dijk"), ("DeVries", "DeVries"),
    ("Charles d'Artagnan", "Charles d'Artagnan"), ("Jansen-de Vries", "Jansen-de Vries"),
])
def test_names_delivered_in_one_case_are_shown_in_display_casing(delivered: str,
                                                                  shown: str) -> None:
    assert person_name(delivered) == shown


# --- labels ------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "code", "shown"), [
    ("event", "toezicht_reclassering", "reclasseringstoezicht"),
    ("event", "inschrijving_adres", "inschrijving op adres"),
    ("status", "sepot", "geseponeerd"),
    ("status", "reclasseringstoezicht, contactverbod", "reclasseringstoezicht, contactverbod"),
    ("relation", "kind_in_melding", "kind in een zorgmelding"),
    ("sex", "V", "vrouw"),
    ("event", "een_nieuwe_code", "een nieuwe code"),   # never a code with underscores
])
def test_codes_read_as_dutch_labels(kind: str, code: str, shown: str) -> None:
    assert label(kind, code) == shown


@pytest.mark.parametrize(("n", "shown"), [(0, "0 registraties"), (1, "1 registratie"),
                                          (2, "2 registraties"), (None, "0 registraties")])
def test_counts_agree_with_their_noun(n: int | None, shown: str) -> None:
    assert plural(n, "registratie", "registraties") == shown


@pytest.mark.parametrize(("value", "shown"), [
    (date(2026, 12, 3), "3 december 2026"), ("2026-03-01", "1 maart 2026"),
    (datetime(2026, 12, 2, 23, 30, tzinfo=UTC), "3 december 2026"),   # Amsterdam's day
    (None, ""), ("geen datum", "geen datum"),
])
def test_a_day_in_a_sentence_is_written_out(value: object, shown: str) -> None:
    assert dutch_long_date(value) == shown


@pytest.mark.parametrize(("text", "folded"), [
    ("Çetin", "cetin"), ("ÇETİN", "cetin"), ("Yılmaz", "yilmaz"), ("Wójcik", "wojcik"),
    ("Øster", "oster"), ("Łukasz", "lukasz"), ("Groß", "gross"), ("Zoë", "zoe"),
    ("Ñúñez", "nunez"),
])
def test_search_folds_case_and_diacritics(text: str, folded: str) -> None:
    assert fold(text) == folded


# --- the footer says what the declaration shows --------------------------------------------

def test_every_declared_column_is_disclosed_once_and_only_declared_ones() -> None:
    described: dict[tuple[str, str], int] = {}
    for table, columns, _ in DISCLOSED:
        for column in columns:
            assert column in TRIAGE_TABLES[table], f"{table}.{column} is not declared"
            described[(table, column)] = described.get((table, column), 0) + 1
    for table, columns in TRIAGE_TABLES.items():
        for column in columns:
            if column == "person_id" and table != "triage_person":
                continue
            assert described.get((table, column)) == 1, f"{table}.{column}"


def test_triage_may_read_that_and_when_a_reviewer_judged_never_who_or_why() -> None:
    """The warehouse's `judgements` holds the reviewer's name and reason; no declared column
    nor the rows it is read from may name them (the triage point sees that a link was confirmed
    and on which day)."""
    import publish.audiences as audiences

    never = re.compile(r"\b(judged_by|reason|evidence)\b")
    for table, columns in TRIAGE_TABLES.items():
        for name, expression in columns.items():
            assert not never.search(expression), f"{table}.{name}"
        assert not never.search(TRIAGE_SOURCES[table]), table
    assert {"bevestigde_koppelingen", "laatst_bevestigd"} <= set(TRIAGE_TABLES["triage_zekerheid"])
    assert "judged_at" in audiences._ZEKERHEID     # when: the day, from the store's moment


def test_the_footer_follows_the_declaration(monkeypatch: pytest.MonkeyPatch) -> None:
    shown = disclosure()
    assert any("sepot" in phrase and "wetsartikel" in phrase for phrase in shown)
    narrowed = {t: dict(c) for t, c in TRIAGE_TABLES.items()}
    for column in ("omschrijving", "status"):
        narrowed["triage_tijdlijn"].pop(column)
    monkeypatch.setattr("publish.audiences.TRIAGE_TABLES", narrowed)
    assert not any("sepot" in phrase for phrase in disclosure())


def test_a_rendered_page_says_what_it_shows_not_only_dat_information(tmp_path: Path) -> None:
    from tests.test_sheets import _event, _person, _publish

    out = _publish(tmp_path, [_person("F1", "Peter de Vries")],
                   [_event("F1", date(2026, 3, 4), "strafzaak", "OM / Reclassering",
                           omschrijving="mishandeling (art. 300 Sr)", status="sepot")])
    for page in ("index.html", "sheets/F1.html"):
        html = (out / page).read_text(encoding="utf-8")
        assert 'Alleen\n"dat"-informatie' not in html and '"dat"-informatie:' not in html
        for phrase in disclosure():
            assert phrase in html, phrase


# --- why a person is listed, and why with this priority --------------------------------------

CODES = [r.code for r in RULES]
SEVERITY = {r.code: r.severity for r in RULES}
LABEL = {r.code: r.label for r in RULES}


def _priority_in_sql(codes: tuple[str, ...]) -> str:
    severities = sorted({SEVERITY[c] for c in codes})
    sql = PRIORITY_SQL.format(severities="$s::VARCHAR[]", codes="$c::VARCHAR[]")
    con = duckdb.connect()   # its own connection: the default one is shared by every test
    return con.execute(f"SELECT {sql}", {"s": severities, "c": list(codes)}).fetchall()[0][0]


@pytest.mark.parametrize("codes", [c for n in range(len(CODES) + 1)
                                   for c in itertools.combinations(CODES, n)])
def test_the_priority_explanation_names_the_rule_that_made_it(codes: tuple[str, ...]) -> None:
    priority = _priority_in_sql(codes)
    signals = [{"signaal": LABEL[c], "ernst": SEVERITY[c]} for c in codes]
    text = priority_explanation(priority, signals)
    assert text.startswith(f"Prioriteit {priority}:")
    severe = [c for c in codes if SEVERITY[c] == "hoog"]
    if priority == "hoog" and not severe:  # only midden signals: the combination is named
        combo = next(c for c in HIGH_TOGETHER if set(c) <= set(codes))
        assert all(f"'{LABEL[c]}'" in text for c in combo) and "samen" in text
    if severe:
        assert all(f"'{LABEL[c]}'" in text for c in severe)
    if priority == "laag":
        assert "geen signalen" in text


@pytest.mark.parametrize(("reasons", "sentence"), [
    (["politie: verdachte"], "De politie registreerde deze persoon als verdachte."),
    (["politie: aangehouden", "aangehouden"], "De politie heeft deze persoon aangehouden."),
    (["justitie: strafzaak"], "Het OM heeft (of had) een strafzaak tegen deze persoon."),
    (["zorg: pleger"], "In een zorgmelding staat deze persoon als pleger."),
    (["zorg: zorgen om persoon"], "Er is een zorgmelding uit zorg om deze persoon."),
])
def test_reasons_in_beeld_read_as_sentences(reasons: list[str], sentence: str) -> None:
    assert concern_sentences(reasons) == [sentence]


def test_a_sheet_explains_reasons_and_priority_in_words(tmp_path: Path) -> None:
    from tests.test_sheets import _person, _publish

    hg, minors = (next(r for r in RULES if r.code == c) for c in HIGH_TOGETHER[0])
    persons = [
        _person("F1", "RAMAUTAR", prioriteit="hoog", aantal_registraties=1,
                reden_in_beeld=["justitie: strafzaak", "politie: aangehouden",
                                "politie: verdachte"],
                prioriteit_reden=f"{hg.label}; {minors.label}", signalen=[hg.code, minors.code]),
        _person("F2", "Jan van der Berg", prioriteit="laag", reden_in_beeld=["zorg: pleger"])]
    signals = [{"person_id": "F1", "signaal": r.label, "ernst": r.severity, "regel": r.rule,
                "vanaf": None, "tot": None} for r in (hg, minors)]
    out = _publish(tmp_path, persons, [], signals)
    sheet = (out / "sheets" / "F1.html").read_text(encoding="utf-8")
    for code in ("justitie: strafzaak", "politie: aangehouden", "politie: verdachte",
                 "1 registraties", "RAMAUTAR"):
        assert code not in sheet, code
    for text in ("Het OM heeft (of had) een strafzaak", "1 registratie,", "Ramautar",
                 "komen samen voor"):
        assert text in sheet, text
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "geen signalen; in beeld als pleger in een zorgmelding" in index
    assert "RAMAUTAR<" not in index and ">Ramautar<" in index
    low = (out / "sheets" / "F2.html").read_text(encoding="utf-8")
    assert "In een zorgmelding staat deze persoon als pleger." in low
    assert "Prioriteit laag: geen signalen" in low


def test_timeline_codes_are_shown_as_labels(tmp_path: Path) -> None:
    from tests.test_sheets import _event, _person, _publish

    timeline = [_event("F1", date(2026, 3, 4), "toezicht_reclassering", "OM / Reclassering",
                       status="reclasseringstoezicht, contactverbod"),
                _event("F1", date(2026, 3, 5), "strafzaak", "OM / Reclassering",
                       status="vrijspraak")]
    out = _publish(tmp_path, [_person("F1", "Peter de Vries")], timeline)
    html = (out / "sheets" / "F1.html").read_text(encoding="utf-8")
    assert "toezicht_reclassering" not in html and "vrijgesproken" in html


# --- numbers in the quality report ----------------------------------------------------------

@pytest.mark.parametrize(("metric", "value", "shown"), [
    ("quarantine_share", "0.003110419906687403", "0.31%"),
    ("bsn_valid_share", "0.9728997289972899", "97.3%"),
    ("bsn_valid_share", "0.99999", "99.99%"),     # never rounded up to 100%
    ("bsn_valid_share", "1", "100%"),
    ("quarantine_share", "0.05", "5%"), ("quarantine_share", "0.07", "7%"),
    ("name_lost_share", "0.000001", "< 0.01%"),
    ("review_pairs_per_record", "0.025671540292417545", "0.0257"),
    ("rows_accepted", "1431", "1,431"),
    ("rows_accepted", "1250000", "1,250,000"),
    ("rows_vs_previous_delivery", "2.4", "2.40×"),
    ("linked_share_change", "-0.0213", "-2.1 pts"),
    ("rows_vs_previous_delivery", None, ""),
])
def test_report_numbers_read_for_people(metric: str, value: str | None, shown: str) -> None:
    assert format_number(value, metric_kind(metric)) == shown


def test_report_thresholds_read_like_their_values() -> None:
    assert format_threshold("<= 0.05", "quarantine_share") == "≤ 5%"
    assert format_threshold("0.5 .. 2.0", "rows_vs_previous_delivery") == "0.50× – 2.00×"


def test_the_report_shows_no_raw_float(tmp_path: Path) -> None:
    from expectations.report import write_report

    con = duckdb.connect()
    con.execute("""CREATE TABLE gate_results AS SELECT * FROM (VALUES
        ('person_records', 'review_pairs_per_record', '0.025671540292417545', '<= 0.05',
         'passed', ''),
        ('raw_police', 'quarantine_share', '0.0027874564459930314', '<= 0.05', 'passed', ''),
        ('raw_police', 'rows_accepted', '14310', '>= 1', 'passed', ''))
        t(suite, metric, observed, threshold, status, why)""")
    con.execute("""CREATE TABLE ingest_counts AS SELECT 'police' AS source, 'p.csv' AS file,
        '2026-11-27' AS delivery, 14350 AS read, 14310 AS accepted, 40 AS quarantined,
        0 AS withheld, 0 AS expired, 3 AS values_nulled, 14350 AS rows_in_file,
        NULL AS file_error""")
    html = write_report(con, tmp_path / "r.html", "run", "2026-11-27").read_text()
    assert not re.search(r"\d\.\d{5,}", html)
    for text in ("0.0257", "0.28%", "14,310", "14,350", "≤ 5%"):
        assert text in html, text


# --- the warehouse is documented ------------------------------------------------------------

def _documented_tables() -> set[str]:
    doc = (ROOT / "docs" / "warehouse.md").read_text(encoding="utf-8")
    names: set[str] = set()
    for line in doc.splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([a-z_<>]+)`", line.split("|")[1]))
    return names


@pytest.mark.e2e
def test_every_table_of_a_published_warehouse_is_documented(sample_run: Path) -> None:
    con = duckdb.connect(str(sample_run / "warehouse.duckdb"), read_only=True)
    tables = {t for (t,) in con.sql("SELECT table_name FROM information_schema.tables "
                                    "WHERE table_schema = 'main'").fetchall()}
    con.close()
    assert tables and not tables - _documented_tables(), tables - _documented_tables()


@pytest.mark.e2e
def test_review_pairs_carry_both_records_person_ids(sample_run: Path) -> None:
    con = duckdb.connect(str(sample_run / "warehouse.duckdb"), read_only=True)
    rows = con.sql("""SELECT r.person_id_l = l.person_id AND r.person_id_r = p.person_id
        FROM review_pairs r JOIN person_records l ON l.unique_id = r.unique_id_l
        JOIN person_records p ON p.unique_id = r.unique_id_r""").fetchall()
    missing = con.sql("SELECT count(*) FROM review_pairs WHERE person_id_l IS NULL "
                      "OR person_id_r IS NULL").fetchall()[0][0]
    con.close()
    assert rows and all(ok for (ok,) in rows) and missing == 0


@pytest.mark.e2e
def test_every_code_on_the_sample_sheets_has_a_label(sample_run: Path) -> None:
    con = duckdb.connect(str(current_triage(sample_run) / "triage.duckdb"), read_only=True)
    used = {
        "event": con.sql("SELECT DISTINCT gebeurtenis FROM triage_tijdlijn").fetchall(),
        "role": con.sql("SELECT DISTINCT rol FROM triage_tijdlijn WHERE rol IS NOT NULL"
                        ).fetchall(),
        "status": con.sql("SELECT DISTINCT unnest(string_split(status, ', ')) "
                          "FROM triage_tijdlijn WHERE status IS NOT NULL").fetchall(),
        "relation": con.sql("SELECT DISTINCT relatie FROM triage_netwerk").fetchall(),
        "sex": con.sql("SELECT DISTINCT geslacht FROM triage_person WHERE geslacht IS NOT NULL"
                       ).fetchall(),
    }
    con.close()
    for kind, rows in used.items():
        assert rows or kind == "sex"
        assert not {v for (v,) in rows} - set(LABELS[kind]), (kind, rows)
