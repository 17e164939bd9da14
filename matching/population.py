"""A trained model moved to the size of the region it scores.

Training learns the prior (the chance that two random records are one person) and each level's
u (the chance that two random records agree that way) on the training delivery. Two of these
depend on how many records the region holds:

- **The prior.** A person has about the same number of records whatever the region's size, so
  true pairs grow with n and all pairs with n squared: the prior falls like 1 / n. Without
  scaling it, a model trained on a small delivery over-links a large one, where namesakes are
  many.
- **u of an identifier whose pool grows with the region** (`matching.settings.POPULATION_LEVELS`:
  the same valid BSN, the same dwelling with or without a shared surname). A region of ten
  times the people has ten times the BSNs and dwellings, each still held by one person or one
  household, so two random records share one ten times less often: u falls like 1 / n as well.
  Left at the
  training delivery's value, sharing a dwelling counts for log2(n / n_train) bits too little,
  exactly the bits the prior took away: a pair of records that agree on a first name and an
  address (a care report without surname or birth date) was linked at 10,000 persons and no
  longer at 100,000 (`benchmarks/missed_pairs.py`, docs/scale.md "Recall as the population
  grows"). Names and birth dates are drawn from pools that do not grow with the region; their u
  is left as trained (an exact name or birth date weighs by its share of the run's own records
  anyway: a term-frequency adjustment, `matching.settings`), so the evidence they give weakens
  as namesakes become more common, which is right.

The factor for both is (n_train - 1) / (n - 1), the ratio of the pairs per record.

Before scaling, u is freed of the training delivery's own matches. Splink estimates u on a
random sample of pairs and takes them all for non-matches; a share `prior` of them are one
person, and they agree at a strong level with chance m. So the sample's agreement is
u_sample = prior * m + (1 - prior) * u, and u = (u_sample - prior * m) / (1 - prior). On a
small training delivery (the bundled model: 5,882 records, prior 1 / 2,437) that share is
most of what the sample shows at a rare level: the same birth date was counted 2.9 times as
common among non-matches as it is (u 6.0e-4 against 2.1e-4: 1.5 bits of a match's evidence
lost), the same BSN 60 times. A weight too low by a bit or two cost nothing at 10,000
persons, where a pair agreeing on a name and a birth date clears the threshold by many bits,
and became the margin at 100,000 and beyond, where the prior takes 3.3 bits more per tenfold.
"""

from __future__ import annotations

from typing import Any

from matching.settings import NEUTRAL_MISSING, POPULATION_LEVELS

# u of a scaled level never rises above this (a run far smaller than its training delivery,
# e.g. scoring a handful of records): agreement then still counts as evidence for a match.
MAX_SCALED_U = 0.5


def for_population(model: dict[str, Any], trained_on: int | None, records: int,
                   u_sample_pairs: float | None = None) -> dict[str, Any]:
    """`model` (Splink's settings dictionary, changed in place and returned) with u freed of the
    training delivery's matches (`without_sampled_matches`), then its prior and the u of
    `POPULATION_LEVELS` scaled from `trained_on` records to `records`. What a level's u gives
    up or takes goes to the comparison's 'disagree' level, so that each comparison's u still
    sums to one. `u_sample_pairs`: how many random pairs u was estimated on (the model's
    metadata), which bounds how small a u the sample can tell from zero."""
    if not trained_on or records <= 1 or trained_on <= 1:
        return model
    without_sampled_matches(model, 1.0 / (u_sample_pairs or trained_on * (trained_on - 1) / 2))
    missing_as_neutral(model)
    factor = (trained_on - 1) / (records - 1)
    model["probability_two_random_records_match"] *= factor
    for comparison in model["comparisons"]:
        labels = POPULATION_LEVELS.get(comparison.get("output_column_name", ""), ())
        for level in comparison["comparison_levels"]:
            u = level.get("u_probability")
            if level.get("label_for_charts") in labels and u is not None:
                set_u(comparison, level, min(u * factor, MAX_SCALED_U))
    return model


def without_sampled_matches(model: dict[str, Any], min_u: float) -> None:
    """Each agreeing level's u as it is among non-matches: u_sample less the matches a random
    sample holds (the model's prior times the level's m), never below `min_u` (one pair of the
    sample: a smaller u is not something the sample could have shown)."""
    prior = float(model["probability_two_random_records_match"])
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            u, m = level.get("u_probability"), level.get("m_probability")
            if u is None or m is None or level.get("label_for_charts") == "disagree":
                continue
            set_u(comparison, level, max((u - prior * m) / (1.0 - prior), min(u, min_u)))


def missing_as_neutral(model: dict[str, Any]) -> None:
    """Each level of `NEUTRAL_MISSING` weighs as the levels it stands in for together: its u
    set to m * (their u / their m), so that its m / u is theirs (and the whole group's, itself
    included, stays the same). A level reached only
    where one record lacks a value is otherwise learnt on the pairs of the sources that lack it,
    and would weigh which sources a pair comes from rather than the evidence it holds."""
    for comparison in model["comparisons"]:
        neutral = NEUTRAL_MISSING.get(comparison.get("output_column_name", ""), {})
        levels = {lv.get("label_for_charts"): lv for lv in comparison["comparison_levels"]}
        for label, group in neutral.items():
            members = [levels.get(g) for g in group]
            if label not in levels or any(lv is None or not lv.get("m_probability")
                                          or not lv.get("u_probability") for lv in members):
                continue
            m = sum(lv["m_probability"] for lv in members)
            u = sum(lv["u_probability"] for lv in members)
            set_u(comparison, levels[label], levels[label]["m_probability"] * u / m)


def set_u(comparison: dict[str, Any], level: dict[str, Any], u: float) -> None:
    """Set `level`'s u, the difference going to the comparison's 'disagree' level."""
    before = level["u_probability"]
    level["u_probability"] = u
    disagree = next((lv for lv in comparison["comparison_levels"]
                     if lv.get("label_for_charts") == "disagree"
                     and lv.get("u_probability") is not None and lv is not level), None)
    if disagree is not None:
        disagree["u_probability"] = max(disagree["u_probability"] + before - u, 0.0)
