"""Need-to-know: which columns each audience may see, declared once.

The analysts' warehouse holds everything the partners delivered (minus reporters). The triage
point gets the "dat" picture of persons of concern only: who, which partners know them, since
when and why they are of concern; no BSN, no care report contents, no victims as profiles.
`published/triage.duckdb` is built from this table and nothing else; a test holds it to that.
"""

from __future__ import annotations

TRIAGE_TABLES: dict[str, dict[str, str]] = {
    # published table -> {column: the `person` expression it comes from}
    "triage_person": {
        "person_id": "person_id",
        "naam": "preferred_name",
        "bekend_als": "aliases",
        "geboortedatum": "birth_date",
        "geboortejaar": "birth_year",
        "geslacht": "sex",
        "bsn_bekend": "bsn_known",
        "woonplaats": "city",
        "bronnen": "sources",
        "aantal_registraties": "records",
        "politie": "police_records",
        "justitie": "justice_records",
        "zorg": "care_records",
        "gemeente": "municipal_records",
        "bekend_sinds": "first_seen",
        "laatst_gezien": "last_seen",
        "reden_in_beeld": "concern_reasons",
        "prioriteit": "priority",
        "prioriteit_reden": "priority_reason",
        "signalen": "flags",
        "aantal_slachtoffers": "(SELECT count(DISTINCT r.related_id) FROM relations r "
                               "WHERE r.person_id = person.person_id "
                               "AND r.kind IN ('slachtoffer', 'ex_partner'))",
        "aantal_minderjarige_kinderen_in_meldingen": (
            "(SELECT count(DISTINCT r.related_id) FROM relations r "
            "WHERE r.person_id = person.person_id AND r.kind = 'kind_in_melding')"),
    },
    "triage_signaal": {
        "person_id": "f.person_id",
        "signaal": "f.label",
        "ernst": "f.severity",
        "regel": "f.rule",
        "vanaf": "f.period_start",
        "tot": "f.period_end",
    },
}

# Which rows each published table holds: persons of concern only, never anyone else.
TRIAGE_SOURCES: dict[str, str] = {
    "triage_person": "FROM person WHERE person_of_concern ORDER BY naam, person_id",
    "triage_signaal": "FROM flags f JOIN person p ON p.person_id = f.person_id "
                      "WHERE p.person_of_concern ORDER BY f.person_id, signaal",
}


def triage_select(table: str) -> str:
    """The SELECT that builds one published triage table from the warehouse."""
    cols = ", ".join(f"{expr} AS {name}" for name, expr in TRIAGE_TABLES[table].items())
    return f"SELECT {cols} {TRIAGE_SOURCES[table]}"
