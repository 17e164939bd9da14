"""Dutch standardisation rules (DuckDB macros and the per-source queries)."""

from __future__ import annotations

import duckdb
import pytest

from standardise.rules import prepare


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    prepare(c)
    return c


def one(con: duckdb.DuckDBPyConnection, expr: str, *params):
    return con.sql(f"SELECT {expr}", params=list(params) if params else None).fetchall()[0][0]


@pytest.mark.parametrize(("raw", "expected"), [
    ("123456782", "123456782"),      # valid
    ("123 456 782", "123456782"),    # spaces
    ("123.456.782", "123456782"),    # dots
    ("23456711", "023456711"),       # leading zero dropped
    ("123456783", None),             # fails the 11-proef
    ("000000000", None),             # sum 0 is not a BSN
    ("12345", None),                 # too short
    ("12345678a", None),             # not digits
    (None, None),
])
def test_bsn_cleaning_and_elfproef(con, raw, expected) -> None:
    assert one(con, "foto_bsn(?)", raw) == expected


@pytest.mark.parametrize(("raw", "tv", "surname"), [
    ("de vries", "de", "vries"),
    ("van der berg", "van der", "berg"),
    ("in 't veld", "in 't", "veld"),
    ("jansen", None, "jansen"),
    ("jansen-de vries", None, "jansen-vries"),
    ("de", None, "de"),                 # a surname that is only a particle stays
])
def test_tussenvoegsel_split(con, raw, tv, surname) -> None:
    assert one(con, "foto_tv(?)", raw) == tv
    assert one(con, "foto_surname(?)", raw) == surname


def test_fold_removes_diacritics_and_case(con) -> None:
    assert one(con, "foto_fold(?)", "Çelik") == "celik"
    assert one(con, "foto_fold(?)", "Smit-IJzerman") == "smit-ijzerman"
    assert one(con, "foto_fold(?)", "Yılmaz") == "yilmaz"
    assert one(con, "foto_fold(?)", "Małgorzata Wiśniewska") == "malgorzata wisniewska"
    assert one(con, "foto_fold(?)", "  ") is None


def test_given_names_first_name_and_initials(con) -> None:
    assert one(con, "foto_first_name(?)", "P.J.") is None
    assert one(con, "foto_first_name(?)", "Th. J.") is None      # abbreviation, not a name
    assert one(con, "foto_first_name(?)", "IJ H") is None        # IJ is one Dutch initial
    assert one(con, "foto_initials(foto_given(?))", "P.J.") == "pj"
    assert one(con, "foto_first_name(?)", "Peter Jan") == "peter"
    assert one(con, "foto_initials(foto_given(?))", "Jan-Peter Willem") == "jpw"


def test_postcode_and_house_number(con) -> None:
    assert one(con, "foto_postcode(?)", "3083 km") == "3083KM"
    assert one(con, "foto_postcode(?)", "0083KM") is None
    assert one(con, "foto_housenumber(?)", "12b") == "12"


def _std(con, source: str, setup: str) -> list[dict]:
    from standardise.rules import std_sql

    con.execute(setup)
    rel = con.sql(std_sql(source))
    return [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]


def test_justice_name_layout(con) -> None:
    rows = _std(con, "justice", """
        CREATE OR REPLACE TABLE raw_justice AS SELECT * FROM (VALUES
          ('10/1-26', 'Vries, P.J. de', DATE '1984-06-02', '111222333', 'x', 'sepot',
           DATE '2026-01-01', false, NULL::DATE, false),
          ('10/2-26', 'Jansen-de Vries, Maria', NULL, NULL, 'x', 'sepot',
           DATE '2026-01-01', false, NULL::DATE, false),
          ('10/3-26', 'Hout, L.S.K. in ''t', NULL, NULL, 'x', 'sepot',
           DATE '2026-01-01', false, NULL::DATE, false))
        t(record_id, verdachte_naam, geboortedatum, bsn, feit, zaak_status, status_datum,
          toezicht_reclassering, toezicht_einddatum, contactverbod)""")
    assert (rows[0]["surname"], rows[0]["tussenvoegsel"], rows[0]["initials"],
            rows[0]["first_name"]) == ("vries", "de", "pj", None)
    assert (rows[1]["surname_1"], rows[1]["surname_2"], rows[1]["first_name"]) == \
        ("jansen", "vries", "maria")
    assert (rows[2]["initials"], rows[2]["tussenvoegsel"], rows[2]["surname"]) == \
        ("lsk", "in 't", "hout")


