"""Blocking asset checks: the expectation suites (expectations/) on the assets they guard.

A failed blocking check stops every asset downstream of it, publication included, so the last
good publication stays in place. Each check reports observed values next to thresholds, and
records them in the run's `gate_results` table for the run summary.
"""

from pathlib import Path

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    MetadataValue,
    asset_check,
)

from assets.context import build_db, build_id, delivery_date
from assets.resources import FotoPaths
from assets.scrub import scrubbed
from expectations import suites
from expectations.baseline import previous_accepted, previous_manifest
from expectations.report import record_gate, report_path, write_report
from sources.registry import registry
from standardise.rules import connect_prepared


def _run(context: AssetCheckExecutionContext, paths: FotoPaths, suite) -> AssetCheckResult:
    db = build_db(context, paths)
    with connect_prepared(db) as con:
        result = suite(con).waive(paths.accepted())
        record_gate(con, result)
        report = write_report(con, report_path(paths.home_dir, build_id(context)),
                              build_id(context), delivery_date(context, paths))
    if not result.passed:
        context.log.error(f"gate: {result.summary()}")
    elif result.warnings():
        context.log.warning(f"gate: {result.summary()}")
    metadata = result.metadata() | {"quality_report": MetadataValue.path(str(report))}
    return AssetCheckResult(
        passed=result.passed and not result.warnings(), metadata=metadata,
        severity=AssetCheckSeverity.ERROR if not result.passed else AssetCheckSeverity.WARN,
        description=result.summary())


def _baseline(paths: FotoPaths) -> dict | None:
    return previous_manifest(paths.home_dir, Path(paths.inbox))


def raw_check(source: str) -> AssetChecksDefinition:
    @asset_check(asset=f"raw_{source}", name=f"raw_{source}_fit", blocking=True,
                 description="The extract matches the contract, few rows quarantined, "
                             "counts add up.")
    @scrubbed
    def _check(context: AssetCheckExecutionContext, paths: FotoPaths) -> AssetCheckResult:
        previous = previous_accepted(_baseline(paths), source)
        limits = paths.foto_config().gate.raw
        return _run(context, paths, lambda con: suites.raw_suite(
            con, source, delivery_date(context, paths), previous, limits))

    return _check


@asset_check(asset="std_persons", blocking=True,
             description="Every accepted record standardised once, key fields filled.")
@scrubbed
def std_persons_complete(context: AssetCheckExecutionContext,
                         paths: FotoPaths) -> AssetCheckResult:
    limits = paths.foto_config().gate.std
    return _run(context, paths, lambda con: suites.std_suite(con, limits))


@asset_check(asset="person_records", blocking=True,
             description="Every record in exactly one person, no melder, no BSN conflicts.")
@scrubbed
def person_records_sound(context: AssetCheckExecutionContext,
                         paths: FotoPaths) -> AssetCheckResult:
    previous = _baseline(paths)
    limits = paths.foto_config().gate.linkage
    return _run(context, paths, lambda con: suites.linkage_suite(con, limits, previous))


@asset_check(asset="person", blocking=True,
             description="One profile row per person, each backed by records.")
@scrubbed
def person_profile_sound(context: AssetCheckExecutionContext,
                         paths: FotoPaths) -> AssetCheckResult:
    limits = paths.foto_config().gate.profile
    return _run(context, paths, lambda con: suites.profile_suite(con, limits))


CHECKS = [*(raw_check(s) for s in registry().names()), std_persons_complete, person_records_sound,
          person_profile_sound]
