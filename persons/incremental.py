"""Matching one new record against the published persons, without a rebuild.

An arrest must reach the triage point in seconds. Instead of blocking and scoring the whole
region again, the record is standardised by the same SQL as a delivery, the published master
is narrowed in one scan to the records that share any blocking key with it, and Splink's
`predict_between` scores the record against those with the pinned model (its prior scaled to
the master's size, term frequencies taken from the whole master). The best link at or above
the link threshold gives the person, or failing that the person the record as a whole most
probably belongs to (`persons.attach`); hard constraints still hold: a record never joins a
person holding another valid BSN, a twin or a parent of one name, nor a person holding a
record a reviewer judged `different` from it (the published `judgements`,
`persons.judgements`). A record that fits two persons who may not be one about equally is
undecided, as in a nightly run (`persons.constraints`): it joins neither unless one of them,
as a whole, is clearly likelier.
"""

from __future__ import annotations

import copy
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from splink import DuckDBAPI, Linker

from config import Constraints
from matching.linker import MODEL_COLUMNS, quiet_splink
from matching.predict import model_for_size, tf_columns
from matching.settings import comparisons
from matching.thresholds import Thresholds
from persons.attach import attachment_sql, mean_size_sql
from persons.constraints import FORBIDDEN_PAIR_SQL, constraint_params, decisive_margin
from persons.records import PERSON_RECORDS_COLUMNS
from standardise.rules import prepare, std_persons_sql, std_sql
from stores.database import table_exists
from stores.duck import open_duckdb
from stores.sql import Fragment, Identifier, fill
from stores.warm import derived, reader, session

# Every record that any blocking rule could pair with the new one `n` shares one of these keys
# with it: each rule holds at least one of these equalities
# (settings.BLOCKING_RULES_FOR_PREDICTION).
_KEY_TESTS = (
    "m.surname_key = n.surname_key", "m.dob = n.dob", "m.bsn = n.bsn",
    "m.postcode = n.postcode", "m.second_name_key = n.name_key",
    "m.name_key = n.second_name_key", "m.full_given_names = n.full_given_names",
    "m.given_year_key = n.given_year_key_no_surname",
    "m.given_year_key_no_surname = n.given_year_key",
    "m.dob = n.dob_day_month_swapped", "m.dob_day_month_swapped = n.dob",
    """(m.dob_month = n.dob_month AND m.dob_day = n.dob_day
        AND (m.surname_start = n.surname_start OR m.multi_initials = n.multi_initials
             OR m.surname_end = n.surname_end))""",
    "m.surname_anagram = n.surname_anagram_rare", "m.surname_anagram_rare = n.surname_anagram",
    "(m.given_year_key = n.given_year_key AND m.surname_start = n.surname_start)",
    "m.given_surname_start = n.given_surname_start_no_dob",
    "m.given_surname_start_no_dob = n.given_surname_start")
_SHARES_A_KEY = "\n    OR ".join(_KEY_TESTS)
# The master's row ids of the records sharing a key with the new record, whose keys are bound
# as values (`$surname_key`, ...): one scan per key test, each of a column or two against
# constants (pushed into the scan), instead of every key column of every row tested against the
# whole disjunction (see `_candidates`).
_NEW_KEY = re.compile(r"\bn\.(\w+)")
_ROWS_SHARING_ITS_KEYS = "\nUNION\n".join(
    "SELECT m.rowid AS rid FROM wh.std_persons m WHERE " + _NEW_KEY.sub(r"$\1", test)
    for test in _KEY_TESTS)
_KEY_COLUMNS = tuple(sorted(set(_NEW_KEY.findall(_SHARES_A_KEY))))


@dataclass
class IncrementalMatch:
    """Where a new record belongs: a published person, or nobody yet."""

    unique_id: str
    person_id: str | None        # None: no published person links at the link threshold
    match_probability: float | None
    matched_unique_id: str | None
    candidates: int              # master records sharing a blocking key
    scored: int                  # pairs the model scored
    refused: int                 # links refused: the person holds a record that may never be
                                 # one person with the new one (another valid BSN, a twin, ...)
    undecided: int = 0           # persons it fits about equally, who may not be one person


