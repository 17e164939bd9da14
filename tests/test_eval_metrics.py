"""`make eval`'s blocking figures, counted without materialising the candidate pairs, agree
with the pairs Splink itself makes.

Why: at a million records the candidate pairs are tens of millions of rows; the evaluation
decides which true pairs are candidates by evaluating the rules on the true pairs only and
takes the candidate count from Splink's blocking analysis. That shortcut is only worth
anything if it gives exactly Splink's candidate set, so it is checked against Splink's own
materialised pairs on the bundled sample.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import pytest
from splink import DuckDBAPI, Linker

from benchmarks.metrics import blocking_recall_of
from matching.linker import MODEL_COLUMNS
from matching.settings import settings

SAMPLE = Path(__file__).resolve().parents[1] / "data/sample"


@pytest.fixture(scope="module")
def records(sample_records):
    return sample_records


def test_blocking_figures_equal_those_of_splinks_materialised_pairs(records) -> None:
    truth = SAMPLE / "truth.parquet"
    figures = blocking_recall_of(records, truth)
    linker = Linker(DuckDBAPI().register(records.select(MODEL_COLUMNS)), settings(),
                    log_level=logging.WARNING)
    blocked = linker.inference.compute_blocked_pairs_for_predict().as_pyarrow_table()
    con = duckdb.connect()
    con.register("b", blocked)
    con.register("ids", records.select(["unique_id", "source", "record_id"]))
    con.execute(f"""CREATE TEMP TABLE k AS SELECT i.unique_id, t.person_key FROM ids i
                    JOIN read_parquet('{truth}') t USING (source, record_id)""")
    true_pairs, caught = con.sql("""
        WITH tp AS (SELECT a.unique_id AS l, b2.unique_id AS r FROM k a JOIN k b2
                    ON a.person_key = b2.person_key AND a.unique_id < b2.unique_id),
             cand AS (SELECT least(join_key_l, join_key_r) AS l,
                             greatest(join_key_l, join_key_r) AS r FROM b)
        SELECT (SELECT count(*) FROM tp), (SELECT count(*) FROM tp JOIN cand USING (l, r))
        """).fetchall()[0]
    assert figures["candidate_pairs"] == blocked.num_rows
    assert sum(figures["comparisons_per_rule"]) == blocked.num_rows
    assert figures["missed_pairs"] == true_pairs - caught
    assert figures["blocking_recall"] == pytest.approx(caught / true_pairs)
    # the evident pairs are a part of the true pairs, and missing one is counted among them
    assert 0 < figures["evident_pairs"] <= true_pairs
    assert figures["missed_evident_pairs"] <= figures["missed_pairs"]
    assert figures["missed_pairs"] == (figures["missed_evident_pairs"]
                                       + figures["missed_sharing_no_value"]
                                       + figures["missed_sharing_first_name_only"])
