"""Dutch standardisation rules as DuckDB SQL macros, and one query per source.

Rules live in SQL so that standardising a million records is one set-based pass in DuckDB, not
a Python loop. `install_macros(con)` defines them on a connection; `std_sql(source)` is the query
that turns that source's raw table into canonical records (each partner declares its query in
`sources.registry`; the canonical columns are `sources.schema`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from sources.registry import registry
from sources.schema import CANONICAL_COLUMNS
from standardise.names import NAME_GROUP, PHONETIC_RULES
from stores.database import connect
from stores.sql import Constant, Fragment, Identifier, fill

# Official Dutch voorvoegsels, longest first so that 'van der' wins over 'van'.
TUSSENVOEGSELS = [
    "van de", "van der", "van den", "van het", "van 't", "in 't", "in het", "in de", "in den",
    "op de", "op den", "op het", "op 't", "uit de", "uit den", "uit het", "aan de", "aan den",
    "bij de", "onder de", "over de", "voor de", "de la", "de l'", "van", "de", "der", "den",
    "het", "'t", "te", "ten", "ter", "la", "le", "du", "di", "da", "del", "von", "vom",
]
# Not voorvoegsels in Dutch law but the first word of the surname itself (El Khatib, Ben Rifi,
# Ait Taleb, Abu Bakr): in a free-text name they start the surname, not end the given names.
SURNAME_PARTICLES = ["el", "al", "ben", "bin", "ibn", "abu", "ait", "ould", "dos", "das"]
# Surinamese-Chinese surnames are three words, '<clan> A <name>' (Tjon A Fong, Lie A Ling, Ho A
# Chuck): in a free-text name the clan word and the 'A' belong to the surname, not the given
# names. Only these clan words open such a surname, so that a middle initial written without a
# dot ('Jan P A Jansen') is not taken for one.
SURINAMESE_CHINESE_CLANS = [
    "tjon", "tjong", "tjin", "tjien", "lie", "ho", "kom", "sie", "fung", "fong", "jong", "kon",
    "man", "chin", "lim", "loe", "kwie", "fo", "lo", "kam", "sam", "tai", "tsang", "pang",
]
# longest first (a regex alternation takes the first that fits); ties by text, so the macro
# reads the same in every process whatever the hash seed
_TV_RE = "|".join(sorted(set(TUSSENVOEGSELS), key=lambda tv: (-len(tv), tv)))
# the same, quoted for use inside a SQL string literal of the macros (by `stores.sql.Constant`)
_TV = Constant(_TV_RE).sql()[1:-1]


def _phonetic_expr(arg: str) -> str:
    expr = arg
    for pattern, replacement in PHONETIC_RULES:
        expr = fill("regexp_replace({expr}, {pattern}, {replacement}, 'g')", expr=Fragment(expr),
                    pattern=Constant(pattern), replacement=Constant(replacement))
    return expr


_NAME_MAP = "MAP {" + ", ".join(fill("{k}: {v}", k=Constant(k), v=Constant(v))
                               for k, v in sorted(NAME_GROUP.items())) + "}"

MACROS = fill("""
CREATE OR REPLACE MACRO foto_fold(s) AS nullif(trim(regexp_replace(regexp_replace(
    replace(replace(replace(replace(replace(replace(lower(strip_accents(s)), 'ı', 'i'),
        'ß', 'ss'), 'ø', 'o'), 'ł', 'l'), 'æ', 'ae'), 'đ', 'd'),
    '[^a-z0-9''\\- ]', ' ', 'g'), '\\s+', ' ', 'g')), '');
CREATE OR REPLACE MACRO foto_bsn_digits(s) AS CASE
    WHEN regexp_full_match(trim(s), '[0-9][0-9 .]*') THEN
        CASE length(regexp_replace(s, '[^0-9]', '', 'g'))
            WHEN 9 THEN regexp_replace(s, '[^0-9]', '', 'g')
            WHEN 8 THEN '0' || regexp_replace(s, '[^0-9]', '', 'g')
        END
    END;
