"""The home is owner-only: what foto writes there, and what an older version left there."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from foto.home import secure_home


def _open_to_others(home: Path) -> list[str]:
    return [str(p.relative_to(home)) for p in [home, *home.rglob("*")]
            if not p.is_symlink() and stat.S_IMODE(p.lstat().st_mode) & 0o077]


def test_an_existing_home_is_tightened_without_following_links(tmp_path: Path) -> None:
    saved = os.umask(0o022)
    try:
        home = tmp_path / "home"
        (home / "publications" / "p1").mkdir(parents=True)
        (home / "publications" / "p1" / "warehouse.duckdb").write_bytes(b"x")
        (home / "reports").mkdir(mode=0o755)
        (home / "reports" / "r.html").write_text("r")
        outside = tmp_path / "outside.txt"
        outside.write_text("not foto's")
        (home / "published").symlink_to(home / "publications" / "p1")
        (home / "link_out").symlink_to(outside)
        assert _open_to_others(home)
        assert secure_home(home) >= 5
        assert _open_to_others(home) == []
        assert stat.S_IMODE(outside.stat().st_mode) == 0o644   # a link's target is not foto's
        (home / "new.txt").write_text("made after")             # the umask holds from now on
        assert stat.S_IMODE((home / "new.txt").stat().st_mode) == 0o600
    finally:
        os.umask(saved)


@pytest.mark.e2e
def test_nothing_a_run_writes_is_open_to_other_users(sample_run: Path) -> None:
    """Warehouse, publications, sheets, reports, Dagster's storage, arrest state: all of it."""
    assert _open_to_others(sample_run) == []
