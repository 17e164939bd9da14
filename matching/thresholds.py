"""Match thresholds: a section of the one configuration (`matching.thresholds` in
config/foto.json), versioned, validated at start, never literals in code."""

from __future__ import annotations

from pathlib import Path

from config import Thresholds, load_config, load_thresholds_file

__all__ = ["Thresholds", "load_thresholds"]


def load_thresholds(path: Path | None = None) -> Thresholds:
    """The configuration's thresholds, or those of a thresholds file `path` (a what-if run)."""
    return load_thresholds_file(path) if path else load_config().matching.thresholds
