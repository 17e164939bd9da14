"""Candidate pairs grow with the records, not with the square of a block.

A careless or hostile export repeats one suspect's row under new record ids; a clerk gives
everyone whose birth date is unknown the same default date; one person turns up under hundreds
of addresses. Each of these makes one blocking key hold hundreds of records, and Splink compares
every pair of them. The persons found must stay those of the full comparison.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from assets.ingest import _read, store_ingest
from config import PredictChunks, load_config
from matching.blocking import copies_pairs, identity_groups, rule_keys
from matching.models import bundled_model
from matching.predict import MatchResult, model_for_size, predict_and_cluster, prediction_chunks
from matching.thresholds import load_thresholds
from sources.registry import registry
from standardise.rules import prepare, std_persons_sql

SAMPLE = Path(__file__).resolve().parents[1] / "data/sample/inbox/2026-11-27"


@pytest.fixture(scope="module")
def sample() -> duckdb.DuckDBPyConnection:
    """The bundled sample delivery read and standardised (raw_<source>, std_persons)."""
    con = duckdb.connect()
    prepare(con)
    for source in registry().names():
        result, extra = _read(source, SAMPLE)
        store_ingest(con, result, extra)
    con.execute("CREATE TABLE std_persons AS " + std_persons_sql(registry().names(), tables=False))
    return con


def _match(records: pa.Table, max_comparisons: int | None = None,
           **kwargs: bool | PredictChunks) -> MatchResult:
    model = model_for_size(bundled_model().path, records.num_rows)
    blocking = load_config().matching.blocking
    if max_comparisons is not None:
        blocking = blocking.model_copy(update={"max_block_comparisons": max_comparisons})
    return predict_and_cluster(records, model, load_thresholds(), blocking, **kwargs)


def _persons(result: MatchResult) -> dict[str, str]:
    return dict(zip(result.clusters["unique_id"].to_pylist(),
                    result.clusters["cluster_id"].to_pylist(), strict=True))


def _with_copies(con: duckdb.DuckDBPyConnection, where: str, copies: int,
                 change: str = "") -> pa.Table:
    """std_persons plus `copies` copies of the first record matching `where` under new record
    ids (`change`: further columns to vary per copy, as `REPLACE` items using `i`)."""
    return con.sql(f"""
        SELECT * FROM std_persons UNION ALL BY NAME
        SELECT s.* REPLACE ('police:PL-COPY-' || i AS unique_id, 'PL-COPY-' || i AS record_id
                            {change})
        FROM (SELECT * FROM std_persons WHERE {where} ORDER BY unique_id LIMIT 1) s,
             range({copies}) t(i)""").to_arrow_table()


def _first(con: duckdb.DuckDBPyConnection, where: str) -> str:
    return con.sql(f"SELECT unique_id FROM std_persons WHERE {where} ORDER BY unique_id "
                   "LIMIT 1").fetchall()[0][0]


# A suspect known by BSN and birth date; one known by name and birth date only; a care report
# that names hardly more than a first name (its copies may or may not be one person: as the
# full comparison says).
FULL = "source = 'police' AND bsn IS NOT NULL AND dob IS NOT NULL"
NO_BSN = "source = 'police' AND bsn IS NULL AND dob IS NOT NULL AND postcode IS NOT NULL"
SPARSE = "source = 'care' AND surname IS NULL AND dob_year IS NULL AND first_name IS NOT NULL"


def _partition(result: MatchResult) -> list[list[str]]:
    groups: dict[str, list[str]] = {}
    for uid, cluster in _persons(result).items():
        groups.setdefault(cluster, []).append(uid)
    return sorted(sorted(g) for g in groups.values())


def _scored(result: MatchResult) -> set[tuple[str, str, float]]:
    return set(zip(result.pairs["unique_id_l"].to_pylist(),
                   result.pairs["unique_id_r"].to_pylist(),
                   (round(p, 12) for p in result.pairs["match_probability"].to_pylist()),
                   strict=True))


def test_chunked_prediction_scores_the_same_pairs_and_forms_the_same_persons(
        sample: duckdb.DuckDBPyConnection, caplog: pytest.LogCaptureFixture) -> None:
    # Splink's `num_chunks_left`/`num_chunks_right` (`matching.predict_chunks`) slice the
    # candidate pairs by a hash of the ids; every pair must fall in exactly one slice, also
    # where a capped block compares neighbours only (a low cap makes the sample's rules refine
    # their largest blocks, as oversized ones are at a region's size)
    records = sample.sql("SELECT * FROM std_persons").to_arrow_table()
    whole = _match(records, max_comparisons=200)
    assert whole.caps, "the cap refines no block: the test would not see neighbour pairs"
    # Splink reports each slice it scores (at INFO, which foto otherwise keeps quiet)
    caplog.set_level(logging.INFO, logger="splink.internals.linker_components.inference")
    chunked = _match(records, max_comparisons=200, chunks=PredictChunks(left=3, right=2))
    assert sum("Processing chunk" in r.getMessage() for r in caplog.records) == 6
    assert whole.pairs.num_rows > 1000
    assert chunked.pairs.num_rows == whole.pairs.num_rows
    assert _scored(chunked) == _scored(whole)
    assert _partition(chunked) == _partition(whole)


def test_chunks_are_counted_from_one() -> None:
    with pytest.raises(ValueError, match="above 0"):
        PredictChunks(left=0, right=1)


@pytest.mark.parametrize(("where", "copies", "one_person"), [
    (FULL, 400, True), (NO_BSN, 250, True), (SPARSE, 60, False)])
def test_copies_of_one_record_are_compared_once_and_persons_stay_those_of_the_full_run(
        sample: duckdb.DuckDBPyConnection, where: str, copies: int, one_person: bool) -> None:
    records = _with_copies(sample, where, copies)
    full = _match(records, collapse_copies=False)
    result = _match(records)
    assert _partition(result) == _partition(full)
    original = _first(sample, where)
    pairs = list(zip(result.pairs["unique_id_l"].to_pylist(),
                     result.pairs["unique_id_r"].to_pylist(), strict=True))
    is_copy = [left.startswith("police:PL-COPY-") or right.startswith("police:PL-COPY-")
               for left, right in pairs]
    # the original's pairs with records that are no copies, in the same run (the model is
    # sized for the records it scores, so a run without the copies may keep other pairs)
    degree = sum(original in pair and not copy for pair, copy in zip(pairs, is_copy, strict=True))
    # linear: each copy has the original's pairs and one with the original, never one with
    # every other copy (the full comparison stores copies * (copies + 1) / 2 more pairs)
    assert sum(is_copy) <= copies * (degree + 1)
    persons = _persons(result)
    copy_persons = {persons[f"police:PL-COPY-{i}"] for i in range(copies)}
    if one_person:   # else: whatever the full comparison makes of them (checked above)
        assert copy_persons == {persons[original]}


def test_copies_are_named_with_their_representative(sample: duckdb.DuckDBPyConnection) -> None:
    """`identity_duplicates` names each copy's group by its lowest unique id, across sources
    (a BRP record and a police record with every compared field alike are copies too)."""
    result = _match(_with_copies(sample, FULL, 5))
    dup = {r["unique_id"]: r for r in result.duplicates.to_pylist()}
    group = [u for u, r in dup.items()
             if r["representative"] == dup["police:PL-COPY-0"]["representative"]]
    assert {_first(sample, FULL), *(f"police:PL-COPY-{i}" for i in range(5))} <= set(group)
    assert all(dup[u]["representative"] == min(group) for u in group)
    assert all(dup[u]["identity_rows"] == len(group) for u in group)


def test_records_that_differ_in_one_compared_field_are_no_copies() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (unique_id VARCHAR, source VARCHAR, surname VARCHAR, "
                "dob DATE, given_name_list VARCHAR[])")
    con.execute("""INSERT INTO t VALUES
        ('police:1', 'police', 'jansen', DATE '1980-01-02', ['piet']),
        ('justice:2', 'justice', 'jansen', DATE '1980-01-02', ['piet']),
        ('police:3', 'police', 'jansen', DATE '1980-01-03', ['piet']),
        ('care:4', 'care', NULL, NULL, ['maria']),
        ('care:5', 'care', NULL, NULL, ['maria'])""")
    groups = {r["unique_id"]: r for r in identity_groups(
        con, "t", ["unique_id", "source", "surname", "dob", "given_name_list"]).to_pylist()}
    assert set(groups) == {"police:1", "justice:2", "care:4", "care:5"}
    assert groups["police:1"]["representative"] == "justice:2"
    assert groups["care:5"]["representative"] == "care:4"


@pytest.mark.parametrize(("rule", "keys"), [
    ('(l."dob" = r."dob") AND (l."initial" = r."initial")', (["dob", "initial"],) * 2),
    ("l.name_key = r.second_name_key", (["name_key"], ["second_name_key"])),
    ("l.name_key_no_dob = r.name_key AND (l.first_name IS NULL OR r.first_name IS NULL "
     "OR l.given_start = r.given_start)", (["name_key_no_dob"], ["name_key"])),
    ("l.dob_month = r.dob_month AND l.surname_end = r.surname_end "
     "AND l.dob_year <> r.dob_year", (["dob_month", "surname_end"],) * 2),
    ('l."bsn" = r."bsn"', (["bsn"], ["bsn"])),
])
def test_a_rules_block_is_read_from_its_equalities(rule: str, keys: tuple) -> None:
    assert rule_keys(rule) == (list(keys[0]), list(keys[1]))


def _pairs_among(result: MatchResult, uids: set[str]) -> int:
    return sum(left in uids and right in uids for left, right in zip(
        result.pairs["unique_id_l"].to_pylist(), result.pairs["unique_id_r"].to_pylist(),
        strict=True))


# Distinct records sharing a key: one person under 300 addresses (still one person), and 300
# persons whose unknown birth date a clerk entered as 01-01-1900 (not made one).
MANY_ADDRESSES = ", CAST(1000 + i AS VARCHAR) AS huisnummer"


@pytest.mark.parametrize("copies", [150, 300])
def test_one_person_under_many_addresses_stays_one_person_in_a_capped_block(
        sample: duckdb.DuckDBPyConnection, copies: int) -> None:
    records = _with_copies(sample, FULL, copies, MANY_ADDRESSES)
    result = _match(records, max_comparisons=2_000)
    assert result.caps, "the block of the repeated person exceeds the cap"
    persons = _persons(result)
    uids = {f"police:PL-COPY-{i}" for i in range(copies)} | {_first(sample, FULL)}
    assert len({persons[u] for u in uids}) == 1
    # neighbours, not every pair: well under the copies * (copies - 1) / 2 of the full run
    assert _pairs_among(result, uids) <= copies * 25


@pytest.mark.parametrize("share", [5, 3])
def test_a_clerks_default_birth_date_does_not_pair_everyone_born_on_it(
        sample: duckdb.DuckDBPyConnection, share: int) -> None:
    """Every `share`-th police record gets 01-01-1900: blocks on birth date and initial grow
    to hundreds; the capped run compares neighbours in them and the persons of the other
    records stay those of the uncapped run."""
    records = sample.sql(f"""
        SELECT * REPLACE (
            CASE WHEN source = 'police' AND hash(unique_id) % {share} = 0
                 THEN DATE '1900-01-01' ELSE dob END AS dob)
        FROM std_persons""").to_arrow_table()
    full = _match(records)
    capped = _match(records, max_comparisons=500)
    assert capped.caps
    assert capped.pairs.num_rows <= full.pairs.num_rows
    before, after = _persons(full), _persons(capped)
    same = sum(before[a] == before[b] and after[a] == after[b]
               for a, b in zip(full.pairs["unique_id_l"].to_pylist(),
                               full.pairs["unique_id_r"].to_pylist(), strict=True)
               if before[a] == before[b])
    linked = sum(before[a] == before[b] for a, b in zip(
        full.pairs["unique_id_l"].to_pylist(), full.pairs["unique_id_r"].to_pylist(),
        strict=True))
    assert same >= 0.98 * linked


def test_a_copy_takes_its_stand_ins_pairs_on_whichever_side_it_sorts() -> None:
    """Pairs are stored with unique_id_l < unique_id_r: a copy that sorts on the other side of
    the partner than its stand-in trades every `_l` value with its `_r` value."""
    con = duckdb.connect()
    con.execute("CREATE TABLE p (unique_id_l VARCHAR, unique_id_r VARCHAR, "
                "match_probability DOUBLE, tf_surname_l DOUBLE, tf_surname_r DOUBLE)")
    con.execute("INSERT INTO p VALUES ('b', 'm', 0.9, 0.01, 0.2), ('a', 'b', 0.8, 0.3, 0.01)")
    con.execute("CREATE TABLE c AS SELECT * FROM (VALUES ('z', 'b'), ('c', 'b')) "
                "t(unique_id, stand_in)")
    got = {(r["unique_id_l"], r["unique_id_r"]): (r["match_probability"], r["tf_surname_l"],
                                                   r["tf_surname_r"])
           for r in copies_pairs(con, "p", "c").to_pylist()}
    assert got == {("c", "m"): (0.9, 0.01, 0.2),    # like its stand-in 'b': on the left
                   ("m", "z"): (0.9, 0.2, 0.01),    # 'z' sorts after 'm': sides traded
                   ("a", "c"): (0.8, 0.3, 0.01),
                   ("a", "z"): (0.8, 0.3, 0.01)}


def test_prediction_in_slices_scores_the_same_pairs_and_forms_the_same_persons(
        sample: duckdb.DuckDBPyConnection) -> None:
    """Splink's prediction in slices of left-hand records (`matching.blocking.chunk_records`,
    to bound the memory its blocking joins hold at a region's size) scores every pair once:
    the same pairs, weights and clusters as one query."""
    records = sample.sql("SELECT * FROM std_persons").to_arrow_table()
    model = model_for_size(bundled_model().path, records.num_rows)
    blocking = load_config().matching.blocking
    assert prediction_chunks(records.num_rows, blocking.chunk_records) == 1
    # a quarter of the records, rounded up: four slices, whatever the sample's size
    sliced = blocking.model_copy(update={"chunk_records": -(-records.num_rows // 4)})
    assert prediction_chunks(records.num_rows, sliced.chunk_records) == 4
    whole = predict_and_cluster(records, model, load_thresholds(), blocking)
    parts = predict_and_cluster(records, model, load_thresholds(), sliced)
    key = ["unique_id_l", "unique_id_r"]
    columns = [*key, "match_weight", "match_probability"]
    assert whole.pairs.num_rows > 1000
    assert parts.pairs.select(columns).sort_by([(k, "ascending") for k in key]).equals(
        whole.pairs.select(columns).sort_by([(k, "ascending") for k in key]))
    assert _partition(parts) == _partition(whole)
