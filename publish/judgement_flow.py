"""A judgement takes effect within seconds: the persons re-formed and re-published, no Dagster
around it (the `on_judgement` job and the nightly run call it).

The current publication's warehouse holds everything the persons stage reads: the scored
pairs (`match_pairs`), the model's clusters (`model_clusters`), the standardised records and
the run's thresholds. A judgement run copies that warehouse into a build folder of its own and
runs, over everyone, exactly what the nightly run does after prediction (no second copy of
any rule): the store's judgements loaded (`judgements.warehouse`), persons formed and named
(`persons.stage`: judgements, constraints, attach, explanations, stable ids inherited from
that publication), every profile and the review queue (`profiles.build.build_everyone`), the
gate's linkage and profile suites, and then `publish.publication.publish`: triage and sheets
(a sheet whose content did not change is reused), the published arrests laid over it, an
atomic swap under the publish lock. A crash leaves the old or the new publication whole.
The next nightly run on the same delivery recomputes the same inputs and so gives the same
persons, ids included (it inherits them from this publication).

Racing:
- Another publication made current while this run was building (a nightly run, an arrest's
  rollback, another judgement run): the swap is refused under the lock (`Superseded`) and the
  run starts again on the new publication, which it may find current already.
- A judgement stored after a nightly run read the store: that nightly publication lacks it,
  so the nightly run calls `republish_judgements` right after its swap (`assets.publish`): a
  judgement is never undone by a publication, for longer than this run takes.
Publications whose warehouse cannot be re-formed (built by an earlier version of foto, or with
another model or thresholds than this home's current ones) are left alone: the judgement is
stored and the next nightly run applies it.

Erasure (`foto erase`) takes the same road: a record on the suppression list that the current
publication still holds is dropped from every table of the copied warehouse
(`persons.erased.drop_records`, which also splits the model clusters it held together) before
the persons are re-formed; the rebuilt database is rewritten into a fresh file (no freed block
keeps the record's bytes), published, and then every kept publication and build folder that
still holds it is removed (`publish.erasure.purge_kept`). The nightly run withholds the record
at the door, and its post-swap call here catches an erasure made while it ran.

What this returns (and the job reports) is counts, person ids and timings, never a record
value, a reviewer's name or a reason.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from config import FotoConfig
from expectations.report import record_gate, report_path, write_report
from expectations.suites import linkage_suite, profile_suite
from judgements.store import RecordKey
from judgements.suppressions import suppressed
from judgements.warehouse import current_judgements, load_judgements, without_suppressed
from matching.models import ModelRef
from matching.predict import model_for_size
from persons.erased import drop_records, holding
from persons.stage import can_reform, form_persons, name_persons, restore_inputs
from profiles.build import build_everyone
from publish.arrest_flow import overlay_arrests
from publish.erasure import (
    forget_arrests,
    lists_arrests,
    purge_kept,
    rewrite_database,
)
from publish.publication import publish
from standardise.rules import connect_prepared
from stores.at_rest import HomeNotEncrypted
from stores.database import table_exists
from stores.duck import open_duckdb
from stores.publications import current_publication

SHOWN_IDS = 20   # person ids a summary names at most


@dataclass
class JudgementOutcome:
    """What a judgement run did; counts, person ids and timings only (operators read it)."""

    status: str            # published | current | blocked | no_publication | stale_publication
    message: str = ""
    newest_judgement: int = 0   # the newest judgement id the publication now holds
    judgements_active: int = 0
    conflicts: int = 0
    persons_reformed: int = 0   # persons whose records changed (new, split, joined)
    person_ids: list[str] = field(default_factory=list)   # the first SHOWN_IDS of them
    sheets: int = 0             # sheets rendered anew (the others were reused)
    publication: str | None = None
    attempts: int = 0
    records_erased: int = 0          # suppressed records dropped from the publication
    publications_removed: list[str] = field(default_factory=list)   # rollback to them gone
    builds_removed: int = 0
    builds_busy: int = 0
    arrests_forgotten: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 1 if self.status == "blocked" else 0

    def metadata(self) -> dict[str, Any]:
        return {"status": self.status, "newest_judgement": self.newest_judgement,
                "judgements_active": self.judgements_active,
                "judgement_conflicts": self.conflicts,
                "persons_reformed": self.persons_reformed,
                "person_ids": ", ".join(self.person_ids), "sheets_rendered": self.sheets,
                "publication": self.publication or "", "attempts": self.attempts,
                "records_erased": self.records_erased,
                "publications_removed": len(self.publications_removed),
                "builds_removed": self.builds_removed, "builds_busy": self.builds_busy,
                "arrests_forgotten": self.arrests_forgotten,
                **{f"seconds_{k}": v for k, v in self.seconds.items()}}


class Superseded(RuntimeError):
    """Another publication became current while this run built on the one before: its swap
    would undo that one. Never an error for the caller: the run starts again."""


def newest_judgement(home: Path) -> int:
    """The newest judgement id in the home's store that a run applies (0 before the first):
    the newest judgement is its pair's current one, so `current` holds it; one about a
    suppressed record lies dormant and is not counted (`load_judgements` leaves it out)."""
    ids = without_suppressed(current_judgements(home), home).column("judgement_id")
    return max(ids.to_pylist(), default=0)


def to_drop(home: Path, publication: Path, forgotten: Sequence[str] = ()) -> list[RecordKey]:
    """The suppressed records the publication still holds (all of them when it shows an arrest
    just forgotten, or cannot be read to tell)."""
    keys = sorted(suppressed(home), key=lambda k: k.unique_id)
    if not keys or lists_arrests(publication, forgotten):
        return keys
    try:
        con = open_duckdb(publication / "warehouse.duckdb", read_only=True)
    except duckdb.Error:
        return keys
    try:
        return [k for k in keys if holding(con, [k])] if holding(con, keys) else []
    finally:
        con.close()


def held_judgement(warehouse: Path) -> int:
    """The newest judgement id a publication's warehouse took from the store (0: none)."""
    con = open_duckdb(warehouse, read_only=True)
    try:
        if not table_exists(con, "judgements"):
            return 0
        return int(con.sql("SELECT coalesce(max(judgement_id), 0) FROM judgements"
                           ).fetchall()[0][0])
    finally:
        con.close()


