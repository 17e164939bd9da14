"""`foto erase`: a record that may no longer be used leaves the photo at once and every file
under the home, stays withheld by every later run (the nightly and the arrest door), and its
suppression is lifted once the partner's delivery no longer carries it."""

from __future__ import annotations

import collections
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from foto.cli import main
from judgements.store import RecordKey
from judgements.suppressions import entries, lift_absent, suppress, suppressed_ids
from judgements.warehouse import load_judgements
from persons.erased import drop_records, holding
from sources.common import ParseResult
from sources.suppress import REASON, withhold_suppressed
from tests.conftest import SAMPLE, foto
from tests.scan import databases_holding, files_holding

DELIVERY = "2026-11-27"
INBOX = SAMPLE / "inbox"
# Stores that keep the record's id by design (the list, the log, the dormant judgement's key).
IDS_ONLY = {"suppressions.sqlite", "audit.sqlite", "judgements.sqlite"}


def q(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _inbox_text() -> str:
    """Every record of the sample delivery as text (the Parquet file as its rows)."""
    folder = INBOX / DELIVERY
    text = (folder / "police_persons.csv").read_text(encoding="cp1252")
    text += (folder / "care_reports.jsonl").read_text(encoding="utf-8")
    text += (folder / "municipal_brp.csv").read_text(encoding="utf-8")
    return text + pd.read_parquet(folder / "justice_cases.parquet").to_csv()


def _values_of(line: str) -> dict[str, set[str]]:
    """A police record's personal values as the raw file writes them, each with the other
    forms it takes in the sources and the warehouse (a birth date in every layout, a BSN and
    a postcode without spaces)."""
    header = (INBOX / DELIVERY / "police_persons.csv").read_text(
        encoding="cp1252").splitlines()[0].split(";")
    row = dict(zip(header, line.split(";"), strict=True))
    if row["geboortedatum"].count("-") != 2:
        return {}
    day, month, year = row["geboortedatum"].split("-")
    squeeze = {"bsn": row["bsn"].replace(" ", "").replace(".", ""),
               "postcode": row["postcode"].replace(" ", "").upper()}
    return {"surname": {row["achternaam"]}, "given": {row["voornamen"]},
            "dob": {row["geboortedatum"], f"{year}-{month}-{day}", f"{year}{month}{day}"},
            "bsn": {row["bsn"], squeeze["bsn"]} if row["bsn"] else set(),
            "postcode": {row["postcode"], squeeze["postcode"]},
            "street": {f"{row['straat']} {row['huisnummer']}"}}


def _erasable(warehouse: Path) -> tuple[RecordKey, list[str], str]:
    """A police record of a person with two to four records with three values (its surname or
    birth date among them, as the raw file has them) no other record of the delivery carries
    in any form:
    (key, those values in all their forms, its person id). Values another record carries too
    are left out: they stay."""
    text = _inbox_text()
    lines = {ln.split(";")[0]: ln for ln in
             (INBOX / DELIVERY / "police_persons.csv").read_text(encoding="cp1252").splitlines()}
    rows = q(warehouse, """SELECT record_id, person_id FROM person_records
                           WHERE source = 'police' AND records_in_person BETWEEN 2 AND 4
                           ORDER BY record_id""")
    for record_id, person_id in rows:
        if record_id not in lines:
            continue
        others = text.replace(lines[record_id], "").casefold()
        own = {kind: forms for kind, forms in _values_of(lines[record_id]).items()
               if forms and min(map(len, forms)) >= 5
               and not any(f.casefold() in others for f in forms)}
        own = {kind: forms for kind, forms in own.items()   # nor another's derived field
               if not _derived_elsewhere(warehouse, f"police:{record_id}", forms)}
        if {"surname", "dob"} & set(own) and len(own) >= 3:
            return (RecordKey("police", record_id), sorted(set().union(*own.values())),
                    person_id)
    raise AssertionError("no police record with values of its own in the sample")


def _derived_elsewhere(warehouse: Path, unique_id: str, forms: set[str]) -> bool:
    """Whether another record's row in any table of the warehouse holds one of `forms` (a birth
    date with day and month swapped, a name key, an address put together from a BRP row's
    street and number in `events`): such a value is that record's too, and stays. Tables are
    read by their record identity columns (`unique_id`, or `source` and `record_id`)."""
    source, record_id = unique_id.split(":", 1)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for (table,) in con.sql("SELECT DISTINCT table_name FROM duckdb_columns() "
                                "WHERE column_name IN ('unique_id', 'record_id')").fetchall():
            columns = [r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() "
                                                 "WHERE table_name = ?", [table]).fetchall()]
            if "unique_id" in columns:
                other, ids = "unique_id <> ?", [unique_id]
            elif "source" in columns:
                other, ids = "NOT (source = ? AND record_id = ?)", [source, record_id]
            else:
                continue
            text = " || chr(31) || ".join(f'coalesce(lower(CAST("{c}" AS VARCHAR)), \'\')'
                                          for c in columns)
            if any(con.execute(f'SELECT count(*) FROM "{table}" WHERE {other} AND '
                               f"contains({text}, ?)", [*ids, f.lower()]).fetchall()[0][0]
                   for f in forms):
                return True
        return False
    finally:
        con.close()


