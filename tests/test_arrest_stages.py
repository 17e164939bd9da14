"""The arrest's stages without a Dagster job, on a small published warehouse built in the test
by the nightly's own SQL: person ids (minting, collision fallback, stability), the profile
builder for all persons or some, and an arrest standardised, matched and profiled."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from config import load_config
from matching.models import bundled_model
from persons.ids import assign_person_ids, load_previous, mint_person_id, mint_sql
from persons.incremental import match_one, standardise_police_rows
from persons.judged import JUDGEMENT_COLUMNS, ensure_judged_pairs
from persons.records import PERSON_RECORDS_COLUMNS
from profiles.arrest_profile import NewRecord
from profiles.build import build_profile
from profiles.relations import build_relations
from publish.arrest_sheets import arrest_parts
from publish.audiences import TRIAGE_TABLES, triage_select
from publish.sheets import sheet_parts
from sources import police
from sources.arrests import arrest_as_police_row, read_arrest, register_police_rows
from sources.registry import registry
from standardise.rules import prepare, std_persons_sql, std_sql

REF = "2026-11-28"
PETER = {"achternaam": "Vries", "voorvoegsel": "de", "voornamen": "Peter Jan",
         "geboortedatum": date(1984, 6, 2), "bsn": "111222333", "straat": "Wolphaertsbocht",
         "huisnummer": "12", "postcode": "3083KM", "woonplaats": "Rotterdam"}
SANNE = {"achternaam": "Bakker", "voorvoegsel": None, "voornamen": "Sanne",
         "geboortedatum": date(1986, 9, 11), "bsn": None, "straat": "Wolphaertsbocht",
         "huisnummer": "12", "postcode": "3083KM", "woonplaats": "Rotterdam"}
MEHMET = {"achternaam": "Özdemir", "voorvoegsel": None, "voornamen": "Mehmet",
          "geboortedatum": date(1990, 1, 15), "bsn": "123456782", "straat": "Beijerlandselaan",
          "huisnummer": "4", "postcode": "3074EB", "woonplaats": "Rotterdam"}
# record id, registration day, role, offence, domestic violence, arrested, identity, person
PUBLISHED = [
    ("PL-2026000101-01", date(2026, 5, 2), "verdachte", "mishandeling", True, False, PETER, "FA"),
    ("PL-2026000101-02", date(2026, 5, 2), "slachtoffer", "mishandeling", True, False, SANNE,
     "FB"),
    ("PL-2026000102-01", date(2026, 8, 3), "verdachte", "bedreiging", False, False, PETER, "FA"),
    ("PL-2025000200-01", date(2025, 1, 9), "verdachte", "winkeldiefstal", False, False, MEHMET,
     "FC"),
]
ARREST = {"arrest_id": "AH-2026-000300", "aangehouden_op": "2026-11-28T09:15:00+01:00",
          "record_id": "PL-2026000300-01", "feit": "bedreiging", "huiselijk_geweld": True,
          "achternaam": " VRIES ", "voorvoegsel": "de", "voornamen": "Peter Jan",
          "geboortedatum": "02-06-1984", "bsn": "1112.22.333", "straat": "Wolphaertsbocht",
          "huisnummer": "12", "postcode": "3083 KM", "woonplaats": "Rotterdam"}
NOBODY = ARREST | {"arrest_id": "AH-2026-000301", "record_id": "PL-2026000301-01",
                   "achternaam": "Zwaneveld-Oosterbroek", "voorvoegsel": "",
                   "voornamen": "Quirijn", "geboortedatum": "09-03-1971", "bsn": None,
                   "straat": "Nergensstraat", "huisnummer": "99", "postcode": "9999ZZ",
                   "woonplaats": "Nergenshuizen"}


def _fresh(key: str, salt: str = "") -> str:
    """The documented id: 'F' and 12 upper-case hex digits of sha256(lowest record id[+salt])."""
    return "F" + hashlib.sha256((key + salt).encode()).hexdigest()[:12].upper()


def _police_rows(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame([{"record_id": r, "registratie_datum": d, "rol": rol, "feit": feit,
                          "huiselijk_geweld": hg, "aangehouden": arrested,
                          "geboorteplaats": None, "geslacht": None, **who}
                         for r, d, rol, feit, hg, arrested, who, _ in rows],
                        columns=police.COLUMNS)


def _warehouse(path: Path, rows: list[tuple], extra: pd.DataFrame | None = None,
               extra_person: str | None = None) -> Path:
    """A published warehouse of police records (`rows`, plus `extra` police rows on
    `extra_person`), built with the nightly's standardisation and profile SQL. A person's
    later records link to their first with probability 0.99."""
    con = duckdb.connect(str(path))
    try:
        prepare(con)
        for table, columns in registry().raw_types().items():
            if table != "raw_police":
                con.execute(f"CREATE TABLE {table} ("
                            + ", ".join(f"{c} {t}" for c, t in columns.items()) + ")")
        frame = _police_rows(rows)
        if extra is not None:
            frame = pd.concat([frame, extra[police.COLUMNS]], ignore_index=True)
        register_police_rows(con, frame)
        con.execute(f"CREATE TABLE std_police AS {std_sql('police')}")
        con.execute(f"CREATE TABLE std_persons AS {std_persons_sql(['police'])}")
        owner = {r[0]: r[-1] for r in rows} | ({r: extra_person for r in extra["record_id"]}
                                               if extra is not None else {})
        con.register("_owner", pd.DataFrame({"record_id": list(owner),
                                             "person_id": list(owner.values())}))
        con.execute("""
            CREATE TABLE person_records AS
            WITH r AS (
                SELECT o.person_id, s.source, s.record_id, s.unique_id, s.role,
                       count(*) OVER (PARTITION BY o.person_id) AS records_in_person,
                       first(s.unique_id) OVER (PARTITION BY o.person_id
                                                ORDER BY s.unique_id) AS first_uid
                FROM std_persons s JOIN _owner o USING (record_id))
            SELECT person_id, source, record_id, unique_id, role, records_in_person,
                   CASE WHEN unique_id = first_uid THEN 0 ELSE 1 END AS links,
                   CASE WHEN unique_id <> first_uid THEN first_uid END AS strongest_link_to,
                   CASE WHEN unique_id <> first_uid THEN 0.99 END AS link_probability,
                   CAST(NULL AS DOUBLE) AS link_weight,
                   CASE WHEN unique_id <> first_uid THEN 'pair' END AS linked_by,
                   CAST(NULL AS BIGINT) AS judgement_id, 'v' AS model_version
            FROM r ORDER BY ALL""")
        columns = [d[0] for d in con.sql("SELECT * FROM person_records").description]
        assert tuple(columns) == PERSON_RECORDS_COLUMNS   # the published table's, in order
        con.execute("""CREATE TABLE match_pairs (unique_id_l VARCHAR, unique_id_r VARCHAR,
                       decision VARCHAR, match_probability DOUBLE, match_weight DOUBLE)""")
        con.execute("""CREATE TABLE link_explanation (unique_id_l VARCHAR, unique_id_r VARCHAR,
                       decision VARCHAR, match_probability DOUBLE, agreed VARCHAR[],
                       partly_agreed VARCHAR[], disagreed VARCHAR[], explanation VARCHAR)""")
        con.execute("""CREATE TABLE id_history (old_id VARCHAR, new_id VARCHAR, change VARCHAR,
                       records_moved BIGINT, run_id VARCHAR, delivery VARCHAR,
                       recorded_at TIMESTAMPTZ)""")
        ensure_judged_pairs(con)      # no judgements: the tables a run always writes
        con.execute("CREATE TABLE judgements (" + ", ".join(
            f"{c} {t}" for c, t in JUDGEMENT_COLUMNS.items()) + ")")
        build_relations(con)
        build_profile(con, REF)
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _warehouse(tmp_path_factory.mktemp("wh") / "warehouse.duckdb", PUBLISHED)


def _arrest_file(tmp_path: Path, arrest: dict) -> dict:
    """The arrest as the door reads it (`read_arrest`), from a file as the police send it."""
    import json

    path = tmp_path / f"{arrest['arrest_id']}.json"
    path.write_text(json.dumps(arrest), encoding="utf-8")
    return read_arrest(path)


# ---- ids -----------------------------------------------------------------------------------

def test_a_new_person_id_is_the_hash_of_the_lowest_record_id() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE firsts AS SELECT * FROM (VALUES (1, 'police:PL-1-01'), "
                "(2, 'municipal:123')) t(key, first_unique_id)")
    con.execute("CREATE TABLE used (id VARCHAR)")
    got = dict(con.execute(mint_sql("firsts", "used"), {"salt": "run-1"}).fetchall())
    assert got == {1: _fresh("police:PL-1-01"), 2: _fresh("municipal:123")}
    # stable: another run (another salt) mints the same ids
    assert dict(con.execute(mint_sql("firsts", "used"), {"salt": "run-2"}).fetchall()) == got


def test_an_id_used_before_is_never_minted_again() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE firsts AS SELECT 1 AS key, 'police:PL-1-01' AS first_unique_id")
    con.execute("CREATE TABLE used AS SELECT $id AS id", {"id": _fresh("police:PL-1-01")})
    got = con.execute(mint_sql("firsts", "used"), {"salt": "run-1"}).fetchall()
    assert got == [(1, _fresh("police:PL-1-01", "run-1"))]
    assert got[0][1] != _fresh("police:PL-1-01")


def test_ids_are_inherited_by_overlap_and_minted_with_the_fallback(tmp_path: Path) -> None:
    con = duckdb.connect()
    load_previous(con, tmp_path / "none.duckdb")
    # before: FOLD holds a and b; a retired id (merged away) is the hash of 'c'
    con.execute("INSERT INTO prev_person_records VALUES ('a', 'FOLD'), ('b', 'FOLD')")
    con.execute("INSERT INTO prev_id_history VALUES ($old, 'FOLD', 'merged', 1, 'r0', "
                "'2026-11-26', now())", {"old": _fresh("c")})
    con.execute("CREATE TABLE clusters AS SELECT * FROM (VALUES (1, 'a'), (1, 'b'), (1, 'x'), "
                "(2, 'c'), (3, 'd')) t(cluster_id, unique_id)")
    assign_person_ids(con, "run-9", "2026-11-27")
    ids = dict(con.sql("SELECT cluster_id, person_id FROM person_ids").fetchall())
    assert ids == {1: "FOLD", 2: _fresh("c", "run-9"), 3: _fresh("d")}


def test_the_arrest_mints_the_id_the_next_nightly_run_mints(published: Path) -> None:
    uid = "police:PL-2026000301-01"
    minted = mint_person_id(published, uid, "AH-2026-000301")
    assert minted == _fresh(uid)
    con = duckdb.connect()
    load_previous(con, published)
    con.execute("CREATE TABLE clusters AS SELECT unique_id, "
                "dense_rank() OVER (ORDER BY person_id) AS cluster_id FROM prev_person_records "
                "UNION ALL SELECT $uid, 99", {"uid": uid})
    assign_person_ids(con, "run-next", REF)
    nightly = con.sql("SELECT person_id FROM person_ids WHERE cluster_id = 99").fetchall()
    assert nightly == [(minted,)]


def test_an_arrest_never_gets_an_id_the_publication_used(tmp_path: Path) -> None:
    uid = "police:PL-2026000101-01"              # Peter's first record: FA was never its hash
    wh = _warehouse(tmp_path / "wh.duckdb", PUBLISHED)
    con = duckdb.connect(str(wh))
    con.execute("UPDATE person_records SET person_id = $id WHERE person_id = 'FA'",
                {"id": _fresh(uid)})
    con.close()
    assert mint_person_id(wh, uid, "AH-1") == _fresh(uid, "AH-1")


# ---- the profile builder -------------------------------------------------------------------

def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.sql(sql).fetchall()


def test_the_profile_of_some_persons_is_their_part_of_everyones(published: Path,
                                                                tmp_path: Path) -> None:
    every = duckdb.connect(str(published), read_only=True)
    some = duckdb.connect()
    some.execute("ATTACH ? AS wh (READ_ONLY)", [str(published)])
    for table in ("person_records", "std_persons", "relations", "raw_police", "raw_justice",
                  "raw_care", "care_reports", "raw_municipal"):
        some.execute(f"CREATE TABLE {table} AS SELECT * FROM wh.{table}")
    counts = build_profile(some, REF, ["FA"])
    assert counts == {"events": 2, "flags": 1, "persons": 1}
    for table, order in (("events", "ORDER BY ALL"), ("flags", "ORDER BY ALL"),
                         ("person", "")):
        mine = _rows(some, f"SELECT * FROM {table} {order}")
        theirs = _rows(every, f"SELECT * FROM {table} WHERE person_id = 'FA' {order}")
        assert mine == theirs and mine, table
    person = _rows(some, "SELECT priority, flags, records FROM person")
    assert person == [("midden", ["huiselijk_geweld_12m"], 2)]
    every.close()


# ---- the arrest's stages -------------------------------------------------------------------

def test_an_arrest_is_standardised_as_a_delivery_is(tmp_path: Path) -> None:
    arrest = _arrest_file(tmp_path, ARREST)
    row = standardise_police_rows(arrest_as_police_row(arrest)).to_pylist()[0]
    assert row["unique_id"] == "police:PL-2026000300-01" and row["source"] == "police"
    assert row["bsn"] == "111222333"              # dots gone, as in a delivery
    assert row["dob"] == date(1984, 6, 2) and row["postcode"] == "3083KM"
    assert row["role"] == "verdachte" and row["record_date"] == date(2026, 11, 28)
    delivered = _police_rows([("PL-2026000300-01", date(2026, 11, 28), "verdachte",
                               "bedreiging", True, True, PETER | {"achternaam": "VRIES"},
                               "FA")])
    assert standardise_police_rows(delivered).to_pylist()[0] == row


def test_an_arrest_joins_its_person_and_a_stranger_joins_nobody(published: Path,
                                                                tmp_path: Path) -> None:
    model, config = bundled_model(), load_config()
    thresholds = config.matching.thresholds
    known = standardise_police_rows(arrest_as_police_row(_arrest_file(tmp_path, ARREST)))
    match = match_one(published, known, model.path, thresholds, config.constraints)
    assert match.person_id == "FA" and match.match_probability >= thresholds.link
    assert match.matched_unique_id in ("police:PL-2026000101-01", "police:PL-2026000102-01")
    stranger = standardise_police_rows(arrest_as_police_row(_arrest_file(tmp_path, NOBODY)))
    assert match_one(published, stranger, model.path, thresholds,
                     config.constraints).person_id is None


def _nightly_parts(warehouse: Path, person_id: str) -> dict:
    """The person's sheet as the nightly publication reads it (triage tables of everyone)."""
    con = duckdb.connect()
    con.execute("ATTACH ? AS wh (READ_ONLY)", [str(warehouse)])
    con.execute("USE wh")
    con.execute("ATTACH ':memory:' AS t")
    for table in TRIAGE_TABLES:
        con.execute(f"CREATE TABLE t.main.{table} AS {triage_select(table)}")
    con.execute("USE t")
    found = sheet_parts(con, person_id)
    con.close()
    return found[0]


