"""The home's secrets: random keys in `<home>/keys/<name>.key`, owner-only, made on first use.

A key keeps its meaning only as long as it lives: the search-hash key makes the same search
text give the same hash in the audit log (so a privacy officer can see that one search was
repeated) without the text being readable; the session key signs the server's cookies. They
live outside the publication (`published/` is handed out; `keys/` never is), in a folder of
their own, created 0700 with files 0600 whatever the umask, and never overwritten: two
processes making the same key at once agree on the one that was written first.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

KEYS_DIR = "keys"
KEY_BYTES = 32
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def home_key(home: Path, name: str) -> bytes:
    """The key `name` of `home`, created (32 random bytes) when it does not exist yet."""
    if not _NAME.match(name):
        raise ValueError("a key's name is lower-case letters, digits and _")
    folder = home / KEYS_DIR
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / f"{name}.key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return _read(path)
    try:
        os.write(fd, secrets.token_bytes(KEY_BYTES))
        os.fsync(fd)
    finally:
        os.close(fd)
    return _read(path)


def rotate_key(home: Path, name: str) -> bytes:
    """Replace the key `name` of `home` by 32 new random bytes, atomically (a reader sees the
    old key or the new, whole), owner-only; returns the new key. For the session key only, with
    `foto serve` stopped: the search-hash key is never rotated (docs/encryption.md: the audit
    log's earlier search hashes would no longer match)."""
    if name == "search_hash":
        raise ValueError("the search-hash key is not rotated: earlier audit hashes would no "
                         "longer match a search (docs/encryption.md)")
    home_key(home, name)                         # checks the name, makes the folder
    folder = home / KEYS_DIR
    new = folder / f".{name}.key.new"
    new.unlink(missing_ok=True)
    fd = os.open(new, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, secrets.token_bytes(KEY_BYTES))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(new, folder / f"{name}.key")
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return _read(folder / f"{name}.key")


def _read(path: Path) -> bytes:
    """A key as written; a file too short (another process still writing it) is waited for
    only by reading again, never rewritten."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        for _ in range(100):
            key = os.pread(fd, KEY_BYTES + 1, 0)
            if len(key) == KEY_BYTES:
                return key
            os.sched_yield()
    finally:
        os.close(fd)
    raise ValueError(f"key file {path.name} is not a {KEY_BYTES}-byte key")
