"""Write-audit-publish: a checked run becomes the published photo by atomic renames.

Layout of a home:
    runs/<run>/warehouse.duckdb         the run's build database (being written, never read)
    publications/<stamp>-<run>/         one folder per publication, complete before it is used
        warehouse.duckdb                the analysts' database of that publication
        triage/triage.duckdb            what the triage point may see (publish.audiences)
        triage/manifest.json            run, delivery, model, counts
        triage/index.html, sheets/      the triage sheets (publish.sheets)
    warehouse.duckdb                    hard link to the current publication's warehouse
    published                           a file naming the current publication's id (0600),
                                        replaced atomically (`stores.publications`)

Readers keep the file they opened: a swap replaces a directory entry, never a file's contents.
A crash at any point leaves either the old or the new publication in place, whole.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from audit.log import record
from config import Encryption, Retention
from expectations.report import prune_reports
from judgements.snapshot_gone import redact_gone
from judgements.snapshot_terms import redact_past_destroy
from publish.arrests import prune_refused, publish_lock
from publish.audiences import TRIAGE_TABLES, triage_select
from publish.destroy import prune_past_destroy
from publish.kept_terms import RollbackRefused, reference_day, refusal
from publish.sheets import render_sheets
from stores.at_rest import refuse_unencrypted
from stores.duck import open_duckdb
from stores.home_modes import refuse_opened_up, tighten_tree
from stores.publications import current_publication, fsync_dir, point_at, publication_id
from stores.sql import Fragment, Identifier, fill


def build_triage(warehouse: Path, target: Path) -> dict[str, int]:
    """Build the triage database from the warehouse, declared columns only."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    con = open_duckdb(target)
    try:
        con.execute("ATTACH ? AS wh (READ_ONLY)", [str(warehouse)])
        con.execute("USE wh")
        for table in TRIAGE_TABLES:
            names = {"db": Identifier(target.stem), "table": Identifier(table)}
            con.execute(fill("CREATE TABLE {db}.main.{table} AS {select}",
                             select=Fragment(triage_select(table)), **names))
            counts[table] = int(con.sql(fill("SELECT count(*) FROM {db}.main.{table}",
                                             **names)).fetchall()[0][0])
        con.execute(fill("USE {db}", db=Identifier(target.stem)))
        con.execute("DETACH wh")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return counts


