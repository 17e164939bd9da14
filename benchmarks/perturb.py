"""Deliveries unlike our generator's, made from one of its deliveries: what another partner
set-up or another generator might send within the same contract.

Each function rewrites an inbox in place, in the contract's formats (police: `;`, Windows-1252,
CRLF; justice: Parquet; care: JSON Lines). Record ids stay, so the generator's truth still
holds. Seeded: the same seed gives the same delivery.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

LETTERS = "abcdefghijklmnoprstuvwz"


def one_edit(word: str, rng: np.random.Generator) -> str:
    """One substitution, transposition, deletion or insertion at any position, the first
    letter included (our generator never touches it; people and OCR do: 'Kees'/'Cees')."""
    if len(word) < 3:
        return word
    i = int(rng.integers(0, len(word)))
    op = int(rng.integers(0, 4))
    letter = LETTERS[int(rng.integers(0, len(LETTERS)))]
    if word[i].isupper():
        letter = letter.upper()
    if op == 0:
        return word[:i] + letter + word[i + 1:]
    if op == 1 and i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if op == 2:
        return word[:i] + word[i + 1:]
    return word[:i] + letter + word[i:]


def _delivery(inbox: Path) -> Path:
    return sorted(p for p in inbox.iterdir() if p.is_dir() and p.name[:2] == "20")[-1]


def _read_police(day: Path) -> pd.DataFrame:
    return pd.read_csv(day / "police_persons.csv", sep=";", encoding="cp1252", dtype=str,
                       keep_default_na=False)


def _write_police(day: Path, frame: pd.DataFrame) -> None:
    frame.to_csv(day / "police_persons.csv", sep=";", index=False, encoding="cp1252",
                 lineterminator="\r\n")


def _edit_care(day: Path, edit) -> None:
    path = day / "care_reports.jsonl"
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            report = json.loads(line)
            people = report["betrokkenen"]
        except (ValueError, KeyError, TypeError):
            lines.append(line)      # a malformed line stays as it came: the pipeline's to refuse
            continue
        for person in people if isinstance(people, list) else []:
            if isinstance(person, dict):
                edit(person)
        lines.append(json.dumps(report, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def typos_anywhere(inbox: Path, seed: int, share: float = 0.06) -> None:
    """A share of surnames in police, justice and care, and of first names in police and
    care, gets one edit anywhere."""
    rng = np.random.default_rng(seed)
    day = _delivery(inbox)
    police = _read_police(day)
    for column in ("achternaam", "voornamen"):
        hit = rng.random(len(police)) < share
        police.loc[hit, column] = [one_edit(s, rng) for s in police.loc[hit, column]]
    _write_police(day, police)

    justice = pq.read_table(day / "justice_cases.parquet")
    names = justice.column("verdachte_naam").to_pylist()
    for i in np.flatnonzero(rng.random(len(names)) < share):
        if names[i] and "," in names[i]:
            surname, rest = names[i].split(",", 1)
            names[i] = one_edit(surname, rng) + "," + rest
    justice = justice.set_column(justice.schema.get_field_index("verdachte_naam"),
                                 "verdachte_naam", pa.array(names, pa.string()))
    pq.write_table(justice, day / "justice_cases.parquet")

    def edit(person: dict) -> None:
        parts = str(person.get("naam") or "").split(" ")
        if len(parts) >= 2 and rng.random() < share:
            parts[-1] = one_edit(parts[-1], rng)
        if "." not in parts[0] and rng.random() < share:
            parts[0] = one_edit(parts[0], rng)
        if person.get("naam"):
            person["naam"] = " ".join(parts)
    _edit_care(day, edit)


def no_bsn_police_justice(inbox: Path, seed: int) -> None:
    """Police and justice extracts without any BSN: a region whose police do not record it.
    The BRP keeps its BSNs (the contract says they are always there)."""
    day = _delivery(inbox)
    police = _read_police(day)
    police["bsn"] = ""
    _write_police(day, police)
    justice = pq.read_table(day / "justice_cases.parquet")
    justice = justice.set_column(justice.schema.get_field_index("bsn"), "bsn",
                                 pa.nulls(justice.num_rows, pa.string()))
    pq.write_table(justice, day / "justice_cases.parquet")


def _police_dates(inbox: Path, seed: int, blank: float, wrong: float) -> None:
    rng = np.random.default_rng(seed)
    day = _delivery(inbox)
    police = _read_police(day)
    dates = police["geboortedatum"].tolist()
    for i, text in enumerate(dates):
        if not re.fullmatch(r"\d\d-\d\d-\d{4}", text):
            continue                # empty, or a malformed date left for the pipeline to refuse
        u = rng.random()
        if u < blank:
            dates[i] = ""
        elif u < blank + wrong:
            d, m, y = text.split("-")
            if rng.random() < 0.5 and int(d) <= 12 and d != m:
                dates[i] = f"{m}-{d}-{y}"
            else:
                pos = 2 + int(rng.integers(0, 2))        # the decade or the year's last digit
                digit = str((int(y[pos]) + 1 + int(rng.integers(0, 8))) % 10)
                candidate = y[:pos] + digit + y[pos + 1:]
                if int(candidate) <= 2026:
                    dates[i] = f"{d}-{m}-{candidate}"
    police["geboortedatum"] = dates
    _write_police(day, police)


def missing_dates(inbox: Path, seed: int) -> None:
    """Police: 30% of birth dates left empty (on top of those the generator leaves out)."""
    _police_dates(inbox, seed, blank=0.3, wrong=0.0)


def wrong_dates(inbox: Path, seed: int) -> None:
    """Police: 10% of birth dates with day and month swapped or one digit of the year wrong
    (the contract's 'years can be off by one digit')."""
    _police_dates(inbox, seed, blank=0.0, wrong=0.1)


PERTURBATIONS = {
    "typos_anywhere": typos_anywhere,
    "no_bsn_police_justice": no_bsn_police_justice,
    "missing_dates": missing_dates,
    "wrong_dates": wrong_dates,
}
