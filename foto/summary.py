"""What a run did, read back from its database: counts per source, persons, links, gate.

Everything here is a count, an id or a metric name: the summary is printed to operators.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster import AssetCheckSeverity
from rich.console import Console
from rich.table import Table

from assets.resources import FotoPaths
from assets.scrub import scrubbed_message
from expectations.report import report_path
from stores.duck import open_duckdb


@dataclass
class RunOutcome:
    run_id: str
    status: str                      # published | succeeded | blocked | failed | error
    error: str | None = None
    database: Path | None = None
    sources: list[tuple] = field(default_factory=list)
    persons: int | None = None
    linked_records: int | None = None
    model_version: str | None = None
    failed_checks: list[tuple] = field(default_factory=list)
    warnings: list[tuple] = field(default_factory=list)
    waived: list[tuple] = field(default_factory=list)
    report: Path | None = None
    failed_steps: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)   # a step's metadata (ids, counts)
    failure: str | None = None                              # a step's own failure message
    errors: list[str] = field(default_factory=list)         # failed steps' scrubbed errors
    job: str = ""
    trained_model: tuple[str, str] | None = None            # (version, path) `foto train` wrote

    def exit_code(self, require_publication: bool) -> int:
        if self.status == "published" or (self.status == "succeeded"
                                          and not require_publication):
            return 0
        return 1 if self.status == "blocked" else 2


def _database(paths: FotoPaths, run_id: str) -> Path | None:
    published = sorted((paths.home_dir / "publications").glob(f"*-{run_id[:8]}"))
    if published:
        return published[-1] / "warehouse.duckdb"
    build = paths.build_db(run_id)
    return build if build.exists() else None


def read_outcome(paths: FotoPaths, run_id: str, result: Any) -> RunOutcome:
    """Summarise a finished in-process run from its result and its database."""
    failed_checks = [e for e in result.get_asset_check_evaluations()
                     if not e.passed and e.severity == AssetCheckSeverity.ERROR]
    failed_steps = [e.step_key for e in result.all_events
                    if e.event_type_value == "STEP_FAILURE"]
    published = any(m.asset_key.to_user_string() == "publication"
                    for m in result.asset_materializations_for_node("publication")) \
        if "publication" in {n.name for n in result.job_def.nodes} else False
    if result.success:
        status = "published" if published else "succeeded"
    else:
        status = "blocked" if failed_checks else "failed"
    outcome = RunOutcome(run_id=run_id, status=status, failed_steps=failed_steps,
                         job=result.job_def.name)
    if "person_model" in {n.name for n in result.job_def.nodes}:
        for m in result.asset_materializations_for_node("person_model"):
            outcome.trained_model = (str(m.metadata["version"].value),
                                     str(m.metadata["path"].value))
    _read_step_details(result, outcome)
    outcome.database = _database(paths, run_id)
    report = report_path(paths.home_dir, run_id)
    outcome.report = report if report.exists() else None
    if outcome.database:
        _read_database(outcome)
    return outcome


def _read_step_details(result: Any, outcome: RunOutcome) -> None:
    """The arrest or judgement step's metadata, or the message of a step that failed on purpose."""
    nodes = {n.name for n in result.job_def.nodes}
    for node in ("arrest_sheet", "judged_publication"):
        if node in nodes:
            for m in result.asset_materializations_for_node(node):
                outcome.details = {k: v.value for k, v in m.metadata.items()}
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            data = event.step_failure_data
            if data and data.user_failure_data:
                outcome.failure = data.user_failure_data.description
                outcome.details = outcome.details or {
                    k: v.value for k, v in data.user_failure_data.metadata.items()}
            elif data and (text := scrubbed_message(data.error)):
                outcome.errors.append(text)