CREATE OR REPLACE MACRO foto_elfproef(d) AS
    9 * d[1]::INT + 8 * d[2]::INT + 7 * d[3]::INT + 6 * d[4]::INT + 5 * d[5]::INT
    + 4 * d[6]::INT + 3 * d[7]::INT + 2 * d[8]::INT - d[9]::INT;
CREATE OR REPLACE MACRO foto_bsn(s) AS CASE
    WHEN foto_bsn_digits(s) IS NOT NULL
     AND foto_elfproef(foto_bsn_digits(s)) % 11 = 0
     AND foto_elfproef(foto_bsn_digits(s)) <> 0 THEN foto_bsn_digits(s) END;
CREATE OR REPLACE MACRO foto_split_tv(s) AS regexp_extract(coalesce(s, ''),
    '^((?:(?:{tv})\\s+)*)(.*)$', ['tv', 'name']);
CREATE OR REPLACE MACRO foto_tv(s) AS nullif(trim(foto_split_tv(s).tv), '');
CREATE OR REPLACE MACRO foto_surname(s) AS nullif(trim(
    regexp_replace(foto_split_tv(s).name, '-\\s*(?:(?:{tv})\\s+)*', '-', 'g')), '');
CREATE OR REPLACE MACRO foto_given(s) AS foto_fold(replace(s, '.', ' '));
CREATE OR REPLACE MACRO foto_first_name(raw) AS CASE
    WHEN regexp_matches(trim(raw), '^[^ .]*\\.') THEN NULL      -- 'P.', 'Th.', 'IJ.H.': initials
    WHEN length(split_part(foto_given(raw), ' ', 1)) > 1
     AND split_part(foto_given(raw), ' ', 1) <> 'ij' THEN split_part(foto_given(raw), ' ', 1)
    END;
CREATE OR REPLACE MACRO foto_initials(g) AS nullif(array_to_string(list_transform(
    string_split(replace(g, '-', ' '), ' '), lambda t: left(t, 1)), ''), '');
CREATE OR REPLACE MACRO foto_postcode(s) AS CASE
    WHEN regexp_full_match(upper(replace(coalesce(s, ''), ' ', '')), '[1-9][0-9]{3}[A-Z]{2}')
    THEN upper(replace(s, ' ', '')) END;
CREATE OR REPLACE MACRO foto_housenumber(s) AS nullif(regexp_extract(s, '([0-9]+)', 1), '');
CREATE OR REPLACE MACRO foto_phonetic(s) AS nullif({phonetic}, '');
CREATE OR REPLACE MACRO foto_name_key(s) AS coalesce({name_map}[s], s);
CREATE OR REPLACE MACRO foto_sex(s) AS CASE upper(s) WHEN 'M' THEN 'M' WHEN 'V' THEN 'V' END;
""", tv=Fragment(_TV), phonetic=Fragment(_phonetic_expr("replace(s, '-', '')")),
              name_map=Fragment(_NAME_MAP))

_SELECT_TAIL = """
    , split_part(surname, '-', 1) AS surname_1
    , nullif(split_part(surname, '-', 2), '') AS surname_2
    , foto_name_key(first_name) AS first_name_key
    , foto_phonetic(split_part(surname, '-', 1)) AS surname_key
"""


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Define the standardisation macros on a connection (idempotent)."""
    con.execute(MACROS)


def _wrap(inner: str) -> str:
    """Project a source's standardised columns onto the canonical schema, in order."""
    cols = ", ".join(fill("CAST({c} AS {t}) AS {c}", c=Identifier(c), t=Identifier(t))
                     for c, t in CANONICAL_COLUMNS.items())
    return fill("SELECT {cols} FROM (SELECT *{tail} FROM ({inner}))", cols=Fragment(cols),
                tail=Fragment(_SELECT_TAIL), inner=Fragment(inner))


# A surname key is "rare" when at most this many records carry it: only then is blocking on it
# with an initial alone (no birth date) cheap enough and worth it.
RARE_SURNAME_MAX_RECORDS = 30


DERIVED_COLUMNS = ["rare_surname_key", "name_key", "name_key_no_dob", "given_start",
                   "second_name_key", "given_year_key", "given_year_key_no_surname",
                   "full_given_names", "given_name_list", "dob_text", "dob_day_month_swapped",
                   "multi_initials", "initial", "surname_start", "given_surname_start",
                   "given_surname_start_no_dob", "surname_end", "surname_anagram",
                   "surname_anagram_rare"]


