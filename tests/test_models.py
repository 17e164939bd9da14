"""Model versions, thresholds as validated configuration, and `foto train` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from matching.models import bundled_model, current_model, make_current, next_model_path
from matching.thresholds import Thresholds, load_thresholds
from tests.conftest import foto, load_generator


def test_thresholds_are_validated(tmp_path: Path) -> None:
    t = load_thresholds()
    assert 0 < t.review < t.link < 1
    with pytest.raises(ValueError):
        Thresholds(version=9, link=0.5, review=0.8)
    bad = tmp_path / "t.json"
    bad.write_text(json.dumps({"version": 2, "link": 0.7, "review": 0.7}))
    with pytest.raises(ValueError):
        load_thresholds(bad)


def test_home_model_wins_over_bundled_and_versions_only_grow(tmp_path: Path) -> None:
    assert current_model(tmp_path).origin == "bundled"
    first = next_model_path(tmp_path)
    assert first.name == "person_v1.json"
    first.write_text(bundled_model().path.read_text())
    make_current(first)
    assert current_model(tmp_path).version == "home/person_v1"
    assert next_model_path(tmp_path).name == "person_v2.json"


@pytest.mark.e2e
def test_foto_train_writes_a_version_that_the_next_run_uses(tmp_path: Path) -> None:
    load_generator().generate(600, 17, tmp_path / "data", arrests=0)
    inbox, home = tmp_path / "data" / "inbox", tmp_path / "home"
    assert foto("train", "--inbox", str(inbox), "--home", str(home)) == 0
    meta = json.loads((home / "models" / "person_v1.meta.json").read_text())
    assert meta["records"] > 0 and meta["training_snapshot"]["delivery"] == "2026-11-27"
    assert 0 < meta["blocking"]["recall_without_bsn"] <= 1
    assert (home / "models" / "CURRENT").read_text().strip() == "person_v1.json"
    assert foto("run", "--inbox", str(inbox), "--home", str(home)) == 0
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    assert con.sql("SELECT model_version FROM run_info").fetchall()[0][0] == "home/person_v1"
    con.close()