def nothing_to_do(home: Path, model: ModelRef, config: FotoConfig,
                  outcome: JudgementOutcome | None = None) -> JudgementOutcome | None:
    """Why no judgement run is needed or possible now (no publication; it holds the newest
    judgement; it cannot be re-formed here), as an outcome; None when one is. Cheap: a caller
    (`foto judge`) asks before it starts a job."""
    outcome = outcome or JudgementOutcome("current")
    base = current_publication(home)
    if base is None:
        outcome.status = "no_publication"
        outcome.message = "nothing is published yet: the nightly run applies the judgement"
        return outcome
    outcome.newest_judgement = held_judgement(base / "warehouse.duckdb")
    if newest_judgement(home) <= outcome.newest_judgement and not to_drop(home, base):
        outcome.status, outcome.publication = "current", base.name
        outcome.message = "the current publication holds every judgement"
        return outcome
    why = _cannot_reform(base / "warehouse.duckdb", model, config)
    if why:
        outcome.status = "stale_publication"
        outcome.message = f"{why}: the next nightly run applies the judgement"
        return outcome
    return None


def republish_judgements(home: Path, model: ModelRef, config: FotoConfig,
                         attempts: int = 3) -> JudgementOutcome:
    """Re-form and re-publish the persons as the store's judgements and the suppression list
    say, unless the current publication holds the newest judgement already and no suppressed
    record (see the module's docstring); then purge the kept copies of suppressed records."""
    clock = _Clock()
    outcome = JudgementOutcome("current")
    keys = suppressed(home)
    forgotten = forget_arrests(home, keys) if keys else []
    outcome.arrests_forgotten = len(forgotten)
    for attempt in range(1, attempts + 1):
        outcome.attempts = attempt
        base = current_publication(home)
        drop = to_drop(home, base, forgotten) if base is not None else []
        if (not drop and nothing_to_do(home, model, config, outcome) is not None) \
                or base is None:
            return _purged(home, keys, forgotten, outcome)
        why = _cannot_reform(base / "warehouse.duckdb", model, config) if drop else None
        if why:
            outcome.status = "stale_publication"
            outcome.message = f"{why}: the next nightly run withholds the record"
            return outcome
        try:
            _reform(home, base, model, config, outcome, clock, drop)
        except Superseded:
            clock.lap("superseded", outcome)
            continue
        return outcome if outcome.status == "blocked" else _purged(home, keys, forgotten,
                                                                    outcome)
    outcome.status = "current"
    outcome.message = (f"{attempts} other publications became current meanwhile; the last "
                       "of them runs this again")
    return outcome


