"""Where a home keeps its publications: `<home>/published` links into `<home>/publications/<id>/`.

Here, below every stage, because the gate's baseline reads the current publication and the
publisher writes it: both know the layout from one place.
"""

from __future__ import annotations

from pathlib import Path


def current_publication(home: Path) -> Path | None:
    """The folder of the publication readers see now, or None before the first."""
    link = home / "published"
    return link.resolve().parent if link.is_symlink() else None
