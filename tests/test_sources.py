"""Each source's reader on good rows and on bad ones: every row accepted or quarantined."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from assets.ingest import store_ingest
from config import load_config
from expectations.report import write_report
from expectations.suites import raw_suite
from sources import municipal, police
from sources.care import read_care
from sources.common import check_birth_plausible, count_data_lines
from sources.justice import read_justice
from sources.municipal import read_municipal
from sources.police import read_police
from standardise.rules import connect_prepared as connect
from standardise.rules import std_sql
from tests import delivery as d


def _adds_up(result) -> None:
    """read = accepted + quarantined + withheld, and read = the file's own count."""
    assert result.rows_read == (result.rows_accepted + result.rows_quarantined
                                + sum(result.withheld.values()))
    assert result.rows_read == result.rows_in_file


def test_police_good_rows_are_accepted_and_typed(tmp_path: Path) -> None:
    d.write_police(tmp_path)
    result = read_police(tmp_path)
    assert result.file_error is None
    assert result.rows_accepted == 3 and result.rows_quarantined == 0
    row = result.accepted.iloc[0]
    assert row["huiselijk_geweld"] and row["aangehouden"]
    assert str(row["geboortedatum"]) == "1984-06-02"
    assert result.accepted.iloc[2]["achternaam"] == "Özdemir"  # cp1252 decoded


def test_police_bad_rows_are_quarantined_with_line_and_field(tmp_path: Path) -> None:
    rows = [list(r) for r in d.POLICE_ROWS]
    rows[0][8] = "31-02-1985"            # impossible date, line 2
    rows[1][2] = "dader"                 # role outside the contract, line 3
    rows.append(rows[2][:10])            # too few fields, line 5
    d.write_police(tmp_path, rows)
    result = read_police(tmp_path)
    _adds_up(result)
    q = result.quarantine.set_index("line")
    assert q.loc[2, "field"] == "geboortedatum"
    assert q.loc[3, "field"] == "rol"
    assert q.loc[5, "field"] == "(row)"
    # a bad value costs the value: the date and the role are nulled, their rows kept
    assert result.rows_accepted == 3 and result.rows_quarantined == 1
    assert result.values_nulled == 2
    assert bool(q.loc[2, "kept"]) and bool(q.loc[3, "kept"]) and not bool(q.loc[5, "kept"])
    # reasons name the rule, never the value
    assert not q["reason"].str.contains("31-02-1985|dader").any()


def test_police_in_utf8_is_refused_as_wrong_encoding(tmp_path: Path) -> None:
    d.write_police(tmp_path, encoding="utf-8")
    result = read_police(tmp_path)
    assert result.file_error and "UTF-8" in result.file_error
    assert result.rows_accepted == 0 and result.rows_quarantined == 3
    _adds_up(result)


def test_police_with_wrong_delimiter_is_refused(tmp_path: Path) -> None:
    path = d.write_police(tmp_path)
    path.write_bytes(path.read_bytes().replace(b";", b","))
    result = read_police(tmp_path)
    assert result.file_error and "delimiter" in result.file_error
    _adds_up(result)


def test_missing_file_is_a_file_error(tmp_path: Path) -> None:
    assert "missing" in read_police(tmp_path).file_error
    assert "missing" in read_justice(tmp_path).file_error
    assert "missing" in read_municipal(tmp_path).file_error
    assert "missing" in read_care(tmp_path)[0].file_error


def test_municipal_partial_dates_kept_and_bad_dates_nulled(tmp_path: Path) -> None:
    rows = [list(r) for r in d.BRP_ROWS]
    rows.append(list(rows[0]))
    rows[-1][0] = "1234567899"
    rows[-1][5] = "1990AB01"
    d.write_municipal(tmp_path, rows)
    result = read_municipal(tmp_path)
    _adds_up(result)
    assert result.rows_accepted == 4 and result.values_nulled == 1
    assert "19860900" in set(result.accepted["geboortedatum"])
    assert result.quarantine.iloc[0]["field"] == "geboortedatum"
    assert result.accepted.set_index("record_id").loc["1234567899", "geboortedatum"] is None


def test_municipal_duplicate_record_id_quarantines_both(tmp_path: Path) -> None:
    rows = [list(r) for r in d.BRP_ROWS] + [list(d.BRP_ROWS[0])]
    d.write_municipal(tmp_path, rows)
    result = read_municipal(tmp_path)
    _adds_up(result)
    assert (result.quarantine["field"] == "record_id").sum() == 2


