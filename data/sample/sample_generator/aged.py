"""Records past their retention term: old registrations, cases and reports of known persons.

Why: a partner's full snapshot still carries records the photo may no longer use (issue 17: a
police registration leaves the photo 5 years after its date, a case 5 years after its status, a
care report 3 years after its receipt; docs/retention.md). The pipeline must count them as
expired and keep them out of everything it writes, so the sample carries a few of each.

They are copies of rows already drawn (the same synthetic person, a new id and an old date),
added after every other stage from a stage generator of their own: the rest of the delivery,
and so every person's photo, is byte for byte what it was without them. Ids use years before
any the other stages draw (2021 and earlier), so they never collide. Municipal records have no
term by date (the BRP delivers current registrations only), so none are aged there.
"""

import json

import numpy as np
import pandas as pd

from .dates import YEAR, fmt_datetime, fmt_dmy, ymd
from .draws import zfill

POLICE_ROWS = 6
JUSTICE_ROWS = 4
CARE_REPORTS = 3


def _old_days(rng: np.random.Generator, ref: int, n: int, low: float, high: float) -> np.ndarray:
    """`n` days between `low` and `high` years before `ref`, never after 2021-12-31."""
    days = ref - np.floor(rng.uniform(low, high, n) * YEAR).astype(np.int64)
    return np.minimum(days, int(np.datetime64("2021-12-31", "D").astype(np.int64)))


def age_police(rng: np.random.Generator, police: pd.DataFrame, ref: int) -> pd.DataFrame:
    """The police frame plus registrations 5 to 9 years old, one person each."""
    n = min(POLICE_ROWS, len(police))
    take = np.sort(rng.choice(len(police), n, replace=False))
    rows = police.iloc[take].copy()
    y, m, d = ymd(_old_days(rng, ref, n, 5.2, 9.0))
    rows["registratie_datum"] = fmt_dmy(y, m, d)
    rows["record_id"] = "PL-" + zfill(y, 4) + "9" + zfill(np.arange(n) + 1, 5) + "-01"
    rows["aangehouden"] = "N"
    return pd.concat([police, rows], ignore_index=True)


def age_justice(rng: np.random.Generator, justice: pd.DataFrame, ref: int) -> pd.DataFrame:
    """The justice frame plus cases whose status is 5 to 8 years old (the last one a dismissal
    3 to 4 years old: a shorter term), supervision long ended."""
    n = min(JUSTICE_ROWS, len(justice))
    take = np.sort(rng.choice(len(justice), n, replace=False))
    rows = justice.iloc[take].copy()
    days = _old_days(rng, ref, n, 5.2, 8.0)
    status = np.array(["veroordeeld"] * (n - 1) + ["sepot"], dtype=object)
    days[-1] = _old_days(rng, ref, 1, 3.2, 3.9)[0]
    y = ymd(days)[0]
    rows["zaak_status"] = status
    rows["status_datum"] = days.astype("datetime64[D]")
    rows["toezicht_reclassering"] = False
    rows["toezicht_einddatum"] = np.datetime64("NaT")
    rows["record_id"] = "10/9" + zfill(np.arange(n) + 1, 5) + "-" + zfill(y % 100, 2)
    return pd.concat([justice, rows], ignore_index=True)


def age_care(
    rng: np.random.Generator, lines: list[str], people: pd.DataFrame, ref: int
) -> tuple[list[str], pd.DataFrame]:
    """Reports received 3 to 6 years ago (lines to append to the file: the other reports keep
    their line numbers), and the persons plus those of the reports they copy (melders too)."""
    readable = [i for i, line in enumerate(lines) if _loads(line) is not None]
    n = min(CARE_REPORTS, len(readable))
    take = np.sort(rng.choice(readable, n, replace=False))
    days = _old_days(rng, ref, n, 3.2, 6.0)
    minutes = rng.integers(8 * 60, 18 * 60, n)
    stamps = fmt_datetime(days, minutes)
    years = ymd(days)[0]
    tail, new_people = [], []
    for k, (i, stamp, year) in enumerate(zip(take, stamps, years, strict=True)):
        report = _loads(lines[i])
        old_id, new_id = report["melding_id"], f"VT-{year:04d}-9{k + 1:05d}"
        report["melding_id"], report["ontvangen_op"] = new_id, stamp
        for person in report["betrokkenen"]:
            person["betrokkene_id"] = person["betrokkene_id"].replace(old_id, new_id, 1)
        tail.append(json.dumps(report, ensure_ascii=False))
        mine = people[people["betrokkene_id"].str.startswith(old_id + "-")].copy()
        mine["betrokkene_id"] = mine["betrokkene_id"].str.replace(old_id, new_id, n=1,
                                                                  regex=False)
        new_people.append(mine)
    return tail, pd.concat([people, *new_people], ignore_index=True)


def _loads(line: str) -> dict | None:
    try:
        report = json.loads(line)
    except json.JSONDecodeError:
        return None
    return report if isinstance(report, dict) else None