def columns_missing(warehouse: Path) -> list[str]:
    """Columns this version matches and publishes on that `warehouse` lacks: a publication
    built by an earlier version of foto, before the next nightly run has replaced it."""
    def columns() -> set[tuple[str, str]]:
        with reader(warehouse) as con:
            return {(t, c) for t, c in con.sql(
                "SELECT table_name, column_name FROM duckdb_columns() "
                "WHERE database_name = current_database()").fetchall()}

    have = derived(warehouse, "columns", columns)
    need = [("std_persons", c) for c in MODEL_COLUMNS] + \
        [("person_records", c) for c in PERSON_RECORDS_COLUMNS]
    return [f"{t}.{c}" for t, c in need if (t, c) not in have]


def standardise_police_rows(rows: pd.DataFrame) -> pa.Table:
    """Canonical records (with the matching columns) of police rows in the extract's layout."""
    from sources.arrests import register_police_rows

    con = open_duckdb()
    try:
        prepare(con)
        register_police_rows(con, rows)
        con.execute(fill("CREATE TABLE std_police AS {std}", std=Fragment(std_sql("police"))))
        return con.sql(std_persons_sql(["police"])).to_arrow_table()
    finally:
        con.close()


def match_one(warehouse: Path, record: pa.Table, model_path: Path, thresholds: Thresholds,
              constraints: Constraints, as_of: str | None = None) -> IncrementalMatch:
    """Score one canonical record against the published `warehouse` and pick its person
    (`thresholds` and `constraints`: the configuration's, as the nightly run's).

    With `as_of` (the arrest's day), a published record past its use term on that day
    (`record_terms`, `sources.retention`) is no candidate, no evidence of who the new record
    is and no constraint on whom it may join: days after the nightly run, the record may no
    longer be used, and the sheet leaves it out (`profiles.arrest_profile.load_person`); a
    link through it would use it all the same. Every read of the published records goes
    through the views `live_std` and `live_records` (`_live_views`).

    What depends on the publication and the day only (the master's size, its term
    frequencies, the model moved to that size) is `stores.warm.derived`: computed once in the
    arrest worker, which serves many arrests against one publication."""
    quiet_splink()
    with session(warehouse) as con:
        _live_views(con, as_of)
        con.register("new_record", record)
        con.execute("CREATE TABLE n AS SELECT * FROM new_record")
        con.unregister("new_record")
        master_size = _master_size(con, warehouse, as_of)
        candidates = _candidates(con, record)
        unique_id = record.column("unique_id")[0].as_py()
        if candidates == 0:
            return IncrementalMatch(unique_id, None, None, None, 0, 0, 0)
        model = copy.deepcopy(derived(warehouse, ("model", *_file_key(model_path),
                                                  master_size + 1),
                                      lambda: model_for_size(model_path, master_size + 1)))
        api = DuckDBAPI(open_duckdb())
        columns = Fragment(", ".join(Identifier(c).sql() for c in MODEL_COLUMNS))
        left_sdf = api.register(con.sql(fill("SELECT {columns} FROM n", columns=columns))
                                .to_arrow_table(), table_name="new_record")
        right_sdf = api.register(con.sql(fill("SELECT {columns} FROM candidates",
                                              columns=columns)).to_arrow_table(),
                                 table_name="published")
        linker = Linker(right_sdf, model, log_level=logging.WARNING,
                        validate_settings=_first_use(model_path))
        for column in tf_columns(model):
            linker.table_management.register_term_frequency_lookup(
                api.register(_term_frequencies(con, warehouse, as_of, column),
                             table_name=f"tf_{column}"), column)
        scored = linker.inference.predict_between(
            left_sdf, right_sdf, threshold_match_probability=thresholds.review,
            warning_mode="never").as_pyarrow_table()
        return _choose(con, unique_id, scored, candidates, thresholds, constraints, warehouse,
                       as_of)


