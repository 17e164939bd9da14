"""The gate flags growth: a source far larger than its last published delivery, and rows
repeated under new record ids (a careless or hostile export).

Generated clean deliveries (seeds 1, 2, 3, 7 and 11, 5,000 to 30,000 persons) hold no row
equal to another in every field but the record id, in any source; hence a warning from 0.1% of
a source's rows and a block from 5% (config/foto.json, gate.raw.duplicate_row_share).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from assets.ingest import _read, store_ingest
from config import load_config
from expectations.gate import GateResult
from expectations.report import write_report
from expectations.suites import raw_suite
from sources.registry import registry
from standardise.rules import prepare

RAW = load_config().gate.raw

SAMPLE = Path(__file__).resolve().parents[1] / "data/sample/inbox/2026-11-27"
DELIVERY = "2026-11-27"


@pytest.fixture(scope="module")
def raw_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample delivery's raw tables and ingest counts, read once for the module (reading
    the four extracts is most of a test's time)."""
    path = tmp_path_factory.mktemp("raw") / "raw.duckdb"
    con = duckdb.connect(str(path))
    prepare(con)
    for source in registry().names():
        result, extra = _read(source, SAMPLE)
        store_ingest(con, result, extra)
    con.close()
    return path


@pytest.fixture
def raw(raw_file: Path, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """A build database holding the sample delivery's raw tables and ingest counts: a copy
    of the module's per test, since tests add rows to it."""
    copy = tmp_path / "raw.duckdb"
    shutil.copyfile(raw_file, copy)
    con = duckdb.connect(str(copy))
    prepare(con)
    return con


def _accepted(con: duckdb.DuckDBPyConnection, source: str) -> int:
    return con.execute("SELECT accepted FROM ingest_counts WHERE source = ?",
                       [source]).fetchall()[0][0]


def _outcome(result: GateResult, metric: str):
    return next(o for o in result.outcomes if o.rule.metric == metric)


@pytest.mark.parametrize(("ratio", "passes"), [
    (0.3, False), (0.49, False), (0.6, True), (1.0, True), (1.1, True), (1.2, True),
    (1.3, False), (1.4, False), (2.4, False), (10.0, False)])
def test_a_snapshot_that_halves_or_grows_by_a_quarter_is_blocked(
        raw: duckdb.DuckDBPyConnection, ratio: float, passes: bool) -> None:
    """`ratio`: this delivery's accepted rows over the last published delivery's."""
    previous = round(_accepted(raw, "police") / ratio)
    result = raw_suite(raw, "police", DELIVERY, previous, RAW)
    outcome = _outcome(result, "rows_vs_previous_delivery")
    assert outcome.passed is passes
    assert result.passed is passes
    if not passes:   # the operator who has checked the delivery releases it
        waived = result.waive({"raw_police.rows_vs_previous_delivery"})
        assert waived.passed and _outcome(waived, "rows_vs_previous_delivery").waived


def _add_copies(con: duckdb.DuckDBPyConnection, source: str, copies: int) -> None:
    """`copies` copies of the source's first row under new record ids, accepted and counted
    as the reader would count them."""
    con.execute(f"""
        INSERT INTO raw_{source}
        SELECT r.* REPLACE (r.record_id || '-C' || i AS record_id)
        FROM (SELECT * FROM raw_{source} ORDER BY record_id LIMIT 1) r, range({copies}) t(i)""")
    con.execute("UPDATE ingest_counts SET read = read + ?, accepted = accepted + ?, "
                "rows_in_file = rows_in_file + ? WHERE source = ?",
                [copies, copies, copies, source])


@pytest.mark.parametrize(("source", "copies", "status"), [
    ("police", 0, "passed"), ("police", 1, "passed"), ("police", 12, "warning"),
    ("police", 2000, "FAILED"), ("justice", 3, "warning"), ("justice", 40, "FAILED"),
    ("care", 2, "warning"), ("municipal", 5, "warning"), ("municipal", 400, "FAILED")])
def test_rows_repeated_under_new_record_ids_warn_and_then_block(
        raw: duckdb.DuckDBPyConnection, source: str, copies: int, status: str) -> None:
    _add_copies(raw, source, copies)
    result = raw_suite(raw, source, DELIVERY, None, RAW)
    assert _outcome(result, "duplicate_rows").observed == copies
    assert _outcome(result, "rows_unaccounted_for").observed == 0
    share = _outcome(result, "duplicate_row_share")
    worst = "FAILED" if not share.passed else _outcome(result, "duplicate_rows").status
    assert worst == status
    assert result.passed is (status != "FAILED")
    if status == "FAILED":
        assert result.waive({f"raw_{source}.duplicate_row_share"}).passed


def test_the_report_names_repeated_rows_by_record_id_only(
        raw: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    _add_copies(raw, "police", 30)
    first, surname = raw.sql("SELECT record_id, achternaam FROM raw_police "
                             "ORDER BY record_id LIMIT 1").fetchall()[0]
    result = raw_suite(raw, "police", DELIVERY, None, RAW)
    raw.execute("CREATE TABLE gate_results (suite VARCHAR, metric VARCHAR, observed VARCHAR, "
                "threshold VARCHAR, status VARCHAR, why VARCHAR)")
    for o in result.outcomes:
        raw.execute("INSERT INTO gate_results VALUES (?, ?, ?, ?, ?, ?)",
                    [result.suite, o.rule.metric, str(o.observed), o.rule.threshold,
                     o.status, o.rule.why])
    html = write_report(raw, tmp_path / "r.html", "run", DELIVERY).read_text(encoding="utf-8")
    assert "Rows repeated under other record ids" in html
    assert f"{first}, {first}-C0" in html and "and 11 more" in html
    assert surname not in html


def test_the_thresholds_are_a_warning_below_a_block() -> None:
    dup = load_config().gate.raw.duplicate_row_share
    assert 0 < dup.warn < dup.block < 0.5


@pytest.mark.e2e
def test_a_delivery_repeating_one_suspect_is_held_then_released_as_one_person(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """300 copies of a suspect's police row under new record ids: the gate holds the run and
    names the expectation; released by the operator, the copies are the suspect's one person
    (scored once, not 45,000 times) and the chaining rule lets it pass."""
    from benchmarks.bench_hostile import add_copies
    from tests.conftest import foto

    inbox, home = tmp_path / "inbox", tmp_path / "home"
    shutil.copytree(SAMPLE, inbox / DELIVERY)
    original = add_copies(inbox / DELIVERY / "police_persons.csv", 300, "copies")
    args = ["run", "--inbox", str(inbox), "--home", str(home)]
    assert foto(*args) == 1
    assert "raw_police.duplicate_row_share" in capsys.readouterr().out
    assert foto(*args, "--accept", "raw_police.duplicate_row_share") == 0
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        persons, records = con.execute("""
            SELECT count(DISTINCT person_id), count(*) FROM person_records
            WHERE source = 'police' AND (record_id = ? OR record_id LIKE 'PL-9%')""",
                                       [original]).fetchall()[0]
        pairs = con.sql("SELECT count(*) FROM match_pairs").fetchall()[0][0]
        gate = dict(con.sql("SELECT metric, observed FROM gate_results "
                            "WHERE suite = 'person_records'").fetchall())
    finally:
        con.close()
    assert (persons, records) == (1, 301)
    assert pairs < 300 * 299 / 2
    assert gate["loosely_linked_persons"] == "0"
