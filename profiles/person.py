"""The person profile: one row per person, built in DuckDB from the linked records.

Source trust for a person's preferred identity: BRP first (the municipality registers it), then
justice, police, care. Persons of concern are those the triage point must see: a police
suspect or arrestee, a justice suspect, a care `pleger`, or the subject of a
`zorgen_om_persoon` report. Their triage priority comes from their flags (`profiles.flags`):
`hoog` when a flag of severity hoog holds or domestic violence meets minors in the household,
`midden` when another flag holds, else `laag`.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from profiles.flags import priority_rank_sql, priority_sql
from profiles.scope import scope_condition
from stores.sql import Fragment, fill

# `{scope}`: the persons built (`profiles.scope`); each is built from their own records only.
PERSON_SQL = """
CREATE OR REPLACE TABLE person AS
WITH r AS (
    SELECT pr.person_id, s.*,
           CASE s.source WHEN 'municipal' THEN 1 WHEN 'justice' THEN 2
                         WHEN 'police' THEN 3 ELSE 4 END AS trust
    FROM person_records pr JOIN std_persons s USING (unique_id)
    WHERE {scope}),
concern AS (
    SELECT person_id, list(DISTINCT reason ORDER BY reason) AS reasons FROM (
        SELECT person_id, 'politie: verdachte' AS reason FROM r
            WHERE source = 'police' AND role = 'verdachte'
        UNION ALL
        SELECT r.person_id, 'politie: aangehouden' FROM r
            JOIN raw_police p ON r.source = 'police' AND p.record_id = r.record_id
            WHERE p.aangehouden
        UNION ALL
        SELECT person_id, 'justitie: strafzaak' FROM r WHERE source = 'justice'
        UNION ALL
        SELECT person_id, 'zorg: pleger' FROM r WHERE source = 'care' AND role = 'pleger'
        UNION ALL
        SELECT r.person_id, 'zorg: zorgen om persoon' FROM r
            JOIN raw_care c ON r.source = 'care' AND c.record_id = r.record_id
            JOIN care_reports m ON m.melding_id = c.melding_id
            WHERE m.type = 'zorgen_om_persoon' AND c.rol IN ('pleger', 'slachtoffer'))
    GROUP BY person_id),
best AS (
    SELECT * FROM r
    QUALIFY row_number() OVER (PARTITION BY person_id
        ORDER BY trust, record_date DESC NULLS LAST, record_id) = 1),
home AS (
    SELECT person_id, street, huisnummer, postcode, city, source AS address_source
    FROM r WHERE postcode IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY person_id
        ORDER BY source = 'municipal' DESC, record_date DESC NULLS LAST, record_id) = 1),
agg AS (
    SELECT person_id, count(*) AS records,
           list(DISTINCT source ORDER BY source) AS sources,
           count(*) FILTER (source = 'police') AS police_records,
           count(*) FILTER (source = 'justice') AS justice_records,
           count(*) FILTER (source = 'care') AS care_records,
           count(*) FILTER (source = 'municipal') AS municipal_records,
           count(DISTINCT bsn) AS valid_bsns, any_value(bsn) FILTER (bsn IS NOT NULL) AS bsn,
           mode(dob ORDER BY dob) FILTER (dob IS NOT NULL) AS common_dob,
           list(DISTINCT display_name ORDER BY display_name) AS names_seen,
           min(record_date) AS first_seen, max(record_date) AS last_seen
    FROM r GROUP BY person_id)
SELECT agg.person_id,
       best.display_name AS preferred_name,
       best.source AS name_source,
       list_filter(agg.names_seen, lambda n: n <> best.display_name) AS aliases,
       coalesce(best.dob, agg.common_dob) AS birth_date,  -- the most trusted source first
       coalesce(best.dob_year, year(agg.common_dob)) AS birth_year,
       best.sex,
       agg.valid_bsns > 0 AS bsn_known, agg.bsn,
       home.street, home.huisnummer, home.postcode, home.city, home.address_source,
       agg.sources, agg.records, agg.police_records, agg.justice_records, agg.care_records,
       agg.municipal_records, agg.first_seen, agg.last_seen,
       concern.person_id IS NOT NULL AS person_of_concern,
       coalesce(concern.reasons, []) AS concern_reasons,
       CASE WHEN concern.person_id IS NOT NULL THEN {PRIORITY} END AS priority,
       CASE WHEN concern.person_id IS NOT NULL
            THEN coalesce(array_to_string(fl.labels, '; '), 'geen signalen') END
           AS priority_reason,
       coalesce(fl.codes, []) AS flags
FROM agg
JOIN best USING (person_id)
LEFT JOIN home USING (person_id)
LEFT JOIN concern USING (person_id)
LEFT JOIN (SELECT person_id, list(flag ORDER BY severity, flag) AS codes,
                  list(label ORDER BY severity, flag) AS labels,
                  list(DISTINCT severity) AS severities
           FROM flags GROUP BY person_id) fl USING (person_id)
ORDER BY agg.person_id
"""
_PRIORITY = Fragment(priority_sql("coalesce(fl.severities, [])", "coalesce(fl.codes, [])"))


VIEWS_SQL = fill("""
CREATE OR REPLACE VIEW persons_of_concern AS
SELECT person_id, preferred_name, birth_date, city, priority, priority_reason, flags,
       concern_reasons, sources, records, first_seen, last_seen
FROM person WHERE person_of_concern
ORDER BY {RANK}, preferred_name;

CREATE OR REPLACE VIEW network_of_concern AS
SELECT p.person_id, p.preferred_name, p.priority,
       count(DISTINCT r.related_id) FILTER (r.kind IN ('slachtoffer', 'ex_partner')) AS victims,
       count(DISTINCT r.related_id) FILTER (r.kind IN ('kind', 'kind_in_melding')) AS children,
       count(DISTINCT r.related_id) FILTER (r.kind = 'huisgenoot') AS housemates,
       count(DISTINCT r.related_id) FILTER (r.kind IN ('ouder', 'broer_zus', 'partner'))
           AS family
FROM person p LEFT JOIN relations r USING (person_id)
WHERE p.person_of_concern GROUP BY ALL;
""", RANK=Fragment(priority_rank_sql("priority")))


def build_person(con: duckdb.DuckDBPyConnection, persons: Iterable[str] | None = None) -> int:
    """Build `person` (one row per person, or per person given) and the views for common
    questions; returns the number of persons."""
    con.execute(fill(PERSON_SQL, PRIORITY=_PRIORITY,
                     scope=scope_condition(con, persons, "pr.person_id")))
    con.execute(VIEWS_SQL)
    return int(con.sql("SELECT count(*) FROM person").fetchall()[0][0])
