"""The on-arrest feed (``inbox/arrests/AH-*.json``): one file per arrest.

Why: an arrest is a second entry into the pipeline; some arrested persons are already known to
the sources and some ("ghosts") are not, so the feed is drawn from the population and the
police registrations and written in the feed's own JSON format.
"""

import json
from pathlib import Path

import numpy as np

from .dates import fmt_datetime, fmt_dmy, ymd
from .draws import pick, stage_rng, unique_ints
from .places import Addresses
from .population import Population
from .sources.police import (
    POLICE_FEIT_HG,
    POLICE_FEIT_HG_P,
    POLICE_FEIT_REG,
    POLICE_FEIT_REG_P,
    PoliceRows,
    render_police_person,
)


def build_arrests(
    seed: int,
    pop: Population,
    addrs: Addresses,
    rows: PoliceRows,
    brp_persons: np.ndarray,
    ref: int,
    count: int,
) -> tuple[list[dict], np.ndarray]:
    """On-arrest feed objects: mostly known persons, the ghosts unknown to every source."""
    rng = stage_rng(seed, "arrests")
    if count <= 0:
        return [], np.empty(0, dtype=np.int64)
    ghosts = np.flatnonzero(pop.ghost)[:count]
    known = count - ghosts.size
    suspects = np.unique(rows.person[rows.role == 0])
    residents = brp_persons if brp_persons.size else suspects
    suspects = suspects if suspects.size else residents
    from_police = rng.random(known) < 0.7
    persons = np.where(
        from_police,
        suspects[rng.integers(0, suspects.size, known)],
        residents[rng.integers(0, residents.size, known)],
    )
    persons = np.r_[persons, ghosts]
    persons = rng.permutation(persons)
    cols = render_police_person(rng, pop, addrs, persons)
    y, m, d = ymd(pop.dob[persons])
    cols["geboortedatum"] = np.where(
        cols["geboortedatum"] == "", fmt_dmy(y, m, d), cols["geboortedatum"]
    )
    minutes = rng.integers(0, 24 * 60, count)
    when = fmt_datetime(np.full(count, ref), minutes)
    year = ymd(np.array([ref]))[0][0]
    seq = np.sort(unique_ints(rng, count, 900_000, 1_000_000))
    hg = rng.random(count) < 0.4
    feit = np.where(
        hg,
        pick(rng, POLICE_FEIT_HG, count, POLICE_FEIT_HG_P),
        pick(rng, POLICE_FEIT_REG, count, POLICE_FEIT_REG_P),
    )
    objs = []
    for i in range(count):
        objs.append(
            {
                "arrest_id": f"AH-{year}-{seq[i]:06d}",
                "aangehouden_op": when[i],
                "record_id": f"PL-{year}{seq[i]:06d}-01",
                "feit": feit[i],
                "huiselijk_geweld": bool(hg[i]),
                "achternaam": cols["achternaam"][i],
                "voorvoegsel": cols["voorvoegsel"][i],
                "voornamen": cols["voornamen"][i],
                "geboortedatum": cols["geboortedatum"][i],
                "bsn": cols["bsn"][i].replace(" ", "").replace(".", "") or None,
                "straat": cols["straat"][i],
                "huisnummer": cols["huisnummer"][i],
                "postcode": cols["postcode"][i],
                "woonplaats": cols["woonplaats"][i],
            }
        )
    return objs, persons


def write_arrests(folder: Path, objs: list[dict]) -> None:
    """One JSON file per arrest; earlier generated AH-*.json files in the folder are replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("AH-*.json"):
        old.unlink()
    for o in objs:
        (folder / f"{o['arrest_id']}.json").write_text(
            json.dumps(o, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
