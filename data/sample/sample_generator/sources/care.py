"""The care extract (``care_reports.jsonl``): reports with nested betrokkenen, melders included.

Why: the only nested source (JSON Lines, one report per line with its betrokkenen); care
reports cluster around households, so this module draws the reports and the people in them.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..dates import YEAR, fmt_datetime, fmt_iso, ymd
from ..draws import (
    expand_ranges,
    map_unique,
    obj,
    random_member,
    rank_within,
    stage_rng,
    unique_ints,
    zfill,
)
from ..households import Households
from ..noise import NameNoise, initials, noisy_names
from ..places import Addresses
from ..population import Population
from .clerk import address_text, choose_address
from .police import PoliceRows, household_kid

CARE_TYPES = ("huiselijk_geweld", "kindermishandeling", "ex_partner_stalking", "zorgen_om_persoon")


CARE_TYPES_P = (0.40, 0.18, 0.14, 0.28)


SASH = ("laag", "midden", "hoog")


def build_care(
    seed: int,
    pop: Population,
    hhs: Households,
    addrs: Addresses,
    rows: PoliceRows,
    ref: int,
    reports: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reports and their betrokkenen (pleger, slachtoffer, kind, melder) before rendering."""
    rng = stage_rng(seed, "care")
    M = max(4, reports)
    typ = rng.choice(len(CARE_TYPES), M, p=CARE_TYPES_P)
    day = ref - 1 - rng.integers(0, 730, M)
    age = (ref - pop.dob) / YEAR
    real = ~pop.ghost
    adult = real & (age >= 18)
    pleger, victim = np.full(M, -1), np.full(M, -1)
    hg_sus = np.unique(rows.person[(rows.role == 0) & rows.hg])
    # huiselijk geweld: pleger often known to the police, victim the partner or an ex
    t = np.flatnonzero(typ == 0)
    couples = adult & (pop.partner >= 0)
    from_police = (rng.random(t.size) < 0.4) & (hg_sus.size > 0)
    cand = np.where(
        from_police,
        hg_sus[rng.integers(0, max(hg_sus.size, 1), t.size)] if hg_sus.size else -1,
        random_member(rng, couples, t.size),
    )
    pleger[t] = cand
    victim[t] = np.where(pop.partner[cand] >= 0, pop.partner[cand], pop.ex[cand])
    # kindermishandeling: a parent and one of the children
    t = np.flatnonzero(typ == 1)
    parents = adult & (pop.pos < hhs.nadults[pop.hh]) & (hhs.nkids[pop.hh] > 0)
    pleger[t] = random_member(rng, parents, t.size)
    victim[t] = household_kid(rng, pop, hhs, pleger[t], day[t])
    # stalking by an ex-partner
    t = np.flatnonzero(typ == 2)
    stalkers = np.unique(rows.person[(rows.role == 0) & ((rows.feit == "stalking") | rows.hg)])
    from_police = (rng.random(t.size) < 0.5) & (stalkers.size > 0)
    cand = np.where(
        from_police,
        stalkers[rng.integers(0, max(stalkers.size, 1), t.size)] if stalkers.size else -1,
        random_member(rng, adult & (pop.ex >= 0), t.size),
    )
    pleger[t], victim[t] = cand, pop.ex[cand]
    # zorgen om persoon: one person of concern (often elderly), no pleger
    t = np.flatnonzero(typ == 3)
    w = np.where(adult, np.where(age > 70, 3.0, 1.0), 0.0)
    victim[t] = rng.choice(pop.sex.size, t.size, p=w / w.sum())
    report_df = pd.DataFrame({"typ": typ, "day": day})
    return report_df, care_people(rng, pop, hhs, typ, day, pleger, victim)


def care_people(
    rng: np.random.Generator,
    pop: Population,
    hhs: Households,
    typ: np.ndarray,
    day: np.ndarray,
    pleger: np.ndarray,
    victim: np.ndarray,
) -> pd.DataFrame:
    """Long table of betrokkenen: report, order, person, rol."""
    M = typ.size
    parts = [
        pd.DataFrame({"rep": np.arange(M), "ord": 0, "person": pleger, "rol": "pleger"}),
        pd.DataFrame({"rep": np.arange(M), "ord": 1, "person": victim, "rol": "slachtoffer"}),
    ]
    # children of the victim's household (and the pleger's, for kindermishandeling) as 'kind'
    with_kids = (typ <= 1) & (victim >= 0)
    base = np.where(typ == 1, pleger, victim)
    h = pop.hh[np.maximum(base, 0)]
    counts = np.where(with_kids & (base >= 0), np.minimum(hhs.nkids[h], 4), 0)
    rep, kid = expand_ranges(hhs.start[h] + hhs.nadults[h], counts)
    keep = (pop.dob[kid] < day[rep]) & (kid != victim[rep]) & (kid != pleger[rep])
    parts.append(
        pd.DataFrame(
            {
                "rep": rep[keep],
                "ord": 2 + rank_within(rep)[keep],
                "person": kid[keep],
                "rol": "kind",
            }
        )
    )
    # a melder in most reports: a neighbour, teacher, relative or professional (a person too)
    has_melder = rng.random(M) < 0.92
    age = (day.max() - pop.dob) / YEAR
    melder = random_member(rng, ~pop.ghost & (age >= 18), M)
    clash = (
        (melder == pleger) | (melder == victim) | (pop.hh[melder] == pop.hh[np.maximum(victim, 0)])
    )
    has_melder &= ~clash
    parts.append(
        pd.DataFrame(
            {
                "rep": np.arange(M)[has_melder],
                "ord": 9,
                "person": melder[has_melder],
                "rol": "melder",
            }
        )
    )
    people = pd.concat(parts, ignore_index=True)
    people = (
        people[people["person"] >= 0]
        .sort_values(["rep", "ord"], kind="stable")
        .reset_index(drop=True)
    )
    people["n"] = rank_within(people["rep"].to_numpy()) + 1
    return people


