"""The roles and what each may see, declared once: the server asks `may(role, what)` on every
route, and the tests go through this table route by route.

- triage: the triage index and a person's sheet (the Veiligheidshuis's daily work);
- analyst: the same, and the review page of record pairs (issue 9);
- privacy: the audit log and the access report, and no sheet (the privacy officer checks who
  looked, not at whom there is to look).
"""

from __future__ import annotations

INDEX = "index"
SHEETS = "sheets"
REVIEW = "review"
AUDIT_LOG = "audit_log"
ACCESS_REPORT = "access_report"

ROLES: dict[str, frozenset[str]] = {
    "triage": frozenset({INDEX, SHEETS}),
    "analyst": frozenset({INDEX, SHEETS, REVIEW}),
    "privacy": frozenset({AUDIT_LOG, ACCESS_REPORT}),
}


def may(role: str, what: str) -> bool:
    """Whether `role` may see `what` (an unknown role sees nothing)."""
    return what in ROLES.get(role, frozenset())