def _candidates(con: duckdb.DuckDBPyConnection, record: pa.Table) -> int:
    """`candidates`: the live master records sharing a blocking key with the new record `n`
    (`_KEY_TESTS`), and how many.

    The new record's keys are bound as values and each key test scans the master on its own
    columns (`_ROWS_SHARING_ITS_KEYS`); the full rows of the few that share a key are then
    fetched by their row ids. A join of the master with `n` on the disjunction reads every
    column of every row instead (most of a second at a million records)."""
    row = record.to_pylist()[0]
    con.execute(fill("CREATE TEMP TABLE _sharing AS {rows}",
                     rows=Fragment(_ROWS_SHARING_ITS_KEYS)),
                {c: row[c] for c in _KEY_COLUMNS})
    con.execute("""CREATE TABLE candidates AS SELECT m.* FROM wh.std_persons m
                   WHERE m.rowid IN (SELECT rid FROM _sharing) AND m.unique_id <> $uid
                     AND NOT EXISTS (SELECT 1 FROM _expired e      -- as `live_std`
                         WHERE e.source = m.source AND e.record_id = m.record_id)""",
                {"uid": row["unique_id"]})
    return con.sql("SELECT count(*) FROM candidates").fetchall()[0][0]


def _file_key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path), st.st_mtime_ns, st.st_size


_VALIDATED: set[tuple[str, int]] = set()


def _first_use(model_path: Path) -> bool:
    """Whether Splink should check the model's settings against the columns: on its first
    use in this process only. The check parses every comparison's SQL (most of a second), and
    its answer cannot change while the model file and `MODEL_COLUMNS` do not: the arrest
    worker would pay it on every arrest."""
    key = (str(model_path), model_path.stat().st_mtime_ns)
    first = key not in _VALIDATED
    _VALIDATED.add(key)
    return first


def _live_views(con: duckdb.DuckDBPyConnection, as_of: str | None) -> None:
    """`live_std` and `live_records`: the published `std_persons` and `person_records`
    without the records past their use term on `as_of` (all of them without `as_of`, or in a
    publication made before terms were kept)."""
    con.execute("CREATE TEMP TABLE _expired (source VARCHAR, record_id VARCHAR)")
    if as_of is not None and table_exists(con, "record_terms", "wh"):
        con.execute("""INSERT INTO _expired SELECT source, record_id FROM wh.record_terms
                       WHERE use_until <= CAST($day AS DATE)""", {"day": as_of})
    for view, table in (("live_std", "std_persons"), ("live_records", "person_records")):
        con.execute(fill("""CREATE TEMP VIEW {view} AS SELECT m.* FROM wh.{table} m
                            WHERE NOT EXISTS (SELECT 1 FROM _expired e
                                WHERE e.source = m.source AND e.record_id = m.record_id)""",
                         view=Identifier(view), table=Identifier(table)))


def _term_frequencies(con: duckdb.DuckDBPyConnection, warehouse: Path, as_of: str | None,
                      column: str) -> pa.Table:
    """Term frequencies of the values the new record and its candidates hold, as Splink
    computes them in the next nightly run, whose master holds the new record too: share of
    the column's non-empty values over the master plus the new record. The master's counts
    per value (and of non-empty values) are the publication's on the day (`_master_counts`);
    the new record adds its own."""
    counts, total = _master_counts(con, warehouse, as_of, column)
    con.register("_master_tf", counts)
    try:
        return con.sql(fill("""
            WITH wanted AS (SELECT {column} FROM n UNION SELECT {column} FROM candidates),
            own AS (SELECT {column}, count(*) AS k FROM n GROUP BY {column})
            SELECT w.{column},
                   (coalesce(m.k, 0) + coalesce(o.k, 0))
                   / ($total + (SELECT count({column}) FROM n))::DOUBLE AS {tf}
            FROM wanted w LEFT JOIN _master_tf m USING ({column})
            LEFT JOIN own o USING ({column})
            WHERE w.{column} IS NOT NULL""", column=Identifier(column),
            tf=Identifier(f"tf_{column}")), params={"total": total}).to_arrow_table()
    finally:
        con.unregister("_master_tf")


def _master_counts(con: duckdb.DuckDBPyConnection, warehouse: Path, as_of: str | None,
                   column: str) -> tuple[pa.Table, int]:
    """How many live master records hold each value of `column`, and how many hold one."""
    def count() -> tuple[pa.Table, int]:
        counts = con.sql(fill("""SELECT {column}, count(*) AS k FROM live_std
                                 WHERE {column} IS NOT NULL GROUP BY {column}""",
                              column=Identifier(column))).to_arrow_table()
        return counts, int(pc.sum(counts.column("k")).as_py() or 0)

    return derived(warehouse, ("tf", as_of, column), count)


