"""The warehouse table `judgements`: the store's current state, written into each run's
warehouse before the persons stage reads it, so that a run decides on one fixed set of
judgements and analysts see it. A reviewer may write meanwhile: the run then re-forms its
publication with those right after its swap (`publish.judgement_flow`), as `foto judge` does.

A judgement whose records are not both in this run's `std_persons` is kept but marked
`active = false` (dormant): a record may leave the deliveries and come back, and its
judgement with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from judgements.store import current, open_store
from judgements.suppressions import suppressed
from stores.sql import Fragment, Identifier, fill

TABLE = "judgements"
# The table's columns, exactly and in this order (docs/warehouse.md).
COLUMNS: dict[str, str] = {
    "unique_id_l": "VARCHAR", "unique_id_r": "VARCHAR",
    "source_l": "VARCHAR", "record_id_l": "VARCHAR",
    "source_r": "VARCHAR", "record_id_r": "VARCHAR",
    "decision": "VARCHAR", "judgement_id": "BIGINT", "judged_by": "VARCHAR",
    "judged_at": "TIMESTAMP WITH TIME ZONE", "reason": "VARCHAR", "model_version": "VARCHAR",
    "match_probability": "DOUBLE", "active": "BOOLEAN",
}


@dataclass(frozen=True)
class JudgementCounts:
    """What a run took from the store: counts only (the table itself holds names and reasons,
    which stay out of Dagster's metadata and every log)."""

    judgements: int
    active: int
    same: int
    different: int
    unsure: int

    @property
    def dormant(self) -> int:
        return self.judgements - self.active

    def metadata(self) -> dict[str, int]:
        return {"judgements": self.judgements, "active": self.active,
                "dormant": self.dormant, "active_same": self.same,
                "active_different": self.different, "active_unsure": self.unsure}


def write_judgements(con: duckdb.DuckDBPyConnection, judged: pa.Table) -> JudgementCounts:
    """Replace table `judgements` with `judged` (`judgements.store.current`), each row marked
    active when both its records are in `std_persons`."""
    declared = ", ".join(fill("{c} ", c=Identifier(c)) + t for c, t in COLUMNS.items())
    con.execute(fill("CREATE OR REPLACE TABLE {t} ({columns})", t=Identifier(TABLE),
                     columns=Fragment(declared)))
    con.register("_judged", judged)
    try:
        con.execute(fill("""
            INSERT INTO {t}
            SELECT * EXCLUDE (active_l, active_r), active_l AND active_r AS active FROM (
                SELECT j.*, j.unique_id_l IN (SELECT unique_id FROM std_persons) AS active_l,
                       j.unique_id_r IN (SELECT unique_id FROM std_persons) AS active_r
                FROM _judged j)
            ORDER BY unique_id_l, unique_id_r""", t=Identifier(TABLE)))
    finally:
        con.unregister("_judged")
    total, active, same, different, unsure = con.sql(fill("""
        SELECT count(*), count(*) FILTER (active),
               count(*) FILTER (active AND decision = 'same'),
               count(*) FILTER (active AND decision = 'different'),
               count(*) FILTER (active AND decision = 'unsure') FROM {t}""",
        t=Identifier(TABLE))).fetchall()[0]
    return JudgementCounts(total, active, same, different, unsure)


def load_judgements(con: duckdb.DuckDBPyConnection, home: Path) -> JudgementCounts:
    """The home's store, as it is now, into the build database `con` (no store yet: an empty
    table with the columns). A judgement about a record on the suppression list (`foto
    erase`) lies dormant in the store and is left out here: the warehouse must not name the
    record at all while it is suppressed; it comes back with the record."""
    return write_judgements(con, without_suppressed(current_judgements(home), home))


def current_judgements(home: Path) -> pa.Table:
    """The store's current judgements (`judgements.store.current`)."""
    with open_store(home) as engine:
        return current(engine)


def without_suppressed(judged: pa.Table, home: Path) -> pa.Table:
    """`judged` without the judgements that name a suppressed record."""
    gone = [k.unique_id for k in suppressed(home)]
    if not gone or not judged.num_rows:
        return judged
    names = pa.array(gone, pa.string())
    keep = pc.and_(pc.invert(pc.is_in(judged["unique_id_l"], names)),
                   pc.invert(pc.is_in(judged["unique_id_r"], names)))
    return judged.filter(keep)
