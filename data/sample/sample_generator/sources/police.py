"""The police extract (``police_persons.csv``): registrations, their persons and the CSV writer.

Why: police registrations drive the other sources (justice cases and care reports follow
police registrations, arrests are police events), so the registrations (``PoliceRows``) are
drawn here and passed on; the file is ``;`` separated cp1252 with ``dd-mm-jjjj`` dates.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..dates import YEAR, fmt_dmy, ymd
from ..draws import (
    draw_from,
    map_unique,
    obj,
    pick,
    random_member,
    stage_rng,
    unique_ints,
    weighted_pool,
    zfill,
)
from ..households import Households
from ..noise import NameNoise, cp1252_safe, noisy_bsn, noisy_dob, noisy_names
from ..places import BIRTHPLACE_VARIANTS, Addresses
from ..population import Population
from .clerk import address_text, choose_address

POLICE_FEIT_HG = ("mishandeling", "bedreiging", "stalking", "vernieling")


POLICE_FEIT_HG_P = (0.50, 0.28, 0.12, 0.10)


POLICE_FEIT_REG = (
    "winkeldiefstal",
    "mishandeling",
    "bedreiging",
    "vernieling",
    "diefstal",
    "inbraak",
    "openlijke geweldpleging",
    "drugshandel",
    "straatroof",
    "heling",
    "rijden onder invloed",
)


POLICE_FEIT_REG_P = (0.20, 0.17, 0.12, 0.10, 0.10, 0.07, 0.05, 0.06, 0.04, 0.03, 0.06)


REG_VICTIM_P = (0.0, 0.9, 0.9, 0.5, 0.6, 0.8, 0.7, 0.0, 1.0, 0.0, 0.05)


REG_COSUSPECT_P = (0.03, 0.05, 0.03, 0.10, 0.05, 0.20, 0.60, 0.15, 0.30, 0.10, 0.0)


POLICE_FEIT_VICT = ("inbraak", "diefstal", "fietsdiefstal", "oplichting", "vernieling")


ROLES = ("verdachte", "slachtoffer", "getuige", "betrokkene")


POLICE_COLUMNS = (
    "record_id",
    "registratie_datum",
    "rol",
    "feit",
    "huiselijk_geweld",
    "achternaam",
    "voorvoegsel",
    "voornamen",
    "geboortedatum",
    "geboorteplaats",
    "geslacht",
    "bsn",
    "straat",
    "huisnummer",
    "postcode",
    "woonplaats",
    "aangehouden",
)


@dataclass
class PoliceRows:
    """Police rows before rendering: person, registration, role, flags."""

    person: np.ndarray
    reg: np.ndarray
    nn: np.ndarray
    role: np.ndarray
    reg_date: np.ndarray
    regnum: np.ndarray
    feit: np.ndarray
    hg: np.ndarray
    arrested: np.ndarray


def police_pools(rng: np.random.Generator, pop: Population, ref: int) -> dict:
    """Suspect pools (general and domestic violence) and victim/witness populations."""
    age = (ref - pop.dob) / YEAR
    real = ~pop.ghost
    male = pop.sex == "M"
    young = (age >= 15) & (age <= 40)
    p_pool = np.select([male & young, male, young], [0.16, 0.06, 0.05], 0.02)
    in_pool = real & (age >= 15) & (age <= 78) & (rng.random(pop.sex.size) < p_pool)
    hg_w = np.where(male, 3.0, 1.0)
    in_hg = real & (age >= 20) & (age <= 75) & (rng.random(pop.sex.size) < 0.08) & (pop.ex >= 0)
    return {
        "suspect": weighted_pool(rng, in_pool, np.ones(pop.sex.size), 1.2),
        "hg": weighted_pool(rng, in_hg, hg_w, 1.3),
        "victim": real & (age >= 8),
        "witness": real & (age >= 16),
    }


def household_kid(
    rng: np.random.Generator,
    pop: Population,
    hhs: Households,
    person: np.ndarray,
    before: np.ndarray,
) -> np.ndarray:
    """A random child of the person's household born before ``before``, else -1."""
    h = pop.hh[np.maximum(person, 0)]
    nk = hhs.nkids[h]
    kid = (
        hhs.start[h]
        + hhs.nadults[h]
        + np.floor(rng.random(person.size) * np.maximum(nk, 1)).astype(np.int64)
    )
    kid = np.minimum(kid, pop.sex.size - 1)
    return np.where((person >= 0) & (nk > 0) & (pop.dob[kid] < before), kid, -1)


