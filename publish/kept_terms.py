"""Whether a kept publication may be made current again (issue 17, item 3): `foto rollback`
must not bring back a record past its use term, nor a record someone had erased.

Refused, not re-formed: a kept publication is there to return to the photo that was published
(the nightly run's gate passed on exactly that); one re-formed on the way back would be a new
photo nobody checked, and the re-form would need the erasure path's machinery for every
rollback. A refusal is one clear line and leaves the current publication in place, and the
situation it reports resolves itself: the next nightly run publishes without the records. So a
rollback succeeds when it can be shown safe, and says why not otherwise.

What is checked is the target's own warehouse: `record_terms` (each accepted record's
`use_until`, `sources.retention`) against today's date, and its records (`record_terms` and
`person_records`) against the open suppression list (`judgements.suppressions`). A
publication made before terms were kept (no `record_terms`) cannot be shown to hold no record
past its term, and is refused as well. Counts only, never values: the line is printed.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from config.defaults import TIMEZONE as REGION_TIMEZONE
from judgements.suppressions import suppressed
from stores.database import table_exists
from stores.duck import open_duckdb
from stores.sql import Fragment, Identifier, fill

TIMEZONE = ZoneInfo(REGION_TIMEZONE)   # a term ends on a local day


class RollbackRefused(Exception):
    """The target of a rollback holds records that may no longer be used; the message is
    foto's own (counts and the publication's id), so it may be printed as it is."""

    safe_message = True


def reference_day(current: Path | None) -> date:
    """The day a rollback judges terms on: the delivery date of the publication readers see
    now, as every run judges terms on its delivery date ("today" is the delivery's: a photo
    is a snapshot as of it, docs/retention.md), so that a rollback brings back nothing the
    photo it replaces already left out, and its verdict does not change with the hour it is
    asked. Nightly, that date is yesterday or today. Without one (no manifest, or no delivery
    in it): today in the Netherlands."""
    try:
        manifest = json.loads((current / "triage" / "manifest.json").read_text(
            encoding="utf-8")) if current is not None else {}
        return date.fromisoformat(str(manifest["delivery"]))
    except (OSError, ValueError, KeyError, TypeError):
        return datetime.now(TIMEZONE).date()


def refusal(home: Path, publication: Path, today: date) -> str | None:
    """Why `publication` may not become current on `today`, or None when it may."""
    warehouse = publication / "warehouse.duckdb"
    erased = suppressed(home)
    try:
        con = open_duckdb(warehouse, read_only=True)
    except duckdb.Error:
        return f"publication {publication.name}: its warehouse cannot be opened to check terms"
    try:
        if not table_exists(con, "record_terms"):
            return (f"publication {publication.name} was made before retention terms were "
                    "kept: it cannot be shown to hold no record past its use term")
        past = con.execute("SELECT count(*) FROM record_terms "
                           "WHERE use_until <= CAST($day AS DATE)",
                           {"day": today.isoformat()}).fetchall()[0][0]
        held = 0
        if erased:
            con.register("_erased", pd.DataFrame(
                {"source": [k.source for k in erased], "record_id": [k.record_id for k in erased]}))
            tables = [t for t in ("record_terms", "person_records") if table_exists(con, t)]
            union = Fragment(" UNION ".join(fill("SELECT source, record_id FROM {t}",
                                                 t=Identifier(t)) for t in tables))
            held = con.execute(fill("SELECT count(*) FROM ({union}) r "
                                    "JOIN _erased e USING (source, record_id)",
                                    union=union)).fetchall()[0][0]
    finally:
        con.close()
    if not past and not held:
        return None
    parts = ([f"{past} record(s) past their use term on {today.isoformat()}"] if past else []) \
        + ([f"{held} erased record(s) on the suppression list"] if held else [])
    return (f"publication {publication.name} holds {' and '.join(parts)}; it is not made "
            "current again (the next nightly run publishes without them)")
