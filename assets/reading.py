"""Reading the sources of one delivery into the run's build database, on both cores.

One source is read (`sources` readers), its records past their term taken out
(`sources.retention`) and its suppressed records withheld (`sources.suppress`); what is left is
*staged* (`Staged`: the accepted rows as a typed Arrow table, the quarantine, the retention
dates and the counts, nothing written yet) and then *stored* (`store_staged`) in the build
database. `read_sources` does that for every source of a run, two at a time.

Why two at a time, and why it is safe. Reading is Python and pandas work on one core (39 s of a
one-million-person run, one source after another); the build database is one DuckDB file, which
takes one writer. So the reading is split, the writing is not: the sources are dealt over two
lanes by the size of their files, the lighter lane in this process (which also writes them
all), the heavier (the BRP extract alone, at a million persons) in one worker process
(`spawn`, as the publication's workers: this process holds DuckDB's and Dagster's threads).
The worker only *reads*: the partner files, and in the home the published warehouse
(read-only, for the first day a quarantined line was delivered) and the suppression list; it
writes no file at all. What it staged comes back through the pool's pipe (Arrow buffers, cheap
to pickle), never through a file: no copy of a record lands anywhere outside the build
database, not even under the home. Every write to the build database happens in this process,
on one connection, one source after another in the registry's order, exactly as the sources
were stored one step after another before: the tables hold the same rows in the same order.

This module imports no Dagster (`assets.ingest` holds the assets): the worker imports it, and
a worker's start-up is paid in the run's time.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa

from config import load_config
from judgements.suppressions import suppressed_ids
from sources.common import QUARANTINE_COLUMNS, ParseResult, check_birth_plausible
from sources.registry import registry
from sources.retention import TERM_COLUMNS, Terms, Undated, expire, resolve_terms, term_dates
from sources.suppress import carried_ids, withhold_suppressed
from standardise.arrest_feed import SOURCE as ARREST_SOURCE
from standardise.arrest_feed import with_arrests
from standardise.rules import connect_prepared
from stores.database import connect, table_exists, write_table
from stores.duck import cores
from stores.publications import current_publication
from stores.sql import Fragment, Identifier, fill


def read_folder(source: str, folder: Path, delivery: Path
                ) -> tuple[ParseResult, dict[str, pd.DataFrame]]:
    """Read one source from `folder` (the delivery's own, or an earlier one that has the
    partner's file) as the partner delivered it: every row the files hold, accepted or
    quarantined, before any record is taken out for its term. Returns the result and the
    extra tables it brings (care's reports); birth dates are checked against this run's
    delivery date."""
    result, extra = registry()[source].read(folder)
    if source == ARREST_SOURCE:
        result = _with_arrests(result, delivery)
    return check_birth_plausible(result, delivery.name), extra


def apply_terms(source: str, delivery: Path, read: tuple[ParseResult, dict[str, pd.DataFrame]],
                terms: Terms | None = None, undated: Undated | None = None
                ) -> tuple[ParseResult, dict[str, pd.DataFrame]]:
    """`read` without the records past their use term on the delivery date (`terms`; None:
    the committed configuration's), taken out here, at the door, so that nothing downstream
    ever sees them (`sources.retention`): the delivery date, not the wall clock, so that a
    rerun of a delivery gives the same. `undated`: how long a quarantined line whose term
    cannot be told from it is kept (`first_quarantined`)."""
    result, extra = read
    if terms is None:
        terms = resolve_terms(load_config(), list(registry()))[source]
    return expire(result, extra, registry()[source].table, terms, delivery.name, undated)


def first_quarantined(home: Path, source: str) -> dict[str, date]:
    """Per raw line of `source` in the current publication's quarantine, the first delivery
    that carried it (`quarantine.first_delivered`): a line delivered again keeps its first
    day, so that the quarantine term runs from there. Empty before the first publication, or
    for one made before the day was kept."""
    publication = current_publication(home)
    warehouse = publication / "warehouse.duckdb" if publication is not None else None
    if warehouse is None or not warehouse.exists():
        return {}
    with connect(warehouse, read_only=True) as con:
        if not table_exists(con, "quarantine") or "first_delivered" not in {
                r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() "
                                          "WHERE table_name = 'quarantine'").fetchall()}:
            return {}
        return dict(con.execute(
            "SELECT raw, min(first_delivered) FROM quarantine WHERE source = $source AND "
            "raw IS NOT NULL AND first_delivered IS NOT NULL GROUP BY raw",
            {"source": source}).fetchall())


def _with_arrests(extract: ParseResult, delivery: Path) -> ParseResult:
    """The police extract plus the on-arrest feed. Each arrest file is one record of its own
    file, so the file's own count grows by the arrest files read."""
    result = with_arrests(extract, delivery.parent / "arrests", delivery.name)
    if extract.rows_in_file is None:
        return result
    arrest_files = result.rows_read - extract.rows_read
    return replace(result, rows_in_file=extract.rows_in_file + arrest_files)


# Arrow types for the DuckDB types a source declares for its raw table (`Source.raw_types`).
_ARROW_TYPES = {"DATE": pa.date32(), "BOOLEAN": pa.bool_(), "BIGINT": pa.int64()}
_TERMS_SCHEMA = pa.schema([("source", pa.string()), ("record_id", pa.string()),
                           ("use_until", pa.date32()), ("destroy_by", pa.date32())])


def typed_table(frame: pd.DataFrame, source: str) -> pa.Table:
    """The accepted rows as an Arrow table with the declared types (`Source.raw_types`), given
    explicitly rather than inferred from the values: a column whose every value was nulled (a
    partner writing ISO dates in the police file) or that is empty must still have its type,
    or standardisation's `year(geboortedatum)` cannot be bound and the run fails."""
    types = registry()[source].raw_types
    return pa.table({col: _typed_column(frame[col], _ARROW_TYPES.get(
        types.get(col, "VARCHAR"), pa.string())) for col in frame.columns})


def _typed_column(values: pd.Series, kind: pa.DataType) -> pa.Array | pa.ChunkedArray:
    """One column in its declared Arrow type, converted by Arrow from the frame's own arrays.

    Why not through Python lists: at a million records a column turned into a list of Python
    objects and back took most of `store_ingest` (4.6 s of 7.2 for the BRP extract). The values
    stay the same: an object column is converted value by value by Arrow, as the list was,
    with None, NaN, pd.NA and NaT as missing (what `notna` called missing before), so a value
    of another type than declared is refused as it was. A typed column (a reader's booleans,
    line numbers, Arrow-backed text) is taken as it is when Arrow gives it the declared type
    (or text as text); any other pairing (a number where text is declared) goes the old way,
    value by value, so that nothing is cast that was refused before."""
    if values.dtype == object:
        return pa.array(values, type=kind, from_pandas=True)
    array = pa.array(values, from_pandas=True)
    if array.type == kind:
        return array
    if array.null_count == len(array):
        return pa.nulls(len(array), kind)
    if kind == pa.string() and pa.types.is_large_string(array.type):
        return array.cast(kind)
    objects = values.astype("object")
    return pa.array(objects.where(objects.notna(), None).tolist(), type=kind)


@dataclass(frozen=True)
class Staged:
    """One source read and ready to store; what its step reports of it.

    Tables, not the reader's frames: the accepted rows typed (`typed_table`) and the retention
    dates as Arrow, so that a worker process hands them back at the cost of copying buffers
    (pickling the pandas frames of 355,000 police rows took seconds). `carried`: every record
    id the files held, when a suppression of the source is open (whether it lifts; empty
    otherwise, when nothing can lift)."""

    source: str
    file: str
    used: str                         # the delivery the file came from
    accepted: pa.Table | None         # None once stored
    extra: dict[str, pd.DataFrame]
    quarantine: pd.DataFrame
    terms: pa.Table | None            # None: no terms given (stored as before: none)
    counts: dict[str, int]
    count_row: list
    file_error: str | None
    rows_read: int
    rows_in_file: int | None
    carried: frozenset[str] = field(default_factory=frozenset)


def staged(result: ParseResult, extra: dict[str, pd.DataFrame], used: str = "",
           terms: Terms | None = None, carried: frozenset[str] = frozenset()) -> Staged:
    """`result` (and its extra tables) as `store_staged` writes it."""
    source = result.source
    declared = registry()[source]
    dates = None
    if terms is not None:
        frame = term_dates(result, extra, declared.table, terms)
        dates = pa.Table.from_pandas(frame[list(TERM_COLUMNS)], schema=_TERMS_SCHEMA,
                                     preserve_index=False)
    accepted = result.accepted.drop(columns=["_raw"], errors="ignore")
    if accepted.empty:
        accepted = pd.DataFrame({c: pd.Series(dtype="object") for c in declared.columns})
    table = typed_table(accepted.rename(columns={"_line": "source_line"}), source)
    del accepted
    # `_line` and other private columns say where a row was read: not the partner's data
    extras = {name: frame.drop(columns=[c for c in frame.columns if str(c).startswith("_")])
              for name, frame in extra.items()}
    stored = QUARANTINE_COLUMNS + [c for c in ("first_delivered",) if c in result.quarantine]
    count_row = [source, result.file, result.rows_read, result.rows_accepted,
                 result.rows_quarantined, sum(result.withheld.values()), result.file_error,
                 used, result.values_nulled, result.rows_in_file, result.expired]
    return Staged(source, result.file, used, table, extras, result.quarantine[stored], dates,
                  result.counts(), count_row, result.file_error, result.rows_read,
                  result.rows_in_file, carried)


def store_staged(con, staged: Staged) -> Staged:
    """Write accepted rows, quarantined rows and the counts of one source, with the delivery
    its file came from, and each accepted record's retention dates (`record_terms`). Returns
    `staged` without its tables (what the step still reports)."""
    source = staged.source
    declared = registry()[source]
    if staged.terms is not None:
        con.execute(fill("CREATE TABLE IF NOT EXISTS record_terms ({columns})",
                         columns=Fragment(", ".join(f"{Identifier(c).sql()} {t}"
                                                    for c, t in TERM_COLUMNS.items()))))
        con.execute("DELETE FROM record_terms WHERE source = ?", [source])
        if staged.terms.num_rows:
            con.register("_terms", staged.terms)
            con.execute("INSERT INTO record_terms BY NAME SELECT * FROM _terms")
            con.unregister("_terms")
    write_table(con, declared.table, staged.accepted, declared.raw_types)
    for name, frame in staged.extra.items():
        write_table(con, name, frame, declared.tables.get(name))
    con.execute("""CREATE TABLE IF NOT EXISTS quarantine (source VARCHAR, file VARCHAR,
        line BIGINT, record_id VARCHAR, field VARCHAR, reason VARCHAR, raw VARCHAR,
        kept BOOLEAN)""")
    con.execute("ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS kept BOOLEAN")
    # the first delivery that carried the line: its quarantine term runs from there
    con.execute("ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS first_delivered DATE")
    con.execute("DELETE FROM quarantine WHERE source = ?", [source])
    if not staged.quarantine.empty:
        con.register("_q", staged.quarantine)
        columns = Fragment(", ".join(Identifier(c).sql() for c in staged.quarantine.columns))
        con.execute(fill("INSERT INTO quarantine ({columns}) SELECT {columns} FROM _q",
                         columns=columns))
        con.unregister("_q")
    con.execute("""CREATE TABLE IF NOT EXISTS ingest_counts (source VARCHAR PRIMARY KEY,
        file VARCHAR, read BIGINT, accepted BIGINT, quarantined BIGINT, withheld BIGINT,
        file_error VARCHAR, delivery VARCHAR, values_nulled BIGINT, rows_in_file BIGINT,
        expired BIGINT)""")
    for column in ("values_nulled", "rows_in_file", "expired"):
        con.execute(fill("ALTER TABLE ingest_counts ADD COLUMN IF NOT EXISTS {column} BIGINT",
                         column=Identifier(column)))
    con.execute("""INSERT OR REPLACE INTO ingest_counts (source, file, read, accepted,
        quarantined, withheld, file_error, delivery, values_nulled, rows_in_file, expired)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", staged.count_row)
    return replace(staged, accepted=None, terms=None, extra={})


def store_ingest(con, result: ParseResult, extra: dict[str, pd.DataFrame],
                 delivery_used: str = "", terms: Terms | None = None) -> None:
    """Write one source's result as `store_staged` does (for callers holding a result)."""
    store_staged(con, staged(result, extra, delivery_used, terms))


def stage_source(source: str, folder: Path, delivery: Path, home: Path, terms: Terms,
                 quarantine_days: int) -> tuple[ParseResult, Staged]:
    """Read one source from `folder`, apply its terms and the suppression list: the result
    and what `store_staged` writes of it. Reads the home, writes nothing."""
    delivered = read_folder(source, folder, delivery)
    suppressed = suppressed_ids(home, source)
    # whether a suppression lifts is told by what the files carry, before the terms take
    # anything out: an erased record past its term but still delivered stays suppressed.
    # With no suppression of the source open, nothing can lift: the ids are not gathered.
    carried = frozenset(carried_ids(delivered[0])) if suppressed else frozenset()
    undated = Undated(quarantine_days, date.fromisoformat(folder.name),
                      first_quarantined(home, source))
    result, extra = apply_terms(source, delivery, delivered, terms, undated)
    del delivered
    # the records on the suppression list (`foto erase`) are read, then withheld
    result = withhold_suppressed(result, suppressed)
    return result, staged(result, extra, folder.name, terms, carried)


def _stage_in_worker(source: str, folder: Path, delivery: Path, home: Path, terms: Terms,
                     quarantine_days: int) -> Staged:
    """`stage_source` in a worker process: only the staged tables go back."""
    return stage_source(source, folder, delivery, home, terms, quarantine_days)[1]


def lanes(files: dict[str, Path], workers: int) -> list[list[str]]:
    """The sources dealt over `workers` lanes, largest file first, each to the lane with the
    fewest bytes so far (reading time grows with a file's size); the first lane, this
    process's, is the lightest, since this process also writes every source to the build
    database (and the worker's start-up is paid while it reads)."""
    out: list[list[str]] = [[] for _ in range(max(1, workers))]
    load = [0] * len(out)
    sizes = {s: f.stat().st_size if f.exists() else 0 for s, f in files.items()}
    for source in sorted(files, key=lambda s: -sizes[s]):
        lane = load.index(min(load))
        out[lane].append(source)
        load[lane] += sizes[source]
    return [lane for _, lane in sorted(zip(load, out, strict=True), key=lambda x: x[0])]


def read_sources(folders: dict[str, Path], delivery: Path, home: Path,
                 terms: dict[str, Terms], build: Path, quarantine_days: int) -> list[Staged]:
    """Read, stage and store every source of `folders` (source -> the folder its file is read
    from), in the build database `build`; returns what was stored of each, in `folders`'
    order. With two cores or more, the sources of the second lane are read by a worker
    process while this one reads the first (see the module: why this is safe)."""
    order = list(folders)
    plan = lanes({s: folders[s] / registry()[s].file for s in order}, min(2, cores()))
    args = {s: (s, folders[s], delivery, home, terms[s], quarantine_days) for s in order}
    pending: dict[str, Future] = {}
    pool = None
    if len(plan) > 1 and plan[1]:
        pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        pending = {s: pool.submit(_stage_in_worker, *args[s]) for s in plan[1]}
    try:
        mine = {s: stage_source(*args[s])[1] for s in plan[0]}
        stored = []
        with connect_prepared(build) as con:
            for source in order:
                ready = mine.pop(source) if source in mine else pending.pop(source).result()
                stored.append(store_staged(con, ready))
        return stored
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
