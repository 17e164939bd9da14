"""Files only the service may read: the publication refuses a home whose folders were opened to
other accounts, naming the folder relative to the home; keys are owner-only and made once."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from audit.log import verify_home
from config import load_config
from publish.publication import publish
from stores import home_modes
from stores.home_modes import HomeOpenedUp, opened_up, refuse_opened_up, tighten_tree
from stores.keys import home_key


def _owner_only_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    for folder in ("publications/p1/triage", "runs/r1", "dagster"):
        (home / folder).mkdir(parents=True)
    (home / "publications" / "p1" / "triage" / "index.html").write_text("x")
    tighten_tree(home)
    os.chmod(home, 0o700)
    return home


def test_an_owner_only_home_passes(tmp_path: Path) -> None:
    home = _owner_only_home(tmp_path)
    assert opened_up(home) == []
    refuse_opened_up(home)


@pytest.mark.parametrize("folder, bits", [(".", 0o750), ("publications", 0o755),
                                          ("publications/p1/triage", 0o701),
                                          ("dagster", 0o770)])
def test_an_opened_folder_is_named_relative_to_the_home(tmp_path: Path, folder: str,
                                                        bits: int) -> None:
    home = _owner_only_home(tmp_path)
    os.chmod(home / folder, bits)
    with pytest.raises(HomeOpenedUp) as refused:
        refuse_opened_up(home)
    assert f"({folder} can be read" in str(refused.value)
    assert str(tmp_path) not in str(refused.value)


def test_a_readable_file_in_an_owner_only_folder_is_not_reachable(tmp_path: Path) -> None:
    """Only folders are checked: a file's own mode does not open an owner-only folder."""
    home = _owner_only_home(tmp_path)
    os.chmod(home / "publications" / "p1" / "triage" / "index.html", 0o644)
    assert opened_up(home) == []


def test_a_symlink_out_of_the_home_is_not_followed(tmp_path: Path) -> None:
    home = _owner_only_home(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir(mode=0o755)
    os.chmod(outside, 0o755)
    (home / "published").symlink_to(outside)
    assert opened_up(home) == []


def test_publish_refuses_an_opened_home_before_it_builds(tmp_path: Path) -> None:
    home = _owner_only_home(tmp_path)
    os.chmod(home / "publications", 0o755)
    run_dir = home / "runs" / "r1"
    with pytest.raises(HomeOpenedUp, match=r"\(publications can be read"):
        publish(home, run_dir, "r1", {}, load_config(None).retention,
                encryption=load_config(None).encryption)
    assert not (home / "published").exists() and not (run_dir / "publication").exists()
    assert verify_home(home).entries == 0      # nothing was published, nothing recorded


def test_tighten_tree_drops_group_and_other_bits_only(tmp_path: Path) -> None:
    root = tmp_path / "t"
    (root / "a").mkdir(parents=True, mode=0o755)
    os.chmod(root / "a", 0o755)
    (root / "a" / "f").write_text("x")
    os.chmod(root / "a" / "f", 0o664)
    assert tighten_tree(root) >= 2
    assert stat.S_IMODE((root / "a").stat().st_mode) == 0o700
    assert stat.S_IMODE((root / "a" / "f").stat().st_mode) == 0o600


def test_a_key_is_made_once_owner_only_and_kept(tmp_path: Path) -> None:
    saved = os.umask(0o022)
    try:
        key = home_key(tmp_path, "session")
    finally:
        os.umask(saved)
    path = tmp_path / "keys" / "session.key"
    assert len(key) == 32 and path.read_bytes() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert home_key(tmp_path, "session") == key
    assert home_key(tmp_path, "search_hash") != key
    with pytest.raises(ValueError):
        home_key(tmp_path, "../escape")


def test_an_entry_removed_while_the_home_is_walked_is_passed_over(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A nightly run removes files (its run folder, DuckDB's write-ahead log) while another
    command walks the home: an entry listed and then gone is passed over, never a failure
    (it made `foto judge` and `foto arrest` stop with FileNotFoundError during a nightly)."""
    home = tmp_path / "home"
    (home / "runs").mkdir(parents=True)
    home.chmod(0o700)
    (home / "runs").chmod(0o700)
    kept = home / "runs" / "kept.duckdb"
    kept.write_bytes(b"x")
    kept.chmod(0o644)
    listed_then_gone = home / "runs" / "gone.duckdb.wal"
    real_walk = home_modes.os.walk

    def walk_seeing_a_removed_entry(top, **kwargs):
        for root, dirs, files in real_walk(top, **kwargs):
            if Path(root) == home / "runs":
                yield root, [*dirs, "gone-folder"], [*files, listed_then_gone.name]
            else:
                yield root, dirs, files

    monkeypatch.setattr(home_modes.os, "walk", walk_seeing_a_removed_entry)
    assert home_modes.tighten_tree(home) == 1
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert home_modes.opened_up(home) == []
