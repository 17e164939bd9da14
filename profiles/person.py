"""The person profile: one row per person, built in DuckDB from the linked records.

Source trust for a person's preferred identity: BRP first (the municipality registers it), then
justice, police, care; the address from the address register (BRP) first. Persons of concern
are those the triage point must see: a police suspect or arrestee, a justice suspect, a care
`pleger`, or the subject of a `zorgen_om_persoon` report. Each partner declares its trust, its
reasons of concern and whether it is the address register (`sources.registry`); here they are
put together. Their triage priority comes from their flags (`profiles.flags`):
`hoog` when a flag of severity hoog holds or domestic violence meets minors in the household,
`midden` when another flag holds, else `laag`.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from profiles.flags import priority_rank_sql, priority_sql
from profiles.scope import scope_condition
from sources.registry import registry
from stores.sql import Constant, Fragment, Identifier, fill

# `{scope}`: the persons built (`profiles.scope`); each is built from their own records only.
_TEMPLATE = """
CREATE OR REPLACE TABLE person AS
WITH r AS (
    SELECT pr.person_id, s.*,
           {TRUST} AS trust
    FROM person_records pr JOIN std_persons s USING (unique_id)
    WHERE {scope}),
concern AS (
    SELECT person_id, list(DISTINCT reason ORDER BY reason) AS reasons FROM (
        {CONCERN})
    GROUP BY person_id),
best AS (
    SELECT * FROM r
    QUALIFY row_number() OVER (PARTITION BY person_id
        ORDER BY trust, record_date DESC NULLS LAST, record_id) = 1),
home AS (
    SELECT person_id, street, huisnummer, postcode, city, source AS address_source
    FROM r WHERE postcode IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY person_id
        ORDER BY list_contains($address_registers, source) DESC, record_date DESC NULLS LAST,
                 record_id) = 1),
agg AS (
    SELECT person_id, count(*) AS records,
           list(DISTINCT source ORDER BY source) AS sources,
           {COUNTS},
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
       agg.sources, agg.records, {AGG_COUNTS}, agg.first_seen, agg.last_seen,
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


_EVERYONE = Fragment("TRUE")


def person_sql(scope: Fragment = _EVERYONE) -> str:
    """The statement that builds `person`, with each registered source's trust, reasons of
    concern and record count (`<source>_records`) filled in, for the persons in `scope`
    (`profiles.scope`)."""
    sources = list(registry())
    trust = " ".join(fill("WHEN {name} THEN {trust}", name=Constant(s.name),
                          trust=Fragment(str(int(s.identity_trust)))) for s in sources)
    reasons = [fill("SELECT person_id, reason FROM ({concern})", concern=Fragment(s.concern_sql))
               for s in sources if s.concern_sql]
    counts = [Identifier(f"{s.name}_records") for s in sources]
    return fill(
        _TEMPLATE,
        TRUST=Fragment(fill("CASE s.source {trust} ELSE 99 END", trust=Fragment(trust))),
        CONCERN=Fragment("\n        UNION ALL\n        ".join(reasons) if reasons else
                         "SELECT NULL AS person_id, NULL AS reason WHERE FALSE"),
        COUNTS=Fragment(",\n           ".join(
            fill("count(*) FILTER (source = {name}) AS {c}", name=Constant(s.name), c=c)
            for s, c in zip(sources, counts, strict=True))),
        AGG_COUNTS=Fragment(", ".join(fill("agg.{c}", c=c) for c in counts)),
        PRIORITY=Fragment(priority_sql("coalesce(fl.severities, [])", "coalesce(fl.codes, [])")),
        scope=scope)


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
    con.execute(person_sql(scope_condition(con, persons, "pr.person_id")),
                {"address_registers": [s.name for s in registry() if s.address_register]})
    con.execute(VIEWS_SQL)
    return int(con.sql("SELECT count(*) FROM person").fetchall()[0][0])
