"""A level that agrees at a coarser resolution (a year against a full birth date) weighs what
agreement at that resolution is worth (`matching.resolution`), not how often the training pairs
hold a partial value. Counted by real DuckDB, checked against the pairs themselves."""

from __future__ import annotations

import copy
import itertools
import json
import math
import random

import duckdb
import pyarrow as pa
import pytest

from matching.models import bundled_model
from matching.resolution import agreement_by_chance, weigh_by_resolution
from matching.settings import COARSER_LEVELS

DOB_COLUMNS = ("dob_year", "dob_month", "dob_day")


def _dates(n: int, seed: int) -> pa.Table:
    """`n` birth dates over a few years, some without day, month or year."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        year = rng.choice([1959, 1960, 1961, None])
        month, day = rng.randint(1, 3), rng.randint(1, 4)
        shape = rng.random()
        if shape < 0.2:
            month, day = None, None         # 'born 1959'
        elif shape < 0.3:
            day = None                      # 'March 1960'
        elif shape < 0.35:
            month = None                    # a day without a month: still compared as stated
        rows.append((year, month, day))
    return pa.table({c: [r[i] for r in rows] for i, c in enumerate(DOB_COLUMNS)})


def _by_pairs(table: pa.Table) -> tuple[float, int]:
    """The chance counted pair by pair: ordered pairs of two different records, the first
    stating the date in part, both stating the year; agreeing on all that both state."""
    rows = list(zip(*(table.column(c).to_pylist() for c in DOB_COLUMNS), strict=True))
    agree = pairs = 0
    for a, b in itertools.permutations(rows, 2):
        if a[0] is None or b[0] is None or (a[1] is not None and a[2] is not None):
            continue
        pairs += 1
        agree += all(x is None or y is None or x == y for x, y in zip(a, b, strict=True))
    return agree / pairs, pairs


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_chance_agreement_is_what_the_pairs_themselves_give(seed: int) -> None:
    table = _dates(160, seed)
    with duckdb.connect() as con:
        counted = agreement_by_chance(con, table, DOB_COLUMNS)
    assert counted is not None
    chance, pairs = counted
    expected, expected_pairs = _by_pairs(table)
    assert pairs == expected_pairs
    assert chance == pytest.approx(expected, rel=1e-12)


def test_without_a_partial_value_there_is_nothing_to_count() -> None:
    whole = pa.table({"dob_year": [1959, 1960], "dob_month": [1, 2], "dob_day": [3, 4]})
    with duckdb.connect() as con:
        assert agreement_by_chance(con, whole, DOB_COLUMNS) is None


def _weights(model: dict) -> dict[str, float]:
    dob = next(c for c in model["comparisons"] if c["output_column_name"] == "dob")
    return {lv["label_for_charts"]: math.log2(lv["m_probability"] / lv["u_probability"])
            for lv in dob["comparison_levels"] if lv.get("m_probability")}


def _u_total(model: dict) -> float:
    dob = next(c for c in model["comparisons"] if c["output_column_name"] == "dob")
    return sum(lv.get("u_probability") or 0.0 for lv in dob["comparison_levels"])


@pytest.mark.parametrize("m_partial", [0.002, 0.02, 0.2])
def test_a_coarser_level_weighs_its_resolution_whatever_its_learnt_m(m_partial: float) -> None:
    """However often training saw a partial date among its matches (its m), a consistent one
    weighs log2(m of the exact level / chance agreement); the comparison's u still sums to
    what it did, and no other level's weight moves but 'disagree'."""
    model = json.loads(bundled_model().path.read_text(encoding="utf-8"))
    dob = next(c for c in model["comparisons"] if c["output_column_name"] == "dob")
    levels = {lv["label_for_charts"]: lv for lv in dob["comparison_levels"]}
    levels["consistent partial birth date"]["m_probability"] = m_partial
    before = copy.deepcopy(model)
    table = _dates(400, 9)
    with duckdb.connect() as con:
        changed = weigh_by_resolution(model, con, table)
        chance, _ = agreement_by_chance(con, table, DOB_COLUMNS)
    m_exact = levels["same birth date"]["m_probability"]
    after = _weights(model)
    assert after["consistent partial birth date"] == pytest.approx(math.log2(m_exact / chance))
    assert changed["dob: consistent partial birth date"]["bits"] == pytest.approx(
        after["consistent partial birth date"])
    assert _u_total(model) == pytest.approx(_u_total(before))
    unchanged = {k: v for k, v in _weights(before).items()
                 if k not in ("consistent partial birth date", "disagree")}
    assert unchanged == {k: after[k] for k in unchanged}


def test_the_bundled_model_weighs_a_consistent_year_by_the_samples_years(
        sample_records: pa.Table) -> None:
    """The model shipped with the code was trained with this rule: its coarser levels weigh
    log2(m exact / chance) for the chance counted on the sample it was trained on."""
    model = json.loads(bundled_model().path.read_text(encoding="utf-8"))
    for name, coarser in COARSER_LEVELS.items():
        comparison = next(c for c in model["comparisons"] if c["output_column_name"] == name)
        levels = {lv["label_for_charts"]: lv for lv in comparison["comparison_levels"]}
        for label, (exact, columns) in coarser.items():
            with duckdb.connect() as con:
                counted = agreement_by_chance(con, sample_records, columns)
            assert counted is not None
            weight = math.log2(levels[label]["m_probability"] / levels[label]["u_probability"])
            assert weight == pytest.approx(
                math.log2(levels[exact]["m_probability"] / counted[0]), abs=0.01)
