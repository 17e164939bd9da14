"""Ingest assets: `raw_<source>` reads one extract exactly as the contract says, quarantining
bad rows with their reason; `std_<source>` standardises it into canonical person records;
`std_persons` is their union (one row per accepted person record, all sources). The assets are
generated per registered source (`sources.registry`): nothing here names a partner, except
that the police extract takes in the on-arrest feed (`standardise.arrest_feed`).
"""

from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, asset

from assets.context import build_db, delivery_dir
from assets.partitions import DELIVERIES
from assets.resources import FotoPaths, scan_inbox
from assets.scrub import scrubbed
from audit.log import record
from config import load_config
from judgements.suppressions import lift_absent, suppressed_ids
from sources.common import (
    QUARANTINE_COLUMNS,
    ParseResult,
    check_birth_plausible,
    message,
)
from sources.registry import registry
from sources.retention import TERM_COLUMNS, Terms, Undated, expire, resolve_terms, term_dates
from sources.suppress import carried_ids, withhold_suppressed
from standardise.arrest_feed import SOURCE as ARREST_SOURCE
from standardise.arrest_feed import with_arrests
from standardise.rules import connect_prepared, std_persons_sql, std_sql
from stores.database import connect, count, table_exists, write_table
from stores.publications import current_publication
from stores.sql import Fragment, Identifier, fill

MAX_LOGGED_ROWS = 20

def source_folder(source: str, delivery: Path) -> Path:
    """Where this run reads `source` from: the delivery's folder, or, when the partner's file is
    missing from it, the newest earlier delivery that has it (a full snapshot a day older
    beats a photo without that partner). Without one, the delivery's folder: the reader then
    refuses the missing file and the gate blocks."""
    file = registry()[source].file
    if (delivery / file).exists() or not delivery.parent.is_dir():
        return delivery
    earlier = [delivery.parent / d for d in scan_inbox(delivery.parent).deliveries
               if d < delivery.name and (delivery.parent / d / file).exists()]
    return earlier[-1] if earlier else delivery


def read_as_delivered(source: str, delivery: Path
                      ) -> tuple[ParseResult, dict[str, pd.DataFrame]]:
    """Read one source (from `source_folder`) as the partner delivered it: every row the files
    hold, accepted or quarantined, before any record is taken out for its term. What the
    delivery *carries* (whether a suppression may lift, `sources.suppress.carried_ids`) is
    judged on this, not on what the terms leave of it: a record past its term is still
    delivered. Returns the result and the extra tables it brings (care's reports); birth dates
    are checked against this run's delivery date."""
    result, extra = registry()[source].read(source_folder(source, delivery))
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


def _read(source: str, delivery: Path, terms: Terms | None = None
          ) -> tuple[ParseResult, dict[str, pd.DataFrame]]:
    """One source read and its terms applied (`read_as_delivered`, `apply_terms`)."""
    return apply_terms(source, delivery, read_as_delivered(source, delivery), terms)


def _lift(source: str, result: ParseResult, carried: set[str], used: str, delivery: Path,
          home: Path) -> list[int]:
    """Close the suppressions of `source` whose record this delivery no longer carries (only
    when the delivery's own file was read whole: a missing or refused file says nothing),
    each in the audit log (ids only)."""
    if result.file_error or used != delivery.name:
        return []
    lifted = lift_absent(home, source, carried, delivery.name)
    for entry in lifted:
        record(home, "erase_lifted", detail={"suppression_id": entry, "source": source,
                                               "delivery": delivery.name})
    return lifted


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


def store_ingest(con, result: ParseResult, extra: dict[str, pd.DataFrame],
                 delivery_used: str = "", terms: Terms | None = None) -> None:
    """Write accepted rows, quarantined rows and the counts of one source, with the delivery
    its file came from, and each accepted record's retention dates (`record_terms`)."""
    source = result.source
    declared = registry()[source]
    if terms is not None:
        con.execute(fill("CREATE TABLE IF NOT EXISTS record_terms ({columns})",
                         columns=Fragment(", ".join(f"{Identifier(c).sql()} {t}"
                                                    for c, t in TERM_COLUMNS.items()))))
        con.execute("DELETE FROM record_terms WHERE source = ?", [source])
        dates = term_dates(result, extra, declared.table, terms)
        if len(dates):
            con.register("_terms", dates)
            con.execute("INSERT INTO record_terms BY NAME SELECT * FROM _terms")
            con.unregister("_terms")
    accepted = result.accepted.drop(columns=["_raw"], errors="ignore")
    if accepted.empty:
        accepted = pd.DataFrame({c: pd.Series(dtype="object") for c in declared.columns})
    write_table(con, declared.table,
                typed_table(accepted.rename(columns={"_line": "source_line"}), source),
                declared.raw_types)
    for name, frame in extra.items():
        # `_line` and other private columns say where a row was read: not the partner's data
        private = [c for c in frame.columns if str(c).startswith("_")]
        write_table(con, name, frame.drop(columns=private), declared.tables.get(name))
    con.execute("""CREATE TABLE IF NOT EXISTS quarantine (source VARCHAR, file VARCHAR,
        line BIGINT, record_id VARCHAR, field VARCHAR, reason VARCHAR, raw VARCHAR,
        kept BOOLEAN)""")
    con.execute("ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS kept BOOLEAN")
    # the first delivery that carried the line: its quarantine term runs from there
    con.execute("ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS first_delivered DATE")
    con.execute("DELETE FROM quarantine WHERE source = ?", [source])
    if not result.quarantine.empty:
        stored = QUARANTINE_COLUMNS + [c for c in ("first_delivered",)
                                       if c in result.quarantine]
        con.register("_q", result.quarantine[stored])
        columns = Fragment(", ".join(Identifier(c).sql() for c in stored))
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
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", [
        source, result.file, result.rows_read, result.rows_accepted, result.rows_quarantined,
        sum(result.withheld.values()), result.file_error, delivery_used, result.values_nulled,
        result.rows_in_file, result.expired])