def json_str(values: np.ndarray) -> np.ndarray:
    """JSON literals for an object array of strings; None becomes null."""
    isnull = pd.isna(pd.Series(values, dtype=object)).to_numpy()
    out = obj("null", values.size)
    if (~isnull).any():
        out[~isnull] = map_unique(values[~isnull], lambda s: json.dumps(s, ensure_ascii=False))
    return out


def render_care(
    seed: int, pop: Population, addrs: Addresses, reports: pd.DataFrame, people: pd.DataFrame
) -> tuple[list[str], pd.DataFrame, np.ndarray]:
    """JSON lines (one per report), the betrokkenen with ids, and the melding ids."""
    rng = stage_rng(seed, "care-render")
    M = len(reports)
    day = reports["day"].to_numpy()
    minutes = np.clip(rng.normal(13 * 60, 3 * 60, M), 0, 24 * 60 - 1).astype(np.int64)
    year = ymd(day)[0]
    order = np.lexsort((minutes, day))
    seq = np.zeros(M, dtype=np.int64)
    for y in np.unique(year):
        m = order[year[order] == y]
        seq[m] = np.sort(unique_ints(rng, m.size, 1, 999_999))
    melding = "VT-" + zfill(year, 4) + "-" + zfill(seq, 6)
    typ = reports["typ"].to_numpy()
    s = rng.choice(4, M, p=[0.30, 0.35, 0.30, 0.05])
    h = rng.choice(4, M, p=[0.05, 0.06, 0.04, 0.85])
    sash = np.where(
        typ == 2, obj(SASH + (None,))[s], np.where(typ == 0, obj(SASH + (None,))[h], None)
    )
    recent = day > day.max() - 90
    status = np.where(rng.random(M) < np.where(recent, 0.7, 0.1), "open", "gesloten")
    head = (
        '{"melding_id": '
        + json_str(melding)
        + ', "ontvangen_op": '
        + json_str(fmt_datetime(day, minutes))
        + ', "type": '
        + json_str(obj(CARE_TYPES)[typ])
        + ', "sash_risico": '
        + json_str(sash)
        + ', "status": '
        + json_str(status)
        + ', "betrokkenen": ['
    )
    people = people.copy()
    people["betrokkene_id"] = (
        melding[people["rep"].to_numpy()] + "-" + zfill(people["n"].to_numpy(), 1)
    )
    items = render_betrokkenen(rng, pop, addrs, people)
    grouped = pd.Series(items).groupby(people["rep"].to_numpy(), sort=True).agg(", ".join)
    body = obj("", M)
    body[grouped.index.to_numpy()] = grouped.to_numpy(dtype=object)
    lines = head + body + "]}"
    return list(lines), people, melding


def render_betrokkenen(
    rng: np.random.Generator, pop: Population, addrs: Addresses, people: pd.DataFrame
) -> np.ndarray:
    """One JSON object string per betrokkene."""
    idx = people["person"].to_numpy()
    rol = people["rol"].to_numpy(dtype=object)
    k = idx.size
    kid, melder = rol == "kind", rol == "melder"
    nm = noisy_names(
        rng,
        pop,
        idx,
        NameNoise(married=0.5, first_only=0.0, initials=0.0, translit=0.3, typo=0.02, fold=0.1),
    )
    surname = np.where(nm["tv"] != "", nm["tv"] + " " + nm["sn"], nm["sn"])
    u = rng.random(k)
    first_only = np.where(kid, u < 0.5, u < 0.1)
    naam = np.where(
        first_only,
        nm["roep"],
        np.where(
            u < 0.3,
            map_unique(nm["roep"], initials) + " " + surname,
            np.where(u < 0.4, nm["full"] + " " + surname, nm["roep"] + " " + surname),
        ),
    )
    iso = fmt_iso(pop.dob[idx])
    yr = zfill(ymd(pop.dob[idx])[0], 4)
    v = rng.random(k)
    dob = np.where(
        kid,
        np.where(v < 0.8, iso, None),
        np.where(
            melder,
            np.where(v < 0.1, iso, np.where(v < 0.15, yr, None)),
            np.where(v < 0.55, iso, np.where(v < 0.7, yr, None)),
        ),
    )
    a = np.where(
        melder,
        np.where(rng.random(k) < 0.15, pop.addr[idx], -1),
        choose_address(rng, pop, idx, 0.65, 0.10),
    )
    parts = address_text(rng, addrs, a)
    no_pc = rng.random(k) < 0.1
    adres = (
        parts["straat"]
        + " "
        + parts["huisnummer"]
        + ", "
        + np.where(no_pc, "", parts["postcode"] + " ")
        + parts["woonplaats"]
    )
    adres = np.where(a >= 0, adres, None)
    return (
        '{"betrokkene_id": '
        + json_str(people["betrokkene_id"].to_numpy(dtype=object))
        + ', "rol": '
        + json_str(rol)
        + ', "naam": '
        + json_str(naam)
        + ', "geboortedatum": '
        + json_str(dob)
        + ', "adres": '
        + json_str(adres)
        + "}"
    )


def write_care(lines: list[str], melding: np.ndarray, path: Path, tail: list[str] = ()) -> None:
    """UTF-8 JSON Lines, one report per line, in order of melding (stable for equal times),
    then the `tail` lines as given."""
    path.write_text(
        "".join(lines[i] + "\n" for i in np.argsort(melding, kind="stable"))
        + "".join(line + "\n" for line in tail),
        encoding="utf-8",
    )
