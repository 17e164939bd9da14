"""Match thresholds as validated, versioned configuration (not literals in code)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATH = Path(__file__).with_name("thresholds.json")


@dataclass(frozen=True)
class Thresholds:
    """`link`: pairs at or above it are the same person; `review` <= p < `link`: for review."""

    version: int
    link: float
    review: float

    def __post_init__(self) -> None:
        if not 0.0 < self.review < self.link < 1.0:
            raise ValueError(
                f"thresholds v{self.version}: need 0 < review ({self.review}) < link "
                f"({self.link}) < 1")


def load_thresholds(path: Path = DEFAULT_PATH) -> Thresholds:
    """Read and validate the thresholds file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return Thresholds(version=int(data["version"]), link=float(data["link"]),
                      review=float(data["review"]))