@pytest.mark.parametrize(("arrest", "person"), [(ARREST, "FA"), (NOBODY, None)],
                         ids=["known", "new"])
def test_an_arrests_profile_is_the_nightly_profile_of_its_records(
        published: Path, tmp_path: Path, arrest: dict, person: str | None) -> None:
    read = _arrest_file(tmp_path, arrest)
    row = arrest_as_police_row(read)
    std = standardise_police_rows(row)
    uid = std.column("unique_id")[0].as_py()
    pid = person or mint_person_id(published, uid, read["arrest_id"])
    first = "police:PL-2026000101-01"
    new = NewRecord(police_row=row, std=std, strongest_link_to=first if person else None,
                    link_probability=0.99 if person else None, model_version="v")
    parts = arrest_parts(published, pid, REF, new)
    # the nightly run that reads the arrest as a registration of the extract
    nightly = _nightly_parts(_warehouse(tmp_path / "next.duckdb", PUBLISHED, row, pid), pid)
    assert parts == nightly
    p = parts["p"]
    assert p["person_id"] == pid and p["prioriteit"] == "midden"
    assert "politie: aangehouden" in p["reden_in_beeld"]
    assert p["aantal_registraties"] == (3 if person else 1)
    # the arrest is Peter's third registration in 12 months: a repeat suspect too
    assert [s["signaal"] for s in parts["signals"]] == \
        (["Herhaald verdachte (3+ in 12 mnd)"] if person else []) + ["Huiselijk geweld (12 mnd)"]
    assert parts["timeline"][0]["datum"] == date(2026, 11, 28)
    assert parts["timeline"][0]["status"] == "aangehouden"
    assert len(parts["timeline"]) == (3 if person else 1)
    if person:
        assert parts["network"] == [{"person_id": "FA", "relatie": "slachtoffer", "aantal": 1}]
        assert parts["certainty"]["records"] == 3


