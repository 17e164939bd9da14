"""The linkage gate blocks a chain of look-alikes, not a large person who has no BSN.

Many offenders who live outside the region's BRP are known to the police by name and birth date
only, so a person of many records without a BSN is ordinary. What may not be published is a
"person" whose records are joined one to the next, each pair alike, the ends strangers.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from config import load_config
from expectations.suites import linkage_suite

LIMITS = load_config().gate.linkage

Persons = dict[str, tuple[int, list[tuple[int, int]]]]


def _linkage_tables(persons: Persons) -> duckdb.DuckDBPyConnection:
    """A warehouse with the tables the linkage suite reads: per person its record count and
    the record pairs (by index) that were linked."""
    records, pairs = [], []
    for person_id, (n, links) in persons.items():
        records += [{"person_id": person_id, "unique_id": f"police:{person_id}-{i}",
                     "role": "verdachte", "bsn": None} for i in range(n)]
        pairs += [{"unique_id_l": f"police:{person_id}-{a}",
                   "unique_id_r": f"police:{person_id}-{b}",
                   "decision": "link", "match_probability": 0.99} for a, b in links]
    con = duckdb.connect()
    con.register("r", pd.DataFrame(records))
    con.register("p", pd.DataFrame(pairs))
    con.execute("CREATE TABLE std_persons AS SELECT unique_id, CAST(bsn AS VARCHAR) AS bsn FROM r")
    con.execute("CREATE TABLE person_records AS SELECT person_id, unique_id, role FROM r")
    con.execute("CREATE TABLE match_pairs AS SELECT * FROM p")
    con.execute("CREATE VIEW review_pairs AS SELECT * FROM match_pairs WHERE decision = 'review'")
    return con


def _all_pairs(n: int) -> list[tuple[int, int]]:
    return [(a, b) for a in range(n) for b in range(a + 1, n)]


def _outcome(result, metric: str):
    return next(o for o in result.outcomes if o.rule.metric == metric)


def test_a_large_person_without_bsn_whose_records_agree_is_published() -> None:
    result = linkage_suite(_linkage_tables({"P1": (40, _all_pairs(40))}), LIMITS)
    assert _outcome(result, "loosely_linked_persons").observed == 0
    assert result.passed, result.summary()


def test_records_joined_one_to_the_next_block_publication() -> None:
    n = LIMITS.chaining.min_records + 2
    chain = [(i, i + 1) for i in range(n - 1)]
    result = linkage_suite(
        _linkage_tables({"P1": (40, _all_pairs(40)), "P2": (n, chain)}), LIMITS)
    outcome = _outcome(result, "loosely_linked_persons")
    assert outcome.observed == 1
    assert not result.passed
    assert "person_records.loosely_linked_persons = 1" in result.summary()


def test_a_small_person_is_not_judged_by_its_pairs() -> None:
    """Below the size where a share of pairs means something, a chain of three is no alarm
    (attach and the constraints deal with small persons)."""
    result = linkage_suite(_linkage_tables({"P1": (3, [(0, 1), (1, 2)])}), LIMITS)
    assert _outcome(result, "loosely_linked_persons").observed == 0


@pytest.mark.parametrize("copies", [30, 2000])
def test_copies_of_one_row_linked_through_one_of_them_are_no_chain(copies: int) -> None:
    """A suspect repeated under new record ids is compared once: each copy is linked to the
    representative only (`identity_duplicates`), not to every other copy. Copies count as one
    record, so the person is judged by its distinct records, and is published."""
    n = copies + 1
    con = _linkage_tables({"P1": (n, [(0, i) for i in range(1, n)])})
    con.execute("CREATE TABLE identity_duplicates AS SELECT unique_id, "
                "'police:P1-0' AS representative, ? AS identity_rows FROM person_records",
                [n])
    result = linkage_suite(con, LIMITS)
    assert _outcome(result, "loosely_linked_persons").observed == 0
    assert result.passed, result.summary()


def test_copies_do_not_hide_a_chain_among_distinct_records() -> None:
    """A chain of twelve distinct look-alikes, one of them repeated 40 times, still blocks."""
    n = LIMITS.chaining.min_records + 2
    chain = [(i, i + 1) for i in range(n - 1)] + [(0, n + j) for j in range(40)]
    con = _linkage_tables({"P1": (n + 40, chain)})
    con.execute("CREATE TABLE identity_duplicates AS SELECT unique_id, 'police:P1-0' AS "
                "representative, 41 AS identity_rows FROM person_records "
                "WHERE unique_id = 'police:P1-0' OR CAST(split_part(unique_id, '-', 2) "
                f"AS INTEGER) >= {n}")
    result = linkage_suite(con, LIMITS)
    assert _outcome(result, "loosely_linked_persons").observed == 1
