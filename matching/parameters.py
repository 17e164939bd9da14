"""A trained model's numbers apart from its SQL, so that one model runs on either engine.

Splink's saved model JSON keeps each level's SQL in the dialect that wrote it: a model trained
on DuckDB says `jaro_winkler_similarity(...)` and `list_contains(...)`, which Spark does not
know (`jaro_winkler`, `array_contains`). What training learns is numbers only: the prior
(probability that two random records match) and each level's m and u. `parameters_of` reads
them out of a saved model by comparison and level label; `engine_settings` puts them into the
settings that `matching.settings` builds for the engine that runs, so no DuckDB SQL ever reaches
Spark. The saved JSON stays the file format (existing models load as they are).

A model is only portable when it was trained on this code's definition: its comparisons,
levels and prediction rules, as DuckDB writes them, equal `matching.settings`'. An older model
whose levels or rules differ runs on DuckDB as saved (what it always did) and is refused on
Spark with a request to retrain.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from matching.blocking import rule_sql
from matching.settings import Dialect, settings_dict

# What a level is: a saved model's level must agree with the definition's on all of these.
# Not its term-frequency adjustment: training estimates m and u without it (u on random pairs,
# EM `estimate_without_term_frequencies`), and prediction replaces an exact match's u by the
# value's share of the run's own records, so a model saved before a level gained (or lost) the
# adjustment holds the same numbers; it runs with the definition's adjustments.
_LEVEL_SHAPE = ("sql_condition", "label_for_charts", "is_null_level")
# What training learns per level.
_LEARNT = ("m_probability", "u_probability")
# Settings that are the definition's (per dialect), never copied from a saved model.
_DEFINED = ("comparisons", "blocking_rules_to_generate_predictions", "sql_dialect",
            "linker_uid")


class ForeignModel(Exception):
    """The model was trained on other comparisons or rules than this code defines."""

    safe_message = True


@dataclass(frozen=True)
class Parameters:
    """The learnt numbers of a model: the prior and, per comparison, each level's label with
    its m and u (None where training left them out), in the definition's order."""

    prior: float
    levels: dict[str, tuple[tuple[str, float | None, float | None], ...]]


def parameters_of(model: dict[str, Any]) -> Parameters:
    """The learnt numbers of a saved model (Splink's settings dictionary)."""
    return Parameters(
        prior=float(model["probability_two_random_records_match"]),
        levels={c["output_column_name"]: tuple(
                    (lv.get("label_for_charts", ""), lv.get("m_probability"),
                     lv.get("u_probability")) for lv in c["comparison_levels"])
                for c in model["comparisons"]})


def _shape(levels: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [tuple(lv.get(key) for key in _LEVEL_SHAPE) for lv in levels]


def trained_on_definition(model: dict[str, Any]) -> bool:
    """True when the model's comparisons, levels and prediction rules are this code's, as
    DuckDB writes them: its numbers then belong to the definition's levels one by one."""
    defined = settings_dict("duckdb")
    ours = {c["output_column_name"]: _shape(c["comparison_levels"])
            for c in defined["comparisons"]}
    theirs = {c["output_column_name"]: _shape(c["comparison_levels"])
              for c in model["comparisons"]}
    rules = [rule_sql(r) for r in model["blocking_rules_to_generate_predictions"]]
    return ours == theirs and rules == [rule_sql(r) for r in
                                        defined["blocking_rules_to_generate_predictions"]]


def with_parameters(defined: dict[str, Any], parameters: Parameters) -> dict[str, Any]:
    """`defined` (a settings dictionary of the definition) with the learnt numbers set."""
    settings = copy.deepcopy(defined)
    settings["probability_two_random_records_match"] = parameters.prior
    for comparison in settings["comparisons"]:
        learnt = parameters.levels[comparison["output_column_name"]]
        for level, (label, m, u) in zip(comparison["comparison_levels"], learnt, strict=True):
            if level.get("label_for_charts", "") != label:
                raise ForeignModel(f"comparison {comparison['output_column_name']}: the model's "
                                   "levels are not this code's; retrain (`foto train`)")
            for key, value in zip(_LEARNT, (m, u), strict=True):
                if value is not None:
                    level[key] = value
    return settings


def engine_settings(model: dict[str, Any], dialect: Dialect) -> dict[str, Any]:
    """The settings Splink runs `model` with on `dialect`: the definition's comparisons and
    rules in that dialect, the model's learnt numbers and its options (what predict retains,
    column prefixes). A model trained on another definition runs on DuckDB as saved."""
    if not trained_on_definition(model):
        if dialect == "duckdb":
            return model
        raise ForeignModel("the model was trained on other comparisons or blocking rules than "
                           f"this code defines, so it cannot be moved to {dialect}: retrain "
                           "(`foto train`) and run again")
    settings = with_parameters(settings_dict(dialect), parameters_of(model))
    for key, value in model.items():
        if key not in _DEFINED and key != "probability_two_random_records_match":
            settings[key] = copy.deepcopy(value)
    return settings
