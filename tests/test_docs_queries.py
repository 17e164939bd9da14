"""The example queries in README.md and docs/ run against a real warehouse built from the sample."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e


def _queries() -> list[tuple[str, str]]:
    found = []
    for doc in (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))):
        for block in re.findall(r"```sql\n(.*?)```", doc.read_text(encoding="utf-8"), re.S):
            for statement in block.split(";"):
                body = "\n".join(line for line in statement.splitlines()
                                 if not line.strip().startswith("--")).strip()
                if body:
                    found.append((doc.name, body))
    return found


QUERIES = _queries()


def test_the_docs_hold_example_queries() -> None:
    assert len(QUERIES) >= 6


@pytest.mark.parametrize(("doc", "sql"), QUERIES, ids=[f"{d}:{i}" for i, (d, _) in
                                                       enumerate(QUERIES)])
def test_example_query_runs(sample_run: Path, doc: str, sql: str) -> None:
    con = duckdb.connect(str(sample_run / "warehouse.duckdb"), read_only=True)
    try:
        con.sql(sql).fetchall()
    finally:
        con.close()
