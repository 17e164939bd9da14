"""An arrested person's profile, built by the nightly builders over that person's records.

An arrest for domestic violence must show as a signal on the sheet at once, not after the next
nightly run, and it must show what the next nightly run will show once it reads the arrest. So
the arrest gets no rules of its own: `load_person` copies, from the published warehouse
(read-only), the person's records and the raw rows behind them, plus the arrest's record (its
police row and its standardised record, as a delivery would hold them) under the person's id;
`profiles.build.build_profile` then builds events, flags and person (with the priority) for
that one person, with the same SQL as the nightly run.

Copied small, with the rows the rules and the triage tables read beyond the person: the
person's relations and the records of the persons related to them (a rule asks whether a
housemate is a minor), and the records of persons a record of theirs is undecided with.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from persons.judged import ensure_judged_pairs
from sources.registry import registry
from stores.database import table_exists
from stores.sql import Fragment, Identifier, fill
from stores.warm import held_table, row_index, session

# The tables of a publication `load_person` reads a person's rows from by key (and each
# partner's raw table by record id).
_ROW_INDEXES = (("person_records", "person_id"), ("std_persons", "unique_id"),
                ("link_explanation", "unique_id_l"), ("link_explanation", "unique_id_r"))


@dataclass(frozen=True)
class NewRecord:
    """A record the publication does not hold yet (an arrest's), and how it joined."""

    police_row: pd.DataFrame       # one row in the police extract's layout
    std: pa.Table                  # its standardised record (`std_persons` columns)
    strongest_link_to: str | None  # the published record it linked to (None: a new person)
    link_probability: float | None
    model_version: str


def load_person(con: duckdb.DuckDBPyConnection, warehouse: Path, person_id: str,
                new: NewRecord | None = None, as_of: str | None = None) -> None:
    """Fill the empty default database of `con` (a `stores.warm.session` of `warehouse`: the
    publication attached as `wh`) with what profiling and publishing `person_id` read: their
    published records and the rows behind them, and the `new` record on them. With `as_of`
    (the arrest's day), a published record past its use term on that day is left out, with
    the relations it is evidence of: the nightly run took it out on its delivery's day, and
    the days since may have brought more past their term (`record_terms`).

    The few rows are found by their keys in tables of (key, row id) held in memory
    (`stores.warm.row_index`; the undecided pairs, `_undecided`) and read by row id: a
    person's rows lie scattered over tables of a million rows."""
    new_uid = new.std.column("unique_id")[0].as_py() if new is not None else None
    undecided = _undecided(con, warehouse)
    con.execute("CREATE TABLE relations AS SELECT * FROM wh.relations "
                "WHERE person_id = $pid", {"pid": person_id})
    con.execute(fill("""
        CREATE TEMP TABLE _persons AS
        SELECT $pid AS person_id UNION SELECT related_id FROM relations
        UNION
        SELECT unnest([u.person_l, u.person_r]) FROM {undecided} u
        WHERE $pid IN (u.person_l, u.person_r)""", undecided=Fragment(undecided)),
                {"pid": person_id})
    con.execute(fill("""
        CREATE TABLE person_records AS SELECT * FROM wh.person_records
        WHERE rowid IN (SELECT rid FROM {by_person}
                        WHERE key IN (SELECT person_id FROM _persons))
          AND unique_id IS DISTINCT FROM $uid""", by_person=Fragment(
        row_index(con, warehouse, "person_records", "person_id"))), {"uid": new_uid})
    if as_of is not None:
        _leave_out_expired(con, as_of)
    con.execute(fill("""CREATE TABLE std_persons AS SELECT * FROM wh.std_persons
                        WHERE rowid IN (SELECT rid FROM {by_id} WHERE key IN (
                                            SELECT unique_id FROM person_records))""",
                     by_id=Fragment(row_index(con, warehouse, "std_persons", "unique_id"))))
    for source in registry():
        _copy_raw(con, warehouse, source.name, source.table, source.raw_types, source.tables)
    con.execute(fill("""CREATE TABLE link_explanation AS SELECT * FROM wh.link_explanation
                        WHERE rowid IN (SELECT rid FROM {by_l} WHERE key IN (
                                            SELECT unique_id FROM person_records)
                                        UNION
                                        SELECT rid FROM {by_r} WHERE key IN (
                                            SELECT unique_id FROM person_records))""",
                     by_l=Fragment(row_index(con, warehouse, "link_explanation",
                                             "unique_id_l")),
                     by_r=Fragment(row_index(con, warehouse, "link_explanation",
                                             "unique_id_r"))))
    con.execute(fill("""CREATE TABLE match_pairs AS SELECT * FROM wh.match_pairs
                        WHERE rowid IN (SELECT rid FROM {undecided}
                            WHERE unique_id_l IN (SELECT unique_id FROM person_records)
                              AND unique_id_r IN (SELECT unique_id FROM person_records))""",
                     undecided=Fragment(undecided)))
    _copy_judged(con)
    if new is not None:
        _add(con, person_id, new)


def prepare_person(warehouse: Path) -> None:
    """Make now the tables `load_person` finds a person's rows by (kept beside a warm
    warehouse, `stores.warm`): for the arrest worker, while it waits for the first arrest."""
    with session(warehouse) as con:
        _undecided(con, warehouse)
        for table, column in _ROW_INDEXES + tuple((s.table, "record_id") for s in registry()):
            row_index(con, warehouse, table, column)


def _undecided(con: duckdb.DuckDBPyConnection, warehouse: Path) -> str:
    """The publication's undecided pairs (a few thousand at a million records), with the
    persons of their records (NULL for a record no person holds) and their row ids."""
    return held_table(con, warehouse, "_undecided_pairs", """
        SELECT m.rowid AS rid, m.unique_id_l, m.unique_id_r,
               l.person_id AS person_l, r.person_id AS person_r
        FROM wh.match_pairs m
        LEFT JOIN wh.person_records l ON l.unique_id = m.unique_id_l
        LEFT JOIN wh.person_records r ON r.unique_id = m.unique_id_r
        WHERE m.decision = 'undecided'""")


def _leave_out_expired(con: duckdb.DuckDBPyConnection, as_of: str) -> None:
    """Take the copied records past their use term on `as_of` out of `person_records`, and
    out of the evidence of the relations: a relation none of whose evidence is left goes too
    (a publication made before the terms were kept, without `record_terms`, has none to take
    out). Record ids are told apart by their source's layout, as the relations' evidence is."""
    if not table_exists(con, "record_terms", "wh"):
        return
    con.execute("""CREATE TEMP TABLE _expired AS SELECT source, record_id FROM wh.record_terms
                   WHERE use_until <= CAST($day AS DATE)""", {"day": as_of})
    con.execute("""CREATE TEMP TABLE _expired_ids AS
                   SELECT coalesce(list(record_id), []) AS ids FROM _expired""")
    con.execute("""DELETE FROM relations WHERE rowid IN (
                       SELECT r.rowid FROM relations r, _expired_ids e
                       WHERE len(r.evidence_record_ids) > 0
                         AND len(list_filter(r.evidence_record_ids,
                                             lambda x: NOT list_contains(e.ids, x))) = 0)""")
    con.execute("""UPDATE relations r SET evidence_record_ids = list_filter(
                       r.evidence_record_ids, lambda x: NOT list_contains(e.ids, x))
                   FROM _expired_ids e""")
    con.execute("""DELETE FROM person_records p WHERE EXISTS (
                       SELECT 1 FROM _expired e
                       WHERE e.source = p.source AND e.record_id = p.record_id)""")
    con.execute("DROP TABLE _expired")
    con.execute("DROP TABLE _expired_ids")


def _copy_judged(con: duckdb.DuckDBPyConnection) -> None:
    """The judgements the triage tables read of the copied records (`publish.audiences`):
    `judged_pairs` between them, and of `judgements` only the id and the moment, never who
    judged or why. Empty for a publication built before judgements existed."""
    ensure_judged_pairs(con)
    con.execute("CREATE TABLE judgements (judgement_id BIGINT, judged_at TIMESTAMPTZ)")
    if not (table_exists(con, "judged_pairs", "wh") and table_exists(con, "judgements", "wh")):
        return
    con.execute("""INSERT INTO judged_pairs BY NAME SELECT * FROM wh.judged_pairs
                   WHERE unique_id_l IN (SELECT unique_id FROM person_records)
                     AND unique_id_r IN (SELECT unique_id FROM person_records)""")
    con.execute("""INSERT INTO judgements SELECT judgement_id, judged_at FROM wh.judgements
                   WHERE judgement_id IN (SELECT judgement_id FROM judged_pairs)""")


def _copy_raw(con: duckdb.DuckDBPyConnection, warehouse: Path, source: str, table: str,
              raw_types: dict[str, str], tables: dict[str, dict[str, str]]) -> None:
    """Copy a registered partner's raw rows behind the copied records, and of each further
    table it delivers (care's reports) the rows those raw rows refer to: keyed by the columns
    the two tables share (`melding_id`), for every partner alike."""
    con.execute(fill("""CREATE TABLE {table} AS SELECT * FROM wh.{table}
                        WHERE rowid IN (SELECT rid FROM {by_id} WHERE key IN (
                            SELECT record_id FROM person_records WHERE source = $source))""",
                     table=Identifier(table), by_id=Fragment(
                         row_index(con, warehouse, table, "record_id"))), {"source": source})
    for extra, types in tables.items():
        keys = sorted((set(types) & set(raw_types)) - {"record_id", "source_line"})
        where = " AND ".join(fill("{key} IN (SELECT {key} FROM {table})",
                                  key=Identifier(k), table=Identifier(table)) for k in keys)
        con.execute(fill("CREATE TABLE {extra} AS SELECT * FROM wh.{extra} WHERE {where}",
                         extra=Identifier(extra), where=Fragment(where or "TRUE")))


def _add(con: duckdb.DuckDBPyConnection, person_id: str, new: NewRecord) -> None:
    """The new record on the person, as the next nightly run will hold it: its police row,
    its standardised record, and its row of `person_records` (the person one record larger)."""
    con.register("_new_std", new.std)
    con.execute("INSERT INTO std_persons BY NAME SELECT * FROM _new_std")
    con.unregister("_new_std")
    # the police row as the extract's reader types it (an INSERT casts to the table's types)
    con.register("_new_police", new.police_row)
    con.execute("DELETE FROM raw_police WHERE record_id IN (SELECT record_id FROM _new_police)")
    con.execute("INSERT INTO raw_police BY NAME SELECT * FROM _new_police")
    con.unregister("_new_police")
    con.execute("UPDATE person_records SET records_in_person = records_in_person + 1 "
                "WHERE person_id = $pid", {"pid": person_id})
    con.execute("""
        INSERT INTO person_records BY NAME
        SELECT $pid AS person_id, s.source, s.record_id, s.unique_id, s.role,
               coalesce((SELECT max(records_in_person) FROM person_records
                         WHERE person_id = $pid), 1) AS records_in_person,
               CASE WHEN $to IS NULL THEN 0 ELSE 1 END AS links,
               $to AS strongest_link_to, $p AS link_probability,
               CASE WHEN $to IS NOT NULL THEN 'pair' END AS linked_by,
               $version AS model_version
        FROM std_persons s WHERE s.unique_id = $uid""",
                {"pid": person_id, "to": new.strongest_link_to, "p": new.link_probability,
                 "version": new.model_version,
                 "uid": new.std.column("unique_id")[0].as_py()})
