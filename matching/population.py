"""A trained model moved to the size of the region it scores.

Training learns the prior (the chance that two random records are one person) and each level's
u (the chance that two random records agree that way) on the training delivery. Two of these
depend on how many records the region holds:

- **The prior.** A person has about the same number of records whatever the region's size, so
  true pairs grow with n and all pairs with n squared: the prior falls like 1 / n. Without
  scaling it, a model trained on a small delivery over-links a large one, where namesakes are
  many.
- **u of an identifier whose pool grows with the region** (`matching.settings.POPULATION_LEVELS`:
  the same valid BSN, the same postcode and house number). A region of ten times the people has
  ten times the BSNs and dwellings, each still held by one person or one household, so two
  random records share one ten times less often: u falls like 1 / n as well. Left at the
  training delivery's value, sharing a dwelling counts for log2(n / n_train) bits too little,
  exactly the bits the prior took away: a pair of records that agree on a first name and an
  address (a care report without surname or birth date) was linked at 10,000 persons and no
  longer at 100,000 (`benchmarks/missed_pairs.py`, docs/scale.md "Recall as the population
  grows"). Names and birth dates are drawn from pools that do not grow with the region; their u
  is left as trained, so the evidence they give weakens as namesakes become more common, which
  is right.

The factor for both is (n_train - 1) / (n - 1), the ratio of the pairs per record.
"""

from __future__ import annotations

from typing import Any

from matching.settings import POPULATION_LEVELS

# u of a scaled level never rises above this (a run far smaller than its training delivery,
# e.g. scoring a handful of records): agreement then still counts as evidence for a match.
MAX_SCALED_U = 0.5


def for_population(model: dict[str, Any], trained_on: int, records: int) -> dict[str, Any]:
    """`model` (Splink's settings dictionary, changed in place and returned) with its prior and
    the u of `POPULATION_LEVELS` scaled from `trained_on` records to `records`. What a scaled
    level's u gives up or takes goes to the comparison's 'disagree' level, so that each
    comparison's u still sums to one."""
    if not trained_on or records <= 1 or trained_on <= 1:
        return model
    factor = (trained_on - 1) / (records - 1)
    model["probability_two_random_records_match"] *= factor
    for comparison in model["comparisons"]:
        labels = POPULATION_LEVELS.get(comparison.get("output_column_name", ""), ())
        levels = comparison["comparison_levels"]
        disagree = next((lv for lv in levels if lv.get("label_for_charts") == "disagree"
                         and lv.get("u_probability") is not None), None)
        for level in levels:
            u = level.get("u_probability")
            if level.get("label_for_charts") not in labels or u is None:
                continue
            scaled = min(u * factor, MAX_SCALED_U)
            level["u_probability"] = scaled
            if disagree is not None:
                disagree["u_probability"] = max(disagree["u_probability"] + u - scaled, 0.0)
    return model
