"""What the review page shows of the queue and of one item, read from the published warehouse.

An item is a pair of records: both records' standardised fields side by side, row by row, so
that a reviewer sees at a glance where they agree; the model's evidence per comparison (level,
match weight, verdict; `match_evidence`) and its final probability; and the person each record
is in now. Values are bound as parameters: the keys come from an address.
"""

from __future__ import annotations

from typing import Any

import duckdb

from stores.database import rows_of

# The standardised fields shown side by side, in the order a reviewer compares them.
FIELDS = (("source", "source"), ("record_id", "record id"), ("role", "role"),
          ("display_name", "name"), ("given_names", "given names"),
          ("tussenvoegsel", "tussenvoegsel"), ("surname", "surname"), ("dob", "birth date"),
          ("bsn", "BSN"), ("sex", "sex"), ("street", "street"),
          ("huisnummer", "house number"), ("postcode", "postcode"), ("city", "city"),
          ("record_date", "record date"))

QUEUE_COLUMNS = ("rank, kind, unique_id_l, unique_id_r, person_id_l, person_id_r, "
                 "match_probability, concern, arrested, records_affected, seen, reason")


def queue(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The review queue in rank order."""
    return rows_of(con, f"SELECT {QUEUE_COLUMNS} FROM review_queue ORDER BY rank")


def queue_item(con: duckdb.DuckDBPyConnection, rank: int) -> dict[str, Any] | None:
    """The queue's item at `rank`, or None."""
    rows = rows_of(con, f"SELECT {QUEUE_COLUMNS} FROM review_queue WHERE rank = $rank",
                   {"rank": rank})
    return rows[0] if rows else None


def persons_of(con: duckdb.DuckDBPyConnection, uids: list[str]) -> dict[str, dict[str, Any]]:
    """The person each record is in now: its id, record count and whether it is of concern."""
    rows = rows_of(con, """
        SELECT r.unique_id, r.person_id, p.records, p.person_of_concern, p.concern_reasons
        FROM person_records r LEFT JOIN person p USING (person_id)
        WHERE r.unique_id IN (SELECT unnest($uids::VARCHAR[]))""", {"uids": uids})
    return {r["unique_id"]: r for r in rows}


def item(con: duckdb.DuckDBPyConnection, left: str, right: str) -> dict[str, Any] | None:
    """Everything the page shows of the pair (`left`, `right` unique ids, any order), or None
    when the publication does not hold both records."""
    left, right = sorted((left, right))
    records = {r["unique_id"]: r for r in rows_of(con, """
        SELECT * FROM std_persons WHERE unique_id IN ($l, $r)""", {"l": left, "r": right})}
    if left not in records or right not in records:
        return None
    pair = {"l": left, "r": right}
    rows = [{"label": label, "left": records[left].get(name), "right": records[right].get(name),
             "same": _same(records[left].get(name), records[right].get(name))}
            for name, label in FIELDS]
    scored = rows_of(con, """
        SELECT match_probability, match_weight, decision FROM match_pairs
        WHERE unique_id_l = $l AND unique_id_r = $r
        ORDER BY match_probability DESC LIMIT 1""", pair)
    evidence = rows_of(con, """
        SELECT comparison, level, weight, verdict FROM match_evidence
        WHERE unique_id_l = $l AND unique_id_r = $r
        ORDER BY abs(weight) DESC, comparison""", pair)
    in_queue = rows_of(con, f"SELECT {QUEUE_COLUMNS} FROM review_queue "
                            "WHERE unique_id_l = $l AND unique_id_r = $r "
                            "ORDER BY rank LIMIT 1", pair)
    entry = in_queue[0] if in_queue else None
    persons = persons_of(con, [left, right])
    return {"left": left, "right": right, "fields": rows,
            "score": scored[0] if scored else None, "evidence": evidence,
            "queue": entry,
            "previous": queue_item(con, entry["rank"] - 1) if entry else None,
            "next": queue_item(con, entry["rank"] + 1) if entry else None,
            "persons": [persons.get(left), persons.get(right)]}


def _same(a: Any, b: Any) -> bool | None:
    """Whether two values agree; None when either is missing (nothing to compare)."""
    if a is None or b is None or a == "" or b == "":
        return None
    return str(a).strip().casefold() == str(b).strip().casefold()
