"""Whether a home is still owner-only: the check the publication makes before it swaps.

Everything foto writes under the home is owner-only (`foto.home` sets the umask; the stores
set their modes). A folder that has since been opened to the group or to others (a `chmod -R
g+rX` by an administrator, a backup restored with other modes) would let other accounts read
the published photo, so a publication refuses to go live there. Folders suffice: a file in an
owner-only folder cannot be reached by another account whatever its own mode. Symlinks are
never followed (foto makes none: the `published` pointer is a file, `stores.publications`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

OPEN_BITS = 0o077


class HomeOpenedUp(Exception):
    """The home (or a folder in it) can be read or entered by other accounts; the message names
    a folder foto made and is shown as it is."""

    safe_message = True


def opened_up(home: Path) -> list[str]:
    """Folders of `home` (itself included) with any group or other permission bit, relative to
    the home, in walk order."""
    found = []
    if stat.S_IMODE(home.lstat().st_mode) & OPEN_BITS:
        found.append(".")
    for root, dirs, _files in os.walk(home, followlinks=False):
        for name in dirs:
            path = Path(root) / name
            mode = _mode(path)
            if mode is not None and not stat.S_ISLNK(mode) and stat.S_IMODE(mode) & OPEN_BITS:
                found.append(str(path.relative_to(home)))
    return found


def refuse_opened_up(home: Path) -> None:
    """Raise `HomeOpenedUp` naming the first opened folder (a path foto made, relative to the
    home) and how many there are."""
    found = opened_up(home)
    if found:
        more = f" and {len(found) - 1} more folder(s)" if len(found) > 1 else ""
        raise HomeOpenedUp(
            f"not publishing: the home's permissions were opened up ({found[0]}{more} can be "
            "read by the group or others); make the home owner-only again (chmod -R go-rwx) "
            "and run again")


def tighten_tree(root: Path) -> int:
    """Make a tree owner-only (group and other bits dropped), whatever the umask it was written
    under; symlinks are never followed nor changed. Returns how many entries were changed."""
    tightened = 0
    for path in (root, *_below(root)):
        mode = _mode(path)
        if mode is None or stat.S_ISLNK(mode) or not stat.S_IMODE(mode) & OPEN_BITS:
            continue
        try:
            os.chmod(path, stat.S_IMODE(mode) & 0o700, follow_symlinks=False)
        except FileNotFoundError:
            continue   # removed since it was listed (see `_mode`)
        tightened += 1
    return tightened


def _mode(path: Path) -> int | None:
    """The entry's mode, or None when it is gone: another foto process (a nightly run pruning
    its run folder, DuckDB dropping its write-ahead log) may remove an entry between the walk
    listing it and this look at it. A vanished entry holds nothing to protect or to report,
    and must not fail the command walking the home (`foto arrest`, `foto judge`)."""
    try:
        return path.lstat().st_mode
    except FileNotFoundError:
        return None


def _below(root: Path):
    for parent, dirs, files in os.walk(root, followlinks=False):
        for name in (*dirs, *files):
            yield Path(parent) / name
