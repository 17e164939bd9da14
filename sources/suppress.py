"""Records on the suppression list (`foto erase`) withheld at the door of every run.

A suppressed record is read (so the accounting still adds up and the run can tell whether the
partner still delivers it) but never stored: not as an accepted row, and not in the quarantine
either, whose `raw` column would keep the very line that must go. It is counted as withheld,
reason `suppressed`: read = accepted + quarantined + withheld still holds.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

import pandas as pd

from sources.common import ParseResult

REASON = "suppressed"


def carried_ids(result: ParseResult) -> set[str]:
    """Every record id the source's files held this time: accepted, quarantined (whole rows
    and rows with a value nulled) alike. A suppression whose record is not among them is
    lifted: the partner no longer delivers it."""
    ids: set[str] = set()
    for frame in (result.accepted, result.quarantine):
        if len(frame) and "record_id" in frame:
            ids |= {str(v) for v in frame["record_id"].dropna()}
    return ids


def withhold_suppressed(result: ParseResult, suppressed: Collection[str]) -> ParseResult:
    """`result` without the rows of the `suppressed` record ids, each counted withheld once
    (a row quarantined whole counts; a value nulled in an accepted row is the same row)."""
    if not suppressed or result.file_error:
        return result
    wanted = set(suppressed)
    accepted, quarantine = result.accepted, result.quarantine
    hit_accepted = _hits(accepted, wanted)
    hit_quarantine = _hits(quarantine, wanted)
    if not hit_accepted.any() and not hit_quarantine.any():
        return result
    whole = hit_quarantine & (quarantine["line"] > 0)
    if "kept" in quarantine:
        whole &= ~quarantine["kept"].fillna(False).astype(bool)
    withheld = dict(result.withheld)
    withheld[REASON] = withheld.get(REASON, 0) + int(hit_accepted.sum()) + int(whole.sum())
    return replace(result, accepted=accepted[~hit_accepted].copy(),
                   quarantine=quarantine[~hit_quarantine].copy(), withheld=withheld)


def _hits(frame: pd.DataFrame, wanted: set[str]) -> pd.Series:
    if not len(frame) or "record_id" not in frame:
        return pd.Series(False, index=frame.index, dtype=bool)
    return frame["record_id"].astype("object").isin(wanted)
