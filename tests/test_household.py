"""The people of one dwelling are mostly one family: a surname and a dwelling are not two
independent pieces of evidence (`matching.settings`: SURNAME stands aside where the dwelling
agrees, ADDRESS weighs the surname within the dwelling). A dwelling is named by street and house
number where a record gives no postcode (a care report).

Real Splink on the bundled sample delivery and its truth, scored with the bundled model sized
for the sample and for a region of a million records.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from config import Thresholds, load_config
from matching.models import bundled_model
from matching.predict import model_for_size, predict_and_cluster
from matching.thresholds import load_thresholds

TRUTH = Path(__file__).resolve().parents[1] / "data/sample/truth.parquet"
SIZES = (None, 1_000_000)     # the sample's own size, and a region of a million records


def _pairs(records: pa.Table, region: int) -> duckdb.DuckDBPyConnection:
    """A connection holding `p`: every candidate pair scored with the model sized for `region`
    records, joined to both records and whether the truth makes them one person (`same`)."""
    link = load_thresholds().link
    result = predict_and_cluster(records, model_for_size(bundled_model().path, region),
                                 Thresholds(version=1, link=link, review=1e-9),
                                 load_config().matching.blocking)
    con = duckdb.connect()
    con.register("records", records)
    con.register("scored", result.pairs)
    con.execute(f"""CREATE TABLE k AS SELECT r.*, t.person_key FROM records r
                    JOIN read_parquet('{TRUTH}') t USING (source, record_id)""")
    con.execute("""CREATE TABLE p AS SELECT s.match_weight, s.mw_tf_adj_surname,
                     s.gamma_surname, s.gamma_address, a.person_key = b.person_key AS same,
                     a.surname = b.surname AS same_surname, a.bsn <> b.bsn AS two_bsns,
                     a.huisnummer = b.huisnummer AND a.postcode = b.postcode AS same_dwelling,
                     (a.postcode IS NULL) <> (b.postcode IS NULL) AND a.street = b.street
                       AND a.huisnummer = b.huisnummer AS street_dwelling
                   FROM scored s JOIN k a ON a.unique_id = s.unique_id_l
                   JOIN k b ON b.unique_id = s.unique_id_r""")
    return con


@pytest.fixture(scope="module")
def scored(sample_records: pa.Table) -> dict[int, duckdb.DuckDBPyConnection]:
    return {size or sample_records.num_rows: _pairs(sample_records,
                                                    size or sample_records.num_rows)
            for size in SIZES}


def _link_weight() -> float:
    link = load_thresholds().link
    return math.log2(link / (1 - link))


def test_a_household_of_two_registered_persons_is_not_one_person(scored: dict) -> None:
    """Two records of one dwelling and one surname with two different valid BSNs (the register
    knows them as two people: parent and child, siblings) are never linked, at the sample's size
    nor at a million records. Counting a rare surname and the dwelling as independent linked 9
    such pairs of the sample at either size, each to be split again by the BSN constraint."""
    for size, con in scored.items():
        households, linked = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE match_weight >= $w) FROM p "
            "WHERE same_dwelling AND same_surname AND two_bsns AND NOT same",
            {"w": _link_weight()}).fetchall()[0]
        assert households > 50, size
        assert linked == 0, size


def test_within_a_dwelling_a_surname_weighs_the_same_however_rare(scored: dict) -> None:
    """The surname's term frequency (how few people of the region bear it) does not count where
    the dwelling agrees: within a household a rare name is shared as readily as a common one."""
    for con in scored.values():
        adjusted, dwelling = con.execute(
            "SELECT count(*) FILTER (WHERE coalesce(mw_tf_adj_surname, 0) <> 0), count(*) "
            "FROM p WHERE same_dwelling AND same_surname").fetchall()[0]
        assert dwelling > 1000
        assert adjusted == 0


def test_one_persons_records_of_one_dwelling_stay_linked(scored: dict) -> None:
    """Taking the surname's frequency out of a shared dwelling costs the records of one person
    at one address (nearly) nothing: they agree on a given name or a birth date as well."""
    for size, con in scored.items():
        pairs, linked = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE match_weight >= $w) FROM p "
            "WHERE same AND same_dwelling", {"w": _link_weight()}).fetchall()[0]
        assert pairs > 1500, size
        assert linked >= pairs - 3, size


def test_a_street_and_house_number_name_the_dwelling_without_a_postcode(scored: dict) -> None:
    """A care report that gives street and house number but no postcode shares the dwelling of
    its person's municipal record: scored at a dwelling level (not as missing), and linked."""
    for size, con in scored.items():
        levels = [g for (g,) in con.execute(
            "SELECT DISTINCT gamma_address FROM p WHERE same_dwelling").fetchall()]
        pairs, at_dwelling, linked = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE list_contains($levels, gamma_address)), "
            "count(*) FILTER (WHERE match_weight >= $w) FROM p WHERE same AND street_dwelling",
            {"w": _link_weight(), "levels": levels}).fetchall()[0]
        assert pairs > 10, size
        assert at_dwelling == pairs, size
        assert linked >= 0.9 * pairs, size


def test_a_missing_surname_within_a_dwelling_is_neither_for_nor_against(
        sample_records: pa.Table) -> None:
    """'Same dwelling, a surname missing' is learnt on the pairs where one record gives no
    surname (mostly care reports); as scored it weighs as sharing the dwelling does, whatever
    the surnames: the sources' mix is not evidence (`matching.population.missing_as_neutral`)."""
    for region in (sample_records.num_rows, 1_000_000):
        model = model_for_size(bundled_model().path, region)
        address = next(c for c in model["comparisons"] if c["output_column_name"] == "address")
        dwelling = [lv for lv in address["comparison_levels"]
                    if lv["label_for_charts"].startswith("same dwelling")]
        missing = next(lv for lv in dwelling if lv["label_for_charts"].endswith("missing"))
        together = math.log2(sum(lv["m_probability"] for lv in dwelling)
                             / sum(lv["u_probability"] for lv in dwelling))
        assert len(dwelling) == 3
        assert math.isclose(math.log2(missing["m_probability"] / missing["u_probability"]),
                            together, abs_tol=1e-9)
