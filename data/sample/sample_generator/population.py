"""The synthetic population: persons with names, sex, birth data, BSN, addresses and history.

Why: this is the ground truth every source is rendered from. It is built once per seed (the
persons model), including the hard cases every sample must contain, and never written out
except as ``truth.parquet``'s person keys.
"""

from dataclasses import dataclass

import numpy as np

from .dates import YEAR, from_ymd, ymd
from .draws import select_some, split_list, stage_rng, unique_ints, zfill
from .households import (
    HH_COUPLE,
    HH_COUPLE_KIDS,
    HH_SINGLE,
    HH_SINGLE_PARENT,
    Households,
    draw_households,
    household_ages,
)
from .names import ORIGIN_P, ORIGINS, draw_given_names, feminise
from .places import (
    BIRTHPLACES,
    OUTSIDE_TOWNS,
    REGION_TOWNS,
    Addresses,
    concat_addresses,
    draw_addresses,
    draw_birthplaces,
)
from .surnames import draw_surnames


@dataclass
class Population:
    """One row per synthetic person; household members are contiguous."""

    n: int
    key: np.ndarray
    sex: np.ndarray  # 'M', 'V', 'X'
    origin: np.ndarray  # index into ORIGINS
    roep: np.ndarray  # first given name
    rest: np.ndarray  # further given names with a leading space, or ''
    tv: np.ndarray  # own tussenvoegsel
    sn: np.ndarray  # own surname without tussenvoegsel
    style: np.ndarray  # married-name use: 0 none, 1 partner's name, 2 double name
    mtv: np.ndarray
    msn: np.ndarray
    dob: np.ndarray  # days since epoch
    dob_unknown: np.ndarray  # 0 known, 1 day unknown, 2 day and month unknown (BRP)
    birthplace: np.ndarray
    bsn: np.ndarray
    anr: np.ndarray
    hh: np.ndarray
    pos: np.ndarray
    partner: np.ndarray
    registered: np.ndarray  # partner registered in BRP
    parent1: np.ndarray
    parent2: np.ndarray
    ex: np.ndarray
    addr: np.ndarray
    prev_addr: np.ndarray
    in_region: np.ndarray
    ghost: np.ndarray  # only appears in the arrest feed
    inschrijving: np.ndarray

    @property
    def voornamen(self) -> np.ndarray:
        """Full given names."""
        return self.roep + self.rest


