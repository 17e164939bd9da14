"""`events`: one row per event on a person's timeline, from every source.

Police registrations (role, offence, domestic violence, arrest), justice case statuses and
probation supervision, care reports (type, SASH risk, status), BRP registrations at an address.
Each row keeps its source, record id and the reference that groups events (registration
number, parketnummer, melding id, dwelling).
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from profiles.scope import scope_condition
from stores.sql import fill

# `{scope}`: the persons built (`profiles.scope`); every source reads their records only.
EVENTS_SQL = """
CREATE OR REPLACE TABLE events AS
WITH scoped_records AS (SELECT * FROM person_records WHERE {scope})
SELECT pr.person_id, 'police' AS source, p.record_id, p.registratie_datum AS event_date,
       'politieregistratie' AS event_type, p.rol AS role, p.feit AS description,
       CASE WHEN p.aangehouden THEN 'aangehouden' END AS status, NULL::DATE AS end_date,
       regexp_extract(p.record_id, '^(PL-[^-]+)', 1) AS reference,
       p.huiselijk_geweld AS domestic_violence, NULL AS sash_risk
FROM raw_police p JOIN scoped_records pr ON pr.source = 'police' AND pr.record_id = p.record_id
UNION ALL
SELECT pr.person_id, 'justice', j.record_id, j.status_datum, 'strafzaak', 'verdachte', j.feit,
       j.zaak_status, NULL, j.record_id, NULL, NULL
FROM raw_justice j JOIN scoped_records pr ON pr.source = 'justice' AND pr.record_id = j.record_id
UNION ALL
SELECT pr.person_id, 'justice', j.record_id, j.status_datum,
       CASE WHEN j.toezicht_reclassering THEN 'toezicht_reclassering' ELSE 'contactverbod' END,
       'verdachte', j.feit,
       concat_ws(', ', CASE WHEN j.toezicht_reclassering THEN 'reclasseringstoezicht' END,
                 CASE WHEN j.contactverbod THEN 'contactverbod' END),
       j.toezicht_einddatum, j.record_id, NULL, NULL
FROM raw_justice j JOIN scoped_records pr ON pr.source = 'justice' AND pr.record_id = j.record_id
WHERE j.toezicht_reclassering OR j.contactverbod
UNION ALL
SELECT pr.person_id, 'care', c.record_id, CAST(m.ontvangen_op AS DATE), 'zorgmelding', c.rol,
       m.type, m.status, NULL, c.melding_id, m.type IN ('huiselijk_geweld', 'ex_partner_stalking'),
       m.sash_risico
FROM raw_care c JOIN care_reports m USING (melding_id)
JOIN scoped_records pr ON pr.source = 'care' AND pr.record_id = c.record_id
UNION ALL
SELECT pr.person_id, 'municipal', b.record_id, b.datum_inschrijving, 'inschrijving_adres',
       'ingezetene', concat_ws(' ', b.straatnaam, b.huisnummer, b.huisletter,
                               b.huisnummertoevoeging, b.postcode, b.woonplaats),
       NULL, NULL, b.adres_id, NULL, NULL
FROM raw_municipal b
JOIN scoped_records pr ON pr.source = 'municipal' AND pr.record_id = b.record_id
ORDER BY person_id, event_date, source, record_id
"""


def build_events(con: duckdb.DuckDBPyConnection, persons: Iterable[str] | None = None) -> int:
    """Build `events` for every person, or for the `persons` given; returns the rows."""
    con.execute(fill(EVENTS_SQL, scope=scope_condition(con, persons, "person_id")))
    return int(con.sql("SELECT count(*) FROM events").fetchall()[0][0])
