"""The arrest worker: one long-lived process that publishes arrest files within seconds.

A fresh process per arrest (the Dagster sensor's run, `foto arrest` without a worker) spends
most of its time before the arrest is even read: importing Dagster, Splink and Great
Expectations (which pulls in scipy and pyspark) costs seconds on every run. The worker pays
that once, keeps Splink, Great Expectations' context and its suites warm, and runs
`publish.arrest_flow.process_arrest` in-process for each file: the same door checks, publish
lock, audit record and outcomes as the `on_arrest` job, because it is the same function.

Where it takes its work:
- `<inbox>/arrests/*.json`, looked at every `interval` seconds (the standard library has no
  inotify, and no watcher library is in the stack). A file is taken once its last change is
  `settle` seconds old, so a feed that writes in place is not read half-written.
- hand-offs from `foto arrest FILE` (`hand_to_worker`): a request under
  `<home>/arrests/worker/requests/`, answered under `.../results/` with the outcome (ids,
  status, counts, seconds: never a name or a date of birth).

How it relates to the Dagster sensor (one place to look, none processed twice, none lost):
the worker holds `<home>/arrests/.worker.lock` for as long as it lives, and the arrest sensor
launches nothing while that lock is held (`worker_running`). The worker reports each arrest on
the home's Dagster instance as the `arrest_sheet` asset's materialization and check (`foto
worker` does, through `report`), so the UI shows every arrest in one place whichever took it.
When the worker dies, for whatever reason, the kernel drops its lock with the process, and the
sensor's next tick launches its runs for every file not yet published or quarantined: a file
the worker had not finished is taken up there (or by the next nightly run, which reads the
feed). Nothing is published half-way: `process_arrest` writes the sheet, the done entry and the
index under the publish lock, each atomically, and an arrest seen again after a crash is
"already published", never published twice.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from config.defaults import TIMEZONE
from publish.arrests import (
    arrests_dir,
    exclusive_lock,
    is_published,
    is_quarantined,
    make_private_dir,
    write_private,
)

if TYPE_CHECKING:   # imported where used: `foto arrest`'s hand-off stays light
    from config import FotoConfig
    from matching.models import ModelRef
    from publish.arrest_flow import ArrestOutcome

WORKER_LOCK = ".worker.lock"
INTERVAL_SECONDS = 0.1
SETTLE_SECONDS = 0.1
_REQUEST = re.compile(r"[0-9a-f]{32}\.json", re.ASCII)

Report = Callable[["ArrestOutcome", "ModelRef"], None]


class WorkerBusy(RuntimeError):
    """Another worker serves this home already."""


def worker_dir(home: Path) -> Path:
    return arrests_dir(home) / "worker"


def _lock_path(home: Path) -> Path:
    return arrests_dir(home) / WORKER_LOCK


def worker_running(home: Path) -> bool:
    """Whether a worker holds this home's lock. A shared, non-blocking probe: it never waits,
    and a worker that died holds nothing (the kernel released its lock)."""
    try:
        fd = os.open(_lock_path(home), os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


@contextmanager
def worker_lock(home: Path, wait: float = 5.0) -> Iterator[None]:
    """Hold the home's worker lock for the worker's life; `WorkerBusy` when another worker
    holds it (a probe by the sensor or `foto arrest` holds it only for an instant: waited for)."""
    make_private_dir(worker_dir(home))
    with exclusive_lock(_lock_path(home), wait,
                        lambda: WorkerBusy("another arrest worker serves this home")):
        yield


def warm_up() -> None:
    """Import and start what every arrest needs, before the first file arrives: Splink, and
    Great Expectations' context with the arrest sheet's suite validated once (a real run on a
    sound one-person sheet; its result is not kept); and from now on keep the current
    publication's warehouse open, with what arrests derive from it (`stores.warm`)."""
    import splink  # noqa: F401 - imported for its start-up cost

    from publish.arrest_flow import arrest_suite
    from stores.warm import keep_warm

    keep_warm()

    if not arrest_suite({"p": {"aantal_registraties": 1}, "signals": []}).passed:
        raise RuntimeError("the arrest sheet's suite failed on a sound sheet")


