"""The review queue (issue 15, item 3): conflicts first; then one item per two persons before
any item that repeats a question already asked (another pair of the same two persons, or two
persons a reviewer already judged apart); then items touching a person of concern or an arrest;
then pairs across two persons before pairs inside one; then the record pairs a decision is
expected to change (across two persons: the sum of their pairs' probabilities), then closest to
a coin toss, ties by unique id; decided pairs are out, pairs judged `unsure` are in and `seen`.

The unit tests build the persons stage's outputs by hand (`match_pairs`, `person_records`,
`judged_pairs`, `judgement_conflicts`, `person`, `raw_police`) and derive `review_pairs` with the
persons stage's own view, so what leaves the queue is what the persons stage decides.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from persons.judgements import CONFLICT_REASONS, CONFLICTS_DDL
from persons.records import REVIEW_VIEW_SQL
from profiles.review_queue import REASONS, build_review_queue

# person -> its records (police:<id>); P1 is of concern; g1 is a record of an arrest
PERSONS = {"P1": ["a1", "a2", "a3", "a4", "a5"], "P2": ["b1", "b2", "b3"], "P3": ["c1"],
           "P4": ["d1", "d2"], "P5": ["e1", "e2"], "P6": ["f1", "f2"], "P7": ["g1"]}
CONCERN = {"P1"}
ARRESTED = {"g1"}

# (l, r, decision in match_pairs, probability)
PAIRS = [
    ("a1", "a2", "link", 0.99),       # a link: never in the queue
    ("e1", "f1", "review", 0.90),     # judged same, a conflict: on top, once
    ("a1", "b1", "review", 0.20),     # concern, P1 + P2: first of the two ...
    ("a3", "b3", "review", 0.15),     # ... and this repeats it: after every first item
    ("a4", "f2", "review", 0.60),     # concern, judged unsure: seen
    ("a2", "d1", "undecided", 0.51),  # concern, an undecided record
    ("c1", "g1", "review", 0.50),     # an arrest
    ("b2", "e2", "review", 0.30),
    ("d1", "e1", "review", 0.50),     # P4 + P5: 0.50 expected pairs, a coin toss ...
    ("d2", "e2", "review", 0.45),     # ... and its second pair: 0.95 expected, repeated
    ("c1", "f1", "review", 0.25),     # 0.25 from a coin toss ...
    ("d1", "f2", "review", 0.75),     # ... and so is this (P4 + P6: the sum with d2-f1)
    ("d2", "f1", "review", 0.25),     # its repeat
    ("b1", "b2", "review", 0.10),     # within one person: after every pair across two
    ("c1", "e2", "review", 0.90),
    ("b3", "c1", "review", 0.40),     # judged different: out ...
    ("b2", "c1", "review", 0.85),     # ... and P2 + P3 asked again: a repeat
    ("a3", "e1", "review", 0.45),     # judged same, applied: out
]

# (l, r, decision, judgement id, applied)
JUDGED = [("b3", "c1", "different", 1, True), ("a3", "e1", "same", 2, True),
          ("a4", "f2", "unsure", 3, True), ("e1", "f1", "same", 4, False)]

EXPECTED = [
    ("conflict", "e1", "f1"),
    ("pair", "a4", "f2"),               # concern: 0.60 expected pairs
    ("undecided_record", "a2", "d1"),   # 0.51
    ("pair", "c1", "g1"),               # an arrest, 0.50 (one pair, both records alone)
    ("pair", "a1", "b1"),               # 0.35 (with its repeat a3-b3)
    ("pair", "d1", "f2"),               # 1.00 (0.75 + 0.25)
    ("pair", "d1", "e1"),               # 0.95 (0.50 + 0.45)
    ("pair", "c1", "e2"),               # 0.90
    ("pair", "b2", "e2"),               # 0.30
    ("pair", "c1", "f1"),               # 0.25
    ("pair", "b1", "b2"),               # within one person
    ("pair", "a3", "b3"),               # the repeats: concern first, then as before
    ("pair", "d2", "f1"),               # 1.00
    ("pair", "d2", "e2"),               # 0.95
    ("pair", "b2", "c1"),               # 0.85: P2 and P3 were judged apart (b3-c1)
]


def _uid(record: str) -> str:
    return f"police:{record}"


def _db(with_conflicts: bool = True, with_police: bool = True, persons: dict | None = None,
        pairs: list | None = None, judged: list | None = None,
        concern: set | None = None) -> duckdb.DuckDBPyConnection:
    """The persons stage's and profile's outputs the queue reads, for the cast above (or the
    persons, pairs, judgements and persons of concern given)."""
    persons = PERSONS if persons is None else persons
    pairs = PAIRS if pairs is None else pairs
    judged = JUDGED if judged is None else judged
    concern = CONCERN if concern is None else concern
    con = duckdb.connect()
    person_of = {r: p for p, records in persons.items() for r in records}
    con.register("pr", pd.DataFrame(
        [(p, "police", r, _uid(r), len(persons[p])) for r, p in person_of.items()],
        columns=["person_id", "source", "record_id", "unique_id", "records_in_person"]))
    con.execute("CREATE TABLE person_records AS SELECT * FROM pr")
    con.register("pe", pd.DataFrame([(p, p in concern) for p in persons],
                                    columns=["person_id", "person_of_concern"]))
    con.execute("CREATE TABLE person AS SELECT * FROM pe")
    con.register("mp", pd.DataFrame([(d, _uid(a), _uid(b), p) for a, b, d, p in pairs],
                                    columns=["decision", "unique_id_l", "unique_id_r",
                                             "match_probability"]))
    con.execute("CREATE TABLE match_pairs AS SELECT * FROM mp")
    con.register("jp", pd.DataFrame([(_uid(a), _uid(b), d, i, ap) for a, b, d, i, ap in judged],
                                    columns=["unique_id_l", "unique_id_r", "decision",
                                             "judgement_id", "applied"]))
    con.execute("CREATE TABLE judged_pairs AS SELECT * FROM jp")
    con.execute(REVIEW_VIEW_SQL)
    if with_conflicts:
        con.execute(CONFLICTS_DDL)
        con.execute("""INSERT INTO judgement_conflicts VALUES
            (4, 'police:e1', 'police:f1', 'judged_different', $reason, 1, 'police:b3',
             'police:c1', NULL)""", {"reason": CONFLICT_REASONS["judged_different"]})
    if with_police:
        con.register("rp", pd.DataFrame([(r, r in ARRESTED) for r in person_of],
                                        columns=["record_id", "aangehouden"]))
        con.execute("CREATE TABLE raw_police AS SELECT * FROM rp")
    return con


def _queue(con: duckdb.DuckDBPyConnection) -> list[dict]:
    cursor = con.execute("SELECT * FROM review_queue ORDER BY rank")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_the_queue_is_in_the_order_of_impact() -> None:
    con = _db()
    counts = build_review_queue(con)
    rows = _queue(con)
    assert [(r["kind"], r["unique_id_l"], r["unique_id_r"]) for r in rows] == [
        (k, _uid(a), _uid(b)) for k, a, b in EXPECTED]
    assert [r["rank"] for r in rows] == list(range(1, len(EXPECTED) + 1))
    assert counts == {"conflict": 1, "pair": 13, "undecided_record": 1}


# Two large persons (4 and 3 records), a record alone (s1) and pairs of lone records.
BIG = {"A": ["a1", "a2", "a3", "a4"], "B": ["b1", "b2", "b3"], "S1": ["s1"], "S2": ["s2"],
       "S3": ["s3"], "S4": ["s4"]}


def _order(pairs: list, judged: list | None = None, concern: set | None = None,
           persons: dict | None = None) -> list[tuple[str, str]]:
    con = _db(with_conflicts=False, with_police=False, persons=persons or BIG, pairs=pairs,
              judged=judged or [], concern=concern or set())
    build_review_queue(con)
    return [(r["unique_id_l"][7:], r["unique_id_r"][7:]) for r in _queue(con)]


def test_a_likely_join_of_two_large_persons_before_a_coin_toss_of_two_records() -> None:
    # joining A and B adds 12 record pairs, likely (0.8) right; two lone records add one pair
    assert _order([("s1", "s2", "review", 0.50), ("a1", "b1", "review", 0.80)]) == [
        ("a1", "b1"), ("s1", "s2")]


def test_the_expected_change_is_the_sum_of_the_pairs_probabilities() -> None:
    # one weak pair between two large persons: were they one, more of their 12 pairs would
    # have scored; a likely pair of two lone records is worth more (0.55 < 0.90) ...
    assert _order([("a1", "b1", "review", 0.55), ("s1", "s2", "review", 0.90)]) == [
        ("s1", "s2"), ("a1", "b1")]
    # ... but a record with three fair pairs into A (0.6 each: 1.8 expected pairs) beats it
    order = _order([("a1", "s3", "review", 0.60), ("a2", "s3", "review", 0.60),
                    ("a3", "s3", "review", 0.60), ("s1", "s2", "review", 0.90)])
    assert order[:2] == [("a1", "s3"), ("s1", "s2")]


def test_a_second_pair_of_the_same_two_persons_ranks_after_every_first_pair() -> None:
    # A and B once, by their likelier pair; its second pair (even of concern) after the lone
    # records' coin toss, since one judgement already decides whether A and B are one
    pairs = [("a1", "b1", "review", 0.70), ("a2", "b2", "review", 0.65),
             ("s1", "s2", "review", 0.50)]
    assert _order(pairs, concern={"A"}) == [("a1", "b1"), ("s1", "s2"), ("a2", "b2")]
    assert _order(pairs) == [("a1", "b1"), ("s1", "s2"), ("a2", "b2")]


def test_two_persons_judged_apart_once_are_a_repeat() -> None:
    # a reviewer said a3 and b3 are two people: A and B's other pair asks that again
    pairs = [("a3", "b3", "review", 0.60), ("a1", "b1", "review", 0.95),
             ("s1", "s2", "review", 0.50)]
    assert _order(pairs) == [("a1", "b1"), ("s1", "s2"), ("a3", "b3")]
    judged = [("a3", "b3", "different", 1, True)]
    assert _order(pairs, judged=judged) == [("s1", "s2"), ("a1", "b1")]
    # an `unsure` settles nothing: the pair stays (seen) and A and B are asked again, by a
    # pair the reviewer has not been unsure about, though it is less likely
    judged = [("a1", "b1", "unsure", 1, True)]
    assert _order(pairs, judged=judged) == [("a3", "b3"), ("s1", "s2"), ("a1", "b1")]


def test_an_undecided_records_pairs_into_two_persons_are_two_questions() -> None:
    # s1 fits A and B about equally: the first answer is `different` as often as `same`, and
    # then the other pair places it; its second pair into A repeats the first
    pairs = [("a1", "s1", "undecided", 0.85), ("b1", "s1", "undecided", 0.80),
             ("a2", "s1", "undecided", 0.60), ("s2", "s3", "review", 0.60)]
    assert _order(pairs) == [("a1", "s1"), ("b1", "s1"), ("s2", "s3"), ("a2", "s1")]


def test_each_item_says_why_and_how_much() -> None:
    con = _db()
    build_review_queue(con)
    rows = {(r["unique_id_l"], r["unique_id_r"]): r for r in _queue(con)}
    conflict = rows[(_uid("e1"), _uid("f1"))]
    assert conflict["reason"].startswith("judged_different: ")
    assert CONFLICT_REASONS["judged_different"] in conflict["reason"]
    assert conflict["match_probability"] == 0.90
    assert (conflict["person_id_l"], conflict["person_id_r"]) == ("P5", "P6")
    top = rows[(_uid("a1"), _uid("b1"))]
    assert (top["concern"], top["arrested"], top["records_affected"]) == (True, False, 8)
    assert top["reason"] == REASONS["pair"]
    arrest = rows[(_uid("c1"), _uid("g1"))]
    assert (arrest["concern"], arrest["arrested"], arrest["records_affected"]) == (False, True, 2)
    assert rows[(_uid("a2"), _uid("d1"))]["reason"] == REASONS["undecided_record"]
    assert rows[(_uid("b1"), _uid("b2"))]["records_affected"] == 3  # one person, split
    assert rows[(_uid("b2"), _uid("e2"))]["concern"] is False


def test_decided_pairs_leave_the_queue_and_unsure_ones_are_seen() -> None:
    con = _db()
    build_review_queue(con)
    rows = {(r["unique_id_l"], r["unique_id_r"]): r for r in _queue(con)}
    for decided in (("b3", "c1"), ("a3", "e1"), ("a1", "a2")):  # different, same, a link
        assert (_uid(decided[0]), _uid(decided[1])) not in rows
    assert [k for k, r in rows.items() if r["seen"]] == [(_uid("a4"), _uid("f2"))]
    # the conflict's pair is in `review_pairs` (its `same` was not applied) but listed once
    assert con.sql("SELECT count(*) FROM review_pairs WHERE unique_id_l = 'police:e1' "
                   "AND unique_id_r = 'police:f1'").fetchall()[0][0] == 1
    assert len(rows) == len(_queue(con))


def test_the_order_is_stable_whatever_the_input_order() -> None:
    first = _db()
    build_review_queue(first)
    again = _db()
    again.execute("CREATE OR REPLACE TABLE match_pairs AS SELECT * FROM match_pairs "
                  "ORDER BY unique_id_r DESC, unique_id_l DESC")
    build_review_queue(again)
    assert _queue(first) == _queue(again)
    build_review_queue(first)  # rebuilt, not appended
    assert _queue(first) == _queue(again)


def test_without_judgements_or_police_the_queue_still_builds() -> None:
    con = _db(with_conflicts=False, with_police=False)
    counts = build_review_queue(con)
    rows = _queue(con)
    assert counts["conflict"] == 0
    assert not any(r["arrested"] for r in rows)
    # the conflict's pair is now an ordinary pair; the arrest's pair falls to the impact tier
    assert (rows[0]["kind"], rows[0]["unique_id_l"]) == ("pair", _uid("a4"))
    assert ("pair", _uid("e1"), _uid("f1")) in [
        (r["kind"], r["unique_id_l"], r["unique_id_r"]) for r in rows]
    arrest = next(r for r in rows if r["unique_id_r"] == _uid("g1"))
    assert arrest["rank"] > next(r["rank"] for r in rows if r["unique_id_r"] == _uid("b1"))
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))


@pytest.mark.e2e
def test_the_sample_warehouse_holds_the_queue(sample_run: Path) -> None:
    con = duckdb.connect(str(sample_run / "warehouse.duckdb"), read_only=True)
    try:
        ranks = [r for (r,) in con.sql("SELECT rank FROM review_queue ORDER BY rank").fetchall()]
        assert ranks and ranks == list(range(1, len(ranks) + 1))
        missing = con.sql("""
            SELECT count(*) FROM review_pairs r
            WHERE (SELECT count(*) FROM review_queue q WHERE q.unique_id_l = r.unique_id_l
                   AND q.unique_id_r = r.unique_id_r) <> 1""").fetchall()[0][0]
        assert missing == 0
        extra = con.sql("""SELECT count(*) FROM review_queue q WHERE kind <> 'conflict'
                           AND NOT EXISTS (SELECT 1 FROM review_pairs r
                               WHERE q.unique_id_l = r.unique_id_l
                                 AND q.unique_id_r = r.unique_id_r)""").fetchall()[0][0]
        assert extra == 0
        kinds = dict(con.sql("SELECT kind, count(*) FROM review_queue GROUP BY kind").fetchall())
        assert kinds.get("pair", 0) > 0 and kinds.get("undecided_record", 0) > 0
        # first questions before repeats; within each, concern (read from `person`) or an
        # arrest before the rest
        tiers = con.sql("SELECT kind = 'conflict' OR NOT repeat, kind = 'conflict' OR concern "
                        "OR arrested FROM review_queue ORDER BY rank").fetchall()
        assert tiers == sorted(tiers, reverse=True)
        assert {first for first, _ in tiers} == {True, False}
    finally:
        con.close()
