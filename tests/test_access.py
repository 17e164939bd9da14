"""User accounts: added with an argon2id hash from a password read on standard input, disabled,
logged in with a lockout after repeated failures; every step in the audit log, no password in
an argument, an output line or the log."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import stat
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from access.roles import ROLES, may
from access.users import FILE_NAME, AccessRefused, add_user, disable_user, users, verify_login
from audit import store
from audit.log import verify_home
from config import load_config
from foto.cli import main

RULES = load_config(None).access
SECRET = "correct horse battery staple"


def _log(home: Path) -> list[tuple[str, str, dict]]:
    with store.open_log(home) as engine:
        return [(e.action, e.who, json.loads(e.detail)) for e in store.entries(engine)]


@pytest.fixture()
def foto(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """`foto` in this process, the password on standard input as a pipe gives it; returns the
    exit status and everything printed."""
    def run(home: Path, *args: str, stdin: str = "") -> tuple[int, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        saved = os.umask(0o022)
        try:
            code = main([*args, "--home", str(home)])
        finally:
            os.umask(saved)
        out = capsys.readouterr()
        return code, out.out + out.err
    return run


def test_user_add_reads_the_password_from_stdin_and_stores_argon2id(tmp_path: Path,
                                                                   foto) -> None:
    code, said = foto(tmp_path, "user", "add", "anna", "--role", "triage", stdin=SECRET + "\n")
    assert code == 0, said
    assert SECRET not in said
    con = sqlite3.connect(tmp_path / FILE_NAME)
    try:
        (hashed,) = con.execute("SELECT password_hash FROM account").fetchone()
    finally:
        con.close()
    assert hashed.startswith("$argon2id$") and SECRET not in hashed
    assert stat.S_IMODE((tmp_path / FILE_NAME).stat().st_mode) == 0o600
    assert users(tmp_path) == [("anna", "triage", True)]
    # the password is in no file of the home and in no audit entry
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path.name
    assert _log(tmp_path) == [("user_add", _log(tmp_path)[0][1],
                               {"user": "anna", "role": "triage"})]


def test_the_password_is_never_an_argument() -> None:
    from foto.cli import parser

    with pytest.raises(SystemExit):
        parser().parse_args(["user", "add", "anna", "--role", "triage", "--password", "x"])


@pytest.mark.parametrize("password, rule", [("", "too short"), ("Zq9!kw", "too short"),
                                            (" " * 20, "blank")])
def test_empty_or_short_passwords_are_refused(tmp_path: Path, password: str, rule: str,
                                              foto) -> None:
    code, said = foto(tmp_path, "user", "add", "anna", "--role", "triage", stdin=password + "\n")
    assert code == 2 and rule in said and (not password.strip() or password not in said)
    assert users(tmp_path) == []


def test_names_and_roles_are_checked(tmp_path: Path) -> None:
    with pytest.raises(AccessRefused, match="user name"):
        add_user(tmp_path, "Anna de Vries", "triage", SECRET, RULES)
    with pytest.raises(AccessRefused, match="role"):
        add_user(tmp_path, "anna", "admin", SECRET, RULES)
    add_user(tmp_path, "anna", "triage", SECRET, RULES)
    with pytest.raises(AccessRefused, match="exists"):
        add_user(tmp_path, "anna", "privacy", SECRET, RULES)


def test_login_right_wrong_unknown_and_disabled(tmp_path: Path, foto) -> None:
    add_user(tmp_path, "anna", "analyst", SECRET, RULES)
    assert verify_login(tmp_path, "anna", SECRET, RULES).role == "analyst"
    assert verify_login(tmp_path, "anna", SECRET + "x", RULES) is None
    assert verify_login(tmp_path, "nobody", SECRET, RULES) is None
    assert verify_login(tmp_path, "Peter de Vries", "x", RULES) is None
    assert foto(tmp_path, "user", "disable", "anna")[0] == 0
    assert verify_login(tmp_path, "anna", SECRET, RULES) is None
    assert users(tmp_path) == [("anna", "analyst", False)]
    log = _log(tmp_path)
    assert [a for a, _, _ in log] == ["user_add", "login", "login_failed", "login_failed",
                                      "login_failed", "user_disable", "login_failed"]
    assert [d.get("why") for _, _, d in log if d.get("why")] == [
        "wrong_password", "unknown_user", "unknown_user", "disabled"]
    unknown = [(who, d) for a, who, d in log if d.get("why") == "unknown_user"]
    assert all(who == "unknown" and len(d["name_hash"]) == 64 for who, d in unknown)
    text = (tmp_path / store.FILE_NAME).read_bytes()
    assert b"Peter" not in text and SECRET.encode() not in text
    assert verify_home(tmp_path).whole


def test_repeated_failures_lock_the_account_for_a_while(tmp_path: Path) -> None:
    add_user(tmp_path, "anna", "triage", SECRET, RULES)
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    for _ in range(RULES.max_failed_logins):
        assert verify_login(tmp_path, "anna", "wrong", RULES, now=now) is None
    assert verify_login(tmp_path, "anna", SECRET, RULES, now=now) is None    # locked
    later = now + timedelta(minutes=RULES.lockout_minutes - 1)
    assert verify_login(tmp_path, "anna", SECRET, RULES, now=later) is None
    after = now + timedelta(minutes=RULES.lockout_minutes, seconds=1)
    assert verify_login(tmp_path, "anna", SECRET, RULES, now=after) is not None
    whys = [d.get("why") for a, _, d in _log(tmp_path) if a == "login_failed"]
    assert whys == ["wrong_password"] * (RULES.max_failed_logins - 1) + [
        "locked_now", "locked", "locked"]


def test_a_success_resets_the_failure_count(tmp_path: Path) -> None:
    add_user(tmp_path, "anna", "triage", SECRET, RULES)
    for _ in range(3):
        for _ in range(RULES.max_failed_logins - 1):
            verify_login(tmp_path, "anna", "wrong", RULES)
        assert verify_login(tmp_path, "anna", SECRET, RULES) is not None


def test_a_hash_of_older_parameters_is_rehashed_at_login(tmp_path: Path) -> None:
    add_user(tmp_path, "anna", "triage", SECRET, RULES)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(SECRET)
    con = sqlite3.connect(tmp_path / FILE_NAME)
    try:
        con.execute("UPDATE account SET password_hash = ?", (weak,))
        con.commit()
        assert verify_login(tmp_path, "anna", SECRET, RULES) is not None
        (now_stored,) = con.execute("SELECT password_hash FROM account").fetchone()
    finally:
        con.close()
    assert now_stored != weak and not PasswordHasher().check_needs_rehash(now_stored)


def test_an_unknown_name_costs_about_as_much_as_a_known_one(tmp_path: Path) -> None:
    add_user(tmp_path, "anna", "triage", SECRET, RULES)

    def timed(name: str) -> float:
        start = time.perf_counter()
        for _ in range(3):
            verify_login(tmp_path, name, "wrong password!", RULES)
        return time.perf_counter() - start

    timed("bert")
    known, unknown = timed("anna"), timed("bert")
    assert unknown > known * 0.4, (known, unknown)   # both pay one argon2 verification


def test_roles_are_declared_once() -> None:
    assert set(ROLES) == {"triage", "analyst", "privacy"}
    assert may("triage", "sheets") and not may("triage", "review")
    assert may("analyst", "review") and may("analyst", "sheets")
    assert may("privacy", "audit_log") and not may("privacy", "sheets")
    assert not may("nobody", "index")


def test_disabling_twice_or_an_unknown_user_is_refused(tmp_path: Path) -> None:
    add_user(tmp_path, "anna", "triage", SECRET, RULES)
    disable_user(tmp_path, "anna")
    with pytest.raises(AccessRefused, match="disabled already"):
        disable_user(tmp_path, "anna")
    with pytest.raises(AccessRefused, match="no user"):
        disable_user(tmp_path, "bert")