def publish(home: Path, run_dir: Path, run_id: str, manifest: dict[str, Any],
            retention: Retention, before_swap: Callable[[Path], Any] | None = None, *,
            encryption: Encryption) -> Path:
    """Publish a checked run: build triage, move into a publication, swap the pointers, then
    prune what the home keeps beyond the configuration's `retention`.

    The swap holds the home's publish lock, and `before_swap(staged)` runs inside it: an
    arrest published while this run was building is carried into the new publication.
    A home whose folders were opened to other accounts is refused, before the build and again
    before the swap (`stores.home_modes`); what this run staged is made owner-only whatever
    the umask it was written under. So is a home configured (`encryption`) to be on an
    encrypted volume that is not seen to be (`stores.at_rest`). The publication is recorded
    in the audit log."""
    refuse_opened_up(home)
    refuse_unencrypted(home, encryption)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    build = run_dir / "warehouse.duckdb"
    staged = run_dir / "publication"
    if staged.exists():
        shutil.rmtree(staged)
    (staged / "triage").mkdir(parents=True)
    counts = build_triage(build, staged / "triage" / "triage.duckdb")
    previous = current_publication(home)
    sheets = render_sheets(staged / "triage" / "triage.duckdb", staged / "triage", stamp,
                           previous / "triage" if previous else None)
    manifest = manifest | {"run_id": run_id, "published_at": stamp, "triage_rows": counts,
                           **sheets}
    (staged / "triage" / "manifest.json").write_text(
        json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(build, staged / "warehouse.duckdb")
    _fsync_tree(staged)
    crash_point("staged")
    publications = home / "publications"
    publications.mkdir(parents=True, exist_ok=True)
    final = publications / publication_id(stamp, run_id)
    with publish_lock(home):
        if before_swap is not None:
            before_swap(staged)
        tighten_tree(staged)
        refuse_opened_up(home)
        refuse_unencrypted(home, encryption)
        os.replace(staged, final)
        crash_point("moved")
        point_to(home, final)
        crash_point("pointed")
        record(home, "publication", publication=final.name, detail={
            "run_id": run_id, "delivery": manifest.get("delivery"),
            "persons": manifest.get("persons"), "sheets": manifest.get("sheets")})
    prune(home, retention.keep_publications)
    prune_runs(home, retention.keep_blocked_runs, retention.max_blocked_run_age_days)
    if manifest.get("delivery"):
        destroy_past_term(home, final, str(manifest["delivery"]),
                          retention.evidence_days_after_gone)
    prune_reports(home, retention.keep_reports)
    prune_refused(home, retention.quarantine_days)
    shutil.rmtree(run_dir, ignore_errors=True)  # emptied: its files now live in `final`
    return final


def destroy_past_term(home: Path, published: Path, delivery: str, gone_days: int) -> None:
    """What must be gone on the delivery date by the destroy terms, after a publication: kept
    publications and build folders holding such a record (`publish.destroy`), and the values
    judgements' evidence snapshots hold of one (`judgements.snapshot_terms`), or of a record
    out of the photo `gone_days` or more (`retention.evidence_days_after_gone`,
    `judgements.snapshot_gone`; the judgements stay). Recorded in the audit log (names and
    counts)."""
    removed = prune_past_destroy(home, delivery)
    today = date.fromisoformat(delivery[:10])
    warehouse = published / "warehouse.duckdb"
    redacted = redact_past_destroy(home, today, warehouse)
    gone = redact_gone(home, today, warehouse, gone_days)
    if removed or redacted.judgements or redacted.unknown or gone.judgements or gone.unknown:
        record(home, "destroy_term", publication=published.name, detail={
            "removed": removed, "evidence_redacted": redacted.judgements,
            "records": redacted.records, "evidence_terms_unknown": redacted.unknown,
            "evidence_gone": gone.judgements, "gone_records": gone.records,
            "evidence_presence_unknown": gone.unknown})


def crash_point(name: str) -> None:
    """Fault injection for the crash-safety tests: with FOTO_CRASH_AT=<name> the process kills
    itself here with SIGKILL, as a power cut or the OOM killer would, between two steps of
    publication. Unset (always, in production) it does nothing."""
    if os.environ.get("FOTO_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def point_to(home: Path, publication: Path) -> None:
    """Make `publication` the current one: warehouse link first, then the pointer file."""
    tmp_link = home / ".warehouse.duckdb.tmp"
    tmp_link.unlink(missing_ok=True)
    os.link(publication / "warehouse.duckdb", tmp_link)
    os.replace(tmp_link, home / "warehouse.duckdb")
    crash_point("linked")
    point_at(home, publication)


def rollback(home: Path, before_point: Callable[[Path], Any] | None = None, *,
             encryption: Encryption, today: date | None = None) -> tuple[Path, Path]:
    """Make the publication before the current one current again: (from, to).

    Readers keep the files they opened; the next run inherits person ids from what is then
    published. `before_point(publication)` runs under the publish lock before the swap: the
    arrests published since are laid over the earlier publication, never dropped. Raises when
    there is no earlier publication to return to, or (`stores.at_rest`) when the home is
    configured to be on an encrypted volume and is not seen to be. Raises `RollbackRefused`
    when the earlier publication holds a record past its use term on `today` (default: the
    current publication's delivery date, `kept_terms.reference_day`) or one on the open
    suppression list (`publish.kept_terms`): nothing
    is changed then.
    """
    current = current_publication(home)
    pubs = sorted(p for p in (home / "publications").iterdir() if p.is_dir()) \
        if (home / "publications").is_dir() else []
    earlier = [p for p in pubs if current is None or p.name < current.name]
    if current is None or not earlier:
        raise FileNotFoundError(f"no earlier publication to roll back to in {home}")
    with publish_lock(home):
        refuse_unencrypted(home, encryption)
        refused = refusal(home, earlier[-1], today or reference_day(current))
        if refused is not None:
            raise RollbackRefused(refused)
        if before_point is not None:
            before_point(earlier[-1])
        point_to(home, earlier[-1])
        record(home, "rollback", publication=earlier[-1].name,
               detail={"from": current.name})
    return current, earlier[-1]


def prune(home: Path, keep: int) -> None:
    """Remove all but the newest `keep` publications, never the current one."""
    current = current_publication(home)
    pubs = sorted(p for p in (home / "publications").iterdir() if p.is_dir())
    for old in pubs[:-keep]:
        if old != current:
            shutil.rmtree(old, ignore_errors=True)


def prune_runs(home: Path, keep: int, max_age_days: float) -> None:
    """Remove the build folders of blocked or failed runs: those older than `max_age_days`,
    and beyond the newest `keep` those untouched for an hour (a folder that young may belong
    to a run still going)."""
    runs = sorted((p for p in (home / "runs").glob("*") if p.is_dir()),
                  key=lambda p: p.stat().st_mtime, reverse=True) \
        if (home / "runs").is_dir() else []
    now = time.time()
    for rank, run in enumerate(runs):
        age = now - run.stat().st_mtime
        if age > max_age_days * 86400 or (rank >= keep and age > 3600):
            shutil.rmtree(run, ignore_errors=True)


# Files flushed at once. fsync waits for the disk, not the CPU, and releases the GIL: on ext4
# concurrent fsyncs share one journal commit, where one after another each waits for its own
# (5,000 files of 8 kB: 12 s one by one, 1.7 s sixteen at a time, on this project's test
# machine). Bounded by our own files, unlike a whole-filesystem `syncfs`, which would also
# wait for whatever other programs have written to the same disk.
FSYNC_THREADS = 16


def _fsync_tree(root: Path) -> None:
    """Flush every file written for this publication, then every folder. A file with other
    links (a sheet reused from the previous publication, `publish.sheets`) was flushed when
    first written: only its new folder entry needs flushing, which the folder's fsync does.
    Thousands of reused sheets made this the slowest step of a judgement's re-publication;
    a region's first publication (100,000 new sheets at 1M persons) is flushed
    `FSYNC_THREADS` files at a time."""
    files = [p for p in sorted(root.rglob("*")) if p.is_file() and p.stat().st_nlink == 1]
    with ThreadPoolExecutor(FSYNC_THREADS) as pool:
        list(pool.map(_fsync_file, files))
    for d in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        fsync_dir(d)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())