def test_justice_reads_typed_parquet(tmp_path: Path) -> None:
    d.write_justice(tmp_path)
    result = read_justice(tmp_path)
    assert result.rows_accepted == 2 and result.file_error is None
    assert bool(result.accepted.iloc[0]["contactverbod"]) is True


def test_justice_with_string_dates_is_refused(tmp_path: Path) -> None:
    table = d.justice_table()
    idx = table.schema.get_field_index("status_datum")
    table = table.set_column(idx, "status_datum", pa.array(["2026-03-01", "2025-12-01"]))
    d.write_justice(tmp_path, table)
    result = read_justice(tmp_path)
    assert result.file_error and "status_datum" in result.file_error
    _adds_up(result)


def test_justice_truncated_file_is_refused(tmp_path: Path) -> None:
    path = d.write_justice(tmp_path)
    path.write_bytes(path.read_bytes()[:200])
    result = read_justice(tmp_path)
    assert result.file_error and "Parquet" in result.file_error


def test_care_withholds_melders_and_quarantines_bad_lines(tmp_path: Path) -> None:
    lines = [json.dumps(r, ensure_ascii=False) for r in d.CARE_REPORTS]
    lines.append('{"melding_id": "VT-2026-9", "ontvangen_op": ')
    d.write_care(tmp_path, lines)
    result, reports = read_care(tmp_path)
    _adds_up(result)
    assert result.withheld == {"melder": 1}
    assert "melder" not in set(result.accepted["rol"])
    assert "Karin Melder" not in result.accepted.to_string()
    assert len(reports) == 2
    assert result.quarantine.iloc[0]["line"] == 3
    assert result.quarantine.iloc[0]["raw"] is None  # a broken line may hold a melder


# ---- issue 13: bad input of every class costs at most its own line or value --------------

def _police_lines(tmp_path: Path, extra: int = 40) -> list[list[str]]:
    """The sample police rows plus `extra` more (distinct ids), so that a swallowed span of
    lines would show."""
    rows = [list(r) for r in d.POLICE_ROWS]
    for i in range(extra):
        row = list(d.POLICE_ROWS[i % 3])
        row[0] = f"PL-2026{i:06d}-09"
        rows.append(row)
    return rows


def _write_police_lines(tmp_path: Path, lines: list[str]) -> None:
    header = ";".join(police.COLUMNS)
    (tmp_path / police.FILE).write_bytes(("\r\n".join([header, *lines]) + "\r\n")
                                         .encode("cp1252"))


BROKEN_QUOTES = ['"de Vries', '"de" Vries', '"', '"de;Vries', 'x"' + "y" * 200_000 + '"z"']


@pytest.mark.parametrize("surname", BROKEN_QUOTES, ids=range(len(BROKEN_QUOTES)))
def test_police_stray_quote_costs_only_its_own_line(tmp_path: Path, surname: str) -> None:
    rows = _police_lines(tmp_path)
    lines = [";".join(r) for r in rows]
    cells = lines[4].split(";")
    cells[5] = surname if not surname.startswith("x") else '"' + surname
    lines[4] = ";".join(cells)                     # line 6 of the file
    _write_police_lines(tmp_path, lines)
    result = read_police(tmp_path)
    _adds_up(result)
    assert result.rows_in_file == len(rows)
    assert result.rows_quarantined == 1 and result.rows_accepted == len(rows) - 1
    q = result.quarantine.iloc[0]
    assert (q["line"], q["field"]) == (6, "(row)") and not q["kept"]
    assert "quot" in q["reason"] or "fields" in q["reason"]
    assert "Vries" not in q["reason"]


@pytest.mark.parametrize("surname", ['O"Brien', '"de Vries"', '"van ""t"" Hof"'])
def test_police_quotes_that_are_well_formed_are_read(tmp_path: Path, surname: str) -> None:
    rows = _police_lines(tmp_path, extra=5)
    lines = [";".join(r) for r in rows]
    cells = lines[1].split(";")
    cells[5] = surname
    lines[1] = ";".join(cells)
    _write_police_lines(tmp_path, lines)
    result = read_police(tmp_path)
    _adds_up(result)
    assert result.rows_quarantined == 0
    assert result.accepted.iloc[1]["achternaam"] in ('O"Brien', "de Vries", 'van "t" Hof')


