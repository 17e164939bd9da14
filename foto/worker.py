"""`foto worker`: the long-lived arrest worker of a home (`publish.arrest_worker`), run in the
foreground under a service manager (systemd, supervisord), which restarts it when it dies.

Every arrest it publishes is reported on the home's Dagster instance as the `arrest_sheet`
asset's materialization and its check (`arrest_sheet_sound`), with the metadata the
`on_arrest` job gives (`ArrestOutcome.details`); a refused arrest as an observation of that
asset. The on-call engineer looks in one place, the Dagster UI, whichever took the file: the
worker while it lives, the arrest sensor (which steps aside while the worker holds its lock)
when it does not.

What it prints is one line per arrest (ids, status, seconds) and the reason it stopped: never a
value from a file. SIGTERM or SIGINT stop it after the arrest in hand.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from typing import Any


def cmd_worker(args: argparse.Namespace) -> int:
    from foto.cli import _config_file, console, library_messages_held
    from publish.arrest_worker import ArrestWorker, WorkerBusy, warm_up, worker_lock
    from stores.warm import keep_warm

    home, inbox = Path(args.home).resolve(), Path(args.inbox).resolve()
    stopping: list[int] = []

    def stop(signum: int, _frame: Any) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def log(line: str) -> None:
        console.print(line)
        sys.stdout.flush()

    started = time.perf_counter()
    try:
        with worker_lock(home), library_messages_held(), _reporter(home) as report:
            from config import load_config

            config = load_config(_config_file(args))
            warm_up()
            log(f"foto worker: serving {inbox / 'arrests'} for home {home} (warm in "
                f"{time.perf_counter() - started:.1f}s; every {args.interval}s)")
            try:
                ArrestWorker(home, inbox, config, report=report, interval=args.interval).run(
                    stop=lambda: bool(stopping), log=log)
            finally:
                keep_warm(False)   # the publication let go before its spill folder goes
    except WorkerBusy as busy:
        console.print(f"foto worker: {busy}")
        return 2
    log("foto worker: stopped")
    return 0


class _reporter:
    """The home's Dagster instance, open for the worker's life, and a function that reports
    one arrest on it."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def __enter__(self):  # noqa: ANN204 - returns the report function
        from pipelines.instance import instance_for

        self._instance = instance_for(self.home)
        instance = self._instance.__enter__()
        return lambda outcome, model: report_arrest(instance, outcome, model)

    def __exit__(self, *exc: object) -> None:
        self._instance.__exit__(*exc)


def report_arrest(instance: Any, outcome: Any, model: Any) -> None:
    """One arrest on the instance, as the `on_arrest` job would have shown it: a
    materialization of `arrest_sheet` with its check, or, refused, an observation."""
    from dagster import (
        AssetCheckEvaluation,
        AssetCheckSeverity,
        AssetKey,
        AssetMaterialization,
        AssetObservation,
    )

    from assets.arrest import CHECK

    key = AssetKey("arrest_sheet")
    metadata = outcome.details(model.version) | {"via": "foto worker"}
    if outcome.failed:
        instance.report_runless_asset_event(AssetObservation(
            asset_key=key, description=outcome.message, metadata=metadata))
        return
    instance.report_runless_asset_event(AssetMaterialization(
        asset_key=key, description=f"arrest {outcome.arrest_id}", metadata=metadata))
    instance.report_runless_asset_event(AssetCheckEvaluation(
        asset_key=key, check_name=CHECK, passed=outcome.status != "blocked",
        description=outcome.message or "ok", severity=AssetCheckSeverity.ERROR,
        metadata={"arrest_id": outcome.arrest_id}))


def add_parser(sub: Any, common: argparse.ArgumentParser, home: str, inbox: str) -> None:
    from publish.arrest_worker import INTERVAL_SECONDS

    s = sub.add_parser("worker", help="publish arrest files as they land, in one warm "
                                      "process (run it under a service manager)",
                       parents=[common])
    s.add_argument("--home", default=home, help=f"folder a run writes to (default: {home})")
    s.add_argument("--inbox", default=inbox,
                   help=f"folder of deliveries; arrest files in its arrests/ (default: "
                        f"{inbox})")
    s.add_argument("--interval", type=float, default=INTERVAL_SECONDS,
                   help=f"seconds between looks at the feed (default: {INTERVAL_SECONDS})")
    s.set_defaults(func=cmd_worker)
