"""`foto train` at scale (issue 18): EM on a bounded, hashed sample of each training rule's
pairs, the same model from the same delivery, and the blocking check without materialising
candidate pairs, each on the bundled sample with real Splink and DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from splink import DuckDBAPI, SettingsCreator
from splink.blocking_analysis import count_comparisons_from_blocking_rules

from config import load_config
from matching import settings as model_settings
from matching.blocking_check import bsn_anchored_blocking_check
from matching.linker import MODEL_COLUMNS, make_linker
from matching.train import train_model
from matching.train_sample import SAMPLE_COLUMN, sample_column, sample_pairs


@pytest.fixture(scope="module")
def records(sample_records: pa.Table) -> pa.Table:
    return sample_records


def _training(em_max_pairs: float):
    return load_config().matching.training.model_copy(
        update={"em_max_pairs": em_max_pairs, "u_max_pairs": 200_000.0})


def _dob_pairs(records: pa.Table) -> int:
    con = duckdb.connect()
    con.register("r", records.select(["dob"]))
    return int(con.sql("SELECT sum(n * (n - 1) // 2) FROM (SELECT count(*) AS n FROM r "
                       "WHERE dob IS NOT NULL GROUP BY dob)").fetchall()[0][0])


def test_a_retrain_on_the_same_delivery_writes_the_same_model(
        records: pa.Table, tmp_path: Path) -> None:
    bound = _dob_pairs(records) // 4   # the birth-date rule is sampled
    first = train_model(records, tmp_path / "a.json", {}, _training(bound))
    second = train_model(records, tmp_path / "b.json", {}, _training(bound))
    assert first["em_sample"][1]["sampled_pairs"] < first["em_sample"][1]["pairs"]
    assert first["em_sample"] == second["em_sample"]
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


@pytest.mark.parametrize("share", [0.5, 0.1, 0.02])
def test_em_sees_no_more_pairs_than_the_bound(records: pa.Table, share: float) -> None:
    """The pairs the sampled rule makes, counted by Splink itself, are those `sample_pairs`
    counted and never more than the bound; far below it they are not."""
    table = records.append_column(SAMPLE_COLUMN, sample_column(records, seed=5))
    pairs = _dob_pairs(records)
    bound = int(pairs * share)
    sample = sample_pairs(table, ("dob",), bound)
    assert sample.pairs == pairs
    assert 0.9 * bound <= sample.sampled_pairs <= bound
    counted = count_comparisons_from_blocking_rules(
        DuckDBAPI().register(table.select([*MODEL_COLUMNS, SAMPLE_COLUMN])),
        blocking_rules=[sample.rule_sql()], link_type="dedupe_only",
        record_sample_proportion=1.0)
    assert counted[-1]["cumulative_comparison_count"] == sample.sampled_pairs


def test_a_rule_within_the_bound_is_used_whole(records: pa.Table) -> None:
    table = records.append_column(SAMPLE_COLUMN, sample_column(records, seed=5))
    sample = sample_pairs(table, ("bsn",), 10**9)
    assert sample.sampled_pairs == sample.pairs > 0 and sample.threshold is None
    assert sample.rule_sql() == 'l."bsn" = r."bsn"'


def test_the_sample_is_chosen_by_hash_not_by_row_order(records: pa.Table) -> None:
    """Reversed rows get each record the same number (by its id), so the same pairs."""
    forward = sample_column(records, seed=5).to_pylist()
    backward = sample_column(records.take(list(range(records.num_rows - 1, -1, -1))), seed=5)
    assert backward.to_pylist()[::-1] == forward
    assert sample_column(records, seed=6).to_pylist() != forward


def test_blocking_check_equals_the_materialised_candidate_pairs(records: pa.Table) -> None:
    """Against the check as it was: Splink's candidate pairs built in full, joined to the pairs
    sharing a BSN."""
    rules = model_settings.BLOCKING_RULES_FOR_PREDICTION
    pairs = {}
    for name, chosen in (("all", rules),
                         ("without_bsn", [r for r in rules
                                          if r is not model_settings.BSN_BLOCKING_RULE])):
        settings = SettingsCreator(link_type="dedupe_only", unique_id_column_name="unique_id",
                                   comparisons=model_settings.COMPARISONS,
                                   blocking_rules_to_generate_predictions=chosen)
        pairs[name] = make_linker(records, settings).inference \
            .compute_blocked_pairs_for_predict().as_pyarrow_table()
    def as_pairs(blocked: pa.Table) -> set[tuple[str, str]]:
        return {(min(a, b), max(a, b)) for a, b in zip(
            blocked.column("join_key_l").to_pylist(), blocked.column("join_key_r").to_pylist(),
            strict=True)}

    by_bsn: dict[str, list[str]] = {}
    for uid, bsn in zip(records.column("unique_id").to_pylist(),
                        records.column("bsn").to_pylist(), strict=True):
        if bsn is not None:
            by_bsn.setdefault(bsn, []).append(uid)
    anchored = {(a, b) for ids in by_bsn.values() for a in ids for b in ids if a < b}
    found = len(anchored & as_pairs(pairs["without_bsn"]))
    check = bsn_anchored_blocking_check(records)
    assert anchored and found
    assert check["bsn_pairs"] == len(anchored)
    assert check["recall_without_bsn"] == round(found / len(anchored), 4)
    assert check["candidate_pairs"] == pairs["all"].num_rows