def test_an_arrest_reads_the_judgements_as_the_nightly_sheet_does(published: Path,
                                                                  tmp_path: Path) -> None:
    """A link a reviewer confirmed, and a person a reviewer judged apart from one it was
    undecided with, read the same on the arrest's sheet as on the nightly one (issue 15);
    the reviewer's name and reason reach neither."""
    warehouse = tmp_path / "judged.duckdb"
    shutil.copy(published, warehouse)
    fa1, fa2, fc = ("police:PL-2026000101-01", "police:PL-2026000102-01",
                    "police:PL-2025000200-01")
    con = duckdb.connect(str(warehouse))
    con.execute("INSERT INTO match_pairs (unique_id_l, unique_id_r, decision) "
                "VALUES ($a, $c, 'undecided')", {"a": fa2, "c": fc})
    con.execute("INSERT INTO judged_pairs VALUES ($a, $b, 'same', 11, true), "
                "($a, $c, 'different', 12, true)", {"a": fa1, "b": fa2, "c": fc})
    con.execute("""INSERT INTO judgements BY NAME
                   SELECT unique_id_l, unique_id_r, decision, judgement_id,
                          'Fatima Reviewer' AS judged_by, 'Dossier 2026-77' AS reason,
                          TIMESTAMPTZ '2026-11-27 10:00:00+00' AS judged_at, true AS active
                   FROM judged_pairs""")
    con.close()
    parts = arrest_parts(warehouse, "FA", REF)
    assert parts == _nightly_parts(warehouse, "FA")
    certainty = parts["certainty"]
    assert (certainty["bevestigde_koppelingen"], certainty["laatst_bevestigd"],
            certainty["onbesliste_personen"]) == (1, date(2026, 11, 27), 0)
    assert "Fatima" not in str(parts) and "Dossier" not in str(parts)