def _purged(home: Path, keys: set[RecordKey], forgotten: list[str],
            outcome: JudgementOutcome) -> JudgementOutcome:
    """Remove the kept copies of suppressed records once the current publication is free of
    them (`publish.erasure.purge_kept`)."""
    base = current_publication(home)
    if not keys or (base is not None and to_drop(home, base)):
        return outcome
    purged = purge_kept(home, keys, forgotten)
    outcome.publications_removed = purged.publications
    outcome.builds_removed, outcome.builds_busy = purged.builds, purged.busy
    return outcome


def _cannot_reform(warehouse: Path, model: ModelRef, config: FotoConfig) -> str | None:
    """Why the persons of this publication cannot be re-formed here, or None."""
    con = open_duckdb(warehouse, read_only=True)
    try:
        if not can_reform(con) or not table_exists(con, "run_info"):
            return "the current publication was built by an earlier version of foto"
        version, link, review = con.sql("SELECT model_version, link_threshold, "
                                        "review_threshold FROM run_info").fetchall()[0]
    finally:
        con.close()
    thresholds = config.matching.thresholds
    if version != model.version:
        return (f"the current publication was scored by model {version}, this home's model "
                f"is {model.version}")
    if (link, review) != (thresholds.link, thresholds.review):
        return "the current publication was scored with other thresholds than configured"
    return None


