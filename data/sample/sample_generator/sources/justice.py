"""The justice extract (``justice_cases.parquet``): OM cases, mostly following police registrations.

Why: most suspects come from police registrations, some persons are only known to the OM; it is
the only typed source (string, date32, bool), so its schema is fixed here and the file matches
the contract byte for byte for a given seed.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..dates import YEAR, from_ymd, ymd
from ..draws import map_unique, obj, pick, stage_rng, unique_ints, zfill
from ..noise import NameNoise, initials, noisy_bsn, noisy_dob, noisy_names
from ..population import Population
from .police import PoliceRows

JUSTICE_FEIT = {
    "mishandeling": "mishandeling (art. 300 Sr)",
    "bedreiging": "bedreiging (art. 285 Sr)",
    "stalking": "belaging (art. 285b Sr)",
    "vernieling": "vernieling (art. 350 Sr)",
    "winkeldiefstal": "diefstal (art. 310 Sr)",
    "diefstal": "diefstal (art. 310 Sr)",
    "inbraak": "diefstal met braak (art. 311 Sr)",
    "openlijke geweldpleging": "openlijke geweldpleging (art. 141 Sr)",
    "drugshandel": "handel in harddrugs (art. 2 Opiumwet)",
    "straatroof": "diefstal met geweld (art. 312 Sr)",
    "heling": "opzetheling (art. 416 Sr)",
    "rijden onder invloed": "rijden onder invloed (art. 8 WVW 1994)",
}


JUSTICE_FEIT_OTHER = (
    "oplichting (art. 326 Sr)",
    "witwassen (art. 420bis Sr)",
    "verduistering (art. 321 Sr)",
    "valsheid in geschrift (art. 225 Sr)",
    "overtreding contactverbod (art. 184a Sr)",
)


ZAAK_STATUS = ("ingeschreven", "vervolging", "sepot", "veroordeeld", "vrijspraak")


ZAAK_STATUS_P = (0.15, 0.25, 0.20, 0.32, 0.08)


JUSTICE_SCHEMA = pa.schema(
    [
        ("record_id", pa.string()),
        ("verdachte_naam", pa.string()),
        ("geboortedatum", pa.date32()),
        ("bsn", pa.string()),
        ("feit", pa.string()),
        ("zaak_status", pa.string()),
        ("status_datum", pa.date32()),
        ("toezicht_reclassering", pa.bool_()),
        ("toezicht_einddatum", pa.date32()),
        ("contactverbod", pa.bool_()),
    ]
)


def build_justice(
    seed: int, pop: Population, rows: PoliceRows, ref: int, target: int
) -> pd.DataFrame:
    """One row per suspect per case: mostly police suspects, some persons only known to OM."""
    rng = stage_rng(seed, "justice")
    sus = np.flatnonzero(rows.role == 0)
    want_police = int(target * 0.9)
    boost = np.where(rows.hg[sus], 1.3, 1.0)
    p_take = min(1.0, want_police / max(boost.sum(), 1)) * boost
    take = sus[rng.random(sus.size) < p_take]
    person = rows.person[take]
    case_date = np.minimum(rows.reg_date[take] + rng.integers(0, 61, take.size), ref - 1)
    feit = obj([JUSTICE_FEIT[f] for f in rows.feit[take]]) if take.size else obj([])
    feit = np.where(rows.hg[take], feit + ", huiselijke kring", feit)
    is_hg = rows.hg[take] | (rows.feit[take] == "stalking")
    # others: adults not (necessarily) known to the police, more often from outside the region
    n_other = max(1, target - take.size)
    age = (ref - pop.dob) / YEAR
    w = np.where(pop.ghost | (age < 18) | (age > 80), 0.0, np.where(pop.in_region, 1.0, 4.0))
    others = rng.choice(pop.sex.size, n_other, p=w / w.sum())
    person = np.r_[person, others]
    case_date = np.r_[case_date, ref - 1 - rng.integers(0, 4 * 365, n_other)]
    feit = np.r_[feit, pick(rng, JUSTICE_FEIT_OTHER, n_other)]
    is_hg = np.r_[is_hg, np.zeros(n_other, dtype=bool)]
    return render_justice(rng, pop, person, case_date, feit, is_hg, ref)


def parketnummers(rng: np.random.Generator, dates: np.ndarray) -> np.ndarray:
    """'10/123456-26': arrondissement 10 (Rotterdam), a number unique within the year, yy."""
    y = ymd(dates)[0]
    seq = np.zeros(dates.size, dtype=np.int64)
    for year in np.unique(y):
        m = np.flatnonzero(y == year)
        order = m[np.argsort(dates[m], kind="stable")]
        seq[order] = np.sort(unique_ints(rng, m.size, 100_000, 999_999))
    return "10/" + zfill(seq, 6) + "-" + zfill(y % 100, 2)


def render_justice(
    rng: np.random.Generator,
    pop: Population,
    person: np.ndarray,
    case_date: np.ndarray,
    feit: np.ndarray,
    is_hg: np.ndarray,
    ref: int,
) -> pd.DataFrame:
    """The justice_cases table with status, supervision and contact orders."""
    k = person.size
    nm = noisy_names(
        rng,
        pop,
        person,
        NameNoise(married=0.2, first_only=0.0, initials=0.0, translit=0.1, typo=0.01, fold=0.05),
    )
    naam = (
        nm["sn"]
        + ", "
        + map_unique(nm["full"], initials)
        + np.where(nm["tv"] != "", " " + nm["tv"], "")
    )
    y, m, d = noisy_dob(rng, pop.dob[person], 0.005, 0.005)
    dob = from_ymd(y, m, d).astype("datetime64[D]")
    status = pick(rng, ZAAK_STATUS, k, ZAAK_STATUS_P)
    status_date = case_date + np.floor(rng.random(k) * (ref - case_date)).astype(np.int64)
    p_sup = np.select([status == "veroordeeld", status == "vervolging"], [0.35, 0.12], 0.0)
    sup = rng.random(k) < p_sup
    end = np.maximum(status_date + rng.integers(180, 1096, k), ref + rng.integers(14, 400, k))
    active = np.isin(status, ["vervolging", "veroordeeld"])
    contact = rng.random(k) < np.where(is_hg & active, 0.45, np.where(is_hg, 0.05, 0.02))
    bsn = noisy_bsn(
        rng, pop.bsn[person], present=0.9, p_drop0=0.3, p_space=0.01, p_dot=0.01, p_invalid=0.01
    )
    df = pd.DataFrame(
        {
            "record_id": parketnummers(rng, case_date),
            "verdachte_naam": naam,
            "geboortedatum": np.where(rng.random(k) < 0.02, np.datetime64("NaT"), dob),
            "bsn": np.where(bsn == "", None, bsn),
            "feit": feit,
            "zaak_status": status,
            "status_datum": status_date.astype("datetime64[D]"),
            "toezicht_reclassering": sup,
            "toezicht_einddatum": np.where(sup, end.astype("datetime64[D]"), np.datetime64("NaT")),
            "contactverbod": contact,
        }
    )
    df["_person"] = person
    return df.sort_values("record_id", kind="stable").reset_index(drop=True)


def justice_table(df: pd.DataFrame) -> pa.Table:
    """The justice frame as a pyarrow table with the contract's types."""
    arrays = []
    for field in JUSTICE_SCHEMA:
        col = df[field.name]
        if pa.types.is_date32(field.type):
            arrays.append(
                pa.array(col.to_numpy(dtype="datetime64[D]"), type=pa.date32(), from_pandas=True)
            )
        elif pa.types.is_boolean(field.type):
            arrays.append(pa.array(col.to_numpy(dtype=bool), type=pa.bool_()))
        else:
            arrays.append(pa.array(col.to_numpy(dtype=object), type=pa.string(), from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=JUSTICE_SCHEMA)


def write_justice(df: pd.DataFrame, path: Path) -> None:
    """Typed Parquet with the contract's schema."""
    pq.write_table(justice_table(df), path)
