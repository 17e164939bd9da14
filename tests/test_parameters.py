"""One model on either engine: the trained numbers move, the DuckDB SQL stays behind."""

from __future__ import annotations

import copy
import json
import re

import pytest

from matching.models import bundled_model
from matching.parameters import (
    ForeignModel,
    engine_settings,
    parameters_of,
    trained_on_definition,
)
from matching.settings import DIALECTS, settings_dict

# Functions only DuckDB knows: none may reach Spark's settings.
DUCKDB_ONLY = re.compile(r"jaro_winkler_similarity|list_contains|strpos|\"")


def _saved() -> dict:
    return json.loads(bundled_model().path.read_text(encoding="utf-8"))


def _sql(settings: dict) -> list[str]:
    return ([lv["sql_condition"] for c in settings["comparisons"]
             for lv in c["comparison_levels"]]
            + [r["blocking_rule"] for r in settings["blocking_rules_to_generate_predictions"]])


def test_the_bundled_model_was_trained_on_this_definition():
    assert trained_on_definition(_saved())


def test_a_duckdb_model_on_spark_carries_its_numbers_and_no_duckdb_sql():
    saved = _saved()
    spark = engine_settings(saved, "spark")
    assert not [s for s in _sql(spark) if DUCKDB_ONLY.search(s)]
    assert any("jaro_winkler(" in s for s in _sql(spark))
    assert parameters_of(spark) == parameters_of(saved)
    assert spark["retain_intermediate_calculation_columns"] == \
        saved["retain_intermediate_calculation_columns"]


def test_on_duckdb_the_built_settings_are_the_saved_model():
    saved = _saved()
    built = engine_settings(saved, "duckdb")
    assert _sql(built) == _sql(saved)
    assert parameters_of(built) == parameters_of(saved)


def test_each_dialect_has_every_level_and_rule_of_the_one_definition():
    shapes = {d: [(c["output_column_name"], [lv["label_for_charts"] for lv in
                   c["comparison_levels"]]) for c in settings_dict(d)["comparisons"]]
              for d in DIALECTS}
    assert shapes["duckdb"] == shapes["spark"]
    assert len({len(settings_dict(d)["blocking_rules_to_generate_predictions"])
                for d in DIALECTS}) == 1


def test_a_model_of_other_levels_runs_on_duckdb_as_saved_and_is_refused_on_spark():
    other = _saved()
    other["comparisons"][2]["comparison_levels"][4]["sql_condition"] = \
        "jaro_winkler_similarity(surname_l, surname_r) >= 0.95"
    assert not trained_on_definition(other)
    assert engine_settings(copy.deepcopy(other), "duckdb") == other
    with pytest.raises(ForeignModel, match="retrain"):
        engine_settings(other, "spark")


def test_term_frequency_adjustments_are_the_definitions_not_the_saved_models():
    """A model saved before a level gained its term-frequency adjustment (as `person_v3` was
    before the birth date's: here the bundled model with that adjustment taken out) holds the
    same numbers: it is still this definition's model and runs, on either engine, with the
    definition's adjustments."""
    saved = _saved()
    dob = next(c for c in saved["comparisons"] if c["output_column_name"] == "dob")
    same_date = next(lv for lv in dob["comparison_levels"]
                     if lv["label_for_charts"] == "same birth date")
    for key in ("tf_adjustment_column", "tf_adjustment_weight"):
        same_date.pop(key, None)                       # as saved before the level had it
    assert trained_on_definition(saved)
    for dialect in DIALECTS:
        built = engine_settings(copy.deepcopy(saved), dialect)
        adjusted = {(c["output_column_name"], lv["label_for_charts"]):
                    lv.get("tf_adjustment_column") for c in built["comparisons"]
                    for lv in c["comparison_levels"] if lv.get("tf_adjustment_column")}
        assert adjusted[("dob", "same birth date")] == "dob"
        assert parameters_of(built) == parameters_of(saved)
