"""Malformed rows injected into the extracts so the pipeline's quarantine is exercised.

Why separate: defects are not noise a partner system makes on purpose but rows the contract
rejects (impossible dates, non-J/N flags, unknown roles, cut-off JSON). Each kind occurs at
least once when ``--defects`` > 0; defective records keep their truth rows.
"""

import json

import numpy as np
import pandas as pd

from .draws import pick


def defect_rows(rng: np.random.Generator, n_rows: int, kinds: int, rate: float) -> list[np.ndarray]:
    """Distinct row indices per defect kind: each kind at least once when rate > 0."""
    if rate <= 0 or n_rows == 0:
        return [np.empty(0, dtype=np.int64) for _ in range(kinds)]
    total = min(n_rows, max(kinds, int(round(rate * n_rows))))
    rows = rng.choice(n_rows, total, replace=False)
    return [rows[i::kinds] for i in range(kinds)]


def police_defects(rng: np.random.Generator, df: pd.DataFrame, rate: float) -> None:
    """Impossible dates, non-J/N flags and unknown roles in police rows (in place)."""
    bad_dob, bad_reg, bad_flag, bad_rol = defect_rows(rng, len(df), 4, rate)
    years = df["registratie_datum"].str[-4:].to_numpy(dtype=object)
    df.loc[bad_dob, "geboortedatum"] = pick(
        rng, ("31-02-", "30-02-", "00-13-"), bad_dob.size
    ) + pick(rng, ("1985", "1979", "1992"), bad_dob.size)
    df.loc[bad_reg, "registratie_datum"] = (
        pick(rng, ("31-04-", "31-06-", "31-09-"), bad_reg.size) + years[bad_reg]
    )
    for col, rows in (("huiselijk_geweld", bad_flag[::2]), ("aangehouden", bad_flag[1::2])):
        df.loc[rows, col] = pick(rng, ("Ja", "?", "1", "n.v.t."), rows.size)
    df.loc[bad_rol, "rol"] = pick(rng, ("dader", "aangever", "onbekend"), bad_rol.size)


def care_defects(
    rng: np.random.Generator, lines: list[str], people: pd.DataFrame, rate: float
) -> None:
    """A cut-off line (invalid JSON, ids still readable) and an unknown rol of a non-melder."""
    bad_json, bad_rol = defect_rows(rng, len(lines), 2, rate)
    for i in bad_json:
        lines[i] = lines[i][:-2]
    subjects = people.index[(people["rol"] != "melder").to_numpy()].to_numpy()
    reps = people["rep"].to_numpy()
    for i in bad_rol:
        cand = subjects[reps[subjects] == i]
        if cand.size == 0 or i in set(bad_json):
            continue
        j = int(cand[0])
        rol = people.at[j, "rol"]
        old = (
            '"betrokkene_id": '
            + json.dumps(people.at[j, "betrokkene_id"])
            + ', "rol": "'
            + rol
            + '"'
        )
        lines[i] = lines[i].replace(
            old,
            old.replace(
                '"' + rol + '"', '"' + ("buurvrouw" if rol != "kind" else "pleegkind") + '"'
            ),
        )


def brp_defects(rng: np.random.Generator, df: pd.DataFrame, rate: float) -> None:
    """Non-numeric and impossible birth dates in BRP rows (in place)."""
    non_numeric, impossible = defect_rows(rng, len(df), 2, rate)
    dob = df["geboortedatum"].to_numpy(dtype=object)
    iso = pd.Series(dob[non_numeric], dtype=str)
    df.loc[non_numeric, "geboortedatum"] = np.where(
        rng.random(non_numeric.size) < 0.5,
        "onbekend",
        (iso.str[0:4] + "-" + iso.str[4:6] + "-" + iso.str[6:8]).to_numpy(dtype=object),
    )
    df.loc[impossible, "geboortedatum"] = (
        pd.Series(dob[impossible], dtype=str).str[0:4].to_numpy(dtype=object) + "0231"
    )
