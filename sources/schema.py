"""The canonical person record every source is standardised into (table `std_persons`).

One row per accepted source person record. Matching reads only these columns, so a new source
needs only a standardisation query that produces them (declared with it, `sources.registry`).
The raw tables' own columns and types are declared per partner there too.
"""

from __future__ import annotations

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
