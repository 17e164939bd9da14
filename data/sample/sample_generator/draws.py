"""Small seeded drawing and array helpers shared by every stage of the generator.

Why one module: each stage draws from its own ``stage_rng(seed, stage)``, so a change in one
stage leaves the bytes of the others alone; the helpers here are the only way draws are made,
which keeps the whole generator vectorised (numpy/pandas) and reproducible.
"""

import zlib
from collections.abc import Callable

import numpy as np
import pandas as pd


def stage_rng(seed: int, stage: str) -> np.random.Generator:
    """An independent generator per stage, so changing one stage leaves the others alone."""
    return np.random.default_rng([seed, zlib.crc32(stage.encode())])


def split_list(text: str) -> list[str]:
    """Split a comma-separated literal into stripped items, keeping inner spaces."""
    return [item.strip() for item in text.split(",") if item.strip()]


def zipf_p(n: int, offset: float, s: float = 1.0) -> np.ndarray:
    """Zipf-Mandelbrot probabilities for ranks 0..n-1: heavy head, long tail."""
    w = 1.0 / (np.arange(n) + offset) ** s
    return w / w.sum()


def obj(values: object, size: int | None = None) -> np.ndarray:
    """An object array of Python strings (optionally a scalar repeated ``size`` times)."""
    if size is not None:
        out = np.empty(size, dtype=object)
        out[:] = values
        return out
    return np.asarray(values, dtype=object)


def pick(rng: np.random.Generator, values: tuple | list, size: int, p=None) -> np.ndarray:
    """Draw ``size`` values (object array) from a small list, optionally weighted."""
    arr = obj(list(values))
    if p is not None:
        p = np.asarray(p, dtype=float)
        p = p / p.sum()
    return arr[rng.choice(len(arr), size=size, p=p)]


def map_unique(values: np.ndarray, func: Callable[[str], str]) -> np.ndarray:
    """Apply a Python function once per distinct value of an object array of strings."""
    if len(values) == 0:
        return obj([])
    codes, uniques = pd.factorize(values)
    mapped = obj([func(u) for u in uniques])
    return mapped[codes]


def zfill(values: np.ndarray, width: int) -> np.ndarray:
    """Integers as zero-padded strings (object array)."""
    return (
        pd.Series(np.asarray(values, dtype=np.int64))
        .astype(str)
        .str.zfill(width)
        .to_numpy(dtype=object)
    )


def unique_ints(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    """``n`` distinct random integers in [low, high), in random order."""
    out = np.empty(0, dtype=np.int64)
    while out.size < n:
        cand = rng.integers(low, high, size=int((n - out.size) * 1.1) + 16, dtype=np.int64)
        out = np.unique(np.concatenate([out, cand]))
    return rng.permutation(out)[:n]


def expand_ranges(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups with (start, count) return (group index, member index) for every member."""
    counts = np.maximum(np.asarray(counts, dtype=np.int64), 0)
    group = np.repeat(np.arange(len(counts)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return group, np.asarray(starts, dtype=np.int64)[group] + offsets


def rank_within(group: np.ndarray) -> np.ndarray:
    """0-based running number of each element within its (contiguous, sorted) group."""
    if len(group) == 0:
        return np.empty(0, dtype=np.int64)
    change = np.r_[True, group[1:] != group[:-1]]
    start_idx = np.maximum.accumulate(np.where(change, np.arange(len(group)), 0))
    return np.arange(len(group)) - start_idx


def select_some(
    rng: np.random.Generator, candidates: np.ndarray, share: float, minimum: int
) -> np.ndarray:
    """A random share of the candidates, but at least ``minimum`` when there are that many."""
    k = min(candidates.size, max(minimum, int(round(candidates.size * share))))
    return rng.choice(candidates, k, replace=False) if k else candidates[:0]


def weighted_pool(
    rng: np.random.Generator, mask: np.ndarray, weight: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Members of a pool with heavy-tailed (Pareto) propensities: a few repeat a lot."""
    members = np.flatnonzero(mask)
    w = weight[members] * np.minimum(rng.pareto(alpha, members.size) + 1, 20)
    return members, w / w.sum()


def draw_from(rng: np.random.Generator, pool: tuple[np.ndarray, np.ndarray], k: int) -> np.ndarray:
    """``k`` draws with replacement from a weighted pool."""
    members, p = pool
    if members.size == 0 or k == 0:
        return np.full(k, -1, dtype=np.int64)
    return members[rng.choice(members.size, k, p=p)]


def random_member(rng: np.random.Generator, mask: np.ndarray, k: int) -> np.ndarray:
    """``k`` uniform draws from the persons in ``mask``."""
    members = np.flatnonzero(mask)
    if members.size == 0:
        return np.full(k, -1, dtype=np.int64)
    return members[rng.integers(0, members.size, k)]
