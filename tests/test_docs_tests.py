"""The notes name the tests that hold each rule (docs/retention.md: every place under the home
and its retention rule); a renamed or removed test must not leave the note promising one that
is no longer there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAMED = re.compile(r"`(test_[a-z0-9_]+\.py)::(test_[a-z0-9_]+)`")


def _named(note: str) -> list[tuple[str, str]]:
    return NAMED.findall((ROOT / "docs" / note).read_text(encoding="utf-8"))


@pytest.mark.parametrize("note", ["retention.md", "erasure.md"])
def test_every_test_a_note_names_exists(note: str) -> None:
    named = _named(note)
    assert named or note != "retention.md"
    missing = []
    for file, name in named:
        path = ROOT / "tests" / file
        tree = ast.parse(path.read_text(encoding="utf-8")) if path.exists() else None
        defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)} if tree else set()
        if name not in defined:
            missing.append(f"{file}::{name}")
    assert missing == []


def test_the_table_of_places_names_a_test_for_every_place_that_can_hold_values() -> None:
    text = (ROOT / "docs" / "retention.md").read_text(encoding="utf-8")
    table = text.split("## Every place under the home")[1].split("\n## ")[0]
    rows = [r for r in table.splitlines()
            if r.startswith("| ") and not r.startswith(("| place", "|---"))]
    assert len(rows) >= 15
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 5, row
        if "no record data" not in cells[2]:
            assert NAMED.search(cells[4]), f"no test named for {cells[0]}"
