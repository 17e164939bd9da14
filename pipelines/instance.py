"""The Dagster instance of a home: `<home>/dagster`, telemetry off, shared by `foto` and the UI."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from dagster import DagsterInstance

REPO_CONFIG = Path(__file__).resolve().parents[1] / "dagster.yaml"
FALLBACK_CONFIG = "telemetry:\n  enabled: false\n"


def prepare_dagster_home(home: Path) -> Path:
    """Create `<home>/dagster` with the project's dagster.yaml and point DAGSTER_HOME at it."""
    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True, exist_ok=True)
    target = dagster_home / "dagster.yaml"
    if REPO_CONFIG.exists():
        shutil.copyfile(REPO_CONFIG, target)
    else:
        target.write_text(FALLBACK_CONFIG, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    return dagster_home


def instance_for(home: Path) -> DagsterInstance:
    """The persistent instance of this home: runs show in `make dev`'s UI."""
    prepare_dagster_home(home)
    return DagsterInstance.get()
