"""Where trained models live, and which one a home uses.

Versions are `person_v<N>.json` (Splink's model JSON) with `person_v<N>.meta.json` beside it.
A home's `models/CURRENT` names its current model; without one, the model bundled with the code
(`matching/models/`) is used. Training never overwrites a version: it adds the next one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

BUNDLED_DIR = Path(__file__).with_name("models")
_NAME = re.compile(r"person_v(\d+)\.json$")


@dataclass(frozen=True)
class ModelRef:
    """A model file and the version name runs report."""

    path: Path
    version: str
    origin: str  # 'home', 'bundled' or 'injected' (FotoPaths.model)

    def metadata(self) -> dict:
        meta = self.path.with_name(self.path.stem + ".meta.json")
        return json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else {}


def _versions(folder: Path) -> list[tuple[int, Path]]:
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _NAME.match(p.name))]
    return sorted(found)


def bundled_model() -> ModelRef:
    """The newest model shipped with the code."""
    versions = _versions(BUNDLED_DIR)
    if not versions:
        raise FileNotFoundError("no bundled model under matching/models/: run `foto train`")
    number, path = versions[-1]
    return ModelRef(path, f"bundled/person_v{number}", "bundled")


def current_model(models_dir: Path) -> ModelRef:
    """The home's current model, else the bundled one."""
    pointer = models_dir / "CURRENT"
    if pointer.exists():
        path = models_dir / pointer.read_text(encoding="utf-8").strip()
        if path.exists():
            return ModelRef(path, f"home/{path.stem}", "home")
    return bundled_model()


def next_model_path(models_dir: Path) -> Path:
    """Path of the next version in a models folder."""
    versions = _versions(models_dir)
    number = versions[-1][0] + 1 if versions else 1
    return models_dir / f"person_v{number}.json"


def make_current(path: Path) -> None:
    """Point the folder's CURRENT at `path`, atomically."""
    tmp = path.with_name(".CURRENT.tmp")
    tmp.write_text(path.name + "\n", encoding="utf-8")
    tmp.replace(path.with_name("CURRENT"))
