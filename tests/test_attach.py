"""A lone record joins a person as a whole only when that person, and no other, makes it
probable: the person's size is its prior, the median pair over its records its evidence."""

from __future__ import annotations

import duckdb
import pandas as pd

from config import load_config
from persons.attach import attach_lone_records
from standardise.rules import prepare

LINK = load_config().matching.thresholds.link
CONSTRAINTS = load_config().constraints


def _build(persons: dict[str, int], pairs: dict[str, list[float]],
           bsn: dict[str, str] | None = None, singletons: int = 20) -> duckdb.DuckDBPyConnection:
    """A build database: `persons` (cluster -> records), a lone record `r` whose review-band
    pairs to each person's first records are `pairs[cluster]`, and `singletons` other lone
    records (the region's many one-record persons)."""
    bsn = bsn or {}
    rows, clusters = [], []
    for cluster, size in persons.items():
        for i in range(size):
            uid = f"{cluster}-{i}"
            rows.append({"unique_id": uid, "bsn": bsn.get(cluster)})
            clusters.append((uid, cluster))
    for i in range(singletons):
        rows.append({"unique_id": f"s{i}", "bsn": None})
        clusters.append((f"s{i}", f"s{i}"))
    rows.append({"unique_id": "r", "bsn": "111222333"})
    clusters.append(("r", "r"))
    frame = pd.DataFrame(rows)
    for column in ("dob", "dob_year", "surname_1", "first_name", "first_name_key"):
        frame[column] = None
    frame["given_name_list"] = [[] for _ in range(len(frame))]
    links = [(a, b) for cluster, size in persons.items()
             for a, b in zip([f"{cluster}-{i}" for i in range(size - 1)],
                             [f"{cluster}-{i}" for i in range(1, size)], strict=True)]
    review = [(f"{cluster}-{i}", "r", p) for cluster, ps in pairs.items()
              for i, p in enumerate(ps)]
    con = duckdb.connect()
    prepare(con)
    con.register("f", frame)
    con.execute("""CREATE TABLE std_persons AS SELECT unique_id, bsn,
        CAST(dob AS DATE) AS dob, CAST(dob_year AS INTEGER) AS dob_year,
        CAST(surname_1 AS VARCHAR) AS surname_1, CAST(first_name AS VARCHAR) AS first_name,
        CAST(first_name_key AS VARCHAR) AS first_name_key,
        CAST(given_name_list AS VARCHAR[]) AS given_name_list FROM f""")
    con.register("c", pd.DataFrame(clusters, columns=["unique_id", "cluster_id"]))
    con.execute("CREATE TABLE clusters AS SELECT * FROM c")
    con.register("p", pd.DataFrame(
        [("link", a, b, 0.99) for a, b in links]
        + [("review", min(a, b), max(a, b), p) for a, b, p in review],
        columns=["decision", "unique_id_l", "unique_id_r", "match_probability"]))
    con.execute("CREATE TABLE match_pairs AS SELECT * FROM p")
    return con


def _person_of_r(con: duckdb.DuckDBPyConnection) -> str:
    return con.sql("SELECT cluster_id FROM clusters WHERE unique_id = 'r'").fetchall()[0][0]


def test_a_lone_record_joins_the_one_large_person_it_agrees_with() -> None:
    con = _build({"big": 12}, {"big": [0.62] * 12})
    assert attach_lone_records(con, LINK, CONSTRAINTS) == 1
    assert _person_of_r(con) == "big"
    evidence, probability, decisions = con.sql("""
        SELECT evidence_probability, person_probability,
               (SELECT list(DISTINCT decision) FROM match_pairs WHERE unique_id_r = 'r')
        FROM attachments""").fetchall()[0]
    assert evidence == 0.62 and LINK <= probability < 1
    assert decisions == ["attach"]


def test_the_same_pairs_next_to_a_one_record_person_are_not_enough() -> None:
    con = _build({"small": 1, "big": 12}, {"small": [0.62]})
    assert attach_lone_records(con, LINK, CONSTRAINTS) == 0
    assert _person_of_r(con) == "r"


def test_two_large_persons_it_agrees_with_equally_leave_it_alone() -> None:
    con = _build({"a": 12, "b": 12}, {"a": [0.62] * 12, "b": [0.62] * 12})
    assert attach_lone_records(con, LINK, CONSTRAINTS) == 0
    assert _person_of_r(con) == "r"


def test_agreeing_with_a_few_of_the_persons_records_is_not_agreeing_with_the_person() -> None:
    con = _build({"big": 12}, {"big": [0.69] * 5})
    assert attach_lone_records(con, LINK, CONSTRAINTS) == 0


def test_a_person_holding_another_valid_bsn_is_never_joined() -> None:
    con = _build({"big": 12}, {"big": [0.62] * 12}, bsn={"big": "999888777"})
    assert attach_lone_records(con, LINK, CONSTRAINTS) == 0
    assert _person_of_r(con) == "r"


def test_a_one_record_person_is_never_joined_even_on_a_strong_pair() -> None:
    """A lone pair above the link threshold was refused by a constraint or left undecided
    between two persons; joining here would undo that."""
    con = _build({"one": 1}, {"one": [0.99]})
    assert attach_lone_records(con, LINK, CONSTRAINTS) == 0
    assert _person_of_r(con) == "r"


def test_two_records_with_different_bsns_do_not_both_join_one_person() -> None:
    con = _build({"big": 12}, {"big": [0.62] * 12})
    con.execute("INSERT INTO std_persons (unique_id, bsn, given_name_list) "
                "VALUES ('r2', '123456782', [])")
    con.execute("INSERT INTO clusters VALUES ('r2', 'r2')")
    con.execute("INSERT INTO match_pairs SELECT 'review', unique_id_l, 'r2', match_probability "
                "FROM match_pairs WHERE unique_id_r = 'r'")
    assert attach_lone_records(con, LINK, CONSTRAINTS) == 0
    assert con.sql("SELECT count(DISTINCT cluster_id) FROM clusters "
                   "WHERE unique_id IN ('r', 'r2', 'big-0')").fetchall()[0][0] == 3


def test_a_record_left_undecided_that_joins_a_person_is_no_longer_undecided() -> None:
    con = _build({"big": 12}, {"big": [0.62] * 12})
    con.execute("INSERT INTO match_pairs VALUES ('undecided', 'r', 's0', 0.7)")
    assert attach_lone_records(con, LINK, CONSTRAINTS) == 1
    assert con.sql("SELECT decision FROM match_pairs WHERE unique_id_r = 's0'"
                   ).fetchall() == [("link",)]