def _with_terms(published: Path, tmp_path: Path, until: dict[str, str]) -> Path:
    """A copy of the published warehouse whose `record_terms` give each record of `until`
    that day as the end of its use term (the others: years ahead)."""
    copy = tmp_path / "with_terms.duckdb"
    shutil.copy(published, copy)
    con = duckdb.connect(str(copy))
    try:
        con.execute("CREATE TABLE record_terms (source VARCHAR, record_id VARCHAR, "
                    "use_until DATE, destroy_by DATE)")
        for record_id, *_ in PUBLISHED:
            con.execute("INSERT INTO record_terms VALUES ('police', ?, ?, '2036-01-01')",
                        [record_id, until.get(record_id, "2031-01-01")])
        # more of Mehmet's registrations: a master of a few records scales the model's prior
        # past 1 once two of them are out of use (`matching.predict.model_for_size`)
        for table in ("std_persons", "person_records"):
            for i in range(4):
                con.execute(f"INSERT INTO {table} SELECT * REPLACE ("
                            f"'police:PL-20250002{i}9-01' AS unique_id, "
                            f"'PL-20250002{i}9-01' AS record_id) FROM {table} "
                            "WHERE record_id = 'PL-2025000200-01'")
    finally:
        con.close()
    return copy


def test_an_arrest_is_not_linked_through_a_record_past_its_term_on_its_day(
        published: Path, tmp_path: Path) -> None:
    """The arrest of Peter (FA) on REF: with one of FA's registrations past its use term that
    day, the other links it, never the expired one; with both past it, nothing of FA may be
    used and the arrest joins nobody, although the publication still holds them. The nightly
    run's terms (before REF) do not hide them: as_of decides."""
    model, config = bundled_model(), load_config()
    thresholds = config.matching.thresholds
    known = standardise_police_rows(arrest_as_police_row(_arrest_file(tmp_path, ARREST)))
    first, second = "PL-2026000101-01", "PL-2026000102-01"
    (tmp_path / "one").mkdir()
    (tmp_path / "both").mkdir()
    one = _with_terms(published, tmp_path / "one", {first: REF})
    match = match_one(one, known, model.path, thresholds, config.constraints, as_of=REF)
    assert match.person_id == "FA" and match.matched_unique_id == f"police:{second}"
    both = _with_terms(published, tmp_path / "both", {first: REF, second: "2026-11-01"})
    match = match_one(both, known, model.path, thresholds, config.constraints, as_of=REF)
    assert match.person_id is None
    # the day before the first term ends, both are candidates again
    assert match_one(both, known, model.path, thresholds, config.constraints,
                     as_of="2026-10-31").person_id == "FA"
    # without a day (the nightly's overlay of an old publication): every record, as before
    assert match_one(both, known, model.path, thresholds, config.constraints
                     ).person_id == "FA"
