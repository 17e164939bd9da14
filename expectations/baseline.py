"""What the gate compares a run with: the figures of the current publication.

A full snapshot from a partner should not shrink to a tenth overnight, and the share of records
that link should not jump: such changes point at a broken delivery or a broken run. The
baseline is the manifest of the last good publication, and only when it was built from the same
inbox (an evaluation that points foto at another feed starts without one).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stores.publications import current_publication


def previous_manifest(home: Path, inbox: Path) -> dict[str, Any] | None:
    """The current publication's manifest, if it came from `inbox`; else None."""
    publication = current_publication(home)
    if publication is None:
        return None
    path = publication / "triage" / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("inbox") != str(inbox.resolve()):
        return None
    return manifest


def previous_accepted(manifest: dict[str, Any] | None, source: str) -> int | None:
    """Rows of `source` accepted in the baseline delivery, or None without one."""
    if not manifest:
        return None
    counts = manifest.get("sources", {}).get(source)
    return counts.get("accepted") if counts else None
