"""What every asset needs from its run: the build database path, shared by the run's steps.

A re-execution from failure in the Dagster UI is a new run with the same root run id: it reuses
the root run's build folder, so the steps that succeeded need not run again.
"""

from __future__ import annotations

from pathlib import Path

from dagster import AssetCheckExecutionContext, AssetExecutionContext

from assets.resources import FotoPaths, require_delivery


def build_id(context: AssetExecutionContext | AssetCheckExecutionContext) -> str:
    return context.run.tags.get("dagster/root_run_id", context.run.run_id)


def build_db(context: AssetExecutionContext | AssetCheckExecutionContext,
             paths: FotoPaths) -> Path:
    return paths.build_db(build_id(context))


def delivery_date(context: AssetExecutionContext | AssetCheckExecutionContext,
                  paths: FotoPaths) -> str:
    """The delivery this run works on: its partition (a nightly run always has one), else the
    date the resource names (or the newest delivery in the inbox)."""
    return context.run.tags.get("dagster/partition") or paths.delivery_date()


def delivery_dir(context: AssetExecutionContext | AssetCheckExecutionContext,
                 paths: FotoPaths) -> Path:
    """The delivery's folder; a partition that is not (or no longer) a delivery is refused
    here, so a run never falls back to older files for every partner."""
    inbox = Path(paths.inbox).resolve()
    return inbox / require_delivery(inbox, delivery_date(context, paths))
