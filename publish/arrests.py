"""The on-arrest state of a home: which arrests were published, which refused, and the lock
that keeps arrest runs and the nightly publication from writing the photo at the same time.

Each processed arrest leaves one small JSON file under `<home>/arrests/done/` (written
atomically, so readers never need a lock), a refused one its reason (and, when it was refused
for its content, the bytes read) under `<home>/arrests/quarantine/`. The arrest file itself
stays in the inbox: the nightly run reads it as a police record, so an arrest is never lost.

Everything here is written owner-only (files 0o600, folders 0o700): a done entry holds a name
and a birth date. A file name made from an id is used only when the id is a safe one
(`sources.arrests.is_safe_id`) and the final path's folder is the folder meant, so
nothing is ever written outside the home; a symlink planted where a file is written is
replaced, never followed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from sources.retention import Terms

LOCK_NAME = ".publish.lock"
# The outcomes of an arrest refused before its sheet could be checked: the job fails its run on
# these, and `foto arrest` exits 1 (`publish.arrest_flow.ArrestOutcome.failed`).
REFUSED = ("refused", "conflict", "no_publication", "stale_publication", "suppressed")


def arrests_dir(home: Path) -> Path:
    return home / "arrests"


def done_path(home: Path, arrest_id: str) -> Path:
    """Where an arrest's entry lives; refuses an id that is not a safe file name."""
    return _inside(arrests_dir(home) / "done", f"{_safe(arrest_id)}.json")


def done_entry(home: Path, arrest_id: str) -> dict[str, Any] | None:
    """The published arrest's entry, or None (also for an id that could not be a file name)."""
    try:
        path = done_path(home, arrest_id)
    except ValueError:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_published(home: Path, arrest_id: str) -> bool:
    """Whether an arrest under this id was published already (a file seen twice runs once)."""
    return done_entry(home, arrest_id) is not None


def record_done(home: Path, entry: dict[str, Any]) -> Path:
    target = done_path(home, entry["arrest_id"])
    write_private(target, (json.dumps(entry, indent=2, default=str) + "\n").encode("utf-8"))
    return target


def quarantine_name(file_name: str) -> str:
    """The name a refused file's record gets in the quarantine: its own name when that is a
    safe `<id>.json`, else a hash of it (a hostile name never becomes a path)."""
    stem = file_name[:-5] if file_name.endswith(".json") else ""
    if _is_safe(stem):
        return file_name
    return "unsafe-name-" + hashlib.sha256(os.fsencode(file_name)).hexdigest()[:16] + ".json"


def is_quarantined(home: Path, file_name: str) -> bool:
    folder = arrests_dir(home) / "quarantine"
    return (folder / f"{quarantine_name(file_name)}.reason.txt").exists()


def quarantine(home: Path, file: Path, reason: str, data: bytes | None = None) -> Path:
    """Keep a refused arrest's reason (fields, never values) and, when it was refused for its
    content, the bytes that were read (for the data steward). The file itself is never opened
    here: one refused unread (a symlink, a fifo, an oversized file) leaves only its reason."""
    folder = arrests_dir(home) / "quarantine"
    name = quarantine_name(file.name)
    if data is not None:
        write_private(_inside(folder, name), data)
    reason_file = _inside(folder, f"{name}.reason.txt")
    write_private(reason_file, (reason + "\n").encode("utf-8"))
    return reason_file


def prune_refused(home: Path, days: int, now: datetime | None = None) -> int:
    """Remove the refused arrests (the bytes read and the reason) refused `days` or more ago
    (`retention.quarantine_days`: the term of a quarantined line whose date cannot be told):
    the data steward has had the quarter to ask for a corrected file, and a refused file must
    not outlive the arrest it was about. The refusal's moment is its reason file's (written
    once, when refused). A file still in the inbox is then read, and refused, again. Returns
    how many were removed."""
    folder = arrests_dir(home) / "quarantine"
    if not folder.is_dir():
        return 0
    cutoff = (now or datetime.now(UTC)).timestamp() - days * 86400
    removed = 0
    for reason in sorted(folder.glob("*.reason.txt")):
        if reason.is_symlink() or not reason.is_file() or reason.stat().st_mtime > cutoff:
            continue
        reason.with_name(reason.name.removesuffix(".reason.txt")).unlink(missing_ok=True)
        reason.unlink(missing_ok=True)
        removed += 1
    return removed


