"""Blocking asset checks: the expectation suites (expectations/) on the assets they guard.

A failed blocking check stops every asset downstream of it, publication included, so the last
good publication stays in place. Each check reports observed values next to thresholds, and
records them in the run's `gate_results` table for the run summary.
"""

from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetChecksDefinition, asset_check

from assets.context import build_db
from expectations import suites
from expectations.gate import GateResult
from matching.schema import SOURCES
from pipelines.resources import FotoPaths
from warehouse.store import connect


def record(con, result: GateResult) -> None:
    """Keep the outcome in the build database (numbers and names of metrics only)."""
    con.execute("""CREATE TABLE IF NOT EXISTS gate_results (suite VARCHAR, metric VARCHAR,
        observed VARCHAR, threshold VARCHAR, passed BOOLEAN)""")
    con.execute("DELETE FROM gate_results WHERE suite = ?", [result.suite])
    for o in result.outcomes:
        con.execute("INSERT INTO gate_results VALUES (?, ?, ?, ?, ?)",
                    [result.suite, o.rule.metric, str(o.observed), o.rule.threshold, o.passed])


def _run(context: AssetCheckExecutionContext, paths: FotoPaths, suite) -> AssetCheckResult:
    with connect(build_db(context, paths)) as con:
        result = suite(con)
        record(con, result)
    if not result.passed:
        context.log.error(f"gate: {result.summary()}")
    return AssetCheckResult(passed=result.passed, metadata=result.metadata(),
                            description=result.summary())


def raw_check(source: str) -> AssetChecksDefinition:
    @asset_check(asset=f"raw_{source}", name=f"raw_{source}_fit", blocking=True,
                 description="The extract matches the contract, few rows quarantined, "
                             "counts add up.")
    def _check(context: AssetCheckExecutionContext, paths: FotoPaths) -> AssetCheckResult:
        return _run(context, paths, lambda con: suites.raw_suite(con, source))

    return _check


@asset_check(asset="std_persons", blocking=True,
             description="Every accepted record standardised once, key fields filled.")
def std_persons_complete(context: AssetCheckExecutionContext,
                         paths: FotoPaths) -> AssetCheckResult:
    return _run(context, paths, suites.std_suite)


@asset_check(asset="person_records", blocking=True,
             description="Every record in exactly one person, no melder, no BSN conflicts.")
def person_records_sound(context: AssetCheckExecutionContext,
                         paths: FotoPaths) -> AssetCheckResult:
    return _run(context, paths, suites.linkage_suite)


@asset_check(asset="person", blocking=True,
             description="One profile row per person, each backed by records.")
def person_profile_sound(context: AssetCheckExecutionContext,
                         paths: FotoPaths) -> AssetCheckResult:
    return _run(context, paths, suites.profile_suite)


CHECKS = [*(raw_check(s) for s in SOURCES), std_persons_complete, person_records_sound,
          person_profile_sound]
