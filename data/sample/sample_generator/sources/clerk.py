"""Address rendering shared by the sources: which address a record holds and how it is typed.

Why: police, care and the arrest feed all record addresses the way a clerk types them (house
number letters, toevoegingen, postcode styles, abbreviated streets); one implementation keeps
their noise alike.
"""

import numpy as np
import pandas as pd

from ..draws import map_unique, obj, pick, zfill
from ..places import Addresses
from ..population import Population


def address_text(
    rng: np.random.Generator, addrs: Addresses, a: np.ndarray
) -> dict[str, np.ndarray]:
    """Address parts as a clerk types them: house number with letter/toevoeging, postcode style."""
    k = a.size
    ok = a >= 0
    ai = np.maximum(a, 0)
    letter = addrs.letter[ai]
    letter = np.where(rng.random(k) < 0.6, map_unique(letter, str.lower), letter)
    toev = addrs.toev[ai]
    sep = pick(rng, ("-", " ", "-"), k)
    alpha = ~pd.Series(toev, dtype=str).str.isdigit().to_numpy()
    sep = np.where(alpha & (rng.random(k) < 0.3), "", sep)  # '12hs', never '121' for 12-1
    num = zfill(addrs.number[ai], 1) + letter + np.where(toev != "", sep + toev, "")
    pc = addrs.postcode[ai]
    u = rng.random(k)
    pcs = pd.Series(pc, dtype=str)
    spaced = (pcs.str[0:4] + " " + pcs.str[4:6]).to_numpy(dtype=object)
    pc = np.where(u < 0.5, spaced, np.where(u < 0.9, pc, map_unique(pc, str.lower)))
    street = addrs.street[ai]
    short = (rng.random(k) < 0.05) & pd.Series(street, dtype=str).str.endswith("straat").to_numpy()
    street = np.where(
        short, pd.Series(street, dtype=str).str[:-3].to_numpy(dtype=object) + ".", street
    )
    empty = obj("", k)
    return {
        "straat": np.where(ok, street, empty),
        "huisnummer": np.where(ok, num, empty),
        "postcode": np.where(ok, pc, empty),
        "woonplaats": np.where(ok, addrs.town[ai], empty),
    }


def choose_address(
    rng: np.random.Generator, pop: Population, idx: np.ndarray, current: float, stale: float
) -> np.ndarray:
    """Address index per row: current, stale (an earlier address) or -1 (not recorded)."""
    u = rng.random(idx.size)
    return np.where(
        u < current, pop.addr[idx], np.where(u < current + stale, pop.prev_addr[idx], -1)
    )