def std_persons_sql(sources: tuple[str, ...] | list[str], tables: bool = True) -> str:
    """The union of the sources' canonical records, with derived columns for matching:
    blocking keys, and values that comparisons would otherwise compute for every pair."""
    parts = [fill("SELECT * FROM {t}", t=Identifier(f"std_{s}")) if tables
             else fill("SELECT * FROM ({q})", q=Fragment(std_sql(s))) for s in sources]
    return fill("""SELECT *, CASE WHEN count(*) OVER (PARTITION BY surname_key)
                            <= {rare_max} THEN surname_key END
                    AS rare_surname_key,
                  surname_key || ':' || left(initials, 1) AS name_key,
                  CASE WHEN dob_year IS NULL THEN surname_key || ':' || left(initials, 1) END
                    AS name_key_no_dob,
                  left(first_name, 2) AS given_start,
                  foto_phonetic(surname_2) || ':' || left(initials, 1) AS second_name_key,
                  first_name_key || ':' || dob_year AS given_year_key,
                  CASE WHEN surname_key IS NULL THEN first_name_key || ':' || dob_year END
                    AS given_year_key_no_surname,
                  CASE WHEN regexp_full_match(given_names, '[a-z''-]{2,}( [a-z''-]{2,})+')
                       THEN given_names END AS full_given_names,
                  string_split(given_names, ' ') AS given_name_list,
                  CAST(dob AS VARCHAR) AS dob_text,
                  CASE WHEN dob_day <= 12 AND dob_day <> dob_month
                       THEN make_date(dob_year, dob_day, dob_month) END
                    AS dob_day_month_swapped,
                  CASE WHEN length(initials) >= 2 THEN initials END AS multi_initials,
                  left(initials, 1) AS initial,
                  left(surname_1, 2) AS surname_start,
                  first_name_key || ':' || left(surname_1, 3) AS given_surname_start,
                  CASE WHEN dob_year IS NULL THEN first_name_key || ':' || left(surname_1, 3) END
                    AS given_surname_start_no_dob,
                  -- a typo early in the surname leaves its end ('Groot'/'Gorot', 'Kcoasoy')
                  right(surname_1, 3) AS surname_end,
                  -- the surname's letters in order: two letters swapped leave it ('Kocasoy',
                  -- 'Kcoasoy'); for a rare spelling only, the side a swap produces
                  CASE WHEN length(surname_1) >= 4 THEN
                       array_to_string(list_sort(string_split(surname_1, '')), '') END
                    AS surname_anagram,
                  CASE WHEN length(surname_1) >= 4 AND count(*) OVER (PARTITION BY surname_1)
                            <= {rare_max}
                       THEN array_to_string(list_sort(string_split(surname_1, '')), '') END
                    AS surname_anagram_rare
               FROM ({parts})""",
                rare_max=Fragment(str(int(RARE_SURNAME_MAX_RECORDS))),
                parts=Fragment(" UNION ALL ".join(parts)))


# Constants that are code, baked into the source queries as quoted literals by the one template
# helper (`stores.sql.fill`): they are regexes built from the Python lists above, not values.
_NAME_PATTERNS = {"tv_re": Constant(_TV_RE),
                  "particle_re": Constant("|".join(SURNAME_PARTICLES)),
                  "clan_re": Constant("|".join(SURINAMESE_CHINESE_CLANS))}


def std_sql(source: str) -> str:
    """The query that standardises one source's raw table into canonical records: the
    partner's own query (declared with it, `sources.registry`) projected onto the canonical
    columns, with the name patterns filled in."""
    return _wrap(fill(registry()[source].std_sql, **_NAME_PATTERNS))


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """The macros the stages' SQL calls (no session variables: the source queries carry
    their constants, `std_sql`)."""
    install_macros(con)


@contextmanager
def connect_prepared(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """The build database with the macros and variables installed on a writer (`prepare`):
    the stages' SQL calls them. Here, not in the store, so that the store knows no stage."""
    with connect(path, read_only=read_only) as con:
        if not read_only:
            prepare(con)
        yield con