def valid_bsns(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct 9-digit BSNs passing the 11-proef; about one in seven starts with 0."""
    out = np.empty(0, dtype=np.int64)
    weights = np.array([9, 8, 7, 6, 5, 4, 3, 2])
    while out.size < n:
        prefix = unique_ints(rng, int((n - out.size) * 1.15) + 32, 0, 70_000_000)
        digits = (prefix[:, None] // 10 ** np.arange(7, -1, -1)) % 10
        s = digits @ weights
        check = s % 11
        ok = (check < 10) & (s - check != 0)
        out = np.unique(np.concatenate([out, prefix[ok] * 10 + check[ok]]))
    return zfill(rng.permutation(out)[:n], 9)


def ex_partners(
    rng: np.random.Generator, sex: np.ndarray, dob: np.ndarray, hh: np.ndarray, eligible: np.ndarray
) -> np.ndarray:
    """A plausible (former) partner for every adult: opposite sex, similar age, other household."""
    n = sex.size
    ex = np.full(n, -1, dtype=np.int64)
    for s, other in (("M", "V"), ("V", "M")):
        cand = np.flatnonzero(eligible & (sex == other))
        me = np.flatnonzero(eligible & (sex == s))
        if cand.size == 0 or me.size == 0:
            continue
        cand = cand[np.argsort(dob[cand], kind="stable")]
        shift = np.where(s == "M", 2.0, -2.0) * YEAR
        target = dob[me] + shift + rng.normal(0, 3 * YEAR, me.size)
        at = np.searchsorted(dob[cand], target) + rng.integers(-3, 4, me.size)
        at = np.clip(at, 0, cand.size - 1)
        pick_ = cand[at]
        same = hh[pick_] == hh[me]
        pick_[same] = cand[np.clip(at[same] + 5, 0, cand.size - 1)]
        ex[me] = np.where(hh[pick_] == hh[me], -1, pick_)
    return ex


def build_population(
    seed: int, n: int, ghosts: int, ref: int
) -> tuple[Population, Households, Addresses]:
    """The synthetic population with households, names, dates, identifiers and addresses."""
    rng = stage_rng(seed, "population")
    hhs = draw_households(rng, n, ghosts)
    H, total = len(hhs.size), n + ghosts
    hh = np.repeat(np.arange(H), hhs.size)
    pos = np.arange(total) - hhs.start[hh]
    kid = pos >= hhs.nadults[hh]
    ghost = np.arange(total) >= n

    age = household_ages(rng, hhs, ghosts, stage_rng(seed, "ages"))
    dob = ref - np.floor(age * YEAR).astype(np.int64) - 1

    hh_origin = rng.choice(len(ORIGINS), H, p=ORIGIN_P)
    origin = hh_origin[hh]
    mixed = (pos == 1) & ~kid & (rng.random(total) < 0.15)
    origin = np.where(mixed, rng.choice(len(ORIGINS), total, p=ORIGIN_P), origin)

    sex = sexes(rng, hhs, hh, pos, kid)
    roep, rest = draw_given_names(rng, origin, sex)
    dedupe_sibling_names(rng, roep, rest, origin, sex, hh, kid)
    tv, sn = draw_surnames(rng, origin)
    # children take the surname of the first adult or, with single parents, sometimes the
    # absent father's (the surname drawn for the first child, shared by the siblings)
    fathers = (hhs.htype == HH_SINGLE_PARENT) & (rng.random(H) < 0.45)
    giver = np.where(fathers, hhs.start + hhs.nadults, hhs.start)[hh]
    inherit = kid & (giver != np.arange(total))
    tv = np.where(inherit, tv[giver], tv)
    sn = np.where(inherit, sn[giver], sn)
    origin = np.where(inherit, origin[giver], origin)
    sn = feminise(sn, sex, origin)

    partner = np.full(total, -1, dtype=np.int64)
    couple = (hhs.nadults[hh] == 2) & ~kid
    partner[couple] = np.where(
        pos[couple] == 0, np.arange(total)[couple] + 1, np.arange(total)[couple] - 1
    )
    registered = couple & np.repeat(rng.random(H) < 0.72, hhs.size)
    parent1 = np.where(kid, hhs.start[hh], -1)
    parent2 = np.where(kid & (hhs.nadults[hh] == 2), hhs.start[hh] + 1, -1)

    style, mtv, msn = married_names(rng, sex, origin, age, partner, tv, sn)
    birthplace = draw_birthplaces(rng, origin, dob, ref)
    dob_unknown = unknown_dates(rng, birthplace, age, origin)
    y, m, _ = ymd(dob)
    dob = np.where(
        dob_unknown == 2,
        from_ymd(y, np.ones_like(m), np.ones_like(m)),
        np.where(dob_unknown == 1, from_ymd(y, m, np.ones_like(m)), dob),
    )

    in_region = np.repeat(rng.random(H) < 0.9, hhs.size) & ~ghost
    hh_region = in_region[hhs.start]
    n_reg, n_out = int(hh_region.sum()), int((~hh_region).sum())
    region_addr = draw_addresses(rng, n_reg, REGION_TOWNS, True)
    outside_addr = draw_addresses(rng, n_out + max(16, total // 20), OUTSIDE_TOWNS, False)
    addrs = concat_addresses(region_addr, outside_addr)
    hh_addr = np.empty(H, dtype=np.int64)
    hh_addr[hh_region] = np.arange(n_reg)
    hh_addr[~hh_region] = n_reg + np.arange(n_out)
    addr = hh_addr[hh]
    n_addr = len(addrs.town)
    prev_addr = np.where(
        rng.random(total) < 0.85,
        rng.integers(0, max(n_reg, 1), total),
        rng.integers(n_reg, n_addr, total),
    )
    pop = Population(
        n=n,
        key="P" + zfill(np.arange(1, total + 1), 7),
        sex=sex,
        origin=origin,
        roep=roep,
        rest=rest,
        tv=tv,
        sn=sn,
        style=style,
        mtv=mtv,
        msn=msn,
        dob=dob,
        dob_unknown=dob_unknown,
        birthplace=birthplace,
        bsn=valid_bsns(rng, total),
        anr=zfill(unique_ints(rng, total, 1_000_000_000, 10_000_000_000), 10),
        hh=hh,
        pos=pos,
        partner=partner,
        registered=registered,
        parent1=parent1,
        parent2=parent2,
        ex=np.full(total, -1),
        addr=addr,
        prev_addr=prev_addr,
        in_region=in_region,
        ghost=ghost,
        inschrijving=registration_dates(rng, hhs, hh, pos, kid, dob, ref),
    )
    add_hard_cases(rng, pop, hhs)
    adult = (ref - pop.dob > 16 * YEAR) & ~ghost
    pop.ex = ex_partners(rng, pop.sex, pop.dob, hh, adult)
    return pop, hhs, addrs


def dedupe_sibling_names(
    rng: np.random.Generator,
    roep: np.ndarray,
    rest: np.ndarray,
    origin: np.ndarray,
    sex: np.ndarray,
    hh: np.ndarray,
    kid: np.ndarray,
) -> None:
    """Redraw the given names of a child whose first name an older sibling already has."""
    n = roep.size
    at = np.arange(n)
    for _ in range(8):
        clash = np.zeros(n, dtype=bool)
        for off in range(1, 7):
            prev = np.maximum(at - off, 0)
            clash |= (at >= off) & kid & kid[prev] & (hh[prev] == hh) & (roep[prev] == roep)
        if not clash.any():
            return
        roep[clash], rest[clash] = draw_given_names(rng, origin[clash], sex[clash])


def sexes(
    rng: np.random.Generator, hhs: Households, hh: np.ndarray, pos: np.ndarray, kid: np.ndarray
) -> np.ndarray:
    """Sex per person: mostly mixed-sex couples, single parents mostly mothers, a few 'X'."""
    total = hh.size
    t = hhs.htype[hh]
    p_male_head = np.select(
        [t == HH_COUPLE_KIDS, t == HH_COUPLE, t == HH_SINGLE_PARENT], [0.92, 0.6, 0.15], 0.5
    )
    head_male = np.repeat(rng.random(len(hhs.size)), hhs.size) < p_male_head
    male = np.where(pos == 0, head_male, rng.random(total) < 0.51)
    partner_pos = (pos == 1) & ~kid
    same_sex = rng.random(total) < 0.03
    male = np.where(partner_pos, np.where(same_sex, head_male, ~head_male), male)
    sex = np.where(male, "M", "V").astype(object)
    sex[(rng.random(total) < 0.001) & ~kid] = "X"
    return sex


def married_names(
    rng: np.random.Generator,
    sex: np.ndarray,
    origin: np.ndarray,
    age: np.ndarray,
    partner: np.ndarray,
    tv: np.ndarray,
    sn: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Married women may use the partner's surname (1) or a double name 'Partner-Own' (2)."""
    n = sex.size
    has_m_partner = (partner >= 0) & (sex == "V")
    has_m_partner &= np.where(partner >= 0, sex[np.maximum(partner, 0)] == "M", False) & (age >= 23)
    p_dutch = rng.choice(3, n, p=[0.55, 0.15, 0.30])
    p_other = rng.choice(3, n, p=[0.85, 0.05, 0.10])
    style = np.where(has_m_partner, np.where(origin == 0, p_dutch, p_other), 0)
    pp = np.maximum(partner, 0)
    own_full = np.where(tv != "", tv + " " + sn, sn)
    mtv = np.where(style > 0, tv[pp], tv)
    msn = np.where(style == 1, sn[pp], np.where(style == 2, sn[pp] + "-" + own_full, sn))
    return style.astype(np.int8), mtv, msn


def unknown_dates(
    rng: np.random.Generator, birthplace: np.ndarray, age: np.ndarray, origin: np.ndarray
) -> np.ndarray:
    """Foreign-born adults sometimes have an unknown birth day or day and month (BRP '00')."""
    nl = set(split_list(BIRTHPLACES["NL"][0]))
    abroad = (origin > 0) & ~np.isin(birthplace, list(nl)) & (age > 25)
    u = rng.random(birthplace.size)
    return np.where(abroad & (u < 0.02), 2, np.where(abroad & (u < 0.03), 1, 0)).astype(np.int8)


def registration_dates(
    rng: np.random.Generator,
    hhs: Households,
    hh: np.ndarray,
    pos: np.ndarray,
    kid: np.ndarray,
    dob: np.ndarray,
    ref: int,
) -> np.ndarray:
    """BRP datum_inschrijving: the household moved in together; later partners and births."""
    adult_18 = np.where(kid, -(10**9), dob + np.floor(18 * YEAR).astype(np.int64))
    lo = np.maximum.reduceat(adult_18, hhs.start) if hh.size else np.empty(0, dtype=np.int64)
    lo = np.maximum(lo, ref - np.floor(30 * YEAR).astype(np.int64))
    lo = np.minimum(lo, ref - 2)
    moved = lo + np.floor(rng.random(len(hhs.size)) * (ref - 1 - lo)).astype(np.int64)
    date = moved[hh]
    later = (pos == 1) & ~kid & (rng.random(hh.size) < 0.25)
    date = np.where(
        later, date + np.floor(rng.random(hh.size) * (ref - 1 - date)).astype(np.int64), date
    )
    return np.where(kid, np.maximum(date, dob), date)


def add_hard_cases(rng: np.random.Generator, pop: Population, hhs: Households) -> None:
    """Twins, fathers and sons with the same name, and look-alikes with close birth dates."""
    total = pop.key.size
    real = ~pop.ghost[hhs.start]
    # twins: the second child gets the first child's birth date (and a different first name)
    twins = np.flatnonzero(real & (hhs.nkids >= 2))
    chosen = select_some(rng, twins, 0.015, 3)
    a = hhs.start[chosen] + hhs.nadults[chosen]
    b = a + 1
    pop.dob[b] = pop.dob[a]
    pop.inschrijving[b] = pop.inschrijving[a]
    same = pop.roep[a] == pop.roep[b]
    if same.any():
        pop.roep[b[same]] = np.where(pop.sex[b[same]] == "V", "Sanne", "Daan")
    # father and son with the same given names at one address
    first_kid = hhs.start + hhs.nadults
    fk = np.minimum(first_kid, total - 1)
    ok = real & (hhs.htype == HH_COUPLE_KIDS) & (pop.sex[hhs.start] == "M") & (pop.sex[fk] == "M")
    chosen = select_some(rng, np.flatnonzero(ok), 0.04, 3)
    pop.roep[first_kid[chosen]] = pop.roep[hhs.start[chosen]]
    pop.rest[first_kid[chosen]] = pop.rest[hhs.start[chosen]]
    # look-alikes: a single person gets someone else's name and a birth date a few days off
    singles = hhs.start[real & (hhs.htype == HH_SINGLE)]
    for s in ("M", "V"):
        pool_b = singles[pop.sex[singles] == s]
        pool_a = np.flatnonzero(
            (pop.sex == s) & ~pop.ghost & (pop.pos < 2) & (pop.dob < pop.dob.max() - 20 * YEAR)
        )
        k = min(max(3, total // 2000), pool_b.size // 2)
        if k <= 0:
            continue
        b = rng.choice(pool_b, k, replace=False)
        pool_a = np.setdiff1d(pool_a, b)
        k = min(k, pool_a.size)
        b, a = b[:k], rng.choice(pool_a, k, replace=False)
        for f in ("roep", "rest", "tv", "sn", "origin", "birthplace"):
            getattr(pop, f)[b] = getattr(pop, f)[a]
        pop.mtv[b], pop.msn[b], pop.style[b] = pop.tv[b], pop.sn[b], 0
        delta = rng.integers(1, 21, k) * rng.choice([-1, 1], k)
        pop.dob[b] = pop.dob[a] + delta
        pop.dob_unknown[b] = 0
        pop.inschrijving[b] = np.maximum(pop.inschrijving[b], pop.dob[b] + 1)
