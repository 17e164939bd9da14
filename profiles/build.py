"""The one builder of a profile's timeline, signals and priority: `events`, then `flags`, then
`person` (which holds the priority), for every person or for the persons given.

The nightly run builds each as its own asset (same functions, everyone in scope); an arrest
builds its one person with this, in a database holding that person's records and the arrest
(`profiles.arrest_profile`), so an arrest's signals and priority are the nightly's by
construction, not by a second copy of the rules. `relations` is read as it is: it joins
persons to each other, so it is built for everyone or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from profiles.events import build_events
from profiles.flags import build_flags
from profiles.person import build_person
from profiles.relations import build_relations
from profiles.review_queue import build_review_queue


def build_profile(con: duckdb.DuckDBPyConnection, reference_date: str,
                  persons: Iterable[str] | None = None) -> dict[str, int]:
    """Build `events`, `flags` and `person` on `con` for every person, or for `persons`;
    the rows of each."""
    scope = None if persons is None else sorted(set(persons))
    return {"events": build_events(con, scope),
            "flags": build_flags(con, reference_date, scope),
            "persons": build_person(con, scope)}


def build_everyone(con: duckdb.DuckDBPyConnection, reference_date: str) -> dict[str, int]:
    """Every person's profile as the nightly run's profile assets build it (`relations`, then
    `build_profile` for everyone, then the `review_queue`, which needs who is of concern): for
    a re-forming of persons outside the nightly run (`publish.judgement_flow`)."""
    relations = build_relations(con)
    built = build_profile(con, reference_date)
    queue = build_review_queue(con)
    return built | {"relations": relations,
                    "review_queue": sum(queue.values())}