@pytest.mark.parametrize("value", ['"Jansen', '"Jan"sen', 'Jan\rsen'])
def test_municipal_broken_line_costs_only_its_own_line(tmp_path: Path, value: str) -> None:
    rows = [list(r) for r in d.BRP_ROWS]
    lines = [",".join(r) for r in rows]
    cells = lines[0].split(",")
    cells[2] = value
    lines[0] = ",".join(cells)
    (tmp_path / municipal.FILE).write_bytes(
        ("\n".join([",".join(municipal.COLUMNS), *lines]) + "\n").encode("utf-8"))
    result = read_municipal(tmp_path)
    _adds_up(result)
    assert result.rows_quarantined == 1 and result.rows_accepted == 2
    assert result.quarantine.iloc[0]["line"] == 2


@pytest.mark.parametrize("ending", [b"\r", b"\n", b"\r\n"], ids=["cr", "lf", "crlf"])
def test_line_endings_cr_lf_and_crlf_read_alike(tmp_path: Path, ending: bytes) -> None:
    path = d.write_police(tmp_path)
    path.write_bytes(path.read_bytes().replace(b"\r\n", ending))
    mpath = d.write_municipal(tmp_path)
    mpath.write_bytes(mpath.read_bytes().replace(b"\r\n", ending))
    for result in (read_police(tmp_path), read_municipal(tmp_path)):
        _adds_up(result)
        assert result.file_error is None and result.rows_accepted == 3, result.source


@pytest.mark.parametrize("char", ["\x0c", "\u2028", "\x85", "\x1e"])
def test_a_value_holding_a_line_separator_of_unicode_stays_on_its_line(
        tmp_path: Path, char: str) -> None:
    rows = [list(r) for r in d.BRP_ROWS]
    rows[1][4] = f"Peter{char}Jan"
    d.write_municipal(tmp_path, rows)
    result = read_municipal(tmp_path)
    _adds_up(result)
    assert result.rows_accepted == 3 and result.rows_quarantined == 0


@pytest.mark.parametrize("ending", ["\r", "\n", "\r\n"], ids=["cr", "lf", "crlf"])
def test_care_line_endings_read_alike(tmp_path: Path, ending: str) -> None:
    path = d.write_care(tmp_path)
    path.write_bytes(path.read_bytes().replace(b"\n", ending.encode()))
    result, reports = read_care(tmp_path)
    _adds_up(result)
    assert result.rows_accepted == 3 and len(reports) == 2


def test_care_report_id_on_two_lines_quarantines_its_persons(tmp_path: Path) -> None:
    again = json.loads(json.dumps(d.CARE_REPORTS[1]))
    again["betrokkenen"][0]["betrokkene_id"] = "VT-2026-004712-9"
    d.write_care(tmp_path, [json.dumps(r) for r in (*d.CARE_REPORTS, again)])
    result, reports = read_care(tmp_path)
    _adds_up(result)
    assert result.rows_quarantined == 2 and result.rows_accepted == 2
    assert set(result.quarantine["field"]) == {"melding_id"}
    assert list(reports["melding_id"]) == ["VT-2026-004711"]