def ingest(source: str, delivery: Path, home: Path, terms: Terms, build: Path,
           quarantine_days: int) -> tuple[ParseResult, str, list[int]]:
    """Read one source, apply its terms and the suppression list, store it in the build
    database and lift the suppressions the delivery no longer carries: (the result, the
    delivery its file came from, the suppressions lifted). `quarantine_days`: how long a
    quarantined line whose term cannot be told from it is kept, from its first delivery."""
    used = source_folder(source, delivery).name
    delivered = read_as_delivered(source, delivery)
    # whether a suppression lifts is told by what the files carry, before the terms take
    # anything out: an erased record past its term but still delivered stays suppressed
    carried = carried_ids(delivered[0])
    undated = Undated(quarantine_days, date.fromisoformat(used),
                      first_quarantined(home, source))
    result, extra = apply_terms(source, delivery, delivered, terms, undated)
    # the records on the suppression list (`foto erase`) are read, then withheld
    result = withhold_suppressed(result, suppressed_ids(home, source))
    with connect_prepared(build) as con:
        store_ingest(con, result, extra, used, terms)
    return result, used, _lift(source, result, carried, used, delivery, home)


def raw_asset(source: str) -> AssetsDefinition:
    """The `raw_<source>` asset: one row per accepted record of that extract."""

    @asset(name=f"raw_{source}", group_name="ingest", kinds={"duckdb"},
           description=f"The {source} extract as delivered, validated against the contract; "
                       "one row per accepted record. Bad rows go to `quarantine`.",
           partitions_def=DELIVERIES)
    @scrubbed
    def _raw(context: AssetExecutionContext, paths: FotoPaths) -> MaterializeResult:
        delivery = delivery_dir(context, paths)
        result, used, lifted = ingest(source, delivery, paths.home_dir,
                                      paths.retention_terms()[source],
                                      build_db(context, paths),
                                      paths.foto_config().retention.quarantine_days)
        if lifted:
            context.log.info(f"{len(lifted)} suppression(s) of {source} lifted: the delivery "
                             f"no longer carries the record (ids {lifted})")
        if used != delivery.name:
            context.log.warning(f"{registry()[source].file} is missing from delivery "
                                f"{delivery.name}: using the one of {used}")
        if result.file_error:
            context.log.error(f"{result.file}: rejected: {result.file_error}")
        if result.rows_in_file != result.rows_read:
            context.log.error(f"{result.file}: {result.rows_in_file} rows in the file, "
                              f"{result.rows_read} read: the accounting does not add up")
        for row in result.quarantine.head(MAX_LOGGED_ROWS).itertuples():
            kept = " (value nulled, row kept)" if row.kept else ""
            context.log.warning(message(row.file, row.line, row.field, row.reason) + kept)
        return MaterializeResult(metadata={**result.counts(), "delivery": delivery.name,
                                           "delivery_used": used,
                                           "fallback": used != delivery.name,
                                           "file_rejected": bool(result.file_error)})

    return _raw


def std_asset(source: str) -> AssetsDefinition:
    """The `std_<source>` asset: canonical person records of one source."""

    @asset(name=f"std_{source}", group_name="ingest", deps=[f"raw_{source}"],
           kinds={"duckdb"},
           description=f"Canonical person records from {source}: one row per accepted "
                       "record, Dutch names, dates, BSN and address standardised.",
           partitions_def=DELIVERIES)
    @scrubbed
    def _std(context: AssetExecutionContext, paths: FotoPaths) -> MaterializeResult:
        with connect_prepared(build_db(context, paths)) as con:
            table = Identifier(f"std_{source}")
            con.execute(fill("CREATE OR REPLACE TABLE {table} AS {std}", table=table,
                             std=Fragment(std_sql(source))))
            rows = count(con, table)
            valid_bsn = con.sql(fill("SELECT count(bsn) FROM {table}", table=table)
                                ).fetchall()[0][0]
        return MaterializeResult(metadata={"records": rows, "with_valid_bsn": valid_bsn})

    return _std


@asset(group_name="ingest", deps=[f"std_{s}" for s in registry().names()], kinds={"duckdb"},
       partitions_def=DELIVERIES)
@scrubbed
def std_persons(context: AssetExecutionContext, paths: FotoPaths) -> MaterializeResult:
    """All canonical person records, one row per accepted record of every source."""
    with connect_prepared(build_db(context, paths)) as con:
        con.execute(fill("CREATE OR REPLACE TABLE std_persons AS {select}",
                         select=Fragment(std_persons_sql(registry().names()))))
        per_source = dict(con.sql(
            "SELECT source, count(*) FROM std_persons GROUP BY source").fetchall())
    return MaterializeResult(metadata={"records": sum(per_source.values()),
                                       **{f"records_{k}": v for k, v in per_source.items()}})


RAW_ASSETS = [raw_asset(s) for s in registry().names()]
STD_ASSETS = [std_asset(s) for s in registry().names()]
