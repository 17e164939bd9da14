"""The Splink model's shape: comparisons with Dutch-aware partial credit, and blocking rules.

Comparisons read only canonical columns (`sources.schema`). Levels are ordered from the
strongest agreement down; a null level makes a missing value neutral evidence, so that a record
without a BSN or a birth date is neither helped nor hurt by the gap.
"""

from __future__ import annotations

import copy
import functools
from typing import Any, Literal

from splink import SettingsCreator, block_on

# The engines Splink runs on here. Levels are written once, below; the few functions whose
# names differ between the two SQL dialects are filled in per engine (`comparisons`).
Dialect = Literal["duckdb", "spark"]
DIALECTS: tuple[Dialect, ...] = ("duckdb", "spark")
# DuckDB's built-ins against Spark's (`jaro_winkler` is the UDF of Splink's similarity jar,
# `matching.spark`); `levenshtein`, `left`, `length` and `abs` are spelt alike in both.
_FUNCTIONS: dict[str, dict[str, str]] = {
    "duckdb": {"jaro_winkler": "jaro_winkler_similarity", "list_contains": "list_contains",
               "strpos": "strpos"},
    "spark": {"jaro_winkler": "jaro_winkler", "list_contains": "array_contains",
              "strpos": "instr"},
}


def _null(*cols: str) -> dict[str, Any]:
    cond = " OR ".join(f"{c}_l IS NULL OR {c}_r IS NULL" for c in cols)
    return {"sql_condition": cond, "label_for_charts": "missing", "is_null_level": True}


def _level(cond: str, label: str, tf: str | None = None) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": cond, "label_for_charts": label}
    if tf:
        level["tf_adjustment_column"] = tf
        level["tf_adjustment_weight"] = 1.0
    return level


_ELSE = {"sql_condition": "ELSE", "label_for_charts": "disagree"}

BSN = {
    "output_column_name": "bsn",
    "comparison_description": "valid BSN: agreement is near-proof, two different valid BSNs "
                              "near-proof of two persons",
    "comparison_levels": [_null("bsn"), _level("bsn_l = bsn_r", "same BSN"), _ELSE],
}

GIVEN_NAME = {
    "output_column_name": "given_name",
    "comparison_description": "first name, or initials where only initials are known",
    "comparison_levels": [
        {"sql_condition": "(first_name_l IS NULL AND initials_l IS NULL) OR "
                          "(first_name_r IS NULL AND initials_r IS NULL)",
         "label_for_charts": "missing", "is_null_level": True},
        _level("given_names_l = given_names_r AND {strpos}(given_names_l, ' ') > 0 "
               "AND first_name_l IS NOT NULL", "all given names agree"),
        _level("first_name_l = first_name_r", "same first name", tf="first_name"),
        _level("first_name_key_l = first_name_key_r", "same name, another transliteration"),
        _level("{jaro_winkler}(first_name_l, first_name_r) >= 0.9",
               "first name nearly the same"),
        _level("{list_contains}(given_name_list_l, first_name_r) "
               "OR {list_contains}(given_name_list_r, first_name_l)",
               "first name is another of the given names"),
        # Two initials or more that agree say much; one initial alone ('J.' against 'Jesse') is
        # shared by one person in twelve, and weighs only as the first initial does below.
        _level("(first_name_l IS NULL OR first_name_r IS NULL) AND initials_l = initials_r "
               "AND length(initials_l) >= 2", "initials agree (one side has initials only)"),
        _level("(first_name_l IS NULL OR first_name_r IS NULL) "
               "AND left(initials_l, 1) = left(initials_r, 1)",
               "first initial agrees (one side has initials only)"),
        _ELSE,
    ],
}

# Two records name one dwelling: the same house number, and the same postcode, or, where one of
# them gives no postcode (a care report writing 'Akkerweg 25-2, Rotterdam'), the same street.
# Within a region a street and a house number name one dwelling as a postcode and a house number
# do, but for a street name that recurs in two of the region's towns.
_SAME_DWELLING = ("huisnummer_l = huisnummer_r AND (postcode_l = postcode_r OR "
                  "((postcode_l IS NULL OR postcode_r IS NULL) AND street_l = street_r))")
# Surnames that any agreeing level of SURNAME takes for alike.
_SURNAMES_AGREE = ("surname_l = surname_r OR surname_key_l = surname_key_r "
                   "OR surname_1_l = surname_1_r OR surname_1_l = surname_2_r "
                   "OR surname_2_l = surname_1_r OR surname_2_l = surname_2_r "
                   "OR {jaro_winkler}(surname_l, surname_r) >= 0.8")

