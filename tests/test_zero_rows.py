"""A source with zero rows, or a field that no row fills, still gives every stage typed tables.

A partner's empty extract can be released with `--accept`; before, the empty raw table was all
VARCHAR and `std_<source>` failed to bind (`year(VARCHAR)`), exit 2. The fast tests run the real
readers, `store_ingest` and the standardisation SQL on a small delivery with one source emptied
in turn; the end-to-end test releases a delivery whose police file has no rows.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assets.ingest import _read, store_ingest
from sources.registry import registry
from sources.schema import CANONICAL_COLUMNS
from standardise.rules import connect_prepared as connect
from standardise.rules import std_persons_sql, std_sql
from tests import delivery
from tests.conftest import foto, load_generator

DAY = "2026-11-27"
SOURCES = registry().names()
RAW_TYPES = registry().raw_types()


def _empty(folder: Path, source: str) -> None:
    """Leave `source`'s file in the delivery with no rows (a header, a schema, no lines)."""
    if source == "police":
        delivery.write_police(folder, rows=[])
    elif source == "municipal":
        delivery.write_municipal(folder, rows=[])
    elif source == "justice":
        delivery.write_justice(folder, delivery.justice_table().slice(0, 0))
    else:   # one report whose only person is a melder: a file, zero person rows
        report = delivery.CARE_REPORTS[0]
        delivery.write_care(folder, [delivery.json.dumps(
            {**report, "betrokkenen": report["betrokkenen"][2:]}, ensure_ascii=False)])


def _no_birth_dates(folder: Path, source: str) -> None:
    """Every row present, but no row gives a birth date (a field no row fills)."""
    if source == "police":
        delivery.write_police(folder, [r[:8] + [""] + r[9:] for r in delivery.POLICE_ROWS])
    elif source == "municipal":   # BRP always has one: a field no row fills instead
        delivery.write_municipal(folder, [r[:9] + [""] + r[10:] for r in delivery.BRP_ROWS])
    elif source == "justice":
        table = delivery.justice_table()
        column = table.schema.get_field_index("geboortedatum")
        nulls = delivery.pa.nulls(table.num_rows, delivery.pa.date32())
        delivery.write_justice(folder, table.set_column(column, "geboortedatum", nulls))
    else:
        lines = []
        for report in delivery.CARE_REPORTS:
            persons = [{**p, "geboortedatum": None} for p in report["betrokkenen"]]
            lines.append(delivery.json.dumps({**report, "betrokkenen": persons},
                                             ensure_ascii=False))
        delivery.write_care(folder, lines)


def _stage(tmp_path: Path) -> Path:
    """Ingest and standardise every source of the delivery; returns the build database."""
    folder = tmp_path / "inbox" / DAY
    db = tmp_path / "build.duckdb"
    with connect(db) as con:
        for source in SOURCES:
            result, extra = _read(source, folder)
            store_ingest(con, result, extra, DAY)
        for source in SOURCES:
            con.execute(f"CREATE OR REPLACE TABLE std_{source} AS {std_sql(source)}")
        con.execute(f"CREATE OR REPLACE TABLE std_persons AS {std_persons_sql(SOURCES)}")
    return db


def _types(con, table: str) -> dict[str, str]:
    return dict(con.sql("SELECT column_name, data_type FROM duckdb_columns() "
                        "WHERE table_name = ?", params=[table]).fetchall())


@pytest.mark.parametrize("change", [_empty, _no_birth_dates], ids=["zero_rows", "no_values"])
@pytest.mark.parametrize("source", SOURCES)
def test_every_stage_table_is_typed_when_a_source_has_no_rows(
        tmp_path: Path, source: str, change) -> None:
    folder = delivery.write_delivery(tmp_path / "inbox", DAY)
    change(folder, source)
    db = _stage(tmp_path)
    with connect(db, read_only=True) as con:
        for table, declared in RAW_TYPES.items():
            actual = _types(con, table)
            assert {c: actual[c] for c in declared if c in actual} == \
                {c: t for c, t in declared.items() if c in actual}, table
        for s in SOURCES:
            assert _types(con, f"std_{s}") == CANONICAL_COLUMNS, s
        counts = dict(con.sql("SELECT source, count(*) FROM std_persons GROUP BY ALL")
                      .fetchall())
    if change is _empty:
        assert source not in counts and len(counts) == len(SOURCES) - 1


def test_declared_raw_types_are_what_the_readers_give(tmp_path: Path) -> None:
    """The declaration follows the readers: on a full delivery every declared column is there
    with its declared type (a reader that changes a type must change the declaration)."""
    delivery.write_delivery(tmp_path / "inbox", DAY)
    db = _stage(tmp_path)
    with connect(db, read_only=True) as con:
        for table, declared in RAW_TYPES.items():
            actual = _types(con, table)
            assert {c: actual.get(c) for c in declared} == declared, table


@pytest.mark.e2e
def test_a_police_file_without_rows_is_released_with_accept(tmp_path: Path) -> None:
    """Released with `--accept raw_police.rows_accepted`, a delivery whose police file has no
    rows publishes a photo of the other three partners (before: std_police crashed, exit 2)."""
    data = tmp_path / "data"
    load_generator().generate(200, 7, data, date=DAY, arrests=0, defects=0.0)
    inbox = data / "inbox"
    shutil.rmtree(inbox / "arrests", ignore_errors=True)
    _empty(inbox / DAY, "police")
    home = tmp_path / "home"
    assert foto("run", "--inbox", str(inbox), "--home", str(home)) == 1
    assert foto("run", "--inbox", str(inbox), "--home", str(home),
                "--accept", "raw_police.rows_accepted") == 0
    import duckdb
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        per_source = dict(con.sql("SELECT source, count(*) FROM person_records GROUP BY ALL")
                          .fetchall())
        waived = con.sql("SELECT suite || '.' || metric FROM gate_results "
                         "WHERE status = 'waived'").fetchall()
    finally:
        con.close()
    assert "police" not in per_source and set(per_source) == {"justice", "care", "municipal"}
    assert waived == [("raw_police.rows_accepted",)]
