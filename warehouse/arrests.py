"""The on-arrest state of a home: which arrests were published, which refused, and the lock
that keeps arrest runs and the nightly publication from writing the photo at the same time.

Each processed arrest leaves one small JSON file under `<home>/arrests/done/` (written
atomically, so readers never need a lock), a refused one a copy and its reason under
`<home>/arrests/quarantine/`. The arrest file itself stays in the inbox: the nightly run reads
it as a police record, so an arrest is never lost.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

LOCK_NAME = ".publish.lock"
RECENT_DAYS = 7   # arrests the triage index lists on top, newest first


def arrests_dir(home: Path) -> Path:
    return home / "arrests"


def done_path(home: Path, arrest_id: str) -> Path:
    return arrests_dir(home) / "done" / f"{arrest_id}.json"


def is_published(home: Path, arrest_id: str) -> bool:
    """Whether this arrest was published already (a file seen twice runs once)."""
    return done_path(home, arrest_id).exists()


def record_done(home: Path, entry: dict[str, Any]) -> Path:
    target = done_path(home, entry["arrest_id"])
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(entry, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return target


def quarantine(home: Path, file: Path, reason: str) -> Path:
    """Keep a refused arrest file and its reason (the reason names fields, never values)."""
    folder = arrests_dir(home) / "quarantine"
    folder.mkdir(parents=True, exist_ok=True)
    if file.exists():
        shutil.copyfile(file, folder / file.name)
    else:
        (folder / file.name).write_bytes(b"")
    (folder / f"{file.name}.reason.txt").write_text(reason + "\n", encoding="utf-8")
    return folder / file.name


def recent_arrests(home: Path, now: datetime | None = None,
                   days: int = RECENT_DAYS) -> list[dict[str, Any]]:
    """Arrests published in the last `days`, newest first."""
    folder = arrests_dir(home) / "done"
    if not folder.is_dir():
        return []
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    entries = []
    for path in folder.glob("*.json"):
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if datetime.fromisoformat(entry["arrested_at"]) >= since:
            entries.append(entry)
    return sorted(entries, key=lambda e: (e["arrested_at"], e["arrest_id"]), reverse=True)


@contextmanager
def publish_lock(home: Path, timeout: float = 600) -> Iterator[None]:
    """Exclusive right to change what is published (swap a publication, write an arrest
    sheet). Held for seconds; a process that dies releases it with its file descriptor."""
    home.mkdir(parents=True, exist_ok=True)
    fd = os.open(home / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{home / LOCK_NAME} held for over {timeout} s") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)