# A surname says how few people bear it; a dwelling how few people live there. The two are not
# independent among different persons: the people of one dwelling are mostly one family, and
# share their surname whether it is rare or common. Counted as two independent pieces of
# evidence, a shared dwelling and surname made parent and child, or two siblings, look like one
# person by the surname's whole weight (7 bits for a common name, up to 18 for a rare one at 1M
# records) more than they are: on generated data, 2,818 household pairs at 1M persons scored
# 0.81 on average and none was one person (docs/scale.md). So where the dwelling agrees, the
# surname is weighed within ADDRESS (a surname shared within the dwelling, missing, or another),
# learnt on pairs as any level is, and this comparison stands aside (its null level: neither
# for nor against).
SURNAME = {
    "output_column_name": "surname",
    "comparison_description": "surname without tussenvoegsel; either part of a double name "
                              "(weighed with the address where the dwelling agrees)",
    "comparison_levels": [
        {"sql_condition": f"surname_l IS NULL OR surname_r IS NULL OR ({_SAME_DWELLING})",
         "label_for_charts": "missing, or weighed with the dwelling", "is_null_level": True},
        _level("surname_l = surname_r", "same surname", tf="surname"),
        _level("surname_key_l = surname_key_r", "surname sounds the same"),
        _level("surname_1_l = surname_1_r OR surname_1_l = surname_2_r "
               "OR surname_2_l = surname_1_r OR surname_2_l = surname_2_r",
               "one part of a double name agrees"),
        _level("{jaro_winkler}(surname_l, surname_r) >= 0.92",
               "surname nearly the same"),
        _level("{jaro_winkler}(surname_l, surname_r) >= 0.8", "surname similar"),
        _ELSE,
    ],
}

DOB = {
    "output_column_name": "dob",
    "comparison_description": "birth date, with credit for partial dates, swaps and typos",
    "comparison_levels": [
        _null("dob_year"),
        # A shared birth date weighs by how common that date is among the run's own records
        # (term frequency), as a shared name does: birth dates are not spread evenly (a cohort,
        # a registry's 1 January for an unknown day), and the training delivery's spread is
        # not the region's (`matching.parameters`: applied at prediction, never learnt).
        _level("dob_l = dob_r", "same birth date", tf="dob"),
        _level("dob_year_l = dob_year_r AND (dob_month_l IS NULL OR dob_month_r IS NULL "
               "OR dob_month_l = dob_month_r) AND (dob_day_l IS NULL OR dob_day_r IS NULL "
               "OR dob_day_l = dob_day_r)", "consistent partial birth date"),
        _level("dob_year_l = dob_year_r AND dob_month_l = dob_day_r "
               "AND dob_day_l = dob_month_r", "day and month swapped"),
        _level("levenshtein(dob_text_l, dob_text_r) <= 1",
               "one digit differs"),
        _level("abs(dob_year_l - dob_year_r) <= 1", "birth year within one"),
        _ELSE,
    ],
}

ADDRESS = {
    "output_column_name": "address",
    "comparison_description": "the dwelling (postcode or street, and house number), with the "
                              "surname where the dwelling agrees",
    "comparison_levels": [
        # No postcode on one side is missing evidence, unless street and house number agree.
        {"sql_condition": "(postcode_l IS NULL OR postcode_r IS NULL) AND NOT coalesce("
                          "street_l = street_r AND huisnummer_l = huisnummer_r, false)",
         "label_for_charts": "missing", "is_null_level": True},
        # Within a dwelling, a shared surname tells a person from the family far less than it
        # tells one person from the region (SURNAME): these levels' u are learnt on the pairs of
        # one dwelling with and without a shared surname, so a household is not one person.
        _level(f"{_SAME_DWELLING} AND ({_SURNAMES_AGREE})", "same dwelling, same surname"),
        _level(f"{_SAME_DWELLING} AND (surname_l IS NULL OR surname_r IS NULL)",
               "same dwelling, a surname missing"),
        _level(_SAME_DWELLING, "same dwelling, another surname"),
        _level("postcode_l = postcode_r", "same postcode", tf="postcode"),
        _ELSE,
    ],
}

SEX = {
    "output_column_name": "sex",
    "comparison_description": "registered sex",
    "comparison_levels": [_null("sex"), _level("sex_l = sex_r", "same sex"), _ELSE],
}

_COMPARISONS = [BSN, GIVEN_NAME, SURNAME, DOB, ADDRESS, SEX]

