"""Purpose before person: why a sheet is opened, asked once per person per session.

A purpose is one of a few fixed words, or a case reference: letters, digits and `-./_` with
at least one digit (`ZVH-2026-0042`). The shape keeps free text out of the audit log: a
name or a remark typed into the field is refused, never stored.
"""

from __future__ import annotations

import re

FIXED = ("ZSM-beoordeling", "casusoverleg", "aanhouding", "signaal partner")
CASE_REFERENCE = re.compile(r"^(?=.*[0-9])[A-Za-z0-9][A-Za-z0-9./_-]{2,39}$")


def checked(text: str | None) -> str | None:
    """The purpose as it is logged, or None when `text` is neither a fixed purpose nor a case
    reference."""
    text = (text or "").strip()
    if text in FIXED:
        return text
    return text if CASE_REFERENCE.match(text) else None
