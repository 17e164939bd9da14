"""Decisions already taken on the page's pairs, read from the judgement store (not the
warehouse): a decision taken since the publication shows at once, before a run takes it up,
so a reviewer coming back to the queue does not decide the same pair twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from judgements.store import current, open_store


def latest_judgements(home: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """The newest judgement per pair (ordered unique ids), by pair; empty without a store."""
    with open_store(home) as engine:
        table = current(engine)
    return {(r["unique_id_l"], r["unique_id_r"]): r for r in table.select(
        ["unique_id_l", "unique_id_r", "decision", "judgement_id", "judged_by", "judged_at",
         "reason"]).to_pylist()}