def drop_past_use_term(home: Path, terms: Terms, day: str) -> list[str]:
    """Remove every published arrest whose record is past its use term on `day` (the
    delivery date of the publication being made): an arrest is a police registration dated
    by the arrest (`terms`: the arrest source's), and its entry here is kept only to lay it
    over later publications, which a record past its use term may no longer enter. Returns
    the arrest ids removed (ids only)."""
    entries = all_arrests(home)
    if not entries:
        return []
    since = pd.Series([pd.to_datetime(str(e.get("arrested_on") or e["arrested_at"])[:10],
                                      errors="coerce") for e in entries])
    until = terms.use_until(since, pd.Series([None] * len(entries), dtype="object"))
    past = (until <= pd.Timestamp(day)).fillna(False).astype(bool)
    removed = []
    for entry, gone in zip(entries, past, strict=True):
        if gone:
            done_path(home, str(entry["arrest_id"])).unlink(missing_ok=True)
            removed.append(str(entry["arrest_id"]))
    return removed


def write_private(target: Path, data: bytes) -> None:
    """Write `target` atomically and owner-only: a fresh temporary file (O_EXCL|O_NOFOLLOW,
    mode 0o600) renamed over it, so a symlink planted at the target is replaced, not
    followed, and readers see the old content or the new."""
    make_private_dir(target.parent)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)


def make_private_dir(folder: Path) -> None:
    """Create `folder` owner-only, and its parent when that is the home's `arrests` folder
    (mkdir -p would give parents the umask's mode); tighten them if they exist."""
    folders = [folder.parent, folder] if folder.parent.name == "arrests" else [folder]
    for each in folders:
        each.mkdir(mode=0o700, parents=True, exist_ok=True)
        if each.is_symlink() or not each.is_dir():
            raise ValueError(f"{each.name} is not a folder of the home")
        os.chmod(each, 0o700)


def _safe(arrest_id: str) -> str:
    if not _is_safe(arrest_id):
        raise ValueError("arrest id is not a safe file name")
    return arrest_id


def _is_safe(value: str) -> bool:
    from sources.arrests import is_safe_id

    return is_safe_id(value)


def _inside(folder: Path, name: str) -> Path:
    """`folder / name`, checked: the name is one plain name and the final path's parent,
    resolved, is the folder (a symlink at the name itself is replaced when written, never
    followed: `write_private`)."""
    path = folder / name
    if name in ("", ".", "..") or "/" in name or "\x00" in name or path.name != name \
            or Path(os.path.realpath(path.parent)) != Path(os.path.realpath(folder)):
        raise ValueError("path leaves its folder")
    return path


def recent_arrests(home: Path, days: int, now: datetime | None = None
                   ) -> list[dict[str, Any]]:
    """Arrests published in the last `days` (configuration: `arrests.recent_days`), newest
    first."""
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    return [e for e in all_arrests(home) if datetime.fromisoformat(e["arrested_at"]) >= since]


def all_arrests(home: Path) -> list[dict[str, Any]]:
    """Every published arrest's entry, newest first."""
    folder = arrests_dir(home) / "done"
    if not folder.is_dir():
        return []
    entries = []
    for path in folder.glob("*.json"):
        if path.is_symlink() or not path.is_file():
            continue
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(entry, dict) and "arrested_at" in entry and "arrest_id" in entry:
            entries.append(entry)
    return sorted(entries, key=lambda e: (e["arrested_at"], e["arrest_id"]), reverse=True)


@contextmanager
def publish_lock(home: Path, timeout: float = 600) -> Iterator[None]:
    """Exclusive right to change what is published (swap a publication, write an arrest
    sheet). Held for seconds; a process that dies releases it with its file descriptor."""
    home.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(home / LOCK_NAME, timeout, lambda: TimeoutError(
            f"{home / LOCK_NAME} held for over {timeout} s")):
        yield


@contextmanager
def exclusive_lock(path: Path, timeout: float,
                   refused: Callable[[], Exception]) -> Iterator[None]:
    """An exclusive `flock` on `path` (created owner-only, never through a symlink), waited
    for up to `timeout` seconds, else `refused()` is raised. Released with the file
    descriptor: by the kernel, too, when the process dies."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    os.fchmod(fd, 0o600)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise refused() from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)
