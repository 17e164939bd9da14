"""The generator's birth dates are spread as a population's are: no day holds a crowd.

Why: birth-date blocks (the model's, Splink's training blocks, a plain Splink set-up's) pair
the records that share a date, so their cost grows with the largest day's size squared. In the
Netherlands about 460 children are born a day, so a region of a million holds about 30 persons
per birth date and its busiest day (1 January, where a date's day is unknown) a few hundred.
The generator once fixed the oldest child's age at exactly 2.5, 5 or 7.5 years in households
whose children were spaced at the minimum, and clipped partners to exactly 18: 9,395 of a
million persons' municipal records fell on one day. Measured on the population itself
(fractions of persons, so the bound holds at any size).
"""

from __future__ import annotations

import numpy as np
from sample_generator.dates import to_days
from sample_generator.population import build_population


def test_no_birth_date_holds_a_crowd() -> None:
    pop, _, _ = build_population(7, 60_000, 1, to_days("2026-11-27"))
    days, counts = np.unique(pop.dob, return_counts=True)
    # 1 January holds the dates whose day and month are unknown (BRP): left out of the bound
    jan1 = np.array([str(np.datetime64(int(d), "D"))[5:] == "01-01" for d in days])
    busiest = counts[~jan1].max()
    # 60,000 persons over about 90 years: a day's median is about 2; 0.1% is 60 persons
    assert busiest <= 0.001 * pop.dob.size, (busiest, np.median(counts))
