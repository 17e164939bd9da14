"""Each source's reader on good rows and on bad ones: every row accepted or quarantined."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from assets.sources.care import read_care
from assets.sources.justice import read_justice
from assets.sources.municipal import read_municipal
from assets.sources.police import read_police
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
