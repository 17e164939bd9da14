"""The Dagster instance of a home: `<home>/dagster`, telemetry off, shared by `foto` and the UI."""

from __future__ import annotations

import os
import re
from pathlib import Path

from dagster import DagsterInstance

from config import load_config

REPO_CONFIG = Path(__file__).resolve().parents[1] / "dagster.yaml"
FALLBACK_CONFIG = ("telemetry:\n  enabled: false\nretention:\n  schedule:\n"
                   "    purge_after_days: 90\n  sensor:\n    purge_after_days: 90\n")


def instance_yaml(history_days: int) -> str:
    """The project's dagster.yaml with the ticks' `purge_after_days` set to `history_days`
    (`retention.dagster_runs_days`): the daemon keeps schedule and sensor ticks no longer than
    foto keeps runs. Set in the text, so that the file's comments stay."""
    text = (REPO_CONFIG.read_text(encoding="utf-8") if REPO_CONFIG.exists()
            else FALLBACK_CONFIG)
    return re.sub(r"(?m)^(\s+purge_after_days:) *\d+ *$", rf"\g<1> {int(history_days)}", text)


def prepare_dagster_home(home: Path, history_days: int | None = None) -> Path:
    """Create `<home>/dagster` with the project's dagster.yaml (`instance_yaml`; the tick
    term from `history_days`, default the configuration's `retention.dagster_runs_days`) and
    point DAGSTER_HOME at it (for the UI and daemon `make dev` starts). The file is replaced
    atomically and only when it changed: a sensor or UI reading it at that moment never sees
    it half written."""
    if history_days is None:
        history_days = load_config().retention.dagster_runs_days
    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True, exist_ok=True)
    target = dagster_home / "dagster.yaml"
    wanted = instance_yaml(history_days)
    try:
        current = target.read_text(encoding="utf-8")
    except OSError:
        current = None
    if current != wanted:
        partial = target.with_name(f".dagster.yaml.{os.getpid()}.tmp")
        partial.write_text(wanted, encoding="utf-8")
        os.replace(partial, target)
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    return dagster_home


def instance_for(home: Path, history_days: int | None = None) -> DagsterInstance:
    """The persistent instance of this home: runs show in `make dev`'s UI. Opened from the
    home's folder itself, not through the process-wide DAGSTER_HOME, so two homes used in one
    process (a test run, the review page's background re-publication) never pick up each
    other's instance."""
    return DagsterInstance.from_config(str(prepare_dagster_home(home, history_days)))
