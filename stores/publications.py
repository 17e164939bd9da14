"""Where a home keeps its publications, and which one is current.

    publications/<id>/     one folder per publication (`publish.publication`)
    published              a small file (0600) holding the current publication's id

Here, below every stage, because the gate's baseline, the server, the judgements and the
arrests read the current publication and the publisher writes it: all know the layout from this
one place. The pointer is a file, not a symlink: Linux gives every symlink the mode 0777, so a
symlink in the home is listed by `find <home> -perm /o+r` whatever it points to. The file is
replaced whole (written beside it, flushed, renamed over it), never rewritten in place, so a
reader sees the old id or the new one, never a part.

The id read back is data from the disk: it becomes a path only when it has the form of an id
this module makes and names a folder of `<home>/publications` (a tampered pointer cannot lead
outside the home). A home written by an earlier version still has `published` as a symlink to
`publications/<id>/triage`; it is read the same way (its target checked, never followed
blindly), and the next publication replaces it with the file.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

POINTER = "published"
FOLDER = "publications"
# `<stamp>-<first 8 characters of the run id>`: a Dagster run id is hex, a judgement's run id
# starts with "j" (`publish.judgement_flow`).
PUBLICATION_ID = re.compile(r"[0-9]{8}T[0-9]{6}-[0-9a-z]{8}")
_MAX_POINTER_BYTES = 64
_LEGACY_TARGET = "triage"


class PointerInvalid(Exception):
    """The home's publication pointer does not name a publication of the home. The message is
    foto's own words, without the pointer's content or any path."""

    safe_message = True


def publication_id(stamp: str, run_id: str) -> str:
    """The id of the publication made at `stamp` (YYYYMMDDTHHMMSS) from run `run_id`."""
    made = f"{stamp}-{run_id[:8]}"
    if not PUBLICATION_ID.fullmatch(made):
        raise ValueError("a publication id is <YYYYMMDDTHHMMSS>-<8 of [0-9a-z]>")
    return made


def current_publication(home: Path) -> Path | None:
    """The folder of the publication readers see now, or None before the first.

    Raises `PointerInvalid` when the pointer is not a publication id or names no folder of
    `<home>/publications`; it is never followed then."""
    pointer = home / POINTER
    try:
        mode = pointer.lstat().st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(mode):
        return _publication(home, _legacy_id(home, os.readlink(pointer)))
    if not stat.S_ISREG(mode):
        raise PointerInvalid("the home's publication pointer is not a file")
    return _publication(home, _read_id(pointer))


def current_triage(home: Path) -> Path | None:
    """The current publication's triage folder (what the server hands out), or None."""
    publication = current_publication(home)
    return publication / "triage" if publication else None


def point_at(home: Path, publication: Path) -> None:
    """Make `publication` (a folder of `<home>/publications`) the current one, atomically:
    its id is written to a file beside the pointer (owner-only, flushed), renamed over the
    pointer (an old symlink included), and the home's folder entry flushed.

    Callers hold the home's publish lock (`publish.arrests.publish_lock`), so one temporary
    name suffices; one left by a crash is removed first."""
    _publication(home, publication.name)
    if publication.parent.resolve() != (home / FOLDER).resolve():
        raise PointerInvalid("a publication must be a folder of the home's publications")
    tmp = home / f".{POINTER}.tmp"
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (publication.name + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, home / POINTER)
    fsync_dir(home)


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (a rename into it survives a power cut once this returns)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_id(pointer: Path) -> str:
    """The id in the pointer file, opened without following a link put there meanwhile."""
    try:
        fd = os.open(pointer, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise PointerInvalid("the home's publication pointer vanished while read") from None
    except OSError:
        raise PointerInvalid("the home's publication pointer cannot be read") from None
    try:
        data = os.read(fd, _MAX_POINTER_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > _MAX_POINTER_BYTES:
        raise PointerInvalid("the home's publication pointer is too long for an id")
    try:
        return data.decode("ascii").strip()
    except UnicodeDecodeError:
        raise PointerInvalid("the home's publication pointer is not a publication id") from None


def _legacy_id(home: Path, target: str) -> str:
    """The id an earlier version's symlink names: `publications/<id>/triage`, relative to the
    home (as foto wrote it) or absolute into the home; anything else is refused."""
    triage = Path(os.path.normpath(home / target))   # an absolute target stays as it is
    folders = {Path(os.path.normpath(home / FOLDER)), (home / FOLDER).resolve()}
    if triage.name != _LEGACY_TARGET or triage.parent.parent not in folders:
        raise PointerInvalid("the home's publication symlink does not name a publication "
                             "of the home")
    return triage.parent.name


def _publication(home: Path, pub_id: str) -> Path:
    """`<home>/publications/<pub_id>`, once the id has an id's form and the folder is a real
    folder of the home's publications (not a symlink, not elsewhere)."""
    if not PUBLICATION_ID.fullmatch(pub_id):
        raise PointerInvalid("the home's publication pointer is not a publication id")
    folder = home / FOLDER / pub_id
    try:
        if not stat.S_ISDIR((home / FOLDER).lstat().st_mode):
            raise PointerInvalid("the home's publications are not a folder of the home")
        mode = folder.lstat().st_mode
    except FileNotFoundError:
        raise PointerInvalid("the home's publication pointer names no publication of the "
                             "home") from None
    if not stat.S_ISDIR(mode) or folder.resolve().parent != (home / FOLDER).resolve():
        raise PointerInvalid("the home's publication pointer names no publication folder of "
                             "the home")
    return folder
