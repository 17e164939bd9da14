"""The municipal extract (``municipal_brp.csv``): the BRP registration of every resident.

Why: the BRP is the cleanest source (``,`` separated UTF-8, ``jjjjmmdd`` dates, partly unknown
dates as ``00``); it covers the region's residents, not the persons living outside it.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from ..dates import fmt_compact, ymd
from ..draws import zfill
from ..places import Addresses
from ..population import Population

BRP_COLUMNS = (
    "record_id",
    "bsn",
    "geslachtsnaam",
    "voorvoegsel",
    "voornamen",
    "geboortedatum",
    "geslacht",
    "straatnaam",
    "huisnummer",
    "huisletter",
    "huisnummertoevoeging",
    "postcode",
    "woonplaats",
    "adres_id",
    "ouder1_bsn",
    "ouder2_bsn",
    "partner_bsn",
    "datum_inschrijving",
)


def render_brp(pop: Population, addrs: Addresses) -> pd.DataFrame:
    """One row per resident of the region, sorted by A-nummer."""
    idx = np.flatnonzero(pop.in_region)
    y, m, d = ymd(pop.dob[idx])
    unk = pop.dob_unknown[idx]
    m = np.where(unk == 2, 0, m)
    d = np.where(unk >= 1, 0, d)
    a = pop.addr[idx]

    def bsn_of(ref_idx: np.ndarray, ok: np.ndarray) -> np.ndarray:
        return np.where(ok, pop.bsn[np.maximum(ref_idx, 0)], "")

    iy, im, iday = ymd(pop.inschrijving[idx])
    df = pd.DataFrame(
        {
            "record_id": pop.anr[idx],
            "bsn": pop.bsn[idx],
            "geslachtsnaam": pop.sn[idx],
            "voorvoegsel": pop.tv[idx],
            "voornamen": pop.voornamen[idx],
            "geboortedatum": fmt_compact(y, m, d),
            "geslacht": np.where(pop.sex[idx] == "X", "O", pop.sex[idx]),
            "straatnaam": addrs.street[a],
            "huisnummer": zfill(addrs.number[a], 1),
            "huisletter": addrs.letter[a],
            "huisnummertoevoeging": addrs.toev[a],
            "postcode": addrs.postcode[a],
            "woonplaats": addrs.town[a],
            "adres_id": addrs.adres_id[a],
            "ouder1_bsn": bsn_of(pop.parent1[idx], pop.parent1[idx] >= 0),
            "ouder2_bsn": bsn_of(pop.parent2[idx], pop.parent2[idx] >= 0),
            "partner_bsn": bsn_of(pop.partner[idx], pop.registered[idx]),
            "datum_inschrijving": fmt_compact(iy, im, iday),
        },
        columns=list(BRP_COLUMNS),
    )
    df["_person"] = idx
    return df.sort_values("record_id", kind="stable").reset_index(drop=True)


def write_municipal(brp: pd.DataFrame, path: Path) -> None:
    """``,`` separated UTF-8 CSV with the contract's columns only (the person key stays out)."""
    brp[list(BRP_COLUMNS)].to_csv(path, sep=",", index=False, encoding="utf-8", lineterminator="\n")
