"""What a decision on a pair will change, said before the reviewer moves on.

Computed from the published warehouse, as the next re-forming of persons will see it: `same`
joins the two records' persons (or confirms them as one), `different` splits a person that
holds both (at its weakest links, `persons.judgements`) or keeps two persons apart, and
`unsure` changes no person: the pair stays in the queue, marked seen. Ids and counts only.
"""

from __future__ import annotations

import duckdb

from web.pair_view import persons_of


def _person(row: dict | None) -> str:
    if row is None or row.get("person_id") is None:
        return "no person"
    return f"person {row['person_id']} ({row['records']} records)"


def describe(con: duckdb.DuckDBPyConnection, left: str, right: str, decision: str) -> str:
    """One sentence: what storing `decision` on the pair changes."""
    persons = persons_of(con, [left, right])
    a, b = persons.get(left), persons.get(right)
    one = a is not None and b is not None and a["person_id"] == b["person_id"]
    if decision == "unsure":
        return "marked seen, stays in the queue: no person changes"
    if decision == "same":
        if one:
            return f"confirms the link: both records stay in {_person(a)}"
        return f"joins {_person(a)} and {_person(b)} into one person"
    if one:
        return (f"splits record {right} from record {left}: {_person(a)} is split at its "
                "weakest link")
    return (f"keeps the pair apart: no change ({_person(a)} and {_person(b)} stay two "
            "persons, and are never joined again)")