class ArrestWorker:
    """Publishes the arrests of one inbox into one home (see the module's docstring)."""

    def __init__(self, home: Path, inbox: Path, config: FotoConfig,
                 report: Report | None = None, interval: float = INTERVAL_SECONDS,
                 settle: float = SETTLE_SECONDS) -> None:
        self.home, self.feed = home, inbox / "arrests"
        self.config, self.report = config, report
        self.interval, self.settle = interval, settle
        # files tried and left (no publication yet, blocked, failed): not retried until they
        # change or the worker restarts; the sensor's run key does the same
        self._tried: dict[str, tuple[int, int]] = {}
        self._prepared: Path | None = None   # the publication last prepared for (`_prepare`)

    def run(self, stop: Callable[[], bool] = lambda: False,
            log: Callable[[str], None] = lambda line: None) -> None:
        """Serve until `stop()` says so: hand-offs first (someone waits at a terminal), then
        the feed, in file-name order."""
        while not stop():
            for outcome in self.tick(log):
                log(outcome_line(outcome))
            time.sleep(self.interval)

    def tick(self, log: Callable[[str], None] = lambda line: None) -> list[ArrestOutcome]:
        done = [self._request(r, log) for r in self._requests()]
        fed = []
        for file in self._new_files():
            processed = self._process(file, log)
            if processed is not None:
                self._report(*processed, log)
                fed.append(processed[0])
        if not done and not fed:
            self._prepare(log)
        return [o for o in done if o is not None] + fed

    def _prepare(self, log: Callable[[str], None]) -> None:
        """While nothing waits: when a new publication became current, derive what arrests
        derive from it (today's, `stores.warm`), so the first arrest after a nightly run is
        as quick as the next. Never in the way: a failure is told by its type and left for
        the arrest itself to meet."""
        from stores.publications import current_publication

        publication = current_publication(self.home)
        if publication is None or publication == self._prepared:
            return
        self._prepared = publication
        warehouse = publication / "warehouse.duckdb"
        try:
            from persons.ids import prepare_ids
            from persons.incremental import prepare_match
            from profiles.arrest_profile import prepare_person

            prepare_match(warehouse, datetime.now(ZoneInfo(TIMEZONE)).date().isoformat())
            prepare_person(warehouse)
            prepare_ids(warehouse)
        except Exception as err:  # noqa: BLE001 - its text may quote data: type only
            log(f"foto worker: could not prepare publication {publication.name} "
                f"({type(err).__name__})")

    def _requests(self) -> list[Path]:
        folder = worker_dir(self.home) / "requests"
        if not folder.is_dir():
            return []
        return sorted((p for p in folder.iterdir() if _REQUEST.fullmatch(p.name)),
                      key=_age_key)

    def _request(self, request: Path, log: Callable[[str], None]) -> ArrestOutcome | None:
        try:
            asked = json.loads(request.read_text(encoding="utf-8"))   # our own, owner-only
            file = Path(asked["file"])
            if not file.is_absolute():
                raise ValueError("not an absolute path")
        except (OSError, ValueError, KeyError, TypeError):
            request.unlink(missing_ok=True)
            return None
        done = self._process(file, log)
        answer = {"status": "failed"} if done is None else \
            done[0].details(done[1].version) | {"message": done[0].message}
        write_private(worker_dir(self.home) / "results" / request.name,
                      (json.dumps(answer) + "\n").encode("utf-8"))
        request.unlink(missing_ok=True)
        if done is None:
            return None
        self._report(*done, log)   # after the answer: the one waiting at a terminal is told
        return done[0]

    def _new_files(self) -> list[Path]:
        if not self.feed.is_dir():
            return []
        now = time.time_ns()
        new = []
        for file in sorted(self.feed.glob("*.json")):
            try:
                st = file.lstat()
            except OSError:
                continue
            if file.name.startswith(".") or is_published(self.home, file.stem) \
                    or is_quarantined(self.home, file.name):
                continue
            if self._tried.get(file.name) == (st.st_mtime_ns, st.st_size):
                continue
            if now - st.st_mtime_ns < self.settle * 1e9:
                continue   # still being written, perhaps: the next look takes it
            new.append(file)
        return new

    def _process(self, file: Path, log: Callable[[str], None]
                 ) -> tuple[ArrestOutcome, ModelRef] | None:
        """One arrest, in this process, and the model it was matched with; None when it
        failed (told by its type only: the file stays in the feed for a restarted worker, the
        sensor or the nightly run)."""
        from matching.models import current_model
        from publish.arrest_flow import process_arrest

        with suppress(OSError):
            st = file.lstat()
            self._tried[file.name] = (st.st_mtime_ns, st.st_size)
        model = current_model(self.home / "models")   # a newly pinned model is used at once
        try:
            outcome = process_arrest(file, self.home, model, self.config)
        except Exception as err:  # noqa: BLE001 - its text may quote the file: type only
            log(f"arrest failed: {type(err).__name__}; the file stays in the feed")
            return None
        return outcome, model

    def _report(self, outcome: ArrestOutcome, model: ModelRef,
                log: Callable[[str], None]) -> None:
        """Report a processed arrest on the Dagster instance, once it is published and its
        asker answered (the report is not on the arrest's way: it costs a tenth of a second
        of SQLite writes); its seconds go into the outcome, for the log line."""
        if self.report is None:
            return
        started = time.perf_counter()
        try:
            self.report(outcome, model)
        except Exception as err:  # noqa: BLE001 - reporting never stops the worker
            log(f"arrest {outcome.arrest_id}: not reported to Dagster "
                f"({type(err).__name__})")
        outcome.seconds["report"] = round(time.perf_counter() - started, 4)


