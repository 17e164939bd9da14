"""`relations`: one row per (person, related person, kind), directed, with its evidence.

`kind` says what the related person is to the person: `huisgenoot` (same BRP dwelling),
`ouder`, `kind` (BRP parent BSNs), `broer_zus` (a shared parent), `partner` (BRP partner BSN),
`slachtoffer` / `verdachte` / `medebetrokkene` (one police registration), `slachtoffer` /
`pleger` / `kind_in_melding` (one care report), `ex_partner` (both sides of an ex-partner
stalking report). Evidence is the source and the record ids that show it.
"""

from __future__ import annotations

import duckdb

RELATIONS_SQL = """
CREATE OR REPLACE TABLE relations AS
WITH bsn_person AS (
    SELECT DISTINCT s.bsn, pr.person_id FROM std_persons s
    JOIN person_records pr USING (unique_id) WHERE s.bsn IS NOT NULL),
brp AS (
    SELECT pr.person_id, b.* FROM raw_municipal b
    JOIN person_records pr ON pr.source = 'municipal' AND pr.record_id = b.record_id),
parent_bsn AS (
    SELECT person_id, record_id, ouder1_bsn AS bsn FROM brp WHERE ouder1_bsn IS NOT NULL
    UNION ALL
    SELECT person_id, record_id, ouder2_bsn FROM brp WHERE ouder2_bsn IS NOT NULL),
parents AS (  -- equi-joins only: an IN over two columns would be a nested loop
    SELECT DISTINCT pb.person_id AS child, pb.record_id, bp.person_id AS parent
    FROM parent_bsn pb JOIN bsn_person bp USING (bsn)),
police AS (
    SELECT pr.person_id, p.record_id, p.rol, regexp_extract(p.record_id, '^(PL-[^-]+)', 1) AS reg
    FROM raw_police p
    JOIN person_records pr ON pr.source = 'police' AND pr.record_id = p.record_id),
care AS (
    SELECT pr.person_id, c.record_id, c.rol, c.melding_id, m.type
    FROM raw_care c JOIN care_reports m USING (melding_id)
    JOIN person_records pr ON pr.source = 'care' AND pr.record_id = c.record_id),
pairs AS (
    SELECT a.person_id, b.person_id AS related_id, 'huisgenoot' AS kind, 'municipal' AS source,
           [a.record_id, b.record_id] AS evidence
    FROM brp a JOIN brp b ON a.adres_id = b.adres_id AND a.person_id <> b.person_id
    UNION ALL
    SELECT child, parent, 'ouder', 'municipal', [record_id] FROM parents
    UNION ALL
    SELECT parent, child, 'kind', 'municipal', [record_id] FROM parents
    UNION ALL
    SELECT a.child, b.child, 'broer_zus', 'municipal', [a.record_id, b.record_id]
    FROM parents a JOIN parents b ON a.parent = b.parent AND a.child <> b.child
    UNION ALL
    SELECT brp.person_id, bp.person_id, 'partner', 'municipal', [brp.record_id]
    FROM brp JOIN bsn_person bp ON bp.bsn = brp.partner_bsn
    UNION ALL
    SELECT a.person_id, b.person_id,
           CASE WHEN b.rol = 'slachtoffer' AND a.rol = 'verdachte' THEN 'slachtoffer'
                WHEN b.rol = 'verdachte' THEN 'verdachte' ELSE 'medebetrokkene' END,
           'police', [a.record_id, b.record_id]
    FROM police a JOIN police b ON a.reg = b.reg AND a.person_id <> b.person_id
    UNION ALL
    SELECT a.person_id, b.person_id,
           CASE WHEN m.type = 'ex_partner_stalking' AND a.rol IN ('pleger', 'slachtoffer')
                 AND b.rol IN ('pleger', 'slachtoffer') AND a.rol <> b.rol THEN 'ex_partner'
                WHEN b.rol = 'kind' THEN 'kind_in_melding'
                ELSE b.rol END,
           'care', [a.record_id, b.record_id]
    FROM care a JOIN care b ON a.melding_id = b.melding_id AND a.person_id <> b.person_id
    JOIN care_reports m ON m.melding_id = a.melding_id)
SELECT person_id, related_id, kind, list(DISTINCT source ORDER BY source) AS sources,
       list_sort(list_distinct(flatten(list(evidence)))) AS evidence_record_ids
FROM pairs GROUP BY person_id, related_id, kind
ORDER BY person_id, kind, related_id
"""


def build_relations(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(RELATIONS_SQL)
    return int(con.sql("SELECT count(*) FROM relations").fetchall()[0][0])
