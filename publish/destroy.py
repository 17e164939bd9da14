"""Kept copies past the destroy term (issue 17, item 3, in part): a kept publication or a
blocked run's build folder whose warehouse holds a record that must be gone by its source's
destroy term (`record_terms.destroy_by`, `sources.retention`) is removed whole.

Removed rather than rewritten: a kept publication is there for `foto rollback`, and one with a
record cut out would no longer be the photo that was published; the current publication is
never touched (every record in it is within its use term, and a use term never outlasts the
destroy term). A copy made before the terms were kept (no `record_terms`) cannot be judged and
is left to the count and age rules (`retention.keep_publications`, `keep_blocked_runs`,
`max_blocked_run_age_days`); so is a database another process holds open (a run building).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from stores.database import table_exists
from stores.duck import open_duckdb
from stores.publications import current_publication


def past_destroy(warehouse: Path, today: str) -> bool | None:
    """Whether `warehouse` holds a record whose destroy day is on or before `today`; None
    when that cannot be told (no `record_terms`, or the file cannot be opened now)."""
    try:
        con = open_duckdb(warehouse, read_only=True)
    except duckdb.Error:
        return None
    try:
        if not table_exists(con, "record_terms"):
            return None
        return bool(con.execute("SELECT count(*) FROM record_terms "
                                "WHERE destroy_by <= CAST($day AS DATE)",
                                {"day": today}).fetchall()[0][0])
    finally:
        con.close()


def prune_past_destroy(home: Path, today: str) -> list[str]:
    """Remove the kept publications and build folders past the destroy term on `today` (the
    delivery date of the run publishing); their names, for the caller to record."""
    current = current_publication(home)
    folders = [p for p in sorted((home / "publications").glob("*")) if p.is_dir()
               and p != current] if (home / "publications").is_dir() else []
    folders += [p for p in sorted((home / "runs").glob("*")) if p.is_dir()] \
        if (home / "runs").is_dir() else []
    removed = []
    for folder in folders:
        databases = [*folder.glob("warehouse.duckdb"), *folder.glob("publication/warehouse.duckdb")]
        if any(past_destroy(db, today) for db in databases):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(f"{folder.parent.name}/{folder.name}")
    return removed