def registration_numbers(rng: np.random.Generator, dates: np.ndarray, high: int) -> np.ndarray:
    """'<year><6 digits>' numbers, increasing with the date within a year, unique."""
    y = ymd(dates)[0]
    seq = np.zeros(dates.size, dtype=np.int64)
    for year in np.unique(y):
        m = np.flatnonzero(y == year)
        order = m[np.argsort(dates[m], kind="stable")]
        seq[order] = np.sort(unique_ints(rng, m.size, 1, high))
    return zfill(y, 4) + zfill(seq, 6)


def build_police(
    seed: int, pop: Population, hhs: Households, ref: int, target_rows: int
) -> PoliceRows:
    """Registrations with 1-3 persons each: domestic violence, ordinary, victim-only."""
    rng = stage_rng(seed, "police")
    pools = police_pools(rng, pop, ref)
    R = max(8, int(round(target_rows / 1.86)))
    cat = rng.choice(3, R, p=[0.28, 0.57, 0.15])
    reg_date = ref - 1 - rng.integers(0, 3 * 365, R)
    p = np.full((3, R), -1, dtype=np.int64)
    role = np.full((3, R), 2, dtype=np.int64)
    feit = obj("", R)
    # domestic violence: suspect, partner/ex-partner/household member, maybe a child or witness
    hg = np.flatnonzero(cat == 0)
    s = draw_from(rng, pools["hg"], hg.size)
    u = rng.random(hg.size)
    prt, ex = pop.partner[s], pop.ex[s]
    victim = np.where((u < 0.55) & (prt >= 0), prt, ex)
    h = pop.hh[s]
    other = (
        hhs.start[h]
        + (pop.pos[s] + 1 + rng.integers(0, np.maximum(hhs.size[h] - 1, 1))) % hhs.size[h]
    )
    victim = np.where(
        (u >= 0.9) & (hhs.size[h] > 1) & (pop.dob[other] < reg_date[hg] - 8 * YEAR), other, victim
    )
    third_kid = household_kid(rng, pop, hhs, victim, reg_date[hg])
    third_kid = np.where((rng.random(hg.size) < 0.45) & (third_kid != victim), third_kid, -1)
    witness = np.where(rng.random(hg.size) < 0.2, random_member(rng, pools["witness"], hg.size), -1)
    p[0, hg], p[1, hg] = s, victim
    p[2, hg] = np.where(third_kid >= 0, third_kid, witness)
    role[0, hg], role[1, hg] = 0, 1
    role[2, hg] = np.where(third_kid >= 0, 3, 2)
    feit[hg] = pick(rng, POLICE_FEIT_HG, hg.size, POLICE_FEIT_HG_P)
    # ordinary: suspect, maybe a victim, maybe a co-suspect or a witness
    rg = np.flatnonzero(cat == 1)
    fi = rng.choice(
        len(POLICE_FEIT_REG), rg.size, p=np.array(POLICE_FEIT_REG_P) / sum(POLICE_FEIT_REG_P)
    )
    feit[rg] = obj(POLICE_FEIT_REG)[fi]
    p[0, rg], role[0, rg] = draw_from(rng, pools["suspect"], rg.size), 0
    has_v = rng.random(rg.size) < np.array(REG_VICTIM_P)[fi]
    p[1, rg] = np.where(has_v, random_member(rng, pools["victim"], rg.size), -1)
    role[1, rg] = 1
    co = rng.random(rg.size) < np.array(REG_COSUSPECT_P)[fi]
    wit = rng.random(rg.size) < 0.25
    p[2, rg] = np.where(
        co,
        draw_from(rng, pools["suspect"], rg.size),
        np.where(wit, random_member(rng, pools["witness"], rg.size), -1),
    )
    role[2, rg] = np.where(co, 0, 2)
    # victim only (suspect unknown)
    vo = np.flatnonzero(cat == 2)
    feit[vo] = pick(rng, POLICE_FEIT_VICT, vo.size, (0.35, 0.25, 0.2, 0.1, 0.1))
    p[0, vo], role[0, vo] = random_member(rng, pools["victim"], vo.size), 1
    p[1, vo] = np.where(
        rng.random(vo.size) < 0.25, random_member(rng, pools["witness"], vo.size), -1
    )
    p[1, vo] = np.where(p[1, vo] == p[0, vo], -1, p[1, vo])
    # no person twice in one registration
    p[1] = np.where(p[1] == p[0], -1, p[1])
    p[2] = np.where((p[2] == p[0]) | (p[2] == p[1]), -1, p[2])
    return flatten_registrations(rng, p, role, reg_date, feit, cat == 0)


