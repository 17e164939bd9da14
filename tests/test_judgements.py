"""The judgement store and `foto judge`, on a real SQLite file and a small published warehouse
built in the test by the nightly's own standardisation SQL (tests/test_arrest_stages.py):
append-only (a newer judgement wins, the older stays, the database refuses UPDATE and DELETE),
WAL (a reviewer writes while a run reads), owner-only; every refused input exits 2 without
quoting a key, a name or a reason, and writes nothing; a stored judgement keeps the model's
version and probability and the evidence; the warehouse table and the asset's metadata."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, materialize
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from assets.match import judgements as judgements_asset
from assets.resources import FotoPaths
from foto.cli import main
from judgements.intake import JudgementRefused, parse_key
from judgements.store import (
    ENV_VAR,
    FILE_NAME,
    Judgement,
    RecordKey,
    append,
    current,
    open_store,
)
from judgements.warehouse import COLUMNS, load_judgements, write_judgements
from stores.publications import point_at
from tests.test_arrest_stages import PUBLISHED, _warehouse

PETER_1, PETER_2 = "police:PL-2026000101-01", "police:PL-2026000102-01"
SANNE, MEHMET = "police:PL-2026000101-02", "police:PL-2025000200-01"
REASON = "Zaak 2026-0417: Peter de Vries is niet Sanne Bakker"
BY = "Anna Analist"
# What no message, output or metadata may hold: the reason, the reviewer, any record value.
SECRETS = (REASON, "Zaak 2026", BY, "Analist", "Vries", "Sanne", "Bakker", "Mehmet",
           "PL-2026000101-01", "PL-2026000102-01", "PL-2026000101-02", "PL-2025000200-01",
           "PL-2099000000-01", "housing", "passwd")
DAY = "2026-11-27"


def key(uid: str) -> RecordKey:
    source, _, record_id = uid.partition(":")
    return RecordKey(source, record_id)


def judgement(a: str, b: str, decision: str = "same") -> Judgement:
    return Judgement(key(a), key(b), decision, BY, REASON)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published warehouse: Peter's two records scored as a pair (with an explanation),
    Sanne and Mehmet alone; the model that scored them is `test/v7`."""
    wh = _warehouse(tmp_path_factory.mktemp("wh") / "warehouse.duckdb", PUBLISHED)
    con = duckdb.connect(str(wh))
    con.execute("CREATE TABLE run_info AS SELECT 'test/v7' AS model_version, "
                "'t1' AS thresholds_version, 0.9 AS link_threshold, 0.5 AS review_threshold")
    con.execute("INSERT INTO match_pairs VALUES ($l, $r, 'link', 0.97, 5.0)",
                {"l": PETER_1, "r": PETER_2})
    con.execute("INSERT INTO link_explanation VALUES ($l, $r, 'link', 0.97, ['surname', 'dob'],"
                " [], ['first_name'], 'surname: exact (+4.1); dob: exact (+3.0)')",
                {"l": PETER_1, "r": PETER_2})
    con.close()
    return wh


@pytest.fixture(autouse=True)
def _umask_kept() -> Iterator[None]:
    """`foto` makes this process's umask owner-only (`foto.home`): put back for later tests."""
    saved = os.umask(0o022)
    os.umask(saved)
    yield
    os.umask(saved)


@pytest.fixture
def home(tmp_path: Path, template: Path) -> Path:
    """A home whose current publication holds `template`."""
    home = tmp_path / "home"
    publication = home / "publications" / "20261127T020000-abcd1234"
    (publication / "triage").mkdir(parents=True)
    shutil.copy(template, publication / "warehouse.duckdb")
    point_at(home, publication)
    return home


def stored(home: Path) -> list[tuple]:
    """The store's rows, read with plain sqlite3 (not through the code under test)."""
    path = home / FILE_NAME
    if not path.exists():
        return []
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT id, left_source, left_record_id, right_source, "
                           "right_record_id, decision, judged_by, reason, model_version, "
                           "match_probability, evidence FROM judgement ORDER BY id").fetchall()
    finally:
        con.close()


# ---- the store -----------------------------------------------------------------------------