def test_utf8_bom_refuses_a_cp1252_file_and_is_dropped_from_a_utf8_one(tmp_path: Path) -> None:
    path = d.write_police(tmp_path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = read_police(tmp_path)
    _adds_up(result)
    assert "byte order mark" in result.file_error and "UTF-8" in result.file_error
    mpath = d.write_municipal(tmp_path)
    mpath.write_bytes(b"\xef\xbb\xbf" + mpath.read_bytes())
    cpath = d.write_care(tmp_path)
    cpath.write_bytes(b"\xef\xbb\xbf" + cpath.read_bytes())
    municipal_result, care_result = read_municipal(tmp_path), read_care(tmp_path)[0]
    for result in (municipal_result, care_result):
        _adds_up(result)
        assert result.file_error is None and result.rows_quarantined == 0, result.source
    assert municipal_result.rows_accepted == 3 and care_result.rows_accepted == 3


def test_blank_and_space_only_lines_are_no_rows(tmp_path: Path) -> None:
    path = d.write_police(tmp_path)
    data = path.read_bytes().replace(b"\r\n", b"\r\n\r\n  \t\r\n", 2)
    path.write_bytes(data + b"\r\n \r\n")
    result = read_police(tmp_path)
    _adds_up(result)
    assert result.rows_read == 3 and count_data_lines(data) == 3


# ---- the file's own count, apart from the parser ---------------------------------------------

def test_raw_suite_blocks_a_delivery_whose_rows_read_differ_from_the_file(tmp_path: Path
                                                                          ) -> None:
    """A parser that swallows lines (read < the file's own count) blocks the delivery even when
    accepted + quarantined + withheld = read."""
    d.write_police(tmp_path)
    result = read_police(tmp_path)
    swallowed = replace(result, rows_in_file=result.rows_in_file + 47)
    for case, expect in ((result, "passed"), (swallowed, "FAILED")):
        with connect(tmp_path / f"{expect}.duckdb") as con:
            store_ingest(con, case, {})
            outcome = raw_suite(con, "police", "2026-11-27", None,
                                load_config().gate.raw)
        statuses = {o.rule.metric: o.status for o in outcome.outcomes}
        assert statuses["rows_read_vs_file"] == expect
        assert statuses["rows_unaccounted_for"] == "passed"


# ---- roles, however spelled ----------------------------------------------------------------

MELDER_SPELLINGS = ["Melder", " melder ", "MELDER", "melder\t", "\u00a0Melder", "mElDeR"]


def _care_with(tmp_path: Path, person: dict, report: dict | None = None) -> tuple:
    base = json.loads(json.dumps(d.CARE_REPORTS[0]))
    base["betrokkenen"][2] = base["betrokkenen"][2] | person
    base |= report or {}
    lines = [json.dumps(base, ensure_ascii=False), json.dumps(d.CARE_REPORTS[1])]
    d.write_care(tmp_path, lines)
    return read_care(tmp_path)


@pytest.mark.parametrize("role", MELDER_SPELLINGS)
def test_a_melder_is_withheld_however_the_role_is_spelled(tmp_path: Path, role: str) -> None:
    result, _ = _care_with(tmp_path, {"rol": role, "naam": "Karin Meldersma"})
    _adds_up(result)
    assert result.withheld == {"melder": 1} and result.rows_quarantined == 0
    stored = result.accepted.to_string() + result.quarantine.to_string()
    assert "Meldersma" not in stored and "VT-2026-004711-3" not in stored


@pytest.mark.parametrize("role", ["buurvrouw", "mel der", "", None, 3, True, ["melder"],
                                  {"rol": "melder"}, "(missing)"])
def test_a_person_of_unknown_role_is_quarantined_with_nothing_kept(tmp_path: Path,
                                                                   role: object) -> None:
    person = {"rol": role, "naam": "Karin Meldersma"}
    base = json.loads(json.dumps(d.CARE_REPORTS[0]))
    if role == "(missing)":
        del base["betrokkenen"][2]["rol"]
        person = {"naam": "Karin Meldersma"}
    result, _ = _care_with(tmp_path, person, {"betrokkenen": base["betrokkenen"][:2]
                                              + [base["betrokkenen"][2] | person]})
    _adds_up(result)
    assert result.rows_quarantined == 1 and result.rows_accepted == 3
    q = result.quarantine.iloc[0]
    assert q["field"] == "rol" and q["raw"] is None and q["record_id"] is None
    assert "Meldersma" not in result.accepted.to_string() + result.quarantine.to_string()


def test_a_broken_report_keeps_no_value_of_its_persons(tmp_path: Path) -> None:
    """A report whose own id is broken: its subjects are quarantined without values, its
    melder withheld; nothing of any person is kept."""
    result, reports = _care_with(tmp_path, {"naam": "Karin Meldersma"}, {"melding_id": 4711})
    _adds_up(result)
    assert result.withheld == {"melder": 1} and result.rows_quarantined == 2
    assert result.quarantine["raw"].isna().all() and result.quarantine["record_id"].isna().all()
    assert "Vries" not in result.quarantine.to_string() and len(reports) == 1


def test_quality_report_lists_no_melder_id(tmp_path: Path) -> None:
    result, reports = _care_with(tmp_path, {"rol": "Melder", "betrokkene_id": "VT-MELDER-77"})
    with connect(tmp_path / "b.duckdb") as con:
        store_ingest(con, result, {"care_reports": reports.drop(columns=["_line"])})
        html = write_report(con, tmp_path / "r.html", "run", "2026-11-27").read_text()
    assert "VT-MELDER-77" not in html


@pytest.mark.parametrize(("column", "written", "stored"), [
    ("rol", "Verdachte", "verdachte"), ("rol", " SLACHTOFFER ", "slachtoffer"),
    ("huiselijk_geweld", "j", True), ("huiselijk_geweld", " n", False),
    ("aangehouden", "J ", True), ("geslacht", "v", "V"), ("geslacht", " x ", "X"),
])
def test_police_codes_are_read_whatever_their_case_and_spaces(
        tmp_path: Path, column: str, written: str, stored: object) -> None:
    rows = [list(r) for r in d.POLICE_ROWS]
    rows[0][police.COLUMNS.index(column)] = written
    d.write_police(tmp_path, rows)
    result = read_police(tmp_path)
    _adds_up(result)
    assert result.rows_accepted == 3 and result.values_nulled == 0
    assert result.accepted.iloc[0][column] == stored


# ---- every value checked as strictly as SQL will read it; wrong JSON types --------------------

WRONG_TYPES = [None, 0, 1987, 1.5, True, "", " ", [], ["hoog"], {}, {"a": 1}, "1987-12- 5",
               "x" * 5000]
REPORT_FIELDS = ["melding_id", "ontvangen_op", "type", "sash_risico", "status", "betrokkenen"]
PERSON_FIELDS = ["betrokkene_id", "rol", "naam", "geboortedatum", "adres"]


def _std_care(tmp_path: Path, result, reports) -> int:
    """Store the result and standardise it with the real SQL: nothing a reader accepted may
    fail there."""
    with connect(tmp_path / "std.duckdb") as con:
        store_ingest(con, result, {"care_reports": reports.drop(columns=["_line"])})
        con.execute(f"CREATE OR REPLACE TABLE std_care AS {std_sql('care')}")
        return con.sql("SELECT count(*) FROM std_care").fetchall()[0][0]


@pytest.mark.parametrize("field", REPORT_FIELDS + PERSON_FIELDS)
def test_care_reader_never_raises_on_a_wrong_json_type(tmp_path: Path, field: str) -> None:
    """One report per wrong value of `field` (and lines that are no report at all): the reader
    never raises, the counts add up against the file, and the real standardisation SQL accepts
    everything the reader accepted."""
    lines = [json.dumps(d.CARE_REPORTS[1]), "[1, 2]", '"text"', "{", "[" * 100_000,
             json.dumps({"betrokkenen": [1, "x", None]})]
    for i, value in enumerate(WRONG_TYPES):
        report = json.loads(json.dumps(d.CARE_REPORTS[0]))
        report["melding_id"] = f"VT-2026-{i:06d}"
        for n, person in enumerate(report["betrokkenen"], start=1):
            person["betrokkene_id"] = f"VT-2026-{i:06d}-{n}"
        if field in REPORT_FIELDS:
            report[field] = value
        else:
            report["betrokkenen"][0][field] = value
        lines.append(json.dumps(report))
    d.write_care(tmp_path, lines)
    result, reports = read_care(tmp_path)
    _adds_up(result)
    assert result.rows_accepted >= 1
    assert _std_care(tmp_path, result, reports) == result.rows_accepted
    assert "Peter de Vries" not in " ".join(result.quarantine["reason"].astype(str))


BAD_CARE_DATES = ["1987-12- 5", "1987-1-05", "87-12-05", "1987/12/05", "1987-02-30",
                  " 1987-12-05", "19871205", "1987-12-05T00:00", "1987-12-0\u0665", "١٩٨٧"]


@pytest.mark.parametrize("value", BAD_CARE_DATES)
def test_care_birth_date_sql_would_refuse_is_nulled_not_the_run(tmp_path: Path,
                                                                value: str) -> None:
    report = json.loads(json.dumps(d.CARE_REPORTS[0]))
    report["betrokkenen"][0]["geboortedatum"] = value
    d.write_care(tmp_path, [json.dumps(report, ensure_ascii=False)])
    result, reports = read_care(tmp_path)
    _adds_up(result)
    assert result.rows_accepted == 2 and result.values_nulled == 1
    q = result.quarantine.iloc[0]
    assert q["field"] == "geboortedatum" and q["kept"] and value not in q["reason"]
    assert _std_care(tmp_path, result, reports) == 2


# ---- a bad value costs the value, not the record ----------------------------------------------

@pytest.mark.parametrize(("column", "value"), [
    ("geboortedatum", "31-02-1985"), ("geboortedatum", "1985-02-03"),
    ("registratie_datum", "31-04-2026"), ("rol", "dader"), ("huiselijk_geweld", "?"),
    ("aangehouden", "Ja"), ("geslacht", "Q"), ("registratie_datum", ""),
])
def test_police_bad_value_is_nulled_and_the_record_kept(tmp_path: Path, column: str,
                                                        value: str) -> None:
    rows = [list(r) for r in d.POLICE_ROWS]
    rows[0][police.COLUMNS.index(column)] = value
    d.write_police(tmp_path, rows)
    result = read_police(tmp_path)
    _adds_up(result)
    assert result.rows_accepted == 3 and result.rows_quarantined == 0
    assert result.values_nulled == 1
    row = result.accepted.set_index("record_id").loc["PL-2026000001-01"]
    assert pd.isna(row[column])
    q = result.quarantine.iloc[0]
    assert (q["line"], q["record_id"], q["field"], bool(q["kept"])) == (
        2, "PL-2026000001-01", column, True)


@pytest.mark.parametrize(("column", "value", "field"), [
    ("record_id", "", "record_id"), ("achternaam", "", "achternaam"),
    ("achternaam", " ", "achternaam"),
])
def test_police_row_that_cannot_be_identified_is_quarantined_whole(
        tmp_path: Path, column: str, value: str, field: str) -> None:
    rows = [list(r) for r in d.POLICE_ROWS]
    rows[0][police.COLUMNS.index(column)] = value
    d.write_police(tmp_path, rows)
    result = read_police(tmp_path)
    _adds_up(result)
    assert result.rows_accepted == 2 and result.rows_quarantined == 1
    assert result.quarantine.iloc[0]["field"] == field


@pytest.mark.parametrize("birth", ["01-01-2099", "01-01-1900", "28-11-2026"])
def test_police_implausible_birth_date_costs_the_date_not_the_record(tmp_path: Path,
                                                                     birth: str) -> None:
    rows = [list(r) for r in d.POLICE_ROWS]
    rows[0][8] = birth
    d.write_police(tmp_path, rows)
    result = check_birth_plausible(read_police(tmp_path), "2026-11-27")
    _adds_up(result)
    assert result.rows_accepted == 3 and result.values_nulled == 1
    assert result.accepted.iloc[0]["geboortedatum"] is None
    assert "birth date" in result.quarantine.iloc[0]["reason"]


def test_every_source_nulls_an_implausible_birth_date_and_keeps_the_record(tmp_path: Path
                                                                          ) -> None:
    prows = [list(r) for r in d.POLICE_ROWS]
    prows[0][8] = "01-01-1850"
    d.write_police(tmp_path, prows)
    mrows = [list(r) for r in d.BRP_ROWS]
    mrows[0][5] = "20990101"
    d.write_municipal(tmp_path, mrows)
    table = d.justice_table()
    idx = table.schema.get_field_index("geboortedatum")
    d.write_justice(tmp_path, table.set_column(idx, "geboortedatum", pa.array(
        [date(1, 1, 1), date(9999, 12, 31)], pa.date32())))
    report = json.loads(json.dumps(d.CARE_REPORTS[0]))
    report["betrokkenen"][0]["geboortedatum"] = "2090-01-01"
    d.write_care(tmp_path, [json.dumps(report)])
    results = [read_police(tmp_path), read_municipal(tmp_path), read_justice(tmp_path),
               read_care(tmp_path)[0]]
    for result in results:
        before = result.rows_accepted
        result = check_birth_plausible(result, "2026-11-27")
        _adds_up(result)
        assert result.rows_accepted == before and result.rows_quarantined == 0, result.source
        assert result.values_nulled >= 1, result.source
        assert result.quarantine["kept"].all(), result.source


def test_justice_status_normalised_and_unknown_status_nulled(tmp_path: Path) -> None:
    table = d.justice_table()
    idx = table.schema.get_field_index("zaak_status")
    d.write_justice(tmp_path, table.set_column(idx, "zaak_status",
                                               pa.array([" Sepot ", "geseponeerd"])))
    result = read_justice(tmp_path)
    _adds_up(result)
    assert result.rows_accepted == 2 and result.values_nulled == 1
    assert list(result.accepted["zaak_status"]) == ["sepot", None]


def _std(tmp_path: Path, result) -> int:
    """Store a CSV source's result and standardise it with the real SQL."""
    with connect(tmp_path / "std.duckdb") as con:
        store_ingest(con, result, {})
        con.execute(f"CREATE OR REPLACE TABLE std_{result.source} AS {std_sql(result.source)}")
        return con.sql(f"SELECT count(*) FROM std_{result.source}").fetchall()[0][0]


UNPARSEABLE = ["١٩٨٤٠٦٠٢", "1984O602", "1984-06-02", "19841301", "19840231", "0000000",
               "198406021", "+1984060", "1984 602", "onbekend", "⁹⁹⁹⁹⁹⁹⁹⁹", "２０２０0101"]


def _one_row_per_value(base: list[str], id_of, column: int, values: list[str]
                       ) -> list[list[str]]:
    rows = []
    for i, value in enumerate(values):
        row = list(base)
        row[0], row[column] = id_of(i), value
        rows.append(row)
    return rows


@pytest.mark.parametrize("column", ["geboortedatum", "datum_inschrijving", "bsn",
                                    "huisnummer", "geslacht", "postcode"])
def test_municipal_unparseable_value_never_reaches_sql(tmp_path: Path, column: str) -> None:
    """Whatever a BRP field holds, the reader passes on only what the standardisation SQL
    reads without error; a bad date or code is nulled and the record kept."""
    rows = _one_row_per_value(d.BRP_ROWS[0], lambda i: f"99000000{i:02d}",
                              municipal.COLUMNS.index(column), UNPARSEABLE)
    d.write_municipal(tmp_path, rows)
    result = check_birth_plausible(read_municipal(tmp_path), "2026-11-27")
    _adds_up(result)
    assert result.rows_accepted == len(UNPARSEABLE)
    assert _std(tmp_path, result) == len(UNPARSEABLE)


POLICE_UNPARSEABLE = [v for v in UNPARSEABLE if v.isascii()] + [
    "31-02-1985", "1-1-0000", "01-01-99999", "01-01-1850", "01-01-2099", "Ja", "?", "€", "…"]


@pytest.mark.parametrize("column", ["geboortedatum", "registratie_datum", "bsn", "huisnummer",
                                    "geslacht", "huiselijk_geweld", "aangehouden", "rol"])
def test_police_unparseable_value_never_reaches_sql(tmp_path: Path, column: str) -> None:
    rows = _one_row_per_value(d.POLICE_ROWS[0], lambda i: f"PL-2026{i:06d}-01",
                              police.COLUMNS.index(column), POLICE_UNPARSEABLE)
    d.write_police(tmp_path, rows)
    result = check_birth_plausible(read_police(tmp_path), "2026-11-27")
    _adds_up(result)
    assert result.rows_accepted == len(POLICE_UNPARSEABLE)
    assert _std(tmp_path, result) == len(POLICE_UNPARSEABLE)


def test_brp_date_parts_are_read_as_pd_to_numeric_reads_them() -> None:
    """The BRP date's year, month and day come from one Arrow cast per column
    (`municipal._digits`): the same numbers, and the same missing ones, as `pd.to_numeric`
    per value gave."""
    values = pd.Series(["19840600", "19841345", None, "1984010", "١٩٨٤٠١٠١", "00000000",
                        "20261127", " 19840101", "1984-1-1"], dtype=object).astype("string")
    shape = values.str.fullmatch(r"[0-9]{8}").fillna(False).astype(bool)
    for start, stop in ((0, 4), (4, 6), (6, 8)):
        got = municipal._digits(values, shape, start, stop)
        want = pd.to_numeric(values.str[start:stop].where(shape), errors="coerce")
        pd.testing.assert_series_equal(got, want, check_names=False)


@pytest.mark.parametrize("upper", [False, True])
def test_codes_are_normalised_per_distinct_value_as_per_value(upper: bool) -> None:
    """`normalise_code` spells each distinct value once: the same as spelling every value."""
    from sources.common import normalise_code

    values = pd.Series([" Verdachte ", "VER  DACHTE", None, "j", "", "\u00a0n\t", "j",
                        float("nan"), "Slachtoffer", " Verdachte "], dtype=object)
    text = values.astype("string").str.strip().str.replace(r"\s+", " ", regex=True)
    text = text.str.upper() if upper else text.str.lower()
    want = text.astype("object").where(values.notna(), None)
    got = normalise_code(values, upper=upper)
    assert got.tolist() == want.tolist() and got.dtype == object
