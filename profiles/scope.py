"""Which persons a profile builder builds: every person (the nightly run) or the persons given
(an arrest: its one person, in a small database of that person's records).

The builders run the same SQL either way; the scope is one condition on a person id column,
`TRUE` for everyone, else membership of the temporary table `profile_scope`, whose ids are
bound parameters (an id never becomes SQL text).
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from stores.sql import Fragment, Identifier, fill

SCOPE_TABLE = "profile_scope"


def scope_condition(con: duckdb.DuckDBPyConnection, persons: Iterable[str] | None,
                    column: str) -> Fragment:
    """The condition on `column` (a person id column written in code) that keeps the persons
    in scope; for given `persons`, (re)creates `profile_scope` on `con` first."""
    if persons is None:
        return Fragment("TRUE")
    con.execute(fill("""CREATE OR REPLACE TEMP TABLE {scope} AS
                    SELECT DISTINCT unnest(CAST($persons AS VARCHAR[])) AS person_id""",
                     scope=Identifier(SCOPE_TABLE)), {"persons": sorted(set(persons))})
    return Fragment(fill("{column} IN (SELECT person_id FROM {scope})",
                         column=Identifier(column), scope=Identifier(SCOPE_TABLE)))
