"""The simulated reviewer of `make eval` (benchmarks/reviewer.py) decides what the truth says,
takes the queue's next undecided items in rank order or in a seeded random order, and writes
what `foto judge --file` reads. A tiny queue and truth, no run: the eval's own figures depend
on these decisions being right."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.reviewer import (
    Item,
    changes,
    decide,
    pick,
    read_queue,
    read_truth,
    write_judgements,
)
from judgements.intake import read_file

TRUTH = pa.table({"source": ["police", "justice", "care", "police"],
                  "record_id": ["P1", "J1", "C1", "P2"],
                  "person_key": ["k1", "k1", "k2", "k2"]})
QUEUE = [Item("pair", "justice:J1", "police:P1"),          # one person: same
         Item("undecided_record", "care:C1", "police:P1"),  # two persons: different
         Item("pair", "police:P2", "care:C1"),             # one person, ids unordered
         Item("pair", "care:C1", "police:P9")]             # a record the truth lacks


def test_the_reviewer_decides_as_the_truth_says(tmp_path: Path) -> None:
    pq.write_table(TRUTH, tmp_path / "truth.parquet")
    truth = read_truth(tmp_path / "truth.parquet")
    assert truth["care:C1"] == "k2"
    assert decide(QUEUE, truth) == [("justice:J1", "police:P1", "same"),
                                    ("care:C1", "police:P1", "different"),
                                    ("police:P2", "care:C1", "same")]


def test_the_next_items_skip_pairs_already_judged_in_either_order() -> None:
    judged = {("justice:J1", "police:P1"), ("care:C1", "police:P2")}
    conflict = Item("conflict", "police:P1", "justice:J1")   # an own judgement, unapplied
    queue = [conflict, *QUEUE]
    assert pick(queue, judged, 2, None) == [QUEUE[1], QUEUE[3]]
    assert pick(queue, set(), 2, None) == [conflict, QUEUE[1]]   # one item per pair


def test_the_random_order_is_seeded_and_not_the_queue_order() -> None:
    queue = [Item("pair", f"police:P{i:03}", f"care:C{i:03}") for i in range(200)]
    first = pick(queue, set(), 50, random.Random(7))
    assert first == pick(queue, set(), 50, random.Random(7))
    assert first != queue[:50]
    assert len({item.pair for item in first}) == 50


def test_the_decisions_are_a_file_foto_judge_accepts(tmp_path: Path) -> None:
    decisions = [("justice:J1", "police:P1", "same"), ("care:C1", "police:P1", "different")]
    write_judgements(tmp_path / "j.csv", decisions)
    requests = read_file(tmp_path / "j.csv", {"police", "justice", "care"})
    assert [(r.decision, r.left.unique_id, r.right.unique_id) for r in requests] == [
        ("same", "justice:J1", "police:P1"), ("different", "care:C1", "police:P1")]


def test_the_queue_is_read_in_rank_order(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE TABLE review_queue (rank BIGINT, kind VARCHAR, unique_id_l VARCHAR, "
                "unique_id_r VARCHAR, person_id_l VARCHAR, person_id_r VARCHAR)")
    con.execute("INSERT INTO review_queue VALUES (2, 'pair', 'care:C1', 'police:P1', 'a', 'b'),"
                " (1, 'conflict', 'justice:J1', 'police:P1', 'c', 'c')")
    con.close()
    assert read_queue(tmp_path / "w.duckdb") == [
        Item("conflict", "justice:J1", "police:P1", "c", "c"),
        Item("pair", "care:C1", "police:P1", "a", "b")]


def test_only_decisions_against_the_persons_count_as_changes() -> None:
    items = [Item("pair", "justice:J1", "police:P1", "p1", "p1"),   # same, one person: no
             Item("pair", "care:C1", "police:P1", "p2", "p1"),      # different, two: no
             Item("pair", "police:P2", "care:C1", "p3", "p2"),      # same, two persons: yes
             Item("pair", "care:C1", "police:P3", "p2", "p2")]      # different, one: yes
    decisions = [("justice:J1", "police:P1", "same"), ("care:C1", "police:P1", "different"),
                 ("police:P2", "care:C1", "same"), ("care:C1", "police:P3", "different")]
    assert changes(items, decisions) == 2


def test_the_random_draw_does_not_depend_on_the_queue_order() -> None:
    # the baseline must stay put while the order under test changes
    queue = [Item("pair", f"police:P{i:03}", f"care:C{i:03}") for i in range(200)]
    assert pick(queue, set(), 50, random.Random(7)) == pick(
        queue[::-1], set(), 50, random.Random(7))