# Levels whose agreement is on a value drawn from a pool that grows with the region: a region
# of ten times the people has ten times the valid BSNs and about ten times the dwellings, while
# a person keeps one BSN and a household about the same size (with or without a shared
# surname: the dwelling levels of ADDRESS). Two random records then share
# such a value with a chance that falls like 1 / records, as the prior does, so its u is scaled
# with the prior (`matching.population`); a name's or a birth date's pool does not grow (the
# same names and days serve any region: their u stays as trained), and levels with a term
# frequency adjustment (the exact first name, surname, birth date and postcode) take their u
# from the run's own records already.
POPULATION_LEVELS: dict[str, tuple[str, ...]] = {
    "bsn": ("same BSN",),
    "address": ("same dwelling, same surname", "same dwelling, a surname missing",
                "same dwelling, another surname"),
}


# Levels reached only where a value is missing on one side, whose weight must be that of the
# levels they stand in for (those where the value is known), taken together: a missing value is
# neither for nor against (as a comparison's null level is). 'Same dwelling, a surname missing'
# is learnt on the pairs of one dwelling where one record gives no surname (a care report), and
# how often a record lacks a surname differs by source, so that learnt on its own it would weigh
# the sources' mix, not the dwelling (`matching.population.missing_as_neutral`).
NEUTRAL_MISSING: dict[str, dict[str, tuple[str, ...]]] = {
    "address": {"same dwelling, a surname missing": (
        "same dwelling, same surname", "same dwelling, another surname")},
}


# Levels reached only where one record states a value less precisely than the other (a care
# report's 'born 1959' against a full birth date): each weighs what agreement at that resolution
# is worth, not how often the training pairs hold such a record (`matching.resolution`). Per
# level: the exact level of the comparison that it stands in for, and the columns of the value
# from coarse to fine (the first stated on both sides, or the comparison's null level applies).
COARSER_LEVELS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "dob": {"consistent partial birth date": (
        "same birth date", ("dob_year", "dob_month", "dob_day"))},
}


def comparisons(dialect: Dialect = "duckdb") -> list[dict[str, Any]]:
    """The comparisons with each level's SQL in `dialect`: one definition for every engine, so
    that a model trained on one runs on the other (`matching.parameters`)."""
    functions = _FUNCTIONS[dialect]
    return [comparison | {"comparison_levels": [
                level | {"sql_condition": level["sql_condition"].format(**functions)}
                for level in comparison["comparison_levels"]]}
            for comparison in _COMPARISONS]


COMPARISONS = comparisons("duckdb")

# Each rule is an equality join on key columns computed once per record (`standardise.py`), so
# its blocks hold records that share a name, a date or an address, never a whole surname. Blocks
# of a birth date or a name still grow with the region: on generated data the candidate pairs
# per record are 2.1 at 15,000 records, 4.3 at 100,000 and 28 at 1,000,000 (the plain
# baseline's rules: 2.4, 5.0 and 33). Together the rules catch the typical Dutch variations.
BSN_BLOCKING_RULE = block_on("bsn")

# Two records' given names may be one person's when either is known by initials only, or when
# both first names start with the same two letters.
_GIVEN_NAMES_MAY_AGREE = ("(l.first_name IS NULL OR r.first_name IS NULL "
                          "OR l.given_start = r.given_start)")

