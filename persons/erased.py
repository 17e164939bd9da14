"""Records that may no longer be used (`foto erase`) taken out of a warehouse, whichever table
holds them, before the persons are formed again without them.

No list of tables is kept here: a table holds a record when it has a record-key column, and
every such column is found by its name (`KEY_COLUMNS`: the `source:record_id` unique id and
the pair and link columns that carry one; `source` with `record_id`; `record_id` alone in a
source's raw table; lists of record ids). A table added later is covered without a change
here, and `holding` proves afterwards that no table still names the record.

The model's clusters are the stage's input (`persons.stage.restore_inputs`): a record that
held two groups together must not keep them together after it is gone, so each cluster that
lost a record is split again into the connected parts of its remaining links (pairs at or
above the link threshold), named as prediction names a cluster (its lowest unique id).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import duckdb
import pandas as pd

from judgements.store import RecordKey
from persons.judgements import components
from sources.registry import registry
from stores.sql import Identifier, fill

# Columns whose value is a record's unique id (`source:record_id`).
KEY_COLUMNS = ("unique_id", "unique_id_l", "unique_id_r", "against_unique_id_l",
               "against_unique_id_r", "strongest_pair_with", "strongest_link_to",
               "representative")
LIST_SUFFIX = "record_ids"   # list columns of plain record ids (`evidence_record_ids`, ...)


@dataclass(frozen=True)
class Dropped:
    """What `drop_records` removed: counts only."""

    rows: int              # rows deleted over every table
    tables: int            # tables that held the records
    clusters_split: int    # model clusters that fell apart without them


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """The main schema's base tables and their columns' types (views follow their tables)."""
    out: dict[str, dict[str, str]] = {}
    for table, column, kind in con.sql("""
            SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
            JOIN information_schema.tables t USING (table_catalog, table_schema, table_name)
            WHERE c.table_schema = 'main' AND t.table_type = 'BASE TABLE'
              AND c.table_catalog = current_database()
            ORDER BY c.table_name, c.ordinal_position""").fetchall():
        out.setdefault(table, {})[column] = kind
    return out


def _frame(con: duckdb.DuckDBPyConnection, keys: Collection[RecordKey]) -> None:
    con.register("_erased", pd.DataFrame({
        "unique_id": [k.unique_id for k in keys], "source": [k.source for k in keys],
        "record_id": [k.record_id for k in keys]}, dtype="object"))


def drop_records(con: duckdb.DuckDBPyConnection, keys: Collection[RecordKey],
                 link: float | None = None) -> Dropped:
    """Delete every row naming one of `keys` from every table of `con`'s warehouse, move the
    records from accepted (or quarantined) to withheld in `ingest_counts`, and split the
    model's clusters they held together (`link`: the run's link threshold; None leaves the
    clusters as they are)."""
    if not keys:
        return Dropped(0, 0, 0)
    tables = _tables(con)
    _frame(con, keys)
    try:
        _recount(con, tables)
        affected = _affected_clusters(con, tables)
        _relabel_representatives(con, tables)
        rows, touched = 0, 0
        for table, columns in tables.items():
            deleted = _delete(con, table, columns) + _filter_lists(con, table, columns)
            rows += deleted
            touched += deleted > 0
        split = _split_clusters(con, affected, link) if link is not None else 0
    finally:
        con.unregister("_erased")
    return Dropped(rows, touched, split)


def holding(con: duckdb.DuckDBPyConnection, keys: Collection[RecordKey]) -> list[str]:
    """The tables that still name one of `keys` (by any key column): empty after a drop."""
    if not keys:
        return []
    tables = _tables(con)
    _frame(con, keys)
    try:
        return [t for t, cols in tables.items() if _count(con, t, cols) > 0]
    finally:
        con.unregister("_erased")


def _conditions(table: str, columns: dict[str, str]) -> list[str]:
    """SQL conditions (on the table's own columns, against `_erased`) naming a record; a
    source's own table (no `source` column) binds its source as `$source`."""
    out = [fill("{c} IN (SELECT unique_id FROM _erased)", c=Identifier(c))
           for c in KEY_COLUMNS if c in columns and c != "representative"]
    if "record_id" in columns:
        if "source" in columns:
            out.append("(source, record_id) IN (SELECT source, record_id FROM _erased)")
        elif _source_of(table) is not None:
            out.append("record_id IN (SELECT record_id FROM _erased WHERE source = $source)")
    return out


def _params(table: str, sql: str) -> dict[str, str]:
    return {"source": _source_of(table) or ""} if "$source" in sql else {}


def _source_of(table: str) -> str | None:
    """The source whose own table this is (its raw table, further tables, `std_<name>`)."""
    for source in registry():
        if table in (source.table, f"std_{source.name}", *source.tables):
            return source.name
    return None


def _list_columns(columns: dict[str, str]) -> list[str]:
    return [c for c, kind in columns.items()
            if c.endswith(LIST_SUFFIX) and kind.endswith("[]")]


def _count(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str]) -> int:
    conditions = _conditions(table, columns) + [
        fill("{c} IS NOT NULL AND {c} && (SELECT list(record_id) FROM _erased)",
             c=Identifier(c)) for c in _list_columns(columns)]
    if "representative" in columns:
        conditions.append("representative IN (SELECT unique_id FROM _erased)")
    if not conditions:
        return 0
    sql = fill("SELECT count(*) FROM {t} WHERE ", t=Identifier(table)) + " OR ".join(conditions)
    return int(con.execute(sql, _params(table, sql)).fetchall()[0][0])


