"""What erasure does to the files of a home besides the current publication: a record on the
suppression list (`foto erase`) must be in no file under the home.

The current publication is re-formed without it (`publish.judgement_flow`); what else may hold
it, and how each is covered here:
- the re-formed warehouse itself: DuckDB keeps deleted rows' bytes in freed blocks, so the
  build database is rewritten into a fresh file (`rewrite_database`) before it is published;
- kept publications (for rollback) and the build folders of blocked runs and judgement runs:
  each that holds the record (or cannot be opened to tell) is removed whole (`purge_kept`); a
  rollback to a removed publication is no longer possible, and the count is reported;
- the on-arrest state (`<home>/arrests/done`, `<home>/arrests/quarantine`): an arrest of the
  record is forgotten (`forget_arrests`) before the re-form, so that no publication lays it
  again; the inbox's arrest file is withheld at the door while the suppression is open.
Other stores hold ids only (the audit log, Dagster's storage, quality reports) or hold the
record's id as what must be remembered (the suppression list, the judgement store's keys).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from judgements.store import RecordKey
from persons.erased import holding
from publish.arrests import arrests_dir
from standardise.arrest_feed import SOURCE as ARREST_SOURCE
from stores.duck import open_duckdb
from stores.publications import current_publication
from stores.sql import Identifier, fill

FRESH = "rewritten.duckdb"


@dataclass
class Purged:
    """What `purge_kept` removed: publication names (rollback to them is gone) and counts."""

    publications: list[str] = field(default_factory=list)
    builds: int = 0
    busy: int = 0   # build folders a running process holds: purged by the next erasure run


def rewrite_database(db: Path) -> None:
    """Rewrite a DuckDB file into a fresh one holding only its live content (tables, views,
    macros), then put it in place: no block freed by a DELETE keeps a deleted row's bytes."""
    fresh = db.with_name(FRESH)
    fresh.unlink(missing_ok=True)
    con = open_duckdb(fresh)
    try:
        con.execute("ATTACH ? AS erasure_source (READ_ONLY)", [str(db)])
        con.execute(fill("COPY FROM DATABASE erasure_source TO {db}",
                         db=Identifier(fresh.stem)))
        con.execute("DETACH erasure_source")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.chmod(fresh, 0o600)
    os.replace(fresh, db)
    db.with_name(db.name + ".wal").unlink(missing_ok=True)


def holds_any(warehouse: Path, keys: Collection[RecordKey]) -> bool | None:
    """Whether a warehouse names one of `keys` in any table; None when it cannot be opened
    (another process writes it, or it is damaged)."""
    if not warehouse.exists():
        return False
    try:
        con = open_duckdb(warehouse, read_only=True)
    except duckdb.Error:
        return None
    try:
        return bool(holding(con, keys))
    except duckdb.Error:
        return None
    finally:
        con.close()


def forget_arrests(home: Path, keys: Collection[RecordKey]) -> list[str]:
    """Remove the on-arrest state of arrests of `keys` (their published entries, and refused
    files read for their content); returns the arrest ids forgotten."""
    unique = {k.unique_id for k in keys}
    forgotten: list[str] = []
    done = arrests_dir(home) / "done"
    for path in sorted(done.glob("*.json")) if done.is_dir() else []:
        entry = _json(path)
        if isinstance(entry, dict) and entry.get("unique_id") in unique:
            forgotten.append(str(entry.get("arrest_id", path.stem)))
            path.unlink()
    refused = arrests_dir(home) / "quarantine"
    records = {k.record_id for k in keys if k.source == ARREST_SOURCE}
    for path in sorted(refused.glob("*.json")) if refused.is_dir() else []:
        data = _json(path)
        if isinstance(data, dict) and data.get("record_id") in records:
            path.with_name(path.name + ".reason.txt").unlink(missing_ok=True)
            path.unlink()
            forgotten.append(path.stem)
    return forgotten


def lists_arrests(publication: Path, arrest_ids: Collection[str]) -> bool:
    """Whether a publication shows one of these arrests (its `arrests.json`)."""
    held = _json(publication / "arrests.json")
    return isinstance(held, dict) and any(a in held for a in arrest_ids)


def purge_kept(home: Path, keys: Collection[RecordKey],
               arrest_ids: Collection[str] = ()) -> Purged:
    """Remove every kept publication other than the current one that holds one of `keys`
    (or shows one of `arrest_ids`, or cannot be opened to tell), and every build folder that
    holds one. A build a running process still writes cannot be opened: it is left (counted
    `busy`); that run re-forms its publication without the record after its swap, or, when
    blocked, leaves its folder to the next `purge_kept`."""
    out = Purged()
    if not keys:
        return out
    current = current_publication(home)
    folder = home / "publications"
    for publication in sorted(p for p in folder.iterdir() if p.is_dir()) \
            if folder.is_dir() else []:
        if current is not None and publication.resolve() == current.resolve():
            continue
        if holds_any(publication / "warehouse.duckdb", keys) is not False \
                or lists_arrests(publication, arrest_ids):
            shutil.rmtree(publication)
            out.publications.append(publication.name)
    runs = home / "runs"
    for build in sorted(p for p in runs.iterdir() if p.is_dir()) if runs.is_dir() else []:
        found = [holds_any(db, keys) for db in build.rglob("*.duckdb") if db.is_file()]
        if None in found:
            out.busy += 1
        elif any(found) or any(lists_arrests(p.parent, arrest_ids)
                               for p in build.rglob("arrests.json")):
            shutil.rmtree(build)
            out.builds += 1
    return out


def _json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