def test_care_free_text_names_and_partial_dates(con) -> None:
    rows = _std(con, "care", """
        CREATE OR REPLACE TABLE care_reports AS SELECT 'VT-1' AS melding_id,
            TIMESTAMPTZ '2026-03-14 09:12:00+01' AS ontvangen_op;
        CREATE OR REPLACE TABLE raw_care AS SELECT * FROM (VALUES
          ('VT-1', 'VT-1-1', 'pleger', 'Peter de Vries', '1984-06-02',
           'Wolphaertsbocht 12b, 3083 KM Rotterdam'),
          ('VT-1', 'VT-1-2', 'slachtoffer', 'P.J. van der Berg', '1984', NULL),
          ('VT-1', 'VT-1-3', 'kind', 'Sanne', NULL, NULL),
          ('VT-1', 'VT-1-4', 'slachtoffer', 'Maria Jansen-de Vries', NULL, NULL),
          ('VT-1', 'VT-1-5', 'pleger', 'Noah Patrick Meijer', NULL, NULL),
          ('VT-1', 'VT-1-6', 'pleger', 'Naima El Khatib', NULL, NULL),
          ('VT-1', 'VT-1-7', 'slachtoffer', 'Sharon Jennifer Tjon A Fong', NULL, NULL),
          ('VT-1', 'VT-1-8', 'pleger', 'R. Lie A Ling', NULL, NULL),
          ('VT-1', 'VT-1-9', 'pleger', 'Jan P A Jansen', NULL, NULL))
        t(melding_id, record_id, rol, naam, geboortedatum, adres)""")
    peter, berg, sanne, maria, noah, naima, sharon, ricardo, jan = rows
    assert (peter["first_name"], peter["tussenvoegsel"], peter["surname"]) == \
        ("peter", "de", "vries")
    assert (peter["postcode"], peter["huisnummer"], peter["city"]) == \
        ("3083KM", "12", "rotterdam")
    assert (berg["initials"], berg["tussenvoegsel"], berg["surname"], berg["dob_year"],
            berg["dob_month"]) == ("pj", "van der", "berg", 1984, None)
    assert (sanne["first_name"], sanne["surname"]) == ("sanne", None)
    assert (maria["first_name"], maria["surname_1"], maria["surname_2"]) == \
        ("maria", "jansen", "vries")
    assert (noah["given_names"], noah["surname"], noah["initials"]) == \
        ("noah patrick", "meijer", "np")
    assert (naima["given_names"], naima["surname"]) == ("naima", "el khatib")
    assert (sharon["given_names"], sharon["initials"], sharon["surname"]) == \
        ("sharon jennifer", "sj", "tjon a fong")
    assert (ricardo["initials"], ricardo["surname"]) == ("r", "lie a ling")
    assert (jan["initials"], jan["surname"]) == ("jpa", "jansen")


@pytest.mark.parametrize(("a", "b"), [
    ("bruijn", "bruin"), ("bruyn", "bruin"), ("janssen", "jansen"), ("smit", "smid"),
    ("philips", "filips"), ("claassen", "klaasen"), ("visser", "visscher"),
])
def test_phonetic_key_folds_dutch_spellings(con, a, b) -> None:
    assert one(con, "foto_phonetic(?)", a) == one(con, "foto_phonetic(?)", b)


def test_phonetic_key_keeps_different_names_apart(con) -> None:
    assert one(con, "foto_phonetic(?)", "jansen") != one(con, "foto_phonetic(?)", "janssens")
    assert one(con, "foto_phonetic(?)", "bakker") != one(con, "foto_phonetic(?)", "backer s")


def test_transliteration_groups(con) -> None:
    keys = {one(con, "foto_name_key(?)", n) for n in ("mohamed", "muhammad", "mohammed")}
    assert len(keys) == 1
    assert one(con, "foto_name_key(?)", "youssef") == one(con, "foto_name_key(?)", "yusuf")
    assert one(con, "foto_name_key(?)", "peter") == "peter"


@pytest.mark.parametrize(("raw", "dob", "parts"), [
    ("19841005", "1984-10-05", (1984, 10, 5)),    # 1 to 9 October: '1005' holds '00'
    ("19841001", "1984-10-01", (1984, 10, 1)),
    ("20001001", "2000-10-01", (2000, 10, 1)),
    ("19840110", "1984-01-10", (1984, 1, 10)),
    ("19841200", None, (1984, 12, None)),          # day unknown
    ("19840000", None, (1984, None, None)),        # month and day unknown
])
def test_municipal_birth_date_unknown_only_where_a_part_is_00(con, raw, dob, parts) -> None:
    """A BRP date is partly unknown when its month or its day is 00, not wherever '00' occurs
    in the month and day together (everyone born on 1 to 9 October lost a full birth date)."""
    from sources.registry import registry

    types = registry()["municipal"].raw_types
    columns = {c: "NULL" for c in types}
    columns |= {"record_id": "'1234567890'", "bsn": "'123456782'", "geslachtsnaam": "'Vries'",
                "geboortedatum": f"'{raw}'", "geslacht": "'M'", "source_line": "2"}
    select = ", ".join(f"CAST({v} AS {types[c]}) AS {c}"
                       for c, v in columns.items())
    row = _std(con, "municipal", f"CREATE OR REPLACE TABLE raw_municipal AS SELECT {select}")[0]
    assert (str(row["dob"]) if row["dob"] else None) == dob
    assert (row["dob_year"], row["dob_month"], row["dob_day"]) == parts