def test_a_newer_judgement_wins_and_the_older_stays(tmp_path: Path) -> None:
    with open_store(tmp_path, create=True) as engine:
        first = append(engine, [judgement(PETER_2, PETER_1, "same")])
        other = append(engine, [judgement(SANNE, MEHMET, "unsure")])
        second = append(engine, [judgement(PETER_1, PETER_2, "different")])
        now = current(engine).to_pylist()
    assert first[0] < other[0] < second[0]
    by_pair = {(r["unique_id_l"], r["unique_id_r"]): r for r in now}
    assert len(now) == 2
    # stored ordered: (B, A) and (A, B) are one pair, left < right
    assert by_pair[(PETER_1, PETER_2)]["decision"] == "different"
    assert by_pair[(PETER_1, PETER_2)]["judgement_id"] == second[0]
    assert by_pair[(MEHMET, SANNE)]["decision"] == "unsure"
    assert by_pair[(MEHMET, SANNE)]["judged_at"].tzinfo is not None
    rows = stored(tmp_path)
    assert [(r[0], r[5]) for r in rows] == [(first[0], "same"), (other[0], "unsure"),
                                            (second[0], "different")]
    assert (rows[0][1], rows[0][2]) == ("police", "PL-2026000101-01")   # left < right


@pytest.mark.parametrize("statement", ["UPDATE judgement SET decision = 'same'",
                                       "DELETE FROM judgement",
                                       "UPDATE judgement SET reason = 'edited' WHERE id = 1"])
def test_update_and_delete_are_refused_by_the_database(tmp_path: Path, statement: str) -> None:
    with open_store(tmp_path, create=True) as engine:
        append(engine, [judgement(PETER_1, SANNE, "different")])
        with pytest.raises(IntegrityError, match="append-only"), engine.begin() as con:
            con.execute(text(statement))
    # and by hand, outside foto's code: the triggers are in the file
    con = sqlite3.connect(tmp_path / FILE_NAME)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute(statement)
    con.close()
    assert [r[5] for r in stored(tmp_path)] == ["different"]


def test_a_decision_outside_the_set_is_refused_by_the_database(tmp_path: Path) -> None:
    with open_store(tmp_path, create=True) as engine, pytest.raises(IntegrityError):
        append(engine, [judgement(PETER_1, SANNE, "maybe")])
    assert stored(tmp_path) == []


def test_the_store_is_wal_and_owner_only(tmp_path: Path) -> None:
    os.umask(0o022)   # a permissive umask: the store is owner-only all the same
    with open_store(tmp_path, create=True) as engine:
        append(engine, [judgement(PETER_1, SANNE)])
        with engine.connect() as con:
            assert con.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert con.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
        files = [p for p in tmp_path.iterdir() if p.name.startswith(FILE_NAME)]
        assert {p.name for p in files} >= {FILE_NAME, f"{FILE_NAME}-wal"}
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_a_reader_creates_no_store(tmp_path: Path) -> None:
    with open_store(tmp_path) as engine:
        assert engine is None
        assert current(engine).num_rows == 0
    assert not (tmp_path / FILE_NAME).exists()


def test_a_reviewer_writes_while_a_run_reads(tmp_path: Path) -> None:
    """A run's read transaction stays open while a reviewer stores a judgement: the write is
    not blocked (WAL; in rollback-journal mode the commit would wait for the reader), the
    reader keeps its snapshot, and its next read sees the new judgement."""
    with open_store(tmp_path, create=True) as engine:
        append(engine, [judgement(PETER_1, SANNE)])
        done: dict[str, object] = {}

        def reviewer() -> None:
            with open_store(tmp_path, create=True) as other:
                done["ids"] = append(other, [judgement(PETER_1, MEHMET, "different")])

        with engine.connect() as run:
            run.exec_driver_sql("BEGIN")
            count = "SELECT count(*) FROM judgement"
            assert run.exec_driver_sql(count).scalar() == 1
            writer = threading.Thread(target=reviewer)
            writer.start()
            writer.join(timeout=5)
            assert not writer.is_alive(), "the reviewer's write waited for the reading run"
            assert run.exec_driver_sql(count).scalar() == 1   # the run's snapshot
            run.exec_driver_sql("COMMIT")
            assert run.exec_driver_sql(count).scalar() == 2
        assert done["ids"] == [2]
        assert current(engine).num_rows == 2


def test_the_store_url_can_be_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared" / "decisions.sqlite"
    shared.parent.mkdir()
    monkeypatch.setenv(ENV_VAR, f"sqlite:///{shared}")
    with open_store(tmp_path / "home", create=True) as engine:
        append(engine, [judgement(PETER_1, SANNE)])
    assert shared.exists() and not (tmp_path / "home" / FILE_NAME).exists()


# ---- the warehouse table -------------------------------------------------------------------

def _std_persons(con: duckdb.DuckDBPyConnection, *uids: str) -> None:
    con.execute("CREATE TABLE std_persons (unique_id VARCHAR)")
    con.executemany("INSERT INTO std_persons VALUES (?)", [[u] for u in uids])


