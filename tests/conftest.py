"""Shared fixtures: the sample's location, a generator handle, and a runner of `foto`."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


def load_generator() -> ModuleType:
    """The sample generator is a script (data/ is no package): load it by path."""
    spec = importlib.util.spec_from_file_location("foto_generate", SAMPLE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def foto(*args: str) -> int:
    """Run the `foto` command in this process (a real Dagster run on a real instance)."""
    from foto.cli import main

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
