"""The robustness benchmark's deliveries stay within the contract: every perturbation of the
sample is read as the sample is (same rows accepted and quarantined), and it changes what it
says it changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from benchmarks.perturb import PERTURBATIONS, one_edit
from sources.care import read_care
from sources.justice import read_justice
from sources.police import read_police
from tests.conftest import SAMPLE

READERS = {"police": read_police, "justice": read_justice, "care": lambda d: read_care(d)[0]}


def _counts(inbox: Path) -> dict[str, tuple[int, int]]:
    day = inbox / "2026-11-27"
    return {name: (r.rows_accepted, r.rows_quarantined)
            for name, r in ((n, read(day)) for n, read in READERS.items())}


@pytest.mark.parametrize("name", sorted(PERTURBATIONS))
def test_a_perturbed_delivery_reads_like_the_original(name: str, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE / "inbox", inbox)
    before = read_police(inbox / "2026-11-27").accepted
    PERTURBATIONS[name](inbox, 29)
    assert _counts(inbox) == _counts(SAMPLE / "inbox")
    after = read_police(inbox / "2026-11-27").accepted
    if name == "no_bsn_police_justice":
        assert before["bsn"].notna().any() and after["bsn"].isna().all()
        assert read_justice(inbox / "2026-11-27").accepted["bsn"].isna().all()
        return
    changed = {"typos_anywhere": "achternaam", "missing_dates": "geboortedatum",
               "wrong_dates": "geboortedatum"}[name]
    differs = (before[changed].astype(str) != after[changed].astype(str)).mean()
    assert 0.01 < differs < 0.5, f"{name} changed {differs:.1%} of police {changed}"


def test_one_edit_changes_a_name_by_one_letter_anywhere() -> None:
    rng = np.random.default_rng(1)
    edits = [one_edit("Kerkstra", rng) for _ in range(200)]
    assert all(abs(len(e) - len("Kerkstra")) <= 1 for e in edits)
    assert any(e[0] != "K" for e in edits)              # the first letter too
    assert sum(e != "Kerkstra" for e in edits) > 150
