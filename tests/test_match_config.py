"""Matching's model and thresholds come from the `paths` resource, so a run (or a test) can
inject them; left empty, the home's current model and the versioned thresholds file."""

from __future__ import annotations

import json
from pathlib import Path

from assets.resources import FotoPaths
from matching.models import current_model
from matching.thresholds import load_thresholds


def test_defaults_are_the_current_model_and_the_versioned_thresholds(tmp_path: Path) -> None:
    paths = FotoPaths(inbox=str(tmp_path / "inbox"), home=str(tmp_path / "home"))
    assert paths.match_model() == current_model(paths.models_dir)
    assert paths.match_thresholds() == load_thresholds()


def test_model_and_thresholds_can_be_injected(tmp_path: Path) -> None:
    bundled = current_model(tmp_path / "no-models")
    model = tmp_path / "what_if.json"
    model.write_text(bundled.path.read_text(encoding="utf-8"), encoding="utf-8")
    thresholds = tmp_path / "strict.json"
    thresholds.write_text(json.dumps({"version": 99, "link": 0.99, "review": 0.9}))
    paths = FotoPaths(inbox=str(tmp_path / "inbox"), home=str(tmp_path / "home"),
                      model=str(model), thresholds=str(thresholds))
    ref = paths.match_model()
    assert ref.path == model.resolve() and ref.version == "injected/what_if"
    t = paths.match_thresholds()
    assert (t.version, t.link, t.review) == (99, 0.99, 0.9)


def test_the_match_assets_do_not_choose_their_own_configuration() -> None:
    """The assets ask the resource; a default loaded in an asset body could not be injected."""
    source = (Path(__file__).parents[1] / "assets" / "match.py").read_text(encoding="utf-8")
    assert "current_model(" not in source and "load_thresholds(" not in source
