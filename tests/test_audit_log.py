"""The audit log: a hash chain that verifies when whole and names the first entry changed behind
its back; the privacy officer's questions (who viewed a person, a period for the supervisor);
pruning by the configured term that leaves the chain verifiable."""

from __future__ import annotations

import io
import json
import sqlite3
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from audit import store
from audit.log import (
    export,
    person_entries,
    prune_home,
    record,
    search_hash,
    verify_export,
    verify_home,
)
from foto.cli import main


def _views(home: Path, n: int = 5) -> None:
    record(home, "login", who="anna", role="triage")
    for i in range(n):
        record(home, "view", who="anna", role="triage", person_id=f"P{i % 2:06d}",
               purpose="ZSM-beoordeling" if i % 2 else "casus 2026-0042",
               publication="20261201T010000-abcd1234")


def _tamper(home: Path, sql: str, params: tuple = ()) -> None:
    """Change the file as an attacker with write access would: the triggers out of the way."""
    con = sqlite3.connect(home / store.FILE_NAME)
    try:
        con.execute("DROP TRIGGER audit_entry_no_update")
        con.execute("DROP TRIGGER audit_entry_no_delete")
        con.execute(sql, params)
        con.commit()
    finally:
        con.close()


def test_a_whole_chain_verifies_and_is_owner_only(tmp_path: Path) -> None:
    _views(tmp_path)
    check = verify_home(tmp_path)
    assert check.whole and check.entries == 6 and check.head_id == 6 and check.first_id == 1
    assert main(["audit", "verify", "--home", str(tmp_path)]) == 0
    assert stat.S_IMODE((tmp_path / store.FILE_NAME).stat().st_mode) == 0o600