def _reform(home: Path, base: Path, model: ModelRef, config: FotoConfig,
            outcome: JudgementOutcome, clock: _Clock,
            drop: Sequence[RecordKey] = ()) -> JudgementOutcome:
    """One attempt: build on `base` without the records `drop`, check, publish (raises
    `Superseded`)."""
    manifest = json.loads((base / "triage" / "manifest.json").read_text(encoding="utf-8"))
    delivery = str(manifest["delivery"])
    run_id = "j" + uuid.uuid4().hex
    run_dir = home / "runs" / run_id
    run_dir.mkdir(mode=0o700, parents=True)
    db = run_dir / "warehouse.duckdb"
    shutil.copyfile(base / "warehouse.duckdb", db)
    os.chmod(db, 0o600)
    clock.lap("copy", outcome)
    with connect_prepared(db) as con:
        link = float(con.sql("SELECT link_threshold FROM run_info").fetchall()[0][0])
        outcome.records_erased = len(drop)
        drop_records(con, drop, link)
        restore_inputs(con, link)
        loaded = load_judgements(con, home)
        records = con.sql("SELECT count(*) FROM std_persons").fetchall()[0][0]
        formed = form_persons(con, model_for_size(model.path, records), link,
                              config.constraints)
        name_persons(con, base / "warehouse.duckdb", run_id, delivery)
        clock.lap("persons", outcome)
        build_everyone(con, delivery)
        clock.lap("profile", outcome)
        waived = _waived(con)
        # the baseline a nightly run on this delivery would compare with: `base` itself
        gates = [linkage_suite(con, config.gate.linkage, manifest).waive(waived),
                 profile_suite(con, config.gate.profile).waive(waived)]
        for gate in gates:
            record_gate(con, gate)
        report = write_report(con, report_path(home, run_id), run_id, delivery)
        changed = _reformed(con, base / "warehouse.duckdb")
        persons, linked_share = con.sql(
            "SELECT count(DISTINCT person_id), avg(CASE WHEN records_in_person > 1 THEN 1 "
            "ELSE 0 END) FROM person_records").fetchall()[0]
        held = int(con.sql("SELECT coalesce(max(judgement_id), 0) FROM judgements"
                           ).fetchall()[0][0])
        if drop:   # what the stage copied in (the previous publication's ids) goes too
            drop_records(con, drop)
            if holding(con, drop):
                raise RuntimeError("a suppressed record is still in the re-formed warehouse")
    if drop:
        rewrite_database(db)
        clock.lap("rewrite", outcome)
    outcome.judgements_active = loaded.active
    outcome.conflicts = formed.judged.conflicts
    outcome.persons_reformed, outcome.person_ids = len(changed), changed[:SHOWN_IDS]
    clock.lap("check", outcome)
    failed = [g for g in gates if not g.passed]
    if failed:
        outcome.status = "blocked"
        outcome.message = "; ".join(g.summary() for g in failed)
        return outcome
    manifest = manifest | {"persons": persons, "linked_share": linked_share,
                           "quality_report": str(report), "reformed_from": base.name,
                           "newest_judgement": held}
    feed = Path(str(manifest.get("inbox", ""))) / "arrests"

    def before_swap(staged: Path) -> None:
        if current_publication(home) != base:
            raise Superseded(base.name)
        overlay_arrests(home, staged, model, config, delivery,
                        feed=feed if feed.is_absolute() and feed.is_dir() else None)

    try:
        final = publish(home, run_dir, run_id, manifest, config.retention,
                        before_swap=before_swap, encryption=config.encryption)
    except Superseded:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    except HomeNotEncrypted as refused:    # held like a gate: the judgement stays stored
        shutil.rmtree(run_dir, ignore_errors=True)
        outcome.status, outcome.message = "blocked", str(refused)
        return outcome
    written = json.loads((final / "triage" / "manifest.json").read_text(encoding="utf-8"))
    outcome.status, outcome.publication = "published", final.name
    outcome.newest_judgement = held
    outcome.sheets = int(written.get("rendered", 0))
    outcome.message = ""
    clock.lap("publish", outcome)
    return outcome


def _waived(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The expectations the nightly run that built this warehouse was released from
    (`foto run --accept`): the same delivery, so the same release holds."""
    if not table_exists(con, "gate_results"):
        return set()
    return {f"{s}.{m}" for s, m in con.sql(
        "SELECT suite, metric FROM gate_results WHERE status = 'waived'").fetchall()}


def _reformed(con: duckdb.DuckDBPyConnection, before: Path) -> list[str]:
    """The persons of `person_records` whose records differ from what the same person id held
    in the publication `before`: new, split, joined. Sorted ids."""
    con.execute("ATTACH ? AS was_published (READ_ONLY)", [str(before)])
    try:
        return [r[0] for r in con.sql("""
            WITH now AS (SELECT person_id, list(unique_id ORDER BY unique_id) AS records
                         FROM person_records GROUP BY person_id),
                 was AS (SELECT person_id, list(unique_id ORDER BY unique_id) AS records
                         FROM was_published.person_records GROUP BY person_id)
            SELECT now.person_id FROM now LEFT JOIN was USING (person_id)
            WHERE was.records IS DISTINCT FROM now.records ORDER BY 1""").fetchall()]
    finally:
        con.execute("DETACH was_published")


class _Clock:
    """Seconds per step, for the run's metadata and the benchmark."""

    def __init__(self) -> None:
        self._last = time.perf_counter()

    def lap(self, name: str, outcome: JudgementOutcome) -> None:
        now = time.perf_counter()
        outcome.seconds[name] = round(outcome.seconds.get(name, 0) + now - self._last, 4)
        self._last = now
