"""The canonical person record every source is standardised into (table `std_persons`).

One row per accepted source person record. Matching reads only these columns, so a new source
needs only a standardisation query that produces them.
"""

from __future__ import annotations

SOURCES = ("police", "justice", "care", "municipal")

# column -> DuckDB type. Comparison columns are folded (lower case, no diacritics).
CANONICAL_COLUMNS: dict[str, str] = {
    "unique_id": "VARCHAR",        # '<source>:<record_id>', Splink's id
    "source": "VARCHAR",
    "record_id": "VARCHAR",
    "role": "VARCHAR",             # role in the source record (verdachte, pleger, resident ...)
    "display_name": "VARCHAR",     # the name as the source wrote it, for people to read
    "given_names": "VARCHAR",      # folded given names, may be initials only
    "first_name": "VARCHAR",       # folded first given name; NULL when only initials are known
    "initials": "VARCHAR",         # first letters of the given names, e.g. 'pj'
    "first_name_key": "VARCHAR",   # first name's transliteration group ('muhammad' -> 'mohamed')
    "tussenvoegsel": "VARCHAR",    # folded, e.g. 'van der'
    "surname": "VARCHAR",          # folded surname without tussenvoegsel ('jansen-vries')
    "surname_1": "VARCHAR",        # first part of a double name, or the surname
    "surname_2": "VARCHAR",        # second part of a double name, else NULL
    "surname_key": "VARCHAR",      # Dutch phonetic key of surname_1 ('bruijn' = 'bruin')
    "dob": "DATE",                 # full birth date when known
    "dob_year": "INTEGER",
    "dob_month": "INTEGER",
    "dob_day": "INTEGER",
    "bsn": "VARCHAR",              # valid BSN (11-proef) or NULL: never an invalid one
    "bsn_given": "BOOLEAN",        # the source gave something in its BSN field
    "sex": "VARCHAR",              # 'M', 'V' or NULL
    "street": "VARCHAR",
    "huisnummer": "VARCHAR",       # house number digits only
    "postcode": "VARCHAR",         # '3083KM'
    "city": "VARCHAR",
    "record_date": "DATE",         # when the source recorded this (registration, status ...)
}

# The raw tables every stage after ingest reads (standardisation, events, relations, flags,
# profile): column -> DuckDB type. A frame with no rows, or a column with no values, gives DuckDB
# nothing to infer a type from (an object column becomes VARCHAR or NULL): `year(geboortedatum)`
# then fails to bind and a UNION with a DATE column silently turns VARCHAR. `write_table` gives
# these tables these types when the frame cannot. Columns not listed keep what the frame has.
_V = "VARCHAR"
RAW_TYPES: dict[str, dict[str, str]] = {
    "raw_police": {
        "record_id": _V, "registratie_datum": "DATE", "rol": _V, "feit": _V,
        "huiselijk_geweld": "BOOLEAN", "achternaam": _V, "voorvoegsel": _V, "voornamen": _V,
        "geboortedatum": "DATE", "geboorteplaats": _V, "geslacht": _V, "bsn": _V, "straat": _V,
        "huisnummer": _V, "postcode": _V, "woonplaats": _V, "aangehouden": "BOOLEAN",
        "source_line": "BIGINT"},
    "raw_justice": {
        "record_id": _V, "verdachte_naam": _V, "geboortedatum": "DATE", "bsn": _V, "feit": _V,
        "zaak_status": _V, "status_datum": "DATE", "toezicht_reclassering": "BOOLEAN",
        "toezicht_einddatum": "DATE", "contactverbod": "BOOLEAN", "source_line": "BIGINT"},
    "raw_care": {
        "melding_id": _V, "record_id": _V, "rol": _V, "naam": _V, "geboortedatum": _V,
        "adres": _V, "source_line": "BIGINT"},
    "care_reports": {
        "melding_id": _V, "ontvangen_op": "TIMESTAMP WITH TIME ZONE", "type": _V,
        "sash_risico": _V, "status": _V},
    "raw_municipal": {
        "record_id": _V, "bsn": _V, "geslachtsnaam": _V, "voorvoegsel": _V, "voornamen": _V,
        "geboortedatum": _V, "geslacht": _V, "straatnaam": _V, "huisnummer": _V,
        "huisletter": _V, "huisnummertoevoeging": _V, "postcode": _V, "woonplaats": _V,
        "adres_id": _V, "ouder1_bsn": _V, "ouder2_bsn": _V, "partner_bsn": _V,
        "datum_inschrijving": "DATE", "source_line": "BIGINT"},
}