def _delete(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str]) -> int:
    conditions = _conditions(table, columns)
    if not conditions:
        return 0
    where = " OR ".join(conditions)
    params = _params(table, where)
    n = int(con.execute(fill("SELECT count(*) FROM {t} WHERE ", t=Identifier(table)) + where,
                        params).fetchall()[0][0])
    if n:
        con.execute(fill("DELETE FROM {t} WHERE ", t=Identifier(table)) + where, params)
    return n


def _filter_lists(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str]) -> int:
    """Take the records out of lists of record ids (a group of identical rows, a flag's
    evidence); a row whose list empties goes."""
    changed = 0
    for column in _list_columns(columns):
        c = Identifier(column)
        scope = ("source IN (SELECT source FROM _erased) AND " if "source" in columns else "")
        hit = fill("{c} IS NOT NULL AND {c} && (SELECT list(record_id) FROM _erased)", c=c)
        n = int(con.sql(fill("SELECT count(*) FROM {t} WHERE ", t=Identifier(table))
                        + scope + hit).fetchall()[0][0])
        if not n:
            continue
        ids = [r[0] for r in con.sql("SELECT DISTINCT record_id FROM _erased").fetchall()]
        con.execute(fill("UPDATE {t} SET {c} = list_filter({c}, lambda x: NOT list_contains("
                         "$ids, x)) WHERE ", t=Identifier(table), c=c) + scope + hit,
                    {"ids": ids})
        con.execute(fill("DELETE FROM {t} WHERE len({c}) = 0", t=Identifier(table), c=c))
        if "rows" in columns:   # a group's size follows its list
            con.execute(fill("UPDATE {t} SET rows = len({c}) WHERE rows <> len({c})",
                             t=Identifier(table), c=c))
        changed += n
    return changed


def _recount(con: duckdb.DuckDBPyConnection, tables: dict[str, dict[str, str]]) -> None:
    """The accounting follows: an accepted or quarantined record erased is withheld now, as
    the next run withholds it at the door (read = accepted + quarantined + withheld holds)."""
    if "ingest_counts" not in tables:
        return
    for source in registry():
        name = source.name
        accepted = 0
        if source.table in tables:
            accepted = int(con.execute(fill(
                "SELECT count(*) FROM {t} WHERE record_id IN (SELECT record_id FROM _erased "
                "WHERE source = ?)", t=Identifier(source.table)), [name]).fetchall()[0][0])
        quarantined = 0
        if "quarantine" in tables:
            quarantined = int(con.execute(
                "SELECT count(*) FROM quarantine WHERE source = ? AND line > 0 "
                "AND NOT coalesce(kept, false) AND record_id IN "
                "(SELECT record_id FROM _erased WHERE source = ?)", [name, name]
                ).fetchall()[0][0])
        if accepted or quarantined:
            con.execute("UPDATE ingest_counts SET accepted = accepted - ?, "
                        "quarantined = quarantined - ?, withheld = withheld + ? "
                        "WHERE source = ?", [accepted, quarantined, accepted + quarantined,
                                             name])


def _relabel_representatives(con: duckdb.DuckDBPyConnection,
                             tables: dict[str, dict[str, str]]) -> None:
    """A group of identical records whose representative goes gets its lowest remaining
    member as representative (the group is a label only)."""
    if "representative" not in tables.get("identity_duplicates", {}):
        return
    con.execute("""
        UPDATE identity_duplicates d SET representative = g.new
        FROM (SELECT representative AS old, min(unique_id) AS new FROM identity_duplicates
              WHERE representative IN (SELECT unique_id FROM _erased)
                AND unique_id NOT IN (SELECT unique_id FROM _erased)
              GROUP BY representative) g
        WHERE d.representative = g.old""")


def _affected_clusters(con: duckdb.DuckDBPyConnection,
                       tables: dict[str, dict[str, str]]) -> list[str]:
    if "model_clusters" not in tables:
        return []
    return [r[0] for r in con.sql("""SELECT DISTINCT cluster_id FROM model_clusters
                                     WHERE unique_id IN (SELECT unique_id FROM _erased)"""
                                  ).fetchall()]


def _split_clusters(con: duckdb.DuckDBPyConnection, affected: list[str], link: float) -> int:
    """Each affected model cluster as the connected parts of its remaining links; returns
    how many clusters fell apart."""
    if not affected:
        return 0
    con.register("_affected", pd.DataFrame({"cluster_id": affected}, dtype="object"))
    try:
        members = con.sql("SELECT unique_id, cluster_id FROM model_clusters "
                          "WHERE cluster_id IN (SELECT cluster_id FROM _affected)").fetchall()
        edges = con.execute("""
            SELECT m.unique_id_l, m.unique_id_r FROM match_pairs m
            JOIN model_clusters l ON l.unique_id = m.unique_id_l
            JOIN model_clusters r ON r.unique_id = m.unique_id_r
            WHERE l.cluster_id = r.cluster_id AND m.match_probability >= ?
              AND l.cluster_id IN (SELECT cluster_id FROM _affected)""", [link]).fetchall()
    finally:
        con.unregister("_affected")
    joined = components(edges)
    new = {u: joined.get(u, u) for u, _ in members}
    before = {c for _, c in members}
    relabel = pd.DataFrame({"unique_id": list(new), "cluster_id": list(new.values())},
                           dtype="object")
    con.register("_relabel", relabel)
    try:
        con.execute("""UPDATE model_clusters SET cluster_id = r.cluster_id FROM _relabel r
                       WHERE model_clusters.unique_id = r.unique_id""")
    finally:
        con.unregister("_relabel")
    return len(set(new.values())) - len(before)
