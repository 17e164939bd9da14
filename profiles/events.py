"""`events`: one row per event on a person's timeline, from every source.

Each partner declares the events its records make (`sources.registry`, `Source.events_sql`):
police registrations (role, offence, domestic violence, arrest), justice case statuses and
probation supervision, care reports (type, SASH risk, status), BRP registrations at an address.
Each row keeps its source, record id and the reference that groups events (registration
number, parketnummer, melding id, dwelling). Here they are united, column by column by name,
so that a partner's query with a column missing fails rather than shifting the others.
"""

from __future__ import annotations

import duckdb

from sources.registry import registry

EVENT_COLUMNS = ("person_id", "source", "record_id", "event_date", "event_type", "role",
                 "description", "status", "end_date", "reference", "domestic_violence",
                 "sash_risk")


def events_sql() -> str:
    """The statement that builds `events` from every registered source that declares events."""
    cols = ", ".join(EVENT_COLUMNS)
    parts = [f"SELECT {cols} FROM ({s.events_sql})" for s in registry() if s.events_sql]
    return (f"CREATE OR REPLACE TABLE events AS {' UNION ALL '.join(parts)}\n"
            "ORDER BY person_id, event_date, source, record_id")


def build_events(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(events_sql())
    return int(con.sql("SELECT count(*) FROM events").fetchall()[0][0])
