"""The home's pointer to its current publication (`stores.publications`): a file, never a
symlink, read only when it names a publication of the home, replaced whole, and a home of an
earlier version (a `published` symlink) read and converted by the next publication."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from config import load_config
from publish.publication import rollback
from stores.publications import (
    POINTER,
    PointerInvalid,
    current_publication,
    current_triage,
    point_at,
)
from tests.conftest import SAMPLE, foto

FIRST, SECOND = "20261127T020000-abcd1234", "20261128T020000-j0123456"


def _home(tmp_path: Path) -> Path:
    """A home with two publications (folders, and a warehouse holding only the retention
    terms a rollback checks: none past) and nothing current yet."""
    import duckdb

    home = tmp_path / "home"
    for pub in (FIRST, SECOND):
        (home / "publications" / pub / "triage").mkdir(parents=True)
        con = duckdb.connect(str(home / "publications" / pub / "warehouse.duckdb"))
        con.execute("CREATE TABLE record_terms (source VARCHAR, record_id VARCHAR, "
                    "use_until DATE, destroy_by DATE)")
        con.close()
    return home


def _outside(tmp_path: Path) -> Path:
    """A folder outside the home that looks like a publication: a followed pointer would use it."""
    outside = tmp_path / "elsewhere" / "triage"
    outside.mkdir(parents=True)
    (outside / "manifest.json").write_text('{"delivery": "2026-11-27"}', encoding="utf-8")
    return outside.parent


def _tamper(home: Path, content: bytes) -> None:
    """Put `content` in the pointer as an attacker with write access to it would."""
    (home / POINTER).unlink(missing_ok=True)
    (home / POINTER).write_bytes(content)


# ---- (2) a pointer that is not a publication id of the home is refused, never followed ----

@pytest.mark.parametrize("content", [
    b"../../etc", b"/etc", b"..", b"", b"p1", b"20261127T020000-abcd1234/../../..",
    b"20261127T020000-ABCD1234", b"20261127T020000-abcd12345", b"\xff\xfe\x00",
    b"20261127T020000-abcd1234" * 10, b"20261127T020000-abcd1234\n../elsewhere",
], ids=["dotdot_etc", "absolute", "parent", "empty", "not_an_id", "id_then_dotdot",
        "upper_case", "too_long_id", "binary", "too_long", "two_lines"])
def test_a_pointer_that_is_not_a_publication_id_is_refused(tmp_path: Path,
                                                            content: bytes) -> None:
    home = _home(tmp_path)
    _outside(tmp_path)
    _tamper(home, content)
    with pytest.raises(PointerInvalid) as refused:
        current_publication(home)
    message = str(refused.value)
    assert "publication pointer" in message
    assert str(tmp_path) not in message and "etc" not in message and "elsewhere" not in message
    assert PointerInvalid.safe_message   # the CLI shows it as it is (`assets.scrub.safe_text`)


def test_an_id_naming_no_publication_folder_of_the_home_is_refused(tmp_path: Path) -> None:
    home = _home(tmp_path)
    _tamper(home, b"20261129T020000-00000000\n")            # well formed, no such folder
    with pytest.raises(PointerInvalid, match="names no publication"):
        current_publication(home)
    outside = _outside(tmp_path)                              # a folder that is a symlink out
    (home / "publications" / "20261129T020000-00000000").symlink_to(outside)
    with pytest.raises(PointerInvalid, match="names no publication folder"):
        current_publication(home)
    shutil.rmtree(home / "publications")                      # the publications a symlink out
    (home / "publications").symlink_to(outside.parent)
    (outside.parent / "20261129T020000-00000000").mkdir()
    with pytest.raises(PointerInvalid, match="publications are not a folder"):
        current_publication(home)


@pytest.mark.parametrize("target", ["../elsewhere/triage", "publications/../../elsewhere/triage",
                                    "ABSOLUTE_OUTSIDE", f"publications/{FIRST}",
                                    f"publications/{FIRST}/triage/../../../elsewhere/triage",
                                    "publications/p1/triage"])
def test_an_old_symlink_pointing_elsewhere_is_refused(tmp_path: Path, target: str) -> None:
    home = _home(tmp_path)
    outside = _outside(tmp_path)
    (home / "publications" / "p1" / "triage").mkdir(parents=True)
    target = str(outside / "triage") if target == "ABSOLUTE_OUTSIDE" else target
    (home / POINTER).symlink_to(target)
    with pytest.raises(PointerInvalid) as refused:
        current_publication(home)
    assert str(tmp_path) not in str(refused.value)


def test_a_pointer_that_is_a_folder_or_a_fifo_is_refused_unread(tmp_path: Path) -> None:
    home = _home(tmp_path)
    (home / POINTER).mkdir()
    with pytest.raises(PointerInvalid, match="not a file"):
        current_publication(home)
    (home / POINTER).rmdir()
    os.mkfifo(home / POINTER)     # opening a fifo would block: it must not be opened
    with pytest.raises(PointerInvalid, match="not a file"):
        current_publication(home)


def test_a_tampered_pointer_is_served_as_no_publication_without_a_path(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from access.users import add_user
    from web.serve import create_serve_app

    home = _home(tmp_path)
    config = load_config()
    add_user(home, "tina", "triage", "correct horse battery staple", config.access)
    _tamper(home, b"../../etc")
    client = TestClient(create_serve_app(home, config.access, config.serve),
                        base_url="http://127.0.0.1")
    token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": "tina", "password": "correct horse battery staple",
                                "csrf_token": token}, follow_redirects=False)
    answer = client.get("/")
    assert answer.status_code == 503
    assert str(tmp_path) not in answer.text and "etc" not in answer.text


def test_no_pointer_is_no_publication(tmp_path: Path) -> None:
    assert current_publication(_home(tmp_path)) is None
    assert current_triage(_home(tmp_path / "b")) is None


# ---- the pointer written: owner-only, whole, replaced and never rewritten in place ----

def test_point_at_writes_an_owner_only_file_whatever_the_umask(tmp_path: Path) -> None:
    home = _home(tmp_path)
    saved = os.umask(0o022)
    try:
        point_at(home, home / "publications" / FIRST)
    finally:
        os.umask(saved)
    mode = (home / POINTER).lstat().st_mode
    assert stat.S_ISREG(mode) and stat.S_IMODE(mode) == 0o600
    assert (home / POINTER).read_text(encoding="ascii") == FIRST + "\n"
    assert current_publication(home) == home / "publications" / FIRST
    assert current_triage(home) == home / "publications" / FIRST / "triage"
    assert sorted(p.name for p in home.iterdir()) == sorted([POINTER, "publications"])  # no tmp


def test_point_at_refuses_a_folder_that_is_not_a_publication_of_the_home(tmp_path: Path) -> None:
    home = _home(tmp_path)
    with pytest.raises(PointerInvalid):
        point_at(home, _outside(tmp_path))
    other = tmp_path / "other" / "publications" / FIRST
    other.mkdir(parents=True)
    with pytest.raises(PointerInvalid):
        point_at(home, other)
    assert not (home / POINTER).exists()


def test_the_swap_replaces_the_file_and_a_reader_never_sees_part_of_an_id(
        tmp_path: Path) -> None:
    home = _home(tmp_path)
    first, second = home / "publications" / FIRST, home / "publications" / SECOND
    point_at(home, first)
    inode = (home / POINTER).stat().st_ino
    point_at(home, second)
    assert (home / POINTER).stat().st_ino != inode          # a new file, renamed over the old
    assert current_publication(home) == second

    seen: set[Path] = set()
    errors: list[Exception] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                seen.add(current_publication(home))  # type: ignore[arg-type]
            except Exception as err:  # noqa: BLE001 - any failure to read is what is tested
                errors.append(err)
                return

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        for n in range(400):
            point_at(home, first if n % 2 else second)
    finally:
        done.set()
        for reader in readers:
            reader.join()
    assert errors == []
    assert seen <= {first, second} and seen


def test_a_crash_while_writing_the_new_pointer_leaves_the_old_one(tmp_path: Path) -> None:
    """A power cut after the temporary file was begun: the pointer is untouched, and the next
    swap succeeds over the leftover."""
    home = _home(tmp_path)
    point_at(home, home / "publications" / FIRST)
    (home / f".{POINTER}.tmp").write_bytes(b"20261128T0")   # half of an id, never renamed
    assert current_publication(home) == home / "publications" / FIRST
    point_at(home, home / "publications" / SECOND)
    assert current_publication(home) == home / "publications" / SECOND
    assert not (home / f".{POINTER}.tmp").exists()


# ---- (3) a home of an earlier version: its symlink read, then replaced by the file ----

@pytest.mark.parametrize("absolute", [False, True], ids=["relative", "absolute"])
def test_an_old_symlink_home_is_read_and_converted_by_the_next_swap(tmp_path: Path,
                                                                    absolute: bool) -> None:
    home = _home(tmp_path)
    triage = home / "publications" / SECOND / "triage"
    (home / POINTER).symlink_to(triage if absolute else triage.relative_to(home))
    assert current_publication(home) == home / "publications" / SECOND
    was, now = rollback(home, encryption=load_config().encryption)   # a publication flow
    assert (was.name, now.name) == (SECOND, FIRST)
    mode = (home / POINTER).lstat().st_mode
    assert stat.S_ISREG(mode) and stat.S_IMODE(mode) == 0o600
    assert current_publication(home) == home / "publications" / FIRST


@pytest.mark.e2e
def test_an_old_symlink_home_keeps_its_ids_and_the_next_run_converts_it(
        sample_home: Path) -> None:
    """The sample's home as an earlier version left it: the next run reads the publication
    through the symlink (the gate's baseline, the person ids it inherits) and replaces it."""
    before = current_publication(sample_home)
    assert before is not None
    (sample_home / POINTER).unlink()
    (sample_home / POINTER).symlink_to(Path("publications") / before.name / "triage")
    assert current_publication(sample_home) == before
    assert foto("run", "--inbox", str(SAMPLE / "inbox"), "--home", str(sample_home)) == 0
    after = current_publication(sample_home)
    assert after is not None and after != before
    assert not (sample_home / POINTER).is_symlink()
    assert _person_ids(before) == _person_ids(after)   # the rerun inherited every id


def _person_ids(publication: Path) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(publication / "warehouse.duckdb"), read_only=True) as con:
        return con.sql("SELECT unique_id, person_id FROM person_records ORDER BY ALL").fetchall()


