"""Shared fixtures: the sample's location, a generator handle, and a runner of `foto`."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

import pytest
import sample_generator

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


def load_generator() -> ModuleType:
    """The sample generator package (`data/sample/sample_generator`, on pytest's `pythonpath`).

    Kept as a function so the tests' call sites (`load_generator().generate(...)`) did not change
    when the one-file script became a package.
    """
    return sample_generator


def foto(*args: str) -> int:
    """Run the `foto` command in this process (a real Dagster run on a real instance)."""
    from pipelines.cli import main

    saved = os.environ.get("DAGSTER_HOME")
    try:
        return main(list(args))
    finally:
        if saved is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = saved


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The nightly job run once on the committed sample; returns the home."""
    home = tmp_path_factory.mktemp("home")
    code = foto("run", "--inbox", str(SAMPLE / "inbox"), "--home", str(home))
    assert code == 0, "the nightly run on the sample did not publish"
    return home