def _age_key(path: Path) -> int:
    """Oldest first; a file gone meanwhile (its asker gave up) sorts first and is passed."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def outcome_line(outcome: ArrestOutcome) -> str:
    """One log line per arrest: ids, status, candidate count and seconds (in all, then per
    step: where the time went, for the operator and `benchmarks/bench_arrest.py`), never a
    value from the file. The Dagster report comes after the arrest was published and is not
    in its total."""
    steps = {k: v for k, v in outcome.seconds.items() if k != "report"}
    person = f" person {outcome.person_id}" if outcome.person_id else ""
    detail = "".join(f", {k} {v:.3f}s" for k, v in outcome.seconds.items())
    return (f"arrest {outcome.arrest_id}: {outcome.status}{person} "
            f"({sum(steps.values()):.2f}s; {outcome.candidates} candidates{detail})")


def hand_to_worker(home: Path, file: Path, poll: float = 0.02) -> dict[str, Any] | None:
    """Ask the home's running worker to publish `file` and wait for its outcome (a dict of
    `ArrestOutcome`'s fields); None when no worker is up, or it went away before answering
    (the caller then runs the arrest itself: nothing is lost, and an arrest the worker did
    publish comes out "already published"). The answer holds `ArrestOutcome.details` and its
    message: ids, counts and seconds."""
    if not worker_running(home):
        return None
    name = f"{uuid.uuid4().hex}.json"
    request = worker_dir(home) / "requests" / name
    result = worker_dir(home) / "results" / name
    write_private(request, (json.dumps({"file": str(file)}) + "\n").encode("utf-8"))
    try:
        while True:
            if result.exists():
                answer = json.loads(result.read_text(encoding="utf-8"))
                result.unlink(missing_ok=True)
                return answer if answer.get("status") != "failed" else None
            if not worker_running(home):
                return None
            time.sleep(poll)
    finally:
        request.unlink(missing_ok=True)
