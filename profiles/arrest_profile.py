"""The arrested person's flags and priority, with the arrest on their timeline.

An arrest for domestic violence must show as a signal on the sheet at once, not after the next
nightly run. The same written rules (`profiles.flags.RULES`) run over this one person: their
published events plus the arrest, their published relations, the reference date being the day
of the arrest. Runs in memory against the published warehouse, read-only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from profiles.flags import build_flags, priority_sql
from stores.database import rows_of


def flags_with_arrest(warehouse: Path, person_id: str, arrest: dict[str, Any]
                      ) -> tuple[list[dict[str, Any]], str, str]:
    """(signals in the sheet's columns, priority, priority reason) for `person_id`."""
    con = duckdb.connect()
    try:
        con.execute("ATTACH ? AS wh (READ_ONLY)", [str(warehouse)])
        # This person's slice of the tables the rules read, copied small: a view over the
        # whole master would let a rule join a million rows for one person.
        con.execute("""CREATE TEMP TABLE relations AS SELECT * FROM wh.relations
                       WHERE person_id = $pid""", {"pid": person_id})
        con.execute("""CREATE TEMP TABLE person_records AS SELECT * FROM wh.person_records
                       WHERE person_id = $pid OR person_id IN (
                           SELECT related_id FROM relations)""", {"pid": person_id})
        con.execute("""CREATE TEMP TABLE std_persons AS SELECT * FROM wh.std_persons
                       WHERE unique_id IN (SELECT unique_id FROM person_records)""")
        con.execute("""CREATE TEMP TABLE raw_justice AS SELECT * FROM wh.raw_justice
                       WHERE record_id IN (SELECT record_id FROM person_records
                                           WHERE source = 'justice')""")
        con.execute("""CREATE TEMP TABLE events AS SELECT * FROM wh.events
                       WHERE person_id = $pid""", {"pid": person_id})
        con.execute("""INSERT INTO events BY NAME SELECT
                $pid AS person_id, 'police' AS source, $id AS record_id,
                CAST($day AS DATE) AS event_date, 'politieregistratie' AS event_type,
                'verdachte' AS role, $feit AS description, 'aangehouden' AS status,
                coalesce(nullif(regexp_extract($id, '^(PL-[^-]+)', 1), ''), $id) AS reference,
                $hg AS domestic_violence
            WHERE NOT EXISTS (SELECT 1 FROM events WHERE record_id = $id)""",
                    {"pid": person_id, "id": arrest["record_id"], "day": arrest["arrested_on"],
                     "feit": arrest.get("feit"), "hg": bool(arrest.get("huiselijk_geweld"))})
        build_flags(con, arrest["arrested_on"])
        rows = rows_of(con, """
            SELECT person_id, label AS signaal, severity AS ernst, rule AS regel,
                   period_start AS vanaf, period_end AS tot
            FROM flags WHERE person_id = $pid ORDER BY ALL""", {"pid": person_id})
        priority, reason = con.execute(f"""
            SELECT {priority_sql("coalesce(severities, [])", "coalesce(codes, [])")},
                   coalesce(array_to_string(labels, '; '), 'geen signalen')
            FROM (SELECT list(flag ORDER BY severity, flag) AS codes,
                         list(label ORDER BY severity, flag) AS labels,
                         list(DISTINCT severity) AS severities
                  FROM flags WHERE person_id = $pid)""", {"pid": person_id}).fetchall()[0]
    finally:
        con.close()
    return rows, priority, reason
