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
    },
}


def triage_select(table: str) -> str:
    """The SELECT that builds one published triage table from the warehouse."""
    cols = ", ".join(f"{expr} AS {name}" for name, expr in TRIAGE_TABLES[table].items())
    return f"SELECT {cols} FROM person WHERE person_of_concern ORDER BY naam, person_id"