def _bridge(warehouse: Path) -> tuple[RecordKey, list[str]]:
    """A record without which its person's other records fall apart: the only link between
    them at the link threshold. (key, the other records)."""
    link = q(warehouse, "SELECT link_threshold FROM run_info")[0][0]
    person = dict(q(warehouse, "SELECT unique_id, person_id FROM person_records"))
    members: dict[str, list[str]] = collections.defaultdict(list)
    for uid, pid in sorted(person.items()):
        members[pid].append(uid)
    edges: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    for a, b in q(warehouse, "SELECT unique_id_l, unique_id_r FROM match_pairs "
                             "WHERE match_probability >= ? ORDER BY 1, 2", [link]):
        if person[a] == person[b]:
            edges[person[a]].append((a, b))
    for pid in sorted(edges):
        nodes = members[pid]
        if len(nodes) < 3 or _parts(nodes, edges[pid]) != 1:
            continue
        for node in nodes:
            rest = [n for n in nodes if n != node]
            if _parts(rest, [e for e in edges[pid] if node not in e]) >= 2:
                source, _, record_id = node.partition(":")
                return RecordKey(source, record_id), rest
    raise AssertionError("no record in the sample holds two groups of records together")


def _parts(nodes: list[str], edges: list[tuple[str, str]]) -> int:
    parent = {n: n for n in nodes}

    def root(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in edges:
        parent[root(a)] = root(b)
    return len({root(n) for n in nodes})


def _erase(home: Path, key: RecordKey) -> int:
    return foto("erase", key.unique_id, "--by", "Functionaris Gegevensbescherming",
                "--reason", "Verzoek tot wissing art. 17, zaak 2026/118", "--home", str(home))


@pytest.mark.e2e
def test_an_erased_record_is_in_no_file_and_stays_withheld_until_the_partner_drops_it(
        sample_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = sample_home
    key, values, person = _erasable(home / "warehouse.duckdb")
    before = dict(q(home / "warehouse.duckdb", "SELECT unique_id, person_id FROM "
                                               "person_records"))
    kept_before = sorted(p.name for p in (home / "publications").iterdir())
    mate = sorted(u for u, p in before.items() if p == person and u != key.unique_id)[0]
    assert foto("judge", key.unique_id, mate, "--same", "--by", "R", "--reason", "seen",
                "--later", "--home", str(home)) == 0
    assert "judgements.sqlite" in files_holding(home, values), "no evidence snapshot to erase"
    assert databases_holding(home, values), "the scan cannot see the record's values"
    capsys.readouterr()

    assert _erase(home, key) == 0
    printed = capsys.readouterr().out
    assert "re-published without the record" in printed
    assert "rollback to them is no longer possible" in printed
    for value in values:
        assert value not in printed

    # no file under the home holds a value; no database names the record
    assert files_holding(home, values) == {}
    assert databases_holding(home, values) == {}
    assert databases_holding(home, [key.unique_id, key.record_id]) == {}
    holders = files_holding(home, [key.record_id])
    assert set(holders) <= IDS_ONLY, holders
    assert all(p.name not in kept_before for p in (home / "publications").iterdir())

    # the person lost exactly that record, under the same id
    after = dict(q(home / "warehouse.duckdb", "SELECT unique_id, person_id FROM "
                                              "person_records"))
    assert set(before) - set(after) == {key.unique_id}
    mates = {u for u, p in before.items() if p == person and u != key.unique_id}
    assert {after[u] for u in mates} == {person}

    # its judgement lies dormant: kept in the store, in no warehouse
    assert q_sqlite(home / "judgements.sqlite", "SELECT count(*) FROM judgement") == [(1,)]
    assert q(home / "warehouse.duckdb", "SELECT count(*) FROM judgements") == [(0,)]

    # the request is in the audit log (ids only) and on the list (ids, who, when)
    assert foto("audit", "verify", "--home", str(home)) == 0
    erased = [json.loads(d) for (d,) in q_sqlite(home / "audit.sqlite",
                                                  "SELECT detail FROM audit_entry "
                                                  "WHERE action = 'erase'")]
    assert erased and erased[-1]["record_id"] == key.record_id
    capsys.readouterr()
    assert foto("erase", "--list", "--home", str(home)) == 0
    listed = capsys.readouterr().out
    assert key.unique_id in listed and "Functionaris" in listed
    assert "Verzoek" not in listed and not [v for v in values if v in listed]

    # the arrest door withholds it: an arrest file of the record brings nothing back
    feed = tmp_path / "feed" / "arrests"
    feed.mkdir(parents=True)
    arrest = json.loads(next((INBOX / "arrests").glob("*.json")).read_text(encoding="utf-8"))
    arrest |= {"arrest_id": "AH-2026-999001", "record_id": key.record_id}
    (feed / "AH-2026-999001.json").write_text(json.dumps(arrest), encoding="utf-8")
    assert foto("arrest", str(feed / "AH-2026-999001.json"), "--home", str(home)) == 1
    assert databases_holding(home, [key.unique_id]) == {}

    # the next nightly run on the same delivery withholds it, counted
    withheld = q(home / "warehouse.duckdb", "SELECT withheld FROM ingest_counts "
                                            "WHERE source = 'police'")[0][0]
    assert foto("run", "--inbox", str(INBOX), "--home", str(home)) == 0
    counts = q(home / "warehouse.duckdb", "SELECT read, accepted, quarantined, withheld, "
                                          "expired FROM ingest_counts WHERE source = 'police'")[0]
    assert counts[3] == withheld and counts[0] == sum(counts[1:])
    assert [e.key for e in entries(home)] == [key]
    assert files_holding(home, values) == {}
    assert databases_holding(home, values + [key.unique_id]) == {}

    # a delivery without it lifts the suppression
    inbox = tmp_path / "inbox"
    shutil.copytree(INBOX, inbox)
    police = inbox / DELIVERY / "police_persons.csv"
    police.write_bytes(b"".join(ln for ln in police.read_bytes().splitlines(keepends=True)
                                if not ln.startswith(key.record_id.encode())))
    assert foto("run", "--inbox", str(inbox), "--home", str(home)) == 0
    assert entries(home) == []
    assert len(entries(home, open_only=False)) == 1
    lifted = q_sqlite(home / "audit.sqlite",
                      "SELECT count(*) FROM audit_entry WHERE action = 'erase_lifted'")
    assert lifted == [(1,)]


@pytest.mark.e2e
def test_erasing_the_record_that_held_two_groups_together_leaves_two_persons(
        sample_home: Path) -> None:
    key, rest = _bridge(sample_home / "warehouse.duckdb")
    assert _erase(sample_home, key) == 0
    persons = q(sample_home / "warehouse.duckdb",
                "SELECT count(DISTINCT person_id), count(*) FROM person_records "
                "WHERE list_contains(?, unique_id)", [rest])[0]
    assert persons == (2, len(rest)) or persons[0] > 2 and persons[1] == len(rest)


def q_sqlite(db: Path, sql: str) -> list[tuple]:
    import sqlite3

    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# ---- fast: the door, the list, the warehouse drop, dormant judgements --------------------

@pytest.mark.parametrize("key", ["nosuch:PL-1", "police", "police:", "police:../x",
                                 "police:PL 1", ":PL-1"])
def test_a_bad_key_is_refused_before_anything_is_written(
        tmp_path: Path, key: str, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    code = main(["erase", key, "--by", "X", "--reason", "Y", "--home", str(home)])
    assert code == 2
    assert _written(home) == []   # no list, no log entry
    out = capsys.readouterr().out
    assert "SOURCE:RECORD_ID" in out
    if ":" in key and key.split(":", 1)[1]:
        assert key.split(":", 1)[1] not in out.replace("SOURCE:RECORD_ID", "")


@pytest.mark.parametrize("by, reason", [("", "court order"), ("A. Officier", " ")])
def test_an_erasure_without_who_or_why_is_refused(tmp_path: Path, by: str, reason: str) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    assert main(["erase", "police:PL-2026000001-01", "--by", by, "--reason", reason,
                 "--home", str(home)]) == 2
    assert _written(home) == []


def _written(home: Path) -> list[Path]:
    """Files under the home but the error-id key every refusal may create (`dagster/`)."""
    return [p for p in home.rglob("*") if p.is_file() and p.parent != home / "dagster"]


def test_the_list_is_append_only_and_a_lift_closes_an_entry(tmp_path: Path) -> None:
    import sqlalchemy

    from judgements.suppressions import open_store

    key = RecordKey("justice", "10/527605-26")
    first = suppress(tmp_path, key, "A. Officier", "order 1")
    assert suppressed_ids(tmp_path, "justice") == {"10/527605-26"}
    assert (tmp_path / "suppressions.sqlite").stat().st_mode & 0o077 == 0
    with open_store(tmp_path) as engine, pytest.raises(sqlalchemy.exc.DatabaseError), \
            engine.begin() as con:
        con.execute(sqlalchemy.text("DELETE FROM suppression"))
    assert lift_absent(tmp_path, "justice", {"10/527605-26"}, DELIVERY) == []
    assert lift_absent(tmp_path, "justice", set(), DELIVERY) == [first]
    assert suppressed_ids(tmp_path, "justice") == set()
    assert [e.lifted_at is not None for e in entries(tmp_path, open_only=False)] == [True]


def test_a_suppressed_row_is_withheld_whether_accepted_or_quarantined() -> None:
    accepted = pd.DataFrame({"record_id": ["A", "B", "C"], "_line": [2, 3, 4]})
    quarantine = pd.DataFrame({"line": [5, 3], "record_id": ["D", "B"], "field": ["x", "y"],
                               "reason": ["r", "r"], "raw": ["D;raw", None],
                               "kept": [False, True]})
    result = ParseResult("police", "f.csv", accepted, quarantine, rows_read=4,
                         withheld={"melder": 0}, rows_in_file=4)
    out = withhold_suppressed(result, {"B", "D"})
    assert list(out.accepted["record_id"]) == ["A", "C"]
    assert out.quarantine.empty
    assert out.withheld == {"melder": 0, REASON: 2}
    assert out.rows_read == out.rows_accepted + out.rows_quarantined + sum(out.withheld.values())


def _small_warehouse() -> duckdb.DuckDBPyConnection:
    """Three records A - B - C linked through B only, one model cluster, and the tables a
    record's key appears in (std, raw, pairs, clusters, counts, a list of evidence)."""
    con = duckdb.connect()
    con.execute("CREATE TABLE std_persons (unique_id VARCHAR, source VARCHAR, "
                "record_id VARCHAR, surname VARCHAR)")
    con.execute("INSERT INTO std_persons VALUES ('police:A', 'police', 'A', 'x'), "
                "('police:B', 'police', 'B', 'y'), ('police:C', 'police', 'C', 'z')")
    con.execute("CREATE TABLE raw_police (record_id VARCHAR, achternaam VARCHAR)")
    con.execute("INSERT INTO raw_police VALUES ('A', 'x'), ('B', 'y'), ('C', 'z')")
    con.execute("CREATE TABLE match_pairs (unique_id_l VARCHAR, unique_id_r VARCHAR, "
                "match_probability DOUBLE)")
    con.execute("INSERT INTO match_pairs VALUES ('police:A', 'police:B', 0.99), "
                "('police:B', 'police:C', 0.99), ('police:A', 'police:C', 0.5)")
    con.execute("CREATE TABLE model_clusters (unique_id VARCHAR, cluster_id VARCHAR)")
    con.execute("INSERT INTO model_clusters VALUES ('police:A', 'police:A'), "
                "('police:B', 'police:A'), ('police:C', 'police:A')")
    con.execute("CREATE TABLE ingest_counts (source VARCHAR, read BIGINT, accepted BIGINT, "
                "quarantined BIGINT, withheld BIGINT)")
    con.execute("INSERT INTO ingest_counts VALUES ('police', 3, 3, 0, 0)")
    con.execute("CREATE TABLE flags (person_id VARCHAR, evidence_record_ids VARCHAR[])")
    con.execute("INSERT INTO flags VALUES ('P1', ['A', 'B']), ('P2', ['B'])")
    return con


def test_dropping_a_record_takes_it_from_every_table_and_splits_its_cluster() -> None:
    con = _small_warehouse()
    key = RecordKey("police", "B")
    assert holding(con, [key]) == ["flags", "match_pairs", "model_clusters", "raw_police",
                                   "std_persons"]
    dropped = drop_records(con, [key], link=0.9)
    assert holding(con, [key]) == []
    assert dropped.clusters_split == 1
    assert con.sql("SELECT unique_id, cluster_id FROM model_clusters ORDER BY 1").fetchall() \
        == [("police:A", "police:A"), ("police:C", "police:C")]
    assert con.sql("SELECT * FROM ingest_counts").fetchall() == [("police", 3, 2, 0, 1)]
    assert con.sql("SELECT person_id, evidence_record_ids FROM flags").fetchall() == \
        [("P1", ["A"])]


def test_a_judgement_about_a_suppressed_record_lies_dormant(tmp_path: Path) -> None:
    from judgements.store import Judgement, append, open_store

    con = _small_warehouse()
    with open_store(tmp_path, create=True) as engine:
        append(engine, [Judgement(RecordKey("police", "A"), RecordKey("police", "B"), "same",
                                  "R", "why"),
                        Judgement(RecordKey("police", "A"), RecordKey("police", "C"),
                                  "different", "R", "why")])
    assert load_judgements(con, tmp_path).judgements == 2
    suppress(tmp_path, RecordKey("police", "B"), "A. Officier", "order")
    counts = load_judgements(con, tmp_path)
    assert (counts.judgements, counts.active) == (1, 1)
    assert con.sql("SELECT unique_id_r FROM judgements").fetchall() == [("police:C",)]


def test_an_erased_records_judgement_keeps_its_decision_but_not_its_evidence(
        tmp_path: Path) -> None:
    """The evidence snapshot holds the records' values: it is overwritten (the one change the
    store lets through, also in a store made before it was allowed) and no byte of it stays
    in the SQLite files; every other change is still refused."""
    import sqlalchemy

    from judgements.store import (
        REDACTED,
        Judgement,
        append,
        current,
        open_store,
        redact_evidence,
    )

    a, b, c = (RecordKey("police", x) for x in ("PL-1-01", "PL-2-01", "PL-3-01"))
    with open_store(tmp_path, create=True) as engine:
        with engine.begin() as con:   # a store as an earlier version made it
            con.exec_driver_sql("DROP TRIGGER judgement_no_update")
            con.exec_driver_sql("CREATE TRIGGER judgement_no_update BEFORE UPDATE ON "
                                "judgement BEGIN SELECT RAISE(ABORT, 'no'); END")
        append(engine, [Judgement(a, b, "same", "R", "why", evidence={"left": {
            "surname": "Zwanenburg-Oosterhout"}}),
            Judgement(a, c, "different", "R", "why", evidence={"left": {"surname": "Keep"}})])
    assert files_holding(tmp_path, ["Zwanenburg-Oosterhout"])
    assert redact_evidence(tmp_path, [b]) == 1
    assert files_holding(tmp_path, ["Zwanenburg-Oosterhout"]) == {}
    assert files_holding(tmp_path, ["Keep"])
    with open_store(tmp_path) as engine:
        assert len(current(engine)) == 2
        for change in ("UPDATE judgement SET decision = 'unsure'",
                       "UPDATE judgement SET evidence = '{\"erased\": true}', reason = 'x'",
                       "DELETE FROM judgement"):
            with pytest.raises(sqlalchemy.exc.DatabaseError), engine.begin() as con:
                con.exec_driver_sql(change)
        with engine.connect() as con:
            kept = con.exec_driver_sql("SELECT evidence FROM judgement ORDER BY id").all()
    assert kept[0][0] == REDACTED and "Keep" in kept[1][0]


def test_an_erased_record_past_its_term_stays_suppressed_while_still_delivered(
        tmp_path: Path) -> None:
    """Whether a suppression lifts is told by the rows as read, before the terms take a record
    out: a record past its use term is still delivered, so its erasure stays open (a later
    delivery with a longer term, or a rollback, must not bring it back); a delivery that no
    longer carries it lifts it."""
    from assets.ingest import _read, ingest, read_as_delivered
    from config import load_config
    from sources.registry import registry
    from sources.retention import resolve_terms

    folder = INBOX / DELIVERY
    delivered, _ = read_as_delivered("police", folder)
    used, _ = _read("police", folder)
    past = sorted(set(delivered.accepted["record_id"]) - set(used.accepted["record_id"]))
    assert past, "the sample carries police records past their term"
    key = RecordKey("police", past[0])
    home = tmp_path / "home"
    home.mkdir()
    entry = suppress(home, key, "A. Officier", "order")
    terms = resolve_terms(load_config(), list(registry()))["police"]
    result, _, lifted = ingest("police", folder, home, terms, tmp_path / "build.duckdb", 90)
    assert lifted == [] and suppressed_ids(home, "police") == {key.record_id}
    counts = result.counts()
    assert counts["read"] == counts["accepted"] + counts["quarantined"] + counts["expired"] \
        + sum(v for k, v in counts.items() if k.startswith("withheld_"))
    # the next delivery no longer carries it: lifted
    later = tmp_path / "inbox" / "2026-11-28"
    shutil.copytree(folder, later)
    police = later / "police_persons.csv"
    police.write_bytes(b"".join(line for line in police.read_bytes().splitlines(keepends=True)
                                if not line.startswith(key.record_id.encode() + b";")))
    _, _, lifted = ingest("police", later, home, terms, tmp_path / "build2.duckdb", 90)
    assert lifted == [entry] and suppressed_ids(home, "police") == set()