def _master_size(con: duckdb.DuckDBPyConnection, warehouse: Path, as_of: str | None) -> int:
    """How many live records the master holds on `as_of`."""
    return derived(warehouse, ("master_size", as_of),
                   lambda: con.sql("SELECT count(*) FROM live_std").fetchall()[0][0])


def _mean_size(con: duckdb.DuckDBPyConnection, warehouse: Path, as_of: str | None) -> float:
    """The publication's mean person size on `as_of`, as `persons.attach` computes it."""
    con.execute("CREATE OR REPLACE TEMP VIEW _live_members AS "
                "SELECT unique_id, person_id AS cluster_id FROM live_records")
    return derived(warehouse, ("mean_size", as_of),
                   lambda: con.sql(mean_size_sql("_live_members")).fetchall()[0][0])


def prepare_match(warehouse: Path, as_of: str | None) -> None:
    """Derive now what `match_one` derives from the publication for arrests of `as_of` (kept
    beside a warm warehouse, `stores.warm`): the arrest worker does it while it waits, once
    per new publication, so the first arrest after a nightly run does not pay it."""
    with session(warehouse) as con:
        _live_views(con, as_of)
        _master_size(con, warehouse, as_of)
        for column in tf_columns({"comparisons": comparisons()}):
            _master_counts(con, warehouse, as_of, column)
        _mean_size(con, warehouse, as_of)
    columns_missing(warehouse)


def _choose(con: duckdb.DuckDBPyConnection, unique_id: str, scored: pa.Table, candidates: int,
            thresholds: Thresholds, constraints: Constraints, warehouse: Path,
            as_of: str | None) -> IncrementalMatch:
    """The most probable link at or above the link threshold to a person holding no record
    that may never be one person with the new one (`persons.constraints`); failing that, the
    person the record as a whole most probably belongs to (`persons.attach`), as a nightly
    run would decide it."""
    con.register("scored", scored)
    _judged_apart(con)
    # the id comes from an arrest file: bound as a parameter, never pasted into SQL text
    con.execute("""
        CREATE TEMP TABLE edges AS
        SELECT $uid AS a,
               CASE WHEN unique_id_l = $uid THEN unique_id_r ELSE unique_id_l END AS b,
               match_probability AS p, match_weight AS w
        FROM scored""", {"uid": unique_id})
    _scored_persons(con, warehouse, as_of)
    con.execute("""CREATE TEMP VIEW members AS
                   SELECT unique_id, person_id AS cluster_id FROM scored_records""")
    rows = con.execute(fill("""
        WITH linked AS (
            SELECT pr.person_id, e.p, e.w, e.b FROM edges e
            JOIN scored_records pr ON pr.unique_id = e.b
            WHERE e.p >= $link),
        forbidden AS (
            SELECT DISTINCT q.person_id FROM scored_records q
            JOIN scored_std b USING (unique_id), n a
            WHERE q.person_id IN (SELECT person_id FROM linked)
              AND ({forbidden_pair}) IS NOT NULL
            UNION
            SELECT q.person_id FROM judged_apart j
            JOIN scored_records q ON q.unique_id = j.b WHERE j.a = $uid)
        SELECT l.person_id, l.p, l.w, l.b, f.person_id IS NOT NULL AS forbidden
        FROM linked l LEFT JOIN forbidden f USING (person_id)
        ORDER BY l.p DESC, l.b""", forbidden_pair=Fragment(FORBIDDEN_PAIR_SQL)),
        {"link": thresholds.link, "uid": unique_id} | constraint_params(constraints)).fetchall()
    refused = sum(1 for r in rows if r[4])
    allowed = [r for r in rows if not r[4]]
    undecided = 0
    if allowed:
        person_id, probability, weight, other, _ = allowed[0]
        margin = decisive_margin(thresholds.link)
        rivals = sorted({r[0] for r in allowed if r[0] != person_id and weight - r[2] < margin})
        if not rivals or not _kept_apart(con, person_id, rivals, constraints):
            return IncrementalMatch(unique_id, person_id, probability, other, candidates,
                                    scored.num_rows, refused)
        undecided = 1 + len(rivals)
    attached = con.execute(attachment_sql("edges", "members", "n", "scored_std",
                                          "judged_apart", mean_size="_mean_size"),
                           {"link": thresholds.link} | constraint_params(constraints)
                           ).fetchall()
    if attached:
        _, person_id, _, _, _, probability, other = attached[0]
        return IncrementalMatch(unique_id, person_id, probability, other, candidates,
                                scored.num_rows, refused)
    return IncrementalMatch(unique_id, None, None, None, candidates, scored.num_rows, refused,
                            undecided)


