"""`events`: one row per event on a person's timeline, from every source.

Each partner declares the events its records make (`sources.registry`, `Source.events_sql`):
police registrations (role, offence, domestic violence, arrest), justice case statuses and
probation supervision, care reports (type, SASH risk, status), BRP registrations at an address.
Each row keeps its source, record id and the reference that groups events (registration
number, parketnummer, melding id, dwelling). Here they are united, column by column by name,
so that a partner's query with a column missing fails rather than shifting the others.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from profiles.scope import scope_condition
from sources.registry import registry
from stores.sql import Fragment, Identifier, fill

EVENT_COLUMNS = ("person_id", "source", "record_id", "event_date", "event_type", "role",
                 "description", "status", "end_date", "reference", "domestic_violence",
                 "sash_risk")


_EVERYONE = Fragment("TRUE")


def events_sql(scope: Fragment = _EVERYONE) -> str:
    """The statement that builds `events` from every registered source that declares events.
    `scope`: the persons built (`profiles.scope`); each source reads `scoped_records`, their
    records only."""
    cols = Fragment(", ".join(Identifier(c).sql() for c in EVENT_COLUMNS))
    parts = [fill("SELECT {cols} FROM ({events})", cols=cols, events=Fragment(s.events_sql))
             for s in registry() if s.events_sql]
    return fill("CREATE OR REPLACE TABLE events AS\n"
                "WITH scoped_records AS (SELECT * FROM person_records WHERE {scope})\n"
                "{parts}\n"
                "ORDER BY person_id, event_date, source, record_id",
                scope=scope, parts=Fragment(" UNION ALL ".join(parts)))


def build_events(con: duckdb.DuckDBPyConnection, persons: Iterable[str] | None = None) -> int:
    """Build `events` for every person, or for the `persons` given; returns the rows."""
    con.execute(events_sql(scope_condition(con, persons, "person_id")))
    return int(con.sql("SELECT count(*) FROM events").fetchall()[0][0])
