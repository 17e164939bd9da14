"""Households (singles, couples, couples with children, single parents) and their ages.

Why: the hardest matching cases come from households (father and son with one name at one
address, twins, ex-partners); persons are drawn household by household so those cases occur
at realistic rates.
"""

from dataclasses import dataclass

import numpy as np

HH_SINGLE, HH_COUPLE, HH_COUPLE_KIDS, HH_SINGLE_PARENT = 0, 1, 2, 3


HH_P = (0.36, 0.25, 0.28, 0.11)


KIDS_P = (0.40, 0.37, 0.15, 0.06, 0.02)


@dataclass
class Households:
    """Household structure: members are persons start .. start+size-1, adults first."""

    htype: np.ndarray
    size: np.ndarray
    start: np.ndarray
    nadults: np.ndarray
    nkids: np.ndarray


def draw_households(rng: np.random.Generator, n: int, ghosts: int) -> Households:
    """Household types and sizes adding up to exactly ``n`` persons, plus ghost singles."""
    types, kids, total = [], [], 0
    while total < n:
        m = max(16, (n - total) // 2 + 16)
        t = rng.choice(4, size=m, p=HH_P)
        k = np.where(t >= HH_COUPLE_KIDS, rng.choice(5, size=m, p=KIDS_P) + 1, 0)
        types.append(t)
        kids.append(k)
        total += int((np.where(t == HH_SINGLE, 1, np.where(t == HH_SINGLE_PARENT, 1, 2)) + k).sum())
    htype, nkids = np.concatenate(types), np.concatenate(kids)
    nadults = np.where((htype == HH_SINGLE) | (htype == HH_SINGLE_PARENT), 1, 2)
    size = nadults + nkids
    cum = np.cumsum(size)
    last = int(np.searchsorted(cum, n))
    htype, nadults, nkids, size = (
        htype[: last + 1],
        nadults[: last + 1],
        nkids[: last + 1],
        size[: last + 1],
    )
    size[-1] -= int(cum[last] - n)
    nadults[-1] = min(nadults[-1], size[-1])
    nkids[-1] = size[-1] - nadults[-1]
    if nkids[-1] == 0 and htype[-1] >= HH_COUPLE_KIDS:
        htype[-1] = HH_COUPLE if nadults[-1] == 2 else HH_SINGLE
    if nadults[-1] == 1 and htype[-1] == HH_COUPLE:
        htype[-1] = HH_SINGLE
    htype = np.r_[htype, np.zeros(ghosts, dtype=htype.dtype)]
    nadults = np.r_[nadults, np.ones(ghosts, dtype=nadults.dtype)]
    nkids = np.r_[nkids, np.zeros(ghosts, dtype=nkids.dtype)]
    size = nadults + nkids
    return Households(htype, size, np.cumsum(size) - size, nadults, nkids)


def household_ages(rng: np.random.Generator, hhs: Households, ghosts: int,
                   spread: np.random.Generator) -> np.ndarray:
    """Ages (fractional years) per person, consistent within households.

    Why `spread`: every age here must be drawn from a continuous range. Floors and clips that
    return the same number for many households (the oldest child at exactly 2.5, 5 or 7.5
    years, a partner clipped to exactly 18, a child of a parent too young to have one at 0)
    gave thousands of persons one and the same birth date (9,395 municipal records born on one
    day at 1M persons, where about 20 is the median), unlike any population, which made
    birth-date blocks and their pair counts grow unrealistically with the region's size.
    `spread` is a stream of its own, so the other draws stay as they were.
    """
    H = len(hhs.size)
    t = hhs.htype
    head = np.select(
        [t == HH_SINGLE, t == HH_COUPLE, t == HH_COUPLE_KIDS],
        [
            18 + rng.beta(1.1, 1.6, H) * 77,
            21 + rng.beta(1.6, 1.3, H) * 72,
            24 + rng.beta(2.2, 2.2, H) * 32,
        ],
        default=21 + rng.beta(2.0, 2.4, H) * 34,
    )
    if ghosts:
        head[-ghosts:] = 19 + rng.random(ghosts) * 36
    partner = head + rng.normal(0, 3.5, H)
    partner = np.where(partner < 18, 18 + spread.random(H) * 3, np.minimum(partner, 99))
    youngest_parent = np.where(hhs.nadults == 2, np.minimum(head, partner), head)
    max_oldest = np.clip(youngest_parent - 19, 0, 25)
    floor = np.minimum(max_oldest, (hhs.nkids - 1) * spread.uniform(2.0, 3.0, H))
    oldest = np.maximum(rng.random(H) * max_oldest, floor)
    hh = np.repeat(np.arange(H), hhs.size)
    pos = np.arange(hh.size) - hhs.start[hh]
    kid = pos >= hhs.nadults[hh]
    gaps = np.where(kid & (pos > hhs.nadults[hh]), rng.uniform(1.0, 4.5, hh.size), 0.0)
    cum = np.cumsum(gaps)
    cum -= cum[hhs.start[hh]]
    kid_age = oldest[hh] - cum
    kid_age = np.where(kid_age <= 0, rng.random(hh.size) * 0.9, kid_age)
    return np.where(pos == 0, head[hh], np.where(kid, kid_age, partner[hh]))
