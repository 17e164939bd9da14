"""Stable person ids: a person keeps its id while its records stay together."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import duckdb
import pytest

from tests.conftest import foto, load_generator

pytestmark = pytest.mark.e2e
DAY = "2026-11-27"


def _rewrite_csv(path: Path, encoding: str, delimiter: str, keep, change) -> set[str]:
    """Drop rows where keep(row) is False, apply change(row) -> bool; returns changed ids."""
    text = path.read_bytes().decode(encoding)
    rows = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=delimiter,
                            lineterminator="\r\n")
    writer.writeheader()
    changed = set()
    for row in rows:
        if not keep(row):
            continue
        if change(row):
            changed.add(row["record_id"])
        writer.writerow(row)
    path.write_bytes(out.getvalue().encode(encoding))
    return changed


def _person_ids(home: Path) -> dict[tuple[str, str], str]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return {(s, r): p for s, r, p in con.sql(
            "SELECT source, record_id, person_id FROM person_records").fetchall()}
    finally:
        con.close()


def test_ids_survive_two_percent_added_and_one_percent_changed(tmp_path: Path) -> None:
    gen = load_generator()
    gen.generate(1500, 31, tmp_path / "full", defects=0.0, arrests=0)
    rng = random.Random(7)
    held_back = {"police": set(), "municipal": set()}

    def build(inbox: Path, first: bool) -> dict[str, set[str]]:
        import shutil

        shutil.copytree(tmp_path / "full" / "inbox" / DAY, inbox / DAY)
        changed: dict[str, set[str]] = {}
        for source, name, enc, delim, street in (
                ("police", "police_persons.csv", "cp1252", ";", "straat"),
                ("municipal", "municipal_brp.csv", "utf-8", ",", "straatnaam")):
            def keep(row, source=source):
                if first and rng.random() < 0.02:
                    held_back[source].add(row["record_id"])
                    return False
                return True

            def change(row, street=street):
                if not first and rng.random() < 0.01:
                    row[street] = "Nieuwe Binnenweg"
                    row["huisnummer"] = str(int(rng.random() * 300) + 1)
                    return True
                return False

            changed[source] = _rewrite_csv(inbox / DAY / name, enc, delim, keep, change)
        return changed

    home = tmp_path / "home"
    build(tmp_path / "inbox1", first=True)
    assert foto("run", "--inbox", str(tmp_path / "inbox1"), "--home", str(home)) == 0
    before = _person_ids(home)
    changed = build(tmp_path / "inbox2", first=False)
    assert foto("run", "--inbox", str(tmp_path / "inbox2"), "--home", str(home)) == 0
    after = _person_ids(home)

    touched = {(s, r) for s, ids in changed.items() for r in ids}
    persons: dict[str, list[tuple[str, str]]] = {}
    for key, pid in before.items():
        persons.setdefault(pid, []).append(key)
    unchanged = {pid: keys for pid, keys in persons.items() if not touched & set(keys)}
    kept = sum(all(after.get(k) == pid for k in keys) for pid, keys in unchanged.items())
    print(f"stable ids: {kept}/{len(unchanged)} unchanged persons kept their id")
    assert len(after) > len(before)                      # the held-back 2% came in
    assert kept / len(unchanged) >= 0.995, f"{kept}/{len(unchanged)} kept their id"

    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    lookup = dict(con.sql("SELECT asked_id, person_id FROM person_id_lookup").fetchall())
    con.close()
    # every id published in run 1 still leads somewhere
    assert all(pid in lookup for pid in persons)
