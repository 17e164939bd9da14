"""`relations`: one row per (person, related person, kind), directed, with its evidence.

`kind` says what the related person is to the person: `huisgenoot` (same BRP dwelling),
`ouder`, `kind` (BRP parent BSNs), `broer_zus` (a shared parent), `partner` (BRP partner BSN),
`slachtoffer` / `verdachte` / `medebetrokkene` (one police registration), `slachtoffer` /
`pleger` / `kind_in_melding` (one care report), `ex_partner` (both sides of an ex-partner
stalking report). Evidence is the source and the record ids that show it. Each partner declares
the relations its records show (`sources.registry`); here they are put together.
"""

from __future__ import annotations

import duckdb

from sources.registry import registry
from stores.sql import Fragment, fill

_TEMPLATE = """
CREATE OR REPLACE TABLE relations AS
WITH bsn_person AS (
    SELECT DISTINCT s.bsn, pr.person_id FROM std_persons s
    JOIN person_records pr USING (unique_id) WHERE s.bsn IS NOT NULL),
pairs AS ({PAIRS})
SELECT person_id, related_id, kind, list(DISTINCT source ORDER BY source) AS sources,
       list_sort(list_distinct(flatten(list(evidence)))) AS evidence_record_ids
FROM pairs GROUP BY person_id, related_id, kind
ORDER BY person_id, kind, related_id
"""


def relations_sql() -> str:
    """The statement that builds `relations` from every registered source that declares
    relations (`Source.relations_sql`), column by column by name."""
    parts = [fill("SELECT person_id, related_id, kind, source, evidence FROM ({relations})",
                  relations=Fragment(s.relations_sql)) for s in registry() if s.relations_sql]
    pairs = ("\n    UNION ALL\n    ".join(parts) if parts else
             "SELECT NULL AS person_id, NULL AS related_id, NULL AS kind, NULL AS source, "
             "[]::VARCHAR[] AS evidence WHERE FALSE")
    return fill(_TEMPLATE, PAIRS=Fragment(pairs))


def build_relations(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(relations_sql())
    return int(con.sql("SELECT count(*) FROM relations").fetchall()[0][0])