def _read_database(outcome: RunOutcome) -> None:
    con = open_duckdb(outcome.database, read_only=True)
    try:
        tables = {r[0] for r in con.sql("SELECT table_name FROM duckdb_tables()").fetchall()}
        if "ingest_counts" in tables:
            outcome.sources = con.sql(
                "SELECT source, read, accepted, quarantined, withheld, coalesce(expired, 0), "
                "file_error, delivery, coalesce(values_nulled, 0) FROM ingest_counts "
                "ORDER BY source").fetchall()
        if "person_records" in tables:
            outcome.persons, outcome.linked_records = con.sql(
                "SELECT count(DISTINCT person_id), count(*) FILTER (records_in_person > 1) "
                "FROM person_records").fetchall()[0]
        if "run_info" in tables:
            outcome.model_version = con.sql("SELECT model_version FROM run_info").fetchall()[0][0]
        if "gate_results" in tables:
            outcome.failed_checks, outcome.warnings, outcome.waived = (con.sql(
                "SELECT suite, metric, observed, threshold FROM gate_results "
                "WHERE status = ? ORDER BY suite, metric", params=[status]).fetchall()
                for status in ("FAILED", "warning", "waived"))
    finally:
        con.close()


def print_summary(console: Console, outcome: RunOutcome, paths: FotoPaths) -> None:
    """Print the run's summary: no personal data, only counts and metric names."""
    if outcome.sources:
        table = Table(title=f"delivery {paths.date}")
        for col in ("source", "read", "accepted", "quarantined", "withheld", "expired",
                    "values nulled"):
            table.add_column(col, justify="left" if col == "source" else "right")
        for source, read, acc, quar, withheld, expired, file_error, _used, nulled in \
                outcome.sources:
            name = source + (" (file rejected)" if file_error else "")
            table.add_row(name, str(read), str(acc), str(quar), str(withheld), str(expired),
                          str(nulled))
        console.print(table)
        for source, *_, used, _nulled in outcome.sources:
            if used and used != paths.date:
                console.print(f"{source}: missing from delivery {paths.date}; the delivery of "
                              f"{used} was used")
    if outcome.persons is not None:
        console.print(f"persons: {outcome.persons}   linked records: {outcome.linked_records}"
                      f"   model: {outcome.model_version}")
    for suite, metric, observed, threshold in outcome.warnings:
        console.print(f"gate warning: {suite}.{metric} = {observed} (expected {threshold})")
    for suite, metric, observed, threshold in outcome.waived:
        console.print(f"gate waived by operator: {suite}.{metric} = {observed} "
                      f"(expected {threshold})")
    for suite, metric, observed, threshold in outcome.failed_checks:
        console.print(f"gate FAILED: {suite}.{metric} = {observed} (expected {threshold})")
    if outcome.report:
        console.print(f"quality report: {outcome.report}")
    training = outcome.job == "train_model"
    kept = ("no model written; this home's current model stays" if training
            else "nothing published")
    if outcome.trained_model:
        version, path = outcome.trained_model
        console.print(f"model {version} written to {path} and made this home's current model "
                      "(foto run and foto arrest use it from now on)")
    if outcome.status == "published":
        console.print(f"gate: passed. Published (run {outcome.run_id}); serve it with "
                      f"`foto serve --home {paths.home_dir}`.")
    elif outcome.status == "succeeded":
        console.print(f"run {outcome.run_id} succeeded.")
    elif outcome.status == "blocked":
        where = ("" if training else
                 "; the previous publication stays in place")
        console.print(f"gate: BLOCKED. {kept.capitalize()}{where}. Run {outcome.run_id}, "
                      f"its database: {outcome.database}")
    else:
        what = outcome.error or ", ".join(outcome.failed_steps) or "unknown step"
        for error in outcome.errors:
            console.print(error)
        console.print(f"run {outcome.run_id} FAILED ({what}); {kept}. Details in the Dagster "
                      "UI (make dev).")


def print_arrest_summary(console: Console, outcome: RunOutcome, paths: FotoPaths) -> int:
    """What `foto arrest` did: the arrest and person ids, and where the time went. Exit 0
    when the sheet is published (or was before), 1 when refused or blocked, 2 on failure."""
    from foto.arrest_summary import print_arrest

    d = outcome.details
    status = d.get("status") or ("failed" if outcome.status != "succeeded" else "unknown")
    code = print_arrest(console, d | {"status": status}, outcome.failure or "")
    if code is not None:
        return code
    for error in outcome.errors:
        console.print(error)
    console.print(f"run {outcome.run_id} FAILED ({', '.join(outcome.failed_steps) or '?'}); "
                  "details in the Dagster UI (make dev).")
    return 2