def flatten_registrations(
    rng: np.random.Generator,
    p: np.ndarray,
    role: np.ndarray,
    reg_date: np.ndarray,
    feit: np.ndarray,
    hg: np.ndarray,
) -> PoliceRows:
    """One row per person per registration, numbered 01, 02, 03 within the registration."""
    R = reg_date.size
    regnum = registration_numbers(rng, reg_date, 900_000)
    present = p >= 0
    nn = np.cumsum(present, axis=0)
    slot_reg = np.broadcast_to(np.arange(R), p.shape)
    m = present.T.ravel()  # registration-major order
    reg = slot_reg.T.ravel()[m]
    rows_role = role.T.ravel()[m]
    arrested = (rows_role == 0) & (rng.random(reg.size) < np.where(hg[reg], 0.6, 0.4))
    return PoliceRows(
        person=p.T.ravel()[m],
        reg=reg,
        nn=nn.T.ravel()[m],
        role=rows_role,
        reg_date=reg_date[reg],
        regnum=regnum[reg],
        feit=feit[reg],
        hg=hg[reg],
        arrested=arrested,
    )


def render_police_person(
    rng: np.random.Generator, pop: Population, addrs: Addresses, idx: np.ndarray
) -> dict[str, np.ndarray]:
    """Name, birth, identity and address columns as the police records them."""
    k = idx.size
    nm = noisy_names(
        rng,
        pop,
        idx,
        NameNoise(married=0.5, first_only=0.22, initials=0.15, translit=0.4, typo=0.03, fold=0.3),
    )
    merge = (nm["tv"] != "") & (rng.random(k) < 0.5)
    achternaam = np.where(merge, nm["tv"] + " " + nm["sn"], nm["sn"])
    capital = merge & (rng.random(k) < 0.1)
    achternaam = np.where(
        capital, map_unique(achternaam, lambda s: s[:1].upper() + s[1:]), achternaam
    )
    upper = rng.random(k) < 0.02
    achternaam = np.where(upper, map_unique(achternaam, str.upper), achternaam)
    y, m, d = noisy_dob(rng, pop.dob[idx], 0.02, 0.015)
    dob = np.where(rng.random(k) < 0.05, "", fmt_dmy(y, m, d))
    place = pop.birthplace[idx]
    variant = map_unique(place, lambda s: BIRTHPLACE_VARIANTS.get(s, s))
    place = np.where(rng.random(k) < 0.4, variant, place)
    place = np.where(rng.random(k) < 0.35, "", place)
    sex = np.where(rng.random(k) < 0.05, "", pop.sex[idx])
    bsn = noisy_bsn(
        rng, pop.bsn[idx], present=0.5, p_drop0=0.4, p_space=0.05, p_dot=0.04, p_invalid=0.03
    )
    cols = {
        "achternaam": achternaam,
        "voorvoegsel": np.where(merge, "", nm["tv"]),
        "voornamen": nm["given"],
        "geboortedatum": dob,
        "geboorteplaats": place,
        "geslacht": sex,
        "bsn": bsn,
    }
    cols.update(address_text(rng, addrs, choose_address(rng, pop, idx, 0.65, 0.15)))
    return cols


def render_police(seed: int, pop: Population, addrs: Addresses, rows: PoliceRows) -> pd.DataFrame:
    """The police_persons.csv table, sorted by record_id."""
    rng = stage_rng(seed, "police-render")
    y, m, d = ymd(rows.reg_date)
    person = render_police_person(rng, pop, addrs, rows.person)
    df = pd.DataFrame(
        {
            "record_id": "PL-" + rows.regnum + "-" + zfill(rows.nn, 2),
            "registratie_datum": fmt_dmy(y, m, d),
            "rol": obj(ROLES)[rows.role],
            "feit": rows.feit,
            "huiselijk_geweld": np.where(rows.hg, "J", "N"),
            **person,
            "aangehouden": np.where(rows.arrested, "J", "N"),
        },
        columns=list(POLICE_COLUMNS),
    )
    df["_person"] = rows.person
    return df.sort_values("record_id", kind="stable").reset_index(drop=True)


def write_police(df: pd.DataFrame, path: Path) -> None:
    """Semicolon CSV in Windows-1252 with CRLF, as a Windows export would be."""
    out = df[list(POLICE_COLUMNS)].copy()
    for col in ("achternaam", "voorvoegsel", "voornamen", "geboorteplaats", "straat", "woonplaats"):
        out[col] = map_unique(out[col].to_numpy(dtype=object), cp1252_safe)
    out.to_csv(path, sep=";", index=False, encoding="cp1252", lineterminator="\r\n")
