"""A shared birth date weighs by how common that date is among the run's own records.

The bundled model learnt its u for 'same birth date' on its training delivery; a region whose
birth dates are spread otherwise (a cohort, a registry's 1 January for an unknown day, or just
another population) would be scored with the training delivery's spread. With the term
frequency adjustment (`matching.settings`, applied at prediction) an exact match's u is the
date's share of the run's records, as for names and postcodes. Real Splink on the bundled
sample, and on the sample with one date made common.
"""

from __future__ import annotations

import math

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from config import Thresholds, load_config
from matching.models import bundled_model
from matching.predict import model_for_size, predict_and_cluster

SAME_DATE = 5   # gamma of 'same birth date' (`matching.explain.comparison_levels`)


def _dob_weights(records: pa.Table) -> dict[tuple[str, str], float]:
    """(l, r) -> the birth date's weight (level and term frequency) of every candidate pair
    that shares a full birth date, scored down to a very low probability."""
    model = model_for_size(bundled_model().path, records.num_rows)
    pairs = predict_and_cluster(records, model, Thresholds(version=1, link=0.7, review=1e-12),
                                load_config().matching.blocking).pairs
    pairs = pairs.filter(pc.equal(pairs["gamma_dob"], SAME_DATE))
    return {(a, b): w + (t or 0.0) for a, b, w, t in zip(
        pairs["unique_id_l"].to_pylist(), pairs["unique_id_r"].to_pylist(),
        pairs["mw_dob"].to_pylist(), pairs["mw_tf_adj_dob"].to_pylist(), strict=True)}


def _same_date_m() -> float:
    model = model_for_size(bundled_model().path, 1)
    return next(lv["m_probability"] for c in model["comparisons"]
                if c["output_column_name"] == "dob" for lv in c["comparison_levels"]
                if lv.get("label_for_charts") == "same birth date")


def test_a_shared_birth_date_weighs_log2_m_over_its_share_of_the_records(
        sample_records: pa.Table) -> None:
    dates = sample_records.select(["unique_id", "dob"]).to_pylist()
    date_of = {r["unique_id"]: r["dob"] for r in dates}
    known = sum(1 for r in dates if r["dob"] is not None)
    held: dict = {}
    for r in dates:
        held[r["dob"]] = held.get(r["dob"], 0) + 1
    weights = _dob_weights(sample_records)
    assert len(weights) > 1000
    m = _same_date_m()
    for (left, _right), weight in weights.items():
        share = held[date_of[left]] / known
        assert math.isclose(weight, math.log2(m / share), abs_tol=1e-6)
    # so a date few records hold says more than one many hold
    by_count: dict[int, set[float]] = {}
    for (left, _right), weight in weights.items():
        by_count.setdefault(held[date_of[left]], set()).add(round(weight, 6))
    counts = sorted(by_count)
    assert len(counts) >= 3
    assert all(min(by_count[a]) > max(by_count[b])
               for a, b in zip(counts, counts[1:], strict=False))


@pytest.fixture(scope="module")
def common_date(sample_records: pa.Table) -> tuple[pa.Table, str, str]:
    """The sample with one pair's birth date given to 300 more records (their names and all
    else kept): that date is now common in the run. Returns the records and the pair."""
    weights = _dob_weights(sample_records)
    left, right = min(weights)
    date = sample_records.filter(pc.equal(sample_records["unique_id"], left))["dob"][0]
    others = [uid for uid in sample_records["unique_id"].to_pylist()
              if uid not in (left, right)][:300]
    chosen = pc.is_in(sample_records["unique_id"], pa.array(others))
    dob = pc.if_else(chosen, date, sample_records["dob"])
    changed = sample_records.set_column(sample_records.schema.get_field_index("dob"), "dob", dob)
    return changed, left, right


def test_a_birth_date_many_records_hold_weighs_less(sample_records: pa.Table,
                                                     common_date: tuple) -> None:
    changed, left, right = common_date
    before = _dob_weights(sample_records)[(left, right)]
    after = _dob_weights(changed)[(left, right)]
    # 300 more holders of the date: its share rises to about 300 / 5,882
    assert after < before - 4
