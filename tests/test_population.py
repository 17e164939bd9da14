"""A model scores the same evidence alike in a region of any size (`matching.population`).

The prior falls like 1 / records; so does the chance that two random records share a valid BSN
or a dwelling, whose pools grow with the region. A pair that shares one of those must keep its
weight when the region grows a hundredfold; a pair that agrees on names and a birth date only
must lose the prior's bits (namesakes become more common). Real Splink on the bundled sample,
scored with the model sized for the sample and for a region of 100 times its records.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from config import Thresholds, load_config
from matching.explain import comparison_levels
from matching.models import bundled_model
from matching.population import for_population
from matching.predict import model_for_size, predict_and_cluster
from matching.thresholds import load_thresholds

GROWTH = 100


@pytest.fixture(scope="module")
def records(sample_records: pa.Table) -> pa.Table:
    """The bundled sample delivery read and standardised (std_persons)."""
    return sample_records


def _dwelling_levels() -> set[int]:
    """The address levels (gamma) at which two records share a dwelling."""
    levels = comparison_levels(json.loads(bundled_model().path.read_text(encoding="utf-8")))
    return {int(g) for g, label in zip(levels["gamma"], levels["label"], strict=True)
            if label.startswith("same dwelling")}


def _scored(records: pa.Table, region: int) -> dict[tuple[str, str], tuple[float, int, int]]:
    """Every candidate pair down to a very low probability, scored with the model sized for
    `region` records: (l, r) -> (match weight, BSN level, address level)."""
    link = load_thresholds().link
    model = model_for_size(bundled_model().path, region)
    result = predict_and_cluster(records, model,
                                 Thresholds(version=1, link=link, review=1e-12),
                                 load_config().matching.blocking)
    p = result.pairs
    return {(a, b): (w, gb, ga) for a, b, w, gb, ga in zip(
        p["unique_id_l"].to_pylist(), p["unique_id_r"].to_pylist(),
        p["match_weight"].to_pylist(), p["gamma_bsn"].to_pylist(),
        p["gamma_address"].to_pylist(), strict=True)}


@pytest.fixture(scope="module")
def scored(records: pa.Table) -> tuple[dict, dict]:
    n = records.num_rows
    return _scored(records, n), _scored(records, GROWTH * n)


def test_a_shared_bsn_or_dwelling_weighs_the_same_in_a_region_a_hundred_times_larger(
        records: pa.Table, scored: tuple[dict, dict]) -> None:
    small, large = scored
    n = records.num_rows
    prior_bits = math.log2((GROWTH * n - 1) / (n - 1))          # what the prior loses: 6.6
    shared, names_only = [], []
    dwelling_levels = _dwelling_levels()
    for pair, (w_small, bsn, address) in small.items():
        if pair not in large:
            continue
        same_bsn, same_dwelling = bsn == 1, address in dwelling_levels
        delta = large[pair][0] - w_small
        if same_bsn != same_dwelling:           # exactly one identifier shared
            shared.append(delta)
        elif not same_bsn and w_small > 0:      # neither: names, dates, a postcode
            names_only.append(delta)
    assert len(shared) > 100 and len(names_only) > 100
    # one shared BSN or dwelling makes up for the prior: the weight barely moves (the other
    # levels' u are not scaled; a 'disagree' level's u changes by less than 0.1%)
    assert max(abs(d) for d in shared) < 0.05
    # evidence from names and dates alone weakens by the prior's bits (logit near 0 or 1 is
    # the prior's log-odds, not its log: hence the small tolerance)
    assert all(abs(d + prior_bits) < 0.05 for d in names_only)


def test_pairs_linked_on_a_shared_dwelling_stay_linked_as_the_region_grows(
        scored: tuple[dict, dict]) -> None:
    small, large = scored
    link = math.log2(load_thresholds().link / (1 - load_thresholds().link))
    dwelling = [pair for pair, (w, bsn, address) in small.items()
                if address in _dwelling_levels() and bsn != 1 and w >= link]
    assert len(dwelling) > 50
    assert all(large[pair][0] >= link for pair in dwelling)


def test_scaled_u_leaves_each_comparison_summing_to_one() -> None:
    model = model_for_size(bundled_model().path, 1_000)   # smaller than the training delivery
    bigger = for_population(model_for_size(bundled_model().path, 1_000), 1_000, 1_000_000)
    for m in (model, bigger):
        for comparison in m["comparisons"]:
            us = [lv["u_probability"] for lv in comparison["comparison_levels"]
                  if lv.get("u_probability") is not None]
            assert math.isclose(sum(us), 1.0, abs_tol=1e-9)
            assert all(0 <= u <= 1 for u in us)


# Levels whose u the sample's own matches inflated most, as (comparison, label, columns that
# must agree, column that must be known on both sides).
RARE_AGREEMENTS = [("dob", "same birth date", ("dob",), "dob_year"),
                   ("bsn", "same BSN", ("bsn",), "bsn"),
                   ("address", "same dwelling, same surname",
                    ("postcode", "huisnummer", "surname"), "postcode")]


def test_u_is_that_of_non_matches_not_of_a_sample_holding_matches(records: pa.Table) -> None:
    """The bundled model's u was estimated on random pairs of the sample delivery, matches
    included. Measured on the sample with its truth, the share of pairs of two different
    persons that agree at a rare level is closer to the model's u as scored than to the u
    saved in the model file."""
    truth = Path(__file__).resolve().parents[1] / "data/sample/truth.parquet"
    con = duckdb.connect()
    con.register("std", records)
    con.execute(f"""CREATE TABLE k AS SELECT s.*, t.person_key FROM std s
                    JOIN read_parquet('{truth}') t USING (source, record_id)""")
    raw = json.loads(bundled_model().path.read_text(encoding="utf-8"))
    scored = model_for_size(bundled_model().path, records.num_rows)

    def u_of(model: dict, comparison: str, label: str) -> float:
        return next(lv["u_probability"] for c in model["comparisons"]
                    if c["output_column_name"] == comparison
                    for lv in c["comparison_levels"] if lv.get("label_for_charts") == label)

    for comparison, label, columns, known in RARE_AGREEMENTS:
        agree = " AND ".join(f"a.{c} = b.{c}" for c in columns)
        non_match = con.sql(f"""
            SELECT count(*) FILTER (WHERE {agree})::DOUBLE / count(*) FROM k a JOIN k b
            ON a.unique_id < b.unique_id AND a.person_key <> b.person_key
            WHERE a.{known} IS NOT NULL AND b.{known} IS NOT NULL""").fetchall()[0][0]
        before, after = u_of(raw, comparison, label), u_of(scored, comparison, label)
        assert after < before, label
        assert abs(after - non_match) < abs(before - non_match) / 1.5, (label, non_match)