def test_the_warehouse_table_has_the_columns_and_marks_dormant_judgements(
        tmp_path: Path) -> None:
    with open_store(tmp_path, create=True) as engine:
        append(engine, [judgement(PETER_1, PETER_2, "different"),
                        judgement(PETER_1, SANNE, "unsure"),
                        judgement(PETER_1, PETER_2, "same")])   # the last on a pair wins
    con = duckdb.connect()
    _std_persons(con, PETER_1, PETER_2, MEHMET)   # Sanne's record left the deliveries
    counts = load_judgements(con, tmp_path)
    got = con.sql("SELECT column_name, data_type FROM duckdb_columns() "
                  "WHERE table_name = 'judgements' ORDER BY column_index").fetchall()
    assert got == list(COLUMNS.items())
    assert [c for c, _ in got] == [
        "unique_id_l", "unique_id_r", "source_l", "record_id_l", "source_r", "record_id_r",
        "decision", "judgement_id", "judged_by", "judged_at", "reason", "model_version",
        "match_probability", "active"]
    rows = con.sql("SELECT unique_id_l, unique_id_r, decision, judgement_id, active "
                   "FROM judgements ORDER BY ALL").fetchall()
    assert rows == [(PETER_1, SANNE, "unsure", 2, False), (PETER_1, PETER_2, "same", 3, True)]
    assert (counts.judgements, counts.active, counts.dormant, counts.same) == (2, 1, 1, 1)


def test_without_a_store_the_table_is_empty_with_its_columns(tmp_path: Path) -> None:
    con = duckdb.connect()
    _std_persons(con, PETER_1)
    counts = load_judgements(con, tmp_path)
    assert counts.judgements == 0
    assert con.sql("SELECT count(*) FROM judgements").fetchall() == [(0,)]
    assert [c for (c,) in con.sql("SELECT column_name FROM duckdb_columns() WHERE "
                                  "table_name = 'judgements' ORDER BY column_index"
                                  ).fetchall()] == list(COLUMNS)
    assert not (tmp_path / FILE_NAME).exists()


def test_the_asset_writes_the_table_and_says_counts_only(tmp_path: Path) -> None:
    """The Dagster asset, materialised for real: the table lands in the run's build database,
    and nothing in the run's events holds a reviewer, a reason or a record value."""
    home = tmp_path / "home"
    with open_store(home, create=True) as engine:
        append(engine, [judgement(PETER_1, PETER_2, "different"),
                        judgement(PETER_1, SANNE, "same")])
    paths = FotoPaths(home=str(home), inbox=str(tmp_path / "inbox"), date=DAY)
    paths.run_dir("run-j").mkdir(parents=True)
    con = duckdb.connect(str(paths.build_db("run-j")))
    _std_persons(con, PETER_1, PETER_2)
    con.close()
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("delivery", [DAY])
        result = materialize([judgements_asset], instance=instance, partition_key=DAY,
                             resources={"paths": paths},
                             tags={"dagster/root_run_id": "run-j"})
        assert result.success
        metadata = result.asset_materializations_for_node("judgements")[0].metadata
        assert {k: v.value for k, v in metadata.items()} == {
            "judgements": 2, "active": 1, "dormant": 1, "active_same": 0,
            "active_different": 1, "active_unsure": 0}
        events = " ".join(str(e.dagster_event) + str(e.user_message)
                          for e in instance.all_logs(result.run_id))
    assert not [s for s in SECRETS if s in events]
    con = duckdb.connect(str(paths.build_db("run-j")), read_only=True)
    assert con.sql("SELECT count(*) FILTER (active) FROM judgements").fetchall() == [(1,)]
    con.close()


# ---- foto judge ----------------------------------------------------------------------------

def judge(home: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["judge", *args, "--home", str(home)])
    out = capsys.readouterr()
    return code, out.out + out.err


def _csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = f"{PETER_1},{SANNE},different,{BY},\"{REASON}\""
REFUSED = {
    "unknown source": ([f"housing:{PETER_1[7:]}", SANNE, "--same"], "unknown source"),
    "malformed key": ([PETER_1.replace(":", "/"), SANNE, "--same"], "malformed key"),
    "path in a key": (["police:../../etc/passwd", SANNE, "--same"], "malformed key"),
    "unknown record": (["police:PL-2099000000-01", SANNE, "--same"],
                       "no such record in the current publication"),
    "same record twice": ([PETER_1, PETER_1, "--same"], "the same record"),
    "no decision": ([PETER_1, SANNE], "decision"),
    "one key": ([PETER_1, "--same"], "expected two keys"),
    "empty --by": ([PETER_1, SANNE, "--same", "--by", "  "], "--by: empty"),
    "empty --reason": ([PETER_1, SANNE, "--same", "--reason", ""], "--reason: empty"),
}


