"""Ingest assets: `raw_<source>` reads one extract exactly as the contract says, quarantining
bad rows with their reason (all of them in one step, `raw_sources`, two sources at a time:
`assets.reading`); `std_<source>` standardises it into canonical person records;
`std_persons` is their union (one row per accepted person record, all sources). The assets are
generated per registered source (`sources.registry`): nothing here names a partner, except
that the police extract takes in the on-arrest feed (`standardise.arrest_feed`).
"""

from collections.abc import Collection
from pathlib import Path

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    asset,
    multi_asset,
)

from assets.context import build_db, delivery_dir
from assets.partitions import DELIVERIES
from assets.reading import (  # noqa: F401 - re-exported: where callers have always found them
    Staged,
    apply_terms,
    first_quarantined,
    read_folder,
    read_sources,
    stage_source,
    store_ingest,
    store_staged,
    typed_table,
)
from assets.resources import FotoPaths, scan_inbox
from assets.scrub import scrubbed
from audit.log import record
from judgements.suppressions import lift_absent
from sources.common import ParseResult, message
from sources.registry import registry
from sources.retention import Terms
from standardise.rules import connect_prepared, std_persons_sql, std_sql
from stores.database import count
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
    return read_folder(source, source_folder(source, delivery), delivery)


def _read(source: str, delivery: Path, terms: Terms | None = None
          ) -> tuple[ParseResult, dict[str, pd.DataFrame]]:
    """One source read and its terms applied (`read_as_delivered`, `apply_terms`)."""
    return apply_terms(source, delivery, read_as_delivered(source, delivery), terms)


def _lift(source: str, file_error: str | None, carried: Collection[str], used: str,
          delivery: Path, home: Path) -> list[int]:
    """Close the suppressions of `source` whose record this delivery no longer carries (only
    when the delivery's own file was read whole: a missing or refused file says nothing),
    each in the audit log (ids only)."""
    if file_error or used != delivery.name:
        return []
    lifted = lift_absent(home, source, carried, delivery.name)
    for entry in lifted:
        record(home, "erase_lifted", detail={"suppression_id": entry, "source": source,
                                               "delivery": delivery.name})
    return lifted


def ingest(source: str, delivery: Path, home: Path, terms: Terms, build: Path,
           quarantine_days: int) -> tuple[ParseResult, str, list[int]]:
    """Read one source, apply its terms and the suppression list, store it in the build
    database and lift the suppressions the delivery no longer carries: (the result, the
    delivery its file came from, the suppressions lifted). `quarantine_days`: how long a
    quarantined line whose term cannot be told from it is kept, from its first delivery.
    One source in this process; the run reads them all at once (`ingest_all`)."""
    result, ready = stage_source(source, source_folder(source, delivery), delivery, home,
                                 terms, quarantine_days)
    with connect_prepared(build) as con:
        store_staged(con, ready)
    return result, ready.used, _lift(source, result.file_error, ready.carried, ready.used,
                                     delivery, home)


def ingest_all(sources: list[str], delivery: Path, home: Path, terms: dict[str, Terms],
               build: Path, quarantine_days: int) -> list[tuple[Staged, list[int]]]:
    """`ingest` for several sources, read two at a time (`assets.reading.read_sources`), then
    the suppressions lifted source by source: (what was stored, the suppressions lifted)."""
    folders = {s: source_folder(s, delivery) for s in sources}
    stored = read_sources(folders, delivery, home, terms, build, quarantine_days)
    return [(s, _lift(s.source, s.file_error, s.carried, s.used, delivery, home))
            for s in stored]


def _raw_spec(source: str) -> AssetSpec:
    return AssetSpec(f"raw_{source}", group_name="ingest", kinds={"duckdb"},
                     description=f"The {source} extract as delivered, validated against the "
                                 "contract; one row per accepted record. Bad rows go to "
                                 "`quarantine`.")


def _report(context: AssetExecutionContext, delivery: Path, ready: Staged,
            lifted: list[int]) -> MaterializeResult:
    """What the step says of one source: its log lines (counts, line numbers and reasons,
    never a value) and its materialisation's metadata."""
    source, used = ready.source, ready.used
    if lifted:
        context.log.info(f"{len(lifted)} suppression(s) of {source} lifted: the delivery "
                         f"no longer carries the record (ids {lifted})")
    if used != delivery.name:
        context.log.warning(f"{registry()[source].file} is missing from delivery "
                            f"{delivery.name}: using the one of {used}")
    if ready.file_error:
        context.log.error(f"{ready.file}: rejected: {ready.file_error}")
    if ready.rows_in_file != ready.rows_read:
        context.log.error(f"{ready.file}: {ready.rows_in_file} rows in the file, "
                          f"{ready.rows_read} read: the accounting does not add up")
    for row in ready.quarantine.head(MAX_LOGGED_ROWS).itertuples():
        kept = " (value nulled, row kept)" if row.kept else ""
        context.log.warning(message(row.file, row.line, row.field, row.reason) + kept)
    return MaterializeResult(asset_key=f"raw_{source}", metadata={
        **ready.counts, "delivery": delivery.name, "delivery_used": used,
        "fallback": used != delivery.name, "file_rejected": bool(ready.file_error)})


@multi_asset(name="raw_sources", specs=[_raw_spec(s) for s in registry().names()],
             can_subset=True, partitions_def=DELIVERIES)
@scrubbed
def raw_sources(context: AssetExecutionContext, paths: FotoPaths):
    # (no return annotation: Dagster would read a tuple's as one output per asset)
    """The `raw_<source>` assets, one per registered source, in one step: the sources are read
    two at a time, on both cores (`assets.reading`: why that is safe with the one build
    database); each is still materialised, checked and reported as its own asset."""
    delivery = delivery_dir(context, paths)
    selected = {key.to_user_string() for key in context.selected_asset_keys}
    sources = [s for s in registry().names() if f"raw_{s}" in selected]
    done = ingest_all(sources, delivery, paths.home_dir, paths.retention_terms(),
                      build_db(context, paths), paths.foto_config().retention.quarantine_days)
    return tuple(_report(context, delivery, ready, lifted) for ready, lifted in done)


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


RAW_ASSETS = [raw_sources]
STD_ASSETS = [std_asset(s) for s in registry().names()]
