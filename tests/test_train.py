"""`foto train` on a delivery the gate would hold: `--accept` as for `foto run`, recorded as
waived; the model it wrote and made current is named; one partner alone trains when its
persons appear more than once, and is refused in plain words when they do not."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sources.registry import registry
from tests.conftest import foto, load_generator

pytestmark = pytest.mark.e2e

DAY = "2026-11-25"
FILES = {s.name: s.file for s in registry()}


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("train")
    load_generator().generate(300, 53, root / "data", date=DAY, arrests=0, defects=0.0)
    return root / "data" / "inbox" / DAY


def _only(full: Path, tmp_path: Path, source: str) -> Path:
    """An inbox whose one delivery holds only `source`'s file (one partner only)."""
    inbox = tmp_path / "inbox"
    (inbox / DAY).mkdir(parents=True)
    shutil.copyfile(full / FILES[source], inbox / DAY / FILES[source])
    return inbox


def _accept_missing(present: str) -> list[str]:
    return [arg for s in FILES if s != present
            for arg in ("--accept", f"raw_{s}.file_accepted", "--accept", f"raw_{s}.rows_accepted")]


def test_train_on_one_partner_with_accept_writes_names_and_uses_the_model(
        full: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inbox, home = _only(full, tmp_path, "police"), tmp_path / "home"
    capsys.readouterr()
    assert foto("train", "--inbox", str(inbox), "--home", str(home)) == 1   # the gate holds it
    out = capsys.readouterr().out
    assert "No model written; this home's current model stays" in out
    assert not (home / "models" / "CURRENT").exists()
    assert foto("train", "--inbox", str(inbox), "--home", str(home),
                *_accept_missing("police")) == 0
    out = capsys.readouterr().out
    model = home / "models" / "person_v1.json"
    assert (home / "models" / "CURRENT").read_text().strip() == model.name
    assert f"model home/person_v1 written to {model} and made this home's current model" in out
    assert "gate waived by operator: raw_care.file_accepted" in out
    meta = json.loads(model.with_name("person_v1.meta.json").read_text())
    assert "raw_justice.rows_accepted" in meta["training_snapshot"]["waived"]
    assert "WARNING" not in out and "not observed in dataset" not in out


def test_train_on_a_partner_whose_persons_appear_once_is_refused_in_words(
        full: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The BRP alone holds each person once: Splink's EM has no match to learn from. Before,
    its exception and warnings reached the terminal; now a clear refusal, exit 2, no file."""
    inbox, home = _only(full, tmp_path, "municipal"), tmp_path / "home"
    capsys.readouterr()
    assert foto("train", "--inbox", str(inbox), "--home", str(home),
                *_accept_missing("municipal")) == 2
    out = capsys.readouterr().out
    assert "stage person_model refused: the " in out
    assert "hold no pair that the training rules take for one person" in out
    assert "No model written; this home keeps model bundled/person_v" in out
    assert "WARNING" not in out and "Deterministic matching rules" not in out
    assert not list((home / "models").glob("*.json")) if (home / "models").exists() else True