# Roughly ordered by how many pairs each rule makes, most first: Splink excludes from every rule
# the pairs that earlier rules already made, so a big rule late in the list is checked against
# all the rules before it, pair by pair (at 1M records this ordering halved blocking time).
BLOCKING_RULES_FOR_PREDICTION = [
    block_on("dob", "initial"),
    block_on("surname_key", "dob_year", "initial"),
    "l.name_key = r.second_name_key",        # 'E. Molenhout-Jacobs' and 'Elisabeth Jacobs'
    "l.second_name_key = r.name_key",
    # A typo in the birth year, and perhaps one further on in the surname ('Lindeboom' 1988,
    # 'Lindeaoom' 1987): birth day and month, the surname's first letters and the initial.
    block_on("dob_month", "dob_day", "surname_start", "initial"),
    block_on("dob", "surname_start"),
    # A birth date entered day-first in one system and month-first in another, with a typo in
    # the surname besides ('Schouten' 05-02, 'Scchouten' 02-05). Swapping is its own inverse, so
    # this one rule finds the pair whichever record is on the left.
    "l.dob_day_month_swapped = r.dob AND l.initial = r.initial",
    # 'B. Bouali' without a birth date, against every Bouali with the initial B, where one of
    # the two is known by initials only or both first names start alike ('Heendrik' and
    # 'Hendrik', 'Saeed' and 'Saaid'): a join from the records without a birth date only, so
    # its cost grows with them, not with the square of a surname.
    f"l.name_key_no_dob = r.name_key AND {_GIVEN_NAMES_MAY_AGREE}",
    f"l.name_key = r.name_key_no_dob AND {_GIVEN_NAMES_MAY_AGREE}",
    # 'Joesoef Ait Ouali' without a birth date against 'Youssef Aitouali': the first name by
    # transliteration group, which an initial misses ('J'/'Y', 'C'/'K' as in Cees and Kees),
    # and the surname's first letters, which survive a typo further on.
    "l.given_surname_start_no_dob = r.given_surname_start",
    # A care report naming 'Thomas, 1959' without a surname, against every Thomas born in
    # 1959: a join from the records without a surname only, so it stays cheap.
    "l.given_year_key_no_surname = r.given_year_key",
    # 'Imad Achahabr, 2003' against 'Imad Achahbar, 07-11-2003': the first name by transliteration
    # group, the birth year and the surname's first letters.
    block_on("given_year_key", "surname_start"),
    # A typo in the birth year and one early in the surname ('Verweij' 1959, 'Vreweij' 1949):
    # the full initials of two given names or more stand in for the surname.
    block_on("dob_month", "dob_day", "multi_initials"),
    "l.given_surname_start = r.given_surname_start_no_dob",   # 'Joesoef', the other way round
    block_on("postcode", "huisnummer", "initial"),
    BSN_BLOCKING_RULE,
    block_on("full_given_names", "dob_month", "dob_day"),   # 'Kim Sophie Lieke', new surname
    "l.given_year_key = r.given_year_key_no_surname",       # 'Thomas, 1959', the other way
    block_on("rare_surname_key", "initial"),
    block_on("first_name_key", "dob"),
    # Two letters of the surname swapped, which its first letters and phonetic key do not
    # survive ('Kocasoy' and 'Kcoasoy', 'Groot' and 'Gorot'): the same letters in another order
    # and the same initial, from the side with a rare spelling (the typo) only, so that the
    # many records of a common surname are never paired with each other here.
    "l.surname_anagram_rare = r.surname_anagram AND l.initial = r.initial "
    "AND l.surname_1 <> r.surname_1",
    "l.surname_anagram = r.surname_anagram_rare AND l.initial = r.initial "
    "AND l.surname_1 <> r.surname_1",
    # A typo early in the surname and one in the birth year: the surname's last letters, the
    # initial, and birth day and month. Pairs with one birth date come from the first rule;
    # leaving them out of this join spares checking each against every rule before it.
    "l.dob_month = r.dob_month AND l.dob_day = r.dob_day AND l.surname_end = r.surname_end "
    "AND l.initial = r.initial AND l.dob_year <> r.dob_year",
]

# Rules for EM training: each leaves the comparisons it does not block on free to be estimated.
# Pairs sharing a valid BSN are (nearly) all true matches: EM on them learns how names, birth
# dates and addresses of one person vary between sources. Pairs sharing a birth date teach the
# BSN and address levels. A block on names would mix fathers and sons of one name into the
# "match" class and teach the model that birth dates often disagree.
# Each is an equality of key columns, so that its blocks can be sampled whole
# (`matching.train_sample`).
TRAINING_BLOCKING_KEYS: tuple[tuple[str, ...], ...] = (("bsn",), ("dob",))
TRAINING_BLOCKING_RULES = [block_on(*keys) for keys in TRAINING_BLOCKING_KEYS]

DETERMINISTIC_RULES = [
    "l.bsn = r.bsn",
    "l.first_name = r.first_name AND l.surname = r.surname AND l.dob = r.dob",
]


def settings(dialect: Dialect = "duckdb") -> SettingsCreator:
    """Settings of an untrained model: comparisons, blocking, and what predict keeps."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(dialect),
        blocking_rules_to_generate_predictions=BLOCKING_RULES_FOR_PREDICTION,
        retain_matching_columns=False,  # levels are read from weights (matching.levels)
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=[],
    )


def settings_dict(dialect: Dialect) -> dict[str, Any]:
    """The untrained settings as Splink's settings dictionary in `dialect`: every level's and
    every blocking rule's SQL written for that engine (a copy: the caller may change it)."""
    return copy.deepcopy(_settings_dict(dialect))


@functools.cache
def _settings_dict(dialect: Dialect) -> dict[str, Any]:
    # Splink builds these in about 0.1 s; every model load (an arrest's too) needs them
    return settings(dialect).create_settings_dict(dialect)