@pytest.mark.parametrize("key", ["justice:10/527605-26", "care:VT-2026-996064-2",
                                 "municipal:8526798565", "police:PL-2026001234-01"])
def test_every_sources_record_ids_make_a_key(key: str) -> None:
    """A justice record's parket number holds a `/`: a file name's rule would refuse it."""
    assert parse_key(key, {"care", "justice", "municipal", "police"}, "left key") == \
        RecordKey(*key.split(":", 1))


@pytest.mark.parametrize("key", ["justice:../x", "justice:/10/1", "police:PL 1", "police:",
                                 "police:PL-1\n2", "police:" + "9" * 129])
def test_a_key_that_is_no_plain_id_is_refused(key: str) -> None:
    with pytest.raises(JudgementRefused, match="malformed key"):
        parse_key(key, {"justice", "police"}, "left key")


@pytest.mark.parametrize("case", list(REFUSED))
def test_foto_judge_refuses_bad_input_naming_no_value(
        home: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    args, said = REFUSED[case]
    given = {"--by": BY, "--reason": REASON}
    for option in ("--by", "--reason"):
        if option not in args:
            args = [*args, option, given[option]]
    code, out = judge(home, capsys, *args)
    assert code == 2
    assert said in out and out.startswith("foto judge: ") and out.count("\n") == 1
    assert not [s for s in SECRETS if s in out]
    assert stored(home) == []


FILES = {
    "decision outside the set": ([GOOD.replace("different", "maybe")],
                                 "line 2, field decision: must be one of"),
    "one bad line": ([GOOD, f"{SANNE},police:PL-2099000000-01,same,{BY},{REASON}"],
                     "line 3, field right: no such record"),
    "empty by in a line": ([GOOD, f"{SANNE},{MEHMET},same, ,{REASON}"],
                           "line 3, field by: empty"),
    "a missing field": ([GOOD, f"{SANNE},{MEHMET},same,{BY}"], "line 3: 4 fields"),
    "wrong header": ([GOOD], "line 1 must be the header left,right,decision,by,reason"),
    "header only": ([], "holds no judgements"),
}


@pytest.mark.parametrize("case", list(FILES))
def test_a_judgements_file_with_a_bad_line_stores_nothing(
        home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    lines, said = FILES[case]
    header = "left,right,verdict,by,reason" if case == "wrong header" \
        else "left,right,decision,by,reason"
    code, out = judge(home, capsys, "--file", str(_csv(tmp_path / "j.csv", [header, *lines])))
    assert code == 2
    assert said in out and out.count("\n") == 1
    assert not [s for s in SECRETS if s in out]
    assert stored(home) == []


def test_foto_judge_stores_model_version_probability_and_evidence(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = judge(home, capsys, PETER_2, PETER_1, "--different", "--by", BY,
                      "--reason", REASON)
    assert code == 0
    assert out.startswith("foto judge: 1 judgement(s) stored (id 1): 0 same, 1 different")
    assert not [s for s in SECRETS if s in out]
    code, out = judge(home, capsys, PETER_1, MEHMET, "--unsure", "--by", BY, "--reason", REASON)
    assert code == 0 and "(id 2)" in out and "1 pair(s) never scored" in out
    rows = stored(home)
    first = rows[0]
    assert first[1:10] == ("police", "PL-2026000101-01", "police", "PL-2026000102-01",
                           "different", BY, REASON, "test/v7", 0.97)
    evidence = json.loads(first[10])
    assert evidence["publication"] == "20261127T020000-abcd1234"
    assert evidence["model_decision"] == "link"
    assert evidence["left"]["unique_id"] == PETER_1 and evidence["left"]["person_id"] == "FA"
    assert evidence["right"]["surname"] == "vries" and evidence["right"]["dob"] == "1984-06-02"
    assert evidence["explanation"]["agreed"] == ["surname", "dob"]
    assert evidence["explanation"]["disagreed"] == ["first_name"]
    assert rows[1][8:10] == ("test/v7", None)   # never scored: no probability
    assert json.loads(rows[1][10])["explanation"] is None
    assert stat.S_IMODE((home / FILE_NAME).stat().st_mode) == 0o600


def test_a_judgements_file_is_stored_in_one_go(
        home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _csv(tmp_path / "j.csv", ["left,right,decision,by,reason", GOOD,
                                     f"{MEHMET},{PETER_2},same,{BY},{REASON}", ""])
    code, out = judge(home, capsys, "--file", str(file))
    assert code == 0
    assert out.startswith("foto judge: 2 judgement(s) stored (id 1-2): 1 same, 1 different")
    assert not [s for s in SECRETS if s in out]
    assert [(r[2], r[4], r[5]) for r in stored(home)] == [
        ("PL-2026000101-01", "PL-2026000101-02", "different"),
        ("PL-2025000200-01", "PL-2026000102-01", "same")]


def test_foto_judge_quotes_no_unrecognised_argument(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A name typed without quotes (`--by Anna Analist`) leaves a stray argument: argparse
    would quote it; foto counts it."""
    with pytest.raises(SystemExit) as exit_:
        main(["judge", PETER_1, SANNE, "--same", "--by", "Anna", "Analist", "--reason",
              REASON, "--home", str(home)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "1 unrecognized argument(s), not shown" in err and "Analist" not in err
    assert stored(home) == []


def test_before_any_publication_nothing_can_be_judged(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = judge(tmp_path / "empty", capsys, PETER_1, SANNE, "--same", "--by", BY,
                      "--reason", REASON)
    assert code == 2 and "no publication in this home yet" in out
    assert not (tmp_path / "empty" / FILE_NAME).exists()


def test_judged_at_is_utc(tmp_path: Path) -> None:
    moment = datetime(2026, 11, 28, 9, 15, tzinfo=UTC)
    with open_store(tmp_path, create=True) as engine:
        append(engine, [judgement(PETER_1, SANNE)], now=moment)
        got = current(engine).column("judged_at").to_pylist()
    con = duckdb.connect()
    _std_persons(con, PETER_1, SANNE)
    with open_store(tmp_path) as engine:
        write_judgements(con, current(engine))
    assert got == [moment]
    assert con.sql("SELECT judged_at = TIMESTAMPTZ '2026-11-28 09:15:00+00' FROM judgements"
                   ).fetchall() == [(True,)]


# ---- on the sample's real publication ------------------------------------------------------

@pytest.mark.e2e
def test_a_nightly_run_holds_the_table_and_judge_reads_its_publication(
        sample_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The sample's nightly run wrote an empty `judgements` table with the exact columns; a
    judgement on one of its review pairs records that run's model and probability."""
    con = duckdb.connect(str(sample_run / "warehouse.duckdb"), read_only=True)
    columns = con.sql("SELECT column_name, data_type FROM duckdb_columns() "
                      "WHERE table_name = 'judgements' ORDER BY column_index").fetchall()
    empty = con.sql("SELECT count(*) FROM judgements").fetchall()[0][0]
    left, right, probability = con.sql(
        "SELECT unique_id_l, unique_id_r, match_probability FROM match_pairs "
        "WHERE decision = 'review' "
        "ORDER BY match_probability DESC, unique_id_l, unique_id_r LIMIT 1").fetchall()[0]
    version = con.sql("SELECT model_version FROM run_info").fetchall()[0][0]
    con.close()
    assert columns == list(COLUMNS.items()) and empty == 0
    home = tmp_path / "home"
    shutil.copytree(sample_run, home, symlinks=True)
    code, out = judge(home, capsys, right, left, "--unsure", "--by", BY, "--reason", REASON)
    assert code == 0 and "(id 1)" in out and "0 pair(s) never scored" in out
    assert left.split(":", 1)[1] not in out and right.split(":", 1)[1] not in out
    row = stored(home)[0]
    assert (f"{row[1]}:{row[2]}", f"{row[3]}:{row[4]}") == (left, right)
    assert row[8:10] == (version, pytest.approx(probability))
    assert json.loads(row[10])["explanation"]["explanation"]


def test_a_justice_parketnummer_is_a_key_and_a_path_is_not() -> None:
    """Every justice record id is a parketnummer with a slash (`10/472038-24`): refusing it
    refused every justice record (found by the simulated reviewer of `make eval`)."""
    from judgements.intake import JudgementRefused, parse_key

    sources = {"police", "justice"}
    assert parse_key("justice:10/472038-24", sources, "left").unique_id == \
        "justice:10/472038-24"
    for bad in ("justice:/etc/passwd", "justice:10/../x", "justice:10/47 2038", "justice:"):
        with pytest.raises(JudgementRefused, match="malformed key"):
            parse_key(bad, sources, "left")