# ---- (1) after a real run nothing under the home is open to other accounts ----

@pytest.mark.e2e
def test_after_a_run_find_lists_nothing_open_to_others_and_no_symlink(sample_run: Path) -> None:
    """The issue's check, `find <home> -perm /o+r` (and /g+r) finding nothing, as `find` itself
    and as a walk over every entry without following links: no group or other bit, no symlink
    (Linux gives every symlink 0777), no socket or fifo."""
    for bits in ("o+r", "g+r", "o+w", "g+w", "o+x", "g+x"):
        listed = subprocess.run(["find", str(sample_run), "-perm", f"/{bits}"],
                                capture_output=True, text=True, check=True).stdout
        assert listed == "", bits
    kinds = set()
    for root, dirs, files in os.walk(sample_run, followlinks=False):
        for name in (".", *dirs, *files):
            mode = (Path(root) / name).lstat().st_mode
            kinds.add(stat.S_IFMT(mode))
            assert not stat.S_IMODE(mode) & 0o077, Path(root, name).relative_to(sample_run)
    assert kinds <= {stat.S_IFDIR, stat.S_IFREG}
    pointer = (sample_run / POINTER).lstat()
    assert stat.S_ISREG(pointer.st_mode) and stat.S_IMODE(pointer.st_mode) == 0o600