@pytest.mark.parametrize("sql, params, why", [
    ("UPDATE audit_entry SET purpose = ? WHERE id = 3", ("iets anders",), "content"),
    ("UPDATE audit_entry SET person_id = 'P000009' WHERE id = 3", (), "content"),
    ("DELETE FROM audit_entry WHERE id = 3", (), "missing"),
    ("UPDATE audit_entry SET at = '2020-01-01 00:00:00.000000' WHERE id = 3", (), "content"),
])
def test_a_changed_entry_is_found_and_named(tmp_path: Path, sql: str, params: tuple,
                                            why: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    _views(tmp_path)
    _tamper(tmp_path, sql, params)
    check = verify_home(tmp_path)
    assert not check.whole
    assert check.broken_id == (4 if why == "missing" else 3)
    assert why in check.why
    capsys.readouterr()
    assert main(["audit", "verify", "--home", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"entry {check.broken_id}" in out


def test_a_rehashed_entry_breaks_the_next_link(tmp_path: Path) -> None:
    """Rewriting an entry with a fresh hash of its own is caught at the entry after it."""
    _views(tmp_path)
    with store.open_log(tmp_path) as engine:
        third = next(e for e in store.entries(engine) if e.id == 3)
    from audit.chain import entry_hash
    forged = entry_hash(3, third.at, third.who, third.role, third.action, "P000009",
                        third.purpose, third.publication, third.detail, third.prev_hash)
    _tamper(tmp_path, "UPDATE audit_entry SET person_id = 'P000009', hash = ? WHERE id = 3",
            (forged,))
    check = verify_home(tmp_path)
    assert check.broken_id == 4 and "previous hash" in check.why


def test_the_database_refuses_update_and_delete(tmp_path: Path) -> None:
    _views(tmp_path, 1)
    con = sqlite3.connect(tmp_path / store.FILE_NAME)
    try:
        for sql in ("UPDATE audit_entry SET who = 'x'", "DELETE FROM audit_entry"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                con.execute(sql)
    finally:
        con.close()


def test_a_fork_is_refused(tmp_path: Path) -> None:
    """Two entries after the same one cannot both be stored (unique prev_hash)."""
    _views(tmp_path, 1)
    con = sqlite3.connect(tmp_path / store.FILE_NAME)
    try:
        row = con.execute("SELECT * FROM audit_entry WHERE id = 2").fetchone()
        with pytest.raises(sqlite3.IntegrityError):
            con.execute("INSERT INTO audit_entry VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                        (9, *row[1:10], "f" * 64))
    finally:
        con.close()


@pytest.mark.parametrize("detail", [{"reason": "Anna de Vries"}, {"naam": ["Jan Jansen"]},
                                    {"nested": {"a": 1}}, {"bad key": 1}])
def test_free_text_cannot_enter_the_detail(tmp_path: Path, detail: dict) -> None:
    with pytest.raises(ValueError, match="no free text"):
        record(tmp_path, "judgement", detail=detail)


def test_a_name_cannot_be_a_person_id_or_an_action(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not an id"):
        record(tmp_path, "view", who="anna", role="triage", person_id="Peter de Vries")
    with pytest.raises(ValueError, match="unknown audit action"):
        record(tmp_path, "peek", who="anna", role="triage")


def test_audit_person_lists_who_viewed_when_and_why(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _views(tmp_path)
    record(tmp_path, "view", who="bert", role="analyst", person_id="P000001",
           purpose="aanhouding")
    seen = person_entries(tmp_path, "P000001")
    assert [(e.who, e.purpose) for e in seen] == [
        ("anna", "ZSM-beoordeling"), ("anna", "ZSM-beoordeling"), ("bert", "aanhouding")]
    capsys.readouterr()
    assert main(["audit", "person", "P000001", "--home", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "bert" in out and "aanhouding" in out and "casus 2026-0042" not in out
    assert main(["audit", "person", "P999999", "--home", str(tmp_path)]) == 0
    assert "no entries" in capsys.readouterr().out


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_an_export_round_trips_and_verifies(tmp_path: Path, suffix: str) -> None:
    home = tmp_path / "home"
    _views(home)
    out = tmp_path / f"period{suffix}"
    today = datetime.now(UTC).date()
    assert main(["audit", "export", "--from", str(today - timedelta(days=1)), "--to",
                 str(today), "--home", str(home), "--out", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    check = verify_export(out)
    with store.open_log(home) as engine:
        sixth = [e for e in store.entries(engine) if e.id in (6, 7)]
    assert check.whole and check.entries == 6 and check.head_hash == sixth[0].hash
    assert sixth[1].action == "export"                       # the export is logged itself
    assert json.loads(sixth[1].detail)["entries"] == 6 and verify_home(home).whole
    if suffix == ".jsonl":
        lines = out.read_text().splitlines()
        row = json.loads(lines[2])
        row["purpose"] = "iets anders"
        lines[2] = json.dumps(row)
        out.write_text("\n".join(lines) + "\n")
        assert verify_export(out).broken_id == 3
    assert main(["audit", "export", "--from", str(today), "--to",
                 str(today - timedelta(days=1)), "--home", str(home)]) == 2


def test_an_export_holds_only_its_period(tmp_path: Path) -> None:
    with store.open_log(tmp_path, create=True) as engine:
        for day in (1, 2, 3):
            store.append(engine, "anna", "triage", "index",
                         now=datetime(2026, 3, day, 12, tzinfo=UTC))
    buffer = io.StringIO()
    assert export(tmp_path, date(2026, 3, 2), date(2026, 3, 2), buffer, "jsonl") == 1
    assert json.loads(buffer.getvalue())["id"] == 2


def test_prune_removes_only_the_expired_and_keeps_the_chain_verifiable(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime(2031, 6, 1, tzinfo=UTC)
    with store.open_log(tmp_path, create=True) as engine:
        for when in (datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC),
                     datetime(2026, 7, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)):
            store.append(engine, "anna", "triage", "view", person_id="P000001",
                         purpose="aanhouding", now=when)
    entry = prune_home(tmp_path, keep_years=5, now=now)
    detail = json.loads(entry.detail)
    assert detail["removed"] == 2 and detail["first_kept_id"] == 3
    check = verify_home(tmp_path)
    assert check.whole and check.first_id == 3 and check.head_id == 5
    assert [e.id for e in person_entries(tmp_path, "P000001")] == [3, 4]
    con = sqlite3.connect(tmp_path / store.FILE_NAME)
    try:   # the permit a prune leaves cannot be widened, nor kept entries deleted
        for sql in ("UPDATE audit_prune SET first_kept_id = 99", "DELETE FROM audit_prune",
                    "DELETE FROM audit_entry WHERE id = 3"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                con.execute(sql)
    finally:
        con.close()
    # a second prune with nothing expired is logged too, and the chain still holds
    assert json.loads(prune_home(tmp_path, 5, now=now).detail)["removed"] == 0
    assert verify_home(tmp_path).whole
    # entries removed without a logged prune are found at the oldest one left
    _tamper(tmp_path, "DELETE FROM audit_entry WHERE id = 3")
    assert verify_home(tmp_path).broken_id == 4
    assert main(["audit", "prune", "--home", str(tmp_path)]) == 0
    assert "removed" in capsys.readouterr().out


def test_everything_expired_leaves_the_prune_entry_anchored(tmp_path: Path) -> None:
    with store.open_log(tmp_path, create=True) as engine:
        store.append(engine, "anna", "triage", "index", now=datetime(2020, 1, 1, tzinfo=UTC))
    entry = prune_home(tmp_path, 5, now=datetime(2030, 1, 2, tzinfo=UTC))
    assert json.loads(entry.detail)["removed"] == 1
    check = verify_home(tmp_path)
    assert check.whole and check.first_id == check.head_id == 2


def test_writers_are_serialised(tmp_path: Path) -> None:
    """Many processes appending at once leave one unbroken chain (BEGIN IMMEDIATE)."""
    import multiprocessing as mp

    record(tmp_path, "index", who="anna", role="triage")
    ctx = mp.get_context("spawn")
    with ctx.Pool(4) as pool:
        pool.starmap(_append_many, [(str(tmp_path), i) for i in range(4)])
    check = verify_home(tmp_path)
    assert check.whole and check.entries == 1 + 4 * 10


def _append_many(home: str, worker: int) -> None:
    for _ in range(10):
        record(Path(home), "index", who=f"user{worker}", role="triage")


def test_search_text_is_logged_as_a_keyed_hash(tmp_path: Path) -> None:
    first = search_hash(tmp_path, "Peter  de Vries")
    assert first == search_hash(tmp_path, "peter de vries")
    assert first != search_hash(tmp_path / "other", "peter de vries")   # another key
    key = tmp_path / "keys" / "search_hash.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    entry = record(tmp_path, "search", who="anna", role="triage", detail={"hash": first})
    assert "vries" not in entry.detail.lower()


def test_an_empty_home_verifies_as_empty(tmp_path: Path) -> None:
    check = verify_home(tmp_path)
    assert check.whole and check.entries == 0
    assert not (tmp_path / store.FILE_NAME).exists()