def _scored_persons(con: duckdb.DuckDBPyConnection, warehouse: Path, as_of: str | None) -> None:
    """What choosing a person reads of the publication: `scored_records`, every live record of
    the persons holding a scored record (`edges`), `scored_std` their standardised rows, and
    `_mean_size` the persons' mean size over the whole publication (`persons.attach`; one
    figure per publication and day, `stores.warm.derived`). Every person the choice can name
    holds a scored record, so reading these instead of the whole master changes no answer,
    and reads a few rows by their ids rather than joining a million."""
    con.execute("""CREATE TEMP TABLE scored_records AS SELECT * FROM live_records
                   WHERE person_id IN (SELECT person_id FROM live_records
                                       WHERE unique_id IN (SELECT b FROM edges))""")
    con.execute("""CREATE TEMP TABLE _scored_rows AS SELECT rowid AS rid FROM wh.std_persons
                   WHERE unique_id IN (SELECT unique_id FROM scored_records)""")
    con.execute("""CREATE TEMP TABLE scored_std AS SELECT * FROM wh.std_persons
                   WHERE rowid IN (SELECT rid FROM _scored_rows)""")
    con.execute("CREATE TEMP TABLE _mean_size AS SELECT $k_bar::DOUBLE AS k_bar",
                {"k_bar": _mean_size(con, warehouse, as_of)})


def _kept_apart(con: duckdb.DuckDBPyConnection, person_id: str, rivals: list[str],
                constraints: Constraints) -> bool:
    """Whether `person_id` holds a record that may never be one person with a record of one of
    the `rivals` (then a record fitting both about equally cannot bridge them: it is
    undecided; otherwise a nightly run would join all three, and the best link stands)."""
    con.register("_rivals", pd.DataFrame({"person_id": rivals}))
    try:
        return con.execute(fill("""
            SELECT count(*) FROM scored_records qa JOIN scored_std a USING (unique_id),
                 scored_records qb JOIN scored_std b USING (unique_id)
            WHERE qa.person_id = $pid AND qb.person_id IN (SELECT person_id FROM _rivals)
              AND (({forbidden_pair}) IS NOT NULL OR EXISTS (
                  SELECT 1 FROM judged_apart j WHERE j.a = a.unique_id AND j.b = b.unique_id))
            """, forbidden_pair=Fragment(FORBIDDEN_PAIR_SQL)),
            {"pid": person_id} | constraint_params(constraints)).fetchall()[0][0] > 0
    finally:
        con.unregister("_rivals")


def _judged_apart(con: duckdb.DuckDBPyConnection) -> None:
    """`judged_apart` (a, b): the pairs a reviewer judged `different` in the published
    warehouse's `judgements` (`persons.judgements`), both ways round; empty if it has none.

    Every row counts, `active` or not: the new record is not in the published run, so a
    judgement naming it (it was published once, by an earlier arrest) lies dormant there, and
    still no arrest may join it to a person holding the record it was judged different from.
    """
    con.execute("CREATE TEMP TABLE judged_apart (a VARCHAR, b VARCHAR)")
    if table_exists(con, "judgements", "wh"):
        con.execute("""
            INSERT INTO judged_apart
            SELECT unique_id_l, unique_id_r FROM wh.judgements WHERE decision = 'different'
            UNION
            SELECT unique_id_r, unique_id_l FROM wh.judgements WHERE decision = 'different'""")
