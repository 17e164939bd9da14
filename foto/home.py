"""The home holds special-category data (police, justice and care records about persons): every
file and folder foto makes under it is owner-only.

One rule for every writer, rather than a mode at each `open`: the process's umask is set to
0o077 before anything is written, so DuckDB, Dagster's SQLite storage, reports, sheets and
publications are all created owner-only. A home made by an earlier version (or copied in with
other modes) is tightened once, at the start of the next command; symlinks are never followed.
"""

from __future__ import annotations

import os
from pathlib import Path

from stores.home_modes import tighten_tree

OWNER_ONLY_UMASK = 0o077


def secure_home(home: Path) -> int:
    """Make `home` (created if missing) and everything in it owner-only; from now on this
    process creates files owner-only. Returns how many existing entries were tightened."""
    os.umask(OWNER_ONLY_UMASK)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    return tighten_tree(home)
