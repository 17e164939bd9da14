"""What follows a stored judgement (re-forming and re-publishing the persons it touches), run
in the background, one job at a time, so the reviewer goes on while it runs and two
re-publications never race. The page polls a job's state by its id.

A follow-up re-forms from the whole judgement store, so a job that starts covers every judgement
stored before it: the jobs queued behind it meanwhile are told they were included and never run
(a reviewer deciding every ten seconds causes one re-publication at a time, not a backlog).

A job's message is the follow-up's own (counts and ids); a failure is told by its type only,
its text may quote a record. The judgement is stored before any job starts, so a failed job
loses nothing: the next run takes the judgement up.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

AfterJudgement = Callable[[list[int]], "str | None"]
KEEP = 200   # states kept for polling; older jobs are forgotten


class Worker:
    """One background thread for `after_judgement`, and the state of its recent jobs."""

    def __init__(self, after_judgement: AfterJudgement) -> None:
        self._after = after_judgement
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="after-judgement")
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, dict[str, str]] = OrderedDict()
        self._queued: dict[str, int] = {}   # job -> its submission number, while queued
        self._submitted = 0

    def submit(self, ids: list[int]) -> str:
        """Queue a follow-up for the judgements `ids`; returns the job id to poll."""
        job = uuid.uuid4().hex
        with self._lock:
            self._submitted += 1
            self._queued[job] = self._submitted
        self._set(job, "queued", "waiting for the previous decision's update")
        self._pool.submit(self._run, job, list(ids))
        return job

    def state(self, job: str) -> dict[str, str] | None:
        with self._lock:
            found = self._jobs.get(job)
            return dict(found) if found else None

    def _set(self, job: str, state: str, message: str) -> None:
        with self._lock:
            self._jobs[job] = {"state": state, "message": message}
            self._jobs.move_to_end(job)
            while len(self._jobs) > KEEP:
                self._jobs.popitem(last=False)

    def _run(self, job: str, ids: list[int]) -> None:
        with self._lock:
            if self._queued.pop(job, None) is None:
                return                           # an earlier job's update included it
            covered = list(self._queued)   # stored before this update starts
        self._set(job, "running", "updating the persons this decision touches")
        try:
            message = self._after(ids)
        except Exception as err:  # noqa: BLE001 - told by type; the text may quote a record
            self._set(job, "failed", f"the update failed ({type(err).__name__}); the "
                                     "judgement is stored and the next run takes it up")
            return
        self._set(job, "done", message or "done")
        with self._lock:
            included = [j for j in covered if self._queued.pop(j, None) is not None]
        for other in included:
            self._set(other, "done", f"included in an update started after it: {message or 'done'}")

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)
