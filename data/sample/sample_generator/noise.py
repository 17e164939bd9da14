"""How partner systems distort the truth: typos, transliterations, initials, BSN and date errors.

Why: the pipeline's matching is only meaningful against realistic noise. Each source declares
its own ``NameNoise`` and calls these functions, so the kinds and rates of noise are written
once and every source uses the same, seeded, implementation.
"""

import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .dates import is_leap, ymd
from .draws import map_unique, pick
from .names import TRANSLIT
from .population import Population

_FOLD = str.maketrans({"ı": "i", "İ": "I", "ł": "l", "Ł": "L", "ß": "ss", "ø": "o", "Ø": "O"})


def ascii_fold(text: str) -> str:
    """Drop diacritics: Çelik -> Celik, Şahin -> Sahin, Łukasz -> Lukasz."""
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in text if not unicodedata.combining(c))


def cp1252_safe(text: str) -> str:
    """Transliterate only the characters Windows-1252 cannot hold (ş, ı, ğ, ł ...)."""
    try:
        text.encode("cp1252")
        return text
    except UnicodeEncodeError:
        out = []
        for ch in text:
            try:
                ch.encode("cp1252")
                out.append(ch)
            except UnicodeEncodeError:
                out.append(ascii_fold(ch))
        return "".join(out)


def initials(names: str) -> str:
    """'Pieter Johannes' -> 'P.J.'; Dutch IJ stays together ('IJsbrand' -> 'IJ.')."""
    return "".join(("IJ" if p.startswith("IJ") else p[0]) + "." for p in names.split())


def first_token(names: str) -> str:
    """The first given name."""
    return names.split(" ", 1)[0] if names else names


def apply_typos(rng: np.random.Generator, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Substitute, transpose, drop or double one inner character in the masked strings."""
    out = values.copy()
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return out
    ops = rng.integers(0, 4, idx.size)
    fracs = rng.random(idx.size)
    letters = pick(rng, list("aeiounrstlkmdg"), idx.size)

    def one(s: str, op: int, frac: float, letter: str) -> str:
        if len(s) < 4:
            return s
        i = 1 + int(frac * (len(s) - 2))
        if op == 0:
            return s[:i] + (letter if s[i] != letter else "e") + s[i + 1 :]
        if op == 1 and i + 1 < len(s) and s[i] != " " and s[i + 1] != " ":
            return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
        if op == 2:
            return s[:i] + s[i + 1 :]
        return s[:i] + s[i] + s[i:]

    out[idx] = [
        one(s, o, f, c) for s, o, f, c in zip(values[idx], ops, fracs, letters, strict=True)
    ]
    return out


def apply_translit(rng: np.random.Generator, first: np.ndarray, p: float) -> np.ndarray:
    """Replace a share ``p`` of transliterable first names by a spelling variant."""
    out = first.copy()
    sel = rng.random(len(first)) < p
    for name, variants in TRANSLIT.items():
        m = sel & (first == name)
        k = int(m.sum())
        if k:
            out[m] = pick(rng, variants, k)
    return out


@dataclass
class NameNoise:
    """How a source records names."""

    married: float  # share of married-name users recorded under the married name
    first_only: float
    initials: float
    translit: float
    typo: float
    fold: float


def noisy_names(
    rng: np.random.Generator, pop: Population, idx: np.ndarray, nz: NameNoise
) -> dict[str, np.ndarray]:
    """Recorded name parts per row: tv, sn, roep, given (as recorded), full given names."""
    k = idx.size
    use_m = (pop.style[idx] > 0) & (rng.random(k) < nz.married)
    tv = np.where(use_m, pop.mtv[idx], pop.tv[idx])
    sn = np.where(use_m, pop.msn[idx], pop.sn[idx])
    roep = apply_translit(rng, pop.roep[idx], nz.translit)
    roep = apply_typos(rng, roep, rng.random(k) < nz.typo / 2)
    sn = apply_typos(rng, sn, rng.random(k) < nz.typo)
    full = roep + pop.rest[idx]
    u = rng.random(k)
    given = np.where(
        u < nz.first_only,
        roep,
        np.where(u < nz.first_only + nz.initials, map_unique(full, initials), full),
    )
    fold = rng.random(k) < nz.fold
    if fold.any():
        for arr in (sn, roep, given, full):
            arr[fold] = map_unique(arr[fold], ascii_fold)
    return {"tv": tv, "sn": sn, "roep": roep, "given": given, "full": full}


def noisy_bsn(
    rng: np.random.Generator,
    bsn: np.ndarray,
    present: float,
    p_drop0: float,
    p_space: float,
    p_dot: float,
    p_invalid: float,
) -> np.ndarray:
    """BSN as a source records it: empty, leading zero dropped, spaced, dotted or invalid."""
    k = bsn.size
    out = bsn.copy()
    u = rng.random(k)
    invalid = u < p_invalid
    if invalid.any():
        s = pd.Series(out[invalid], dtype=str)
        last = (s.str[8].astype(int) + rng.integers(1, 10, int(invalid.sum()))) % 10
        out[invalid] = (s.str[:8] + last.astype(str)).to_numpy(dtype=object)
    s = pd.Series(out, dtype=str)
    spaced = (s.str[0:3] + " " + s.str[3:6] + " " + s.str[6:9]).to_numpy(dtype=object)
    dotted = (s.str[0:3] + "." + s.str[3:6] + "." + s.str[6:9]).to_numpy(dtype=object)
    v = rng.random(k)
    out = np.where(v < p_space, spaced, np.where(v < p_space + p_dot, dotted, out))
    drop = (
        (rng.random(k) < p_drop0) & (bsn.astype("U9").astype("U1") == "0") & (v >= p_space + p_dot)
    )
    out = np.where(drop, pd.Series(out, dtype=str).str[1:].to_numpy(dtype=object), out)
    return np.where(rng.random(k) < present, out, "")


def noisy_dob(
    rng: np.random.Generator, dob: np.ndarray, p_swap: float, p_year: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(y, m, d) with clerk errors: day and month swapped, one year digit off."""
    y, m, d = ymd(dob)
    swap = (rng.random(dob.size) < p_swap) & (d <= 12) & (d != m)
    m, d = np.where(swap, d, m), np.where(swap, m, d)
    off = rng.random(dob.size) < p_year
    step = rng.choice([-1, 1], dob.size)
    tens = rng.random(dob.size) < 0.3
    digit = np.where(tens, (y // 10) % 10, y % 10)
    new_digit = (digit + step) % 10
    y2 = np.where(tens, y - digit * 10 + new_digit * 10, y - digit + new_digit)
    y2 = np.where(y2 > ymd(np.array([dob.max()]))[0][0], y - 1, y2)
    y = np.where(off, y2, y)
    d = np.where((m == 2) & (d == 29) & ~is_leap(y), 28, d)
    return y, m, d
