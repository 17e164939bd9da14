"""The `foto` command line: the person photo of a Zorg- en Veiligheidshuis from the partners'
deliveries.

    foto run [--inbox DIR] [--home DIR] [--date YYYY-MM-DD] [--accept SUITE.METRIC]...
    foto train [--inbox DIR] [--home DIR] [--date YYYY-MM-DD] [--accept SUITE.METRIC]...
    foto arrest FILE.json [--home DIR]   (handed to the home's worker when one runs)
    foto worker [--inbox DIR] [--home DIR] [--interval S]   (publishes arrests as they land)
    foto rollback [--home DIR]
    foto judge SOURCE:RECORD_ID SOURCE:RECORD_ID (--same|--different|--unsure) --by WHO
               --reason TEXT [--later] [--home DIR]
    foto judge --file JUDGEMENTS.csv [--later] [--home DIR]
               (columns left,right,decision,by,reason; `judge` re-publishes the persons the
               judgements touch at once, unless --later)
    foto review [--home DIR] [--port N] [--by NAME]   (the review page on 127.0.0.1)
    foto serve [--home DIR] [--host 127.0.0.1] [--port 8470]   (the triage photo behind a login)
    foto erase SOURCE:RECORD_ID --by WHO --reason TEXT [--home DIR]   (out of the photo and
               every kept file now, withheld from every later run; `foto erase --list`)
    (each also takes --config FILE.json)

The inbox holds one folder per delivery, named by its date (YYYY-MM-DD, a real date) and
holding at least one partner file (police_persons.csv, justice_cases.parquet,
care_reports.jsonl, municipal_brp.csv); other entries are passed over with a warning, and
arrest files go in <inbox>/arrests/. Without --date the newest delivery runs. The home holds
everything a run writes: the publications (<home>/publications/, the current one named in
<home>/published and served by `foto serve`; its warehouse at <home>/warehouse.duckdb),
quality reports, models and the Dagster instance (<home>/dagster/); the README describes it.

Runs go through Dagster on the home's instance, so they show in its UI (`make dev`). What this
prints is read by operators: counts, ids, file and metric names only, never personal values;
an error is told by its stage, its type and an error id, never by its text.
Defaults (relative to the current folder): --inbox data/sample/inbox, --home var; --config
$FOTO_CONFIG, else the committed config/foto.json (thresholds, gate limits, keep-counts). The
configuration is checked before anything is written: a wrong value ends the command with one
line naming its key and exit status 2.
`foto review` serves until interrupted (exit 0); 2 without a publication or with its port in
use. With `encryption.at_rest = "volume"` in the configuration, a home not seen on an encrypted
volume is refused before anything is written (docs/encryption.md): `run`, `train`, `arrest`,
`judge`, `rollback` exit 1, `serve` and `review` 2.
Exit status: 0 the run succeeded (for `run`: and published; for `train`: and wrote a model);
1 the quality gate held it, or `arrest` refused the file (the failed expectations are printed;
--accept SUITE.METRIC releases a checked, genuine change and is recorded as waived); 2 the run
failed or could not start.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from rich.console import Console

from config import ConfigError, config_path, load_config
from config.defaults import DEFAULT_HOME, DEFAULT_INBOX, ENGINES
from foto.admin import add_parsers
from foto.erase import add_parser as add_erase_parser
from foto.home import OWNER_ONLY_UMASK, secure_home
from foto.worker import add_parser as add_worker_parser
from sources.registry import registry
from sources.retention import resolve_terms
from stores.duck import spilling_under

if TYPE_CHECKING:
    from assets.resources import FotoPaths
    from foto.summary import RunOutcome

# Dagster, Splink and Great Expectations are imported by the commands that use them, not here:
# `foto arrest` with a worker running hands its file over without them (seconds saved).

# Under a pipe or in a log file rich would wrap at 80 columns and break paths in two: lines are
# never wrapped (soft_wrap), and text in brackets in a path or name is no markup.
console = Console(stderr=False, highlight=False, soft_wrap=True, markup=False)


def _paths(args: argparse.Namespace) -> FotoPaths:
    """The run's inbox, home and delivery: `--date` must be a delivery of the inbox, else the
    newest delivery is taken; entries of the inbox that are not deliveries are named."""
    from assets.resources import FotoPaths, NoDelivery, require_delivery, scan_inbox

    inbox = Path(getattr(args, "inbox", DEFAULT_INBOX)).resolve()
    scan = scan_inbox(inbox)
    if scan.warning():
        console.print(scan.warning())
    date = getattr(args, "date", None) or ""
    if date:
        require_delivery(inbox, date)
    elif scan.deliveries:
        date = scan.deliveries[-1]
    else:
        raise NoDelivery(f"no delivery folder (YYYY-MM-DD, holding a contract file) in inbox "
                         f"{inbox}")
    return FotoPaths(inbox=str(inbox), home=str(Path(args.home).resolve()), date=date,
                     accept=",".join(getattr(args, "accept", None) or []),
                     config=_config_file(args), engine=getattr(args, "engine", "duckdb"))


def _config_file(args: argparse.Namespace) -> str:
    """The configuration file this command runs with, as an absolute path (`--config`, else
    $FOTO_CONFIG, else the committed defaults), so the Dagster resource reads the same one."""
    return str(config_path(getattr(args, "config", None)))


# Libraries whose log records and Python warnings are held back from the terminal: their text
# can quote data (a value in a column, a record), and Splink's training notes are not for the
# operator. A real failure still stops its step and is printed, scrubbed.
QUIET_LOGGERS = ("splink", "py.warnings")


class HeldBack(logging.Handler):
    """Counts the records of quiet libraries instead of printing them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


@contextmanager
def library_messages_held() -> Iterator[HeldBack]:
    """While a run executes, the quiet libraries log to a counter, not to the terminal (Splink
    adds its own terminal handler only to a logger without one)."""
    held = HeldBack()
    saved = [(logging.getLogger(n), logging.getLogger(n).propagate) for n in QUIET_LOGGERS]
    logging.captureWarnings(True)
    for logger, _ in saved:
        logger.addHandler(held)
        logger.propagate = False
    try:
        yield held
    finally:
        for logger, propagate in saved:
            logger.removeHandler(held)
            logger.propagate = propagate
        logging.captureWarnings(False)


def run_job(job_name: str, paths: FotoPaths, run_config: dict | None = None,
            tags: dict[str, str] | None = None) -> RunOutcome:
    """Execute a job in this process on the home's Dagster instance, showing progress."""
    from dagster import DagsterEventType
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

    from assets.partitions import register_delivery
    from foto.summary import RunOutcome, read_outcome
    from pipelines.definitions import build_definitions
    from pipelines.instance import instance_for

    # Entered, so Dagster's definitions loading sees this live instance's state storage, not
    # one another caller left behind in this context, and the instance is disposed after.
    with instance_for(paths.home_dir,
                      paths.foto_config().retention.dagster_runs_days) as instance:
        job = build_definitions(paths).resolve_job_def(job_name)
        partition = paths.date if job.partitions_def is not None else None
        if partition:
            register_delivery(instance, Path(paths.inbox), partition)
        run_id = str(uuid.uuid4())
        steps = len(job.nodes)
        holder: dict = {}

        def target() -> None:
            try:
                holder["result"] = job.execute_in_process(
                    instance=instance, run_id=run_id, raise_on_error=False, partition_key=partition,
                    tags=tags or {"foto/delivery": paths.date,
                                  **({"foto/accepted": paths.accept} if paths.accept else {})},
                    run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
                    | (run_config or {}))
            except Exception as err:  # noqa: BLE001 - reported by type, the value may be personal
                holder["error"] = type(err).__name__

        thread = threading.Thread(target=target, daemon=True)
        done_types = {DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE,
                      DagsterEventType.STEP_SKIPPED}
        with library_messages_held() as held, Progress(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                TextColumn("{task.completed}/{task.total} steps"), console=console,
                transient=True) as progress:
            task = progress.add_task(f"{job_name} {paths.date}", total=steps)
            thread.start()
            while thread.is_alive():
                thread.join(0.5)
                records = instance.all_logs(run_id, of_type=done_types)
                last = records[-1].step_key if records else "starting"
                progress.update(task, completed=len(records), description=f"{job_name}: {last}")
        if held.count:
            console.print(f"{held.count} library warning(s) not shown (such as Splink's notes on "
                          "levels training did not observe; their text can quote data)")
        if "error" in holder:
            return RunOutcome(run_id=run_id, status="error", error=holder["error"])
        return read_outcome(paths, run_id, holder["result"])


def cmd_run(args: argparse.Namespace) -> int:
    from foto.summary import print_summary

    paths = _paths(args)
    dates = deliveries_to_run(paths, explicit=bool(args.date))
    if isinstance(dates, str):
        console.print(f"foto run: {dates}")
        return 2
    for date in dates:
        run_paths = paths.model_copy(update={"date": date})
        outcome = run_job("nightly", run_paths)
        audit_run(run_paths, outcome)
        print_summary(console, outcome, run_paths)
        code = outcome.exit_code(require_publication=True)
        if code:
            if date != dates[-1]:
                console.print(f"backfill stopped at {date}; {dates[-1]} not run")
            return code
    return 0


def deliveries_to_run(paths: FotoPaths, explicit: bool) -> list[str] | str:
    """The deliveries `foto run` runs, oldest first, or why it refuses.

    With `--date D` after the published delivery, the deliveries between them run first, in
    order (a backfill). Rerunning the published date is allowed (the same photo again); a date
    before it is refused: publishing it would put an older photo in front of triage."""
    from assets.resources import scan_inbox
    from expectations.baseline import previous_manifest

    manifest = previous_manifest(paths.home_dir, Path(paths.inbox))
    published = manifest.get("delivery") if manifest else None
    if not explicit or not published or paths.date == published:
        return [paths.date]
    if paths.date < published:
        return (f"delivery {paths.date} is older than the published one ({published}); "
                "`foto rollback` returns to an earlier publication")
    between = [d for d in scan_inbox(Path(paths.inbox)).deliveries
               if published < d < paths.date]
    return [*between, paths.date]


def audit_run(paths: FotoPaths, outcome: RunOutcome) -> None:
    """Record a run's outcome in the audit log: its id, job, delivery, status and, when it
    published, the publication it made (the publication itself is recorded at its swap)."""
    from audit.log import record
    from stores.publications import current_publication

    published = current_publication(paths.home_dir) if outcome.status == "published" else None
    record(paths.home_dir, "run", publication=published.name if published else None,
           detail={"run_id": outcome.run_id, "job": outcome.job or None,
                   "delivery": paths.date or None, "status": outcome.status,
                   "failed_checks": len(outcome.failed_checks)})


def cmd_train(args: argparse.Namespace) -> int:
    from foto.summary import print_summary

    paths = _paths(args)
    outcome = run_job("train_model", paths)
    audit_run(paths, outcome)
    print_summary(console, outcome, paths)
    return outcome.exit_code(require_publication=False)


def cmd_arrest(args: argparse.Namespace) -> int:
    """Publish one arrest file: handed to the home's worker when one runs (`foto worker`: warm,
    so the sheet is out in about a second), else by the `on_arrest` job in this process. The
    path is made absolute without resolving its last part: a symlink stays a symlink, for the
    run to refuse unread (never its target read instead)."""
    from foto.arrest_summary import print_arrest
    from publish.arrest_worker import hand_to_worker
    from publish.arrests import REFUSED, quarantine_name

    file = Path(os.path.abspath(args.file))
    key = quarantine_name(file.name)[:-5]   # the arrest id, or a hash of an unsafe name
    if not os.path.lexists(file):
        console.print(f"foto arrest: no such file {key}")
        return 2
    home = Path(args.home).resolve()
    answer = hand_to_worker(home, file)
    if answer is not None:
        code = print_arrest(console, answer, answer.get("message", "")
                            if answer.get("status") in REFUSED else "")
        return 2 if code is None else code
    if not getattr(args, "home_secured", True):
        secure_home(home)   # the worker went away: this process runs the arrest itself
    return _arrest_here(args, file, key)


def _arrest_here(args: argparse.Namespace, file: Path, key: str) -> int:
    """`foto arrest` without a worker: the `on_arrest` job in this process."""
    from assets.resources import FotoPaths
    from foto.summary import print_arrest_summary

    paths = FotoPaths(home=str(Path(args.home).resolve()),
                      inbox=str(file.parent.parent), date="", config=_config_file(args))
    outcome = run_job("on_arrest", paths,
                      run_config={"ops": {"arrest_sheet": {"config": {"file": str(file)}}}},
                      tags={"foto/arrest": key})
    return print_arrest_summary(console, outcome, paths)


def cmd_rollback(args: argparse.Namespace) -> int:
    """Make the previous publication current again, with every published arrest it does not
    carry laid over it first (under the publish lock): a rollback never drops an arrest."""
    from assets.resources import FotoPaths
    from matching.models import current_model
    from publish.arrest_flow import relay_arrests
    from publish.kept_terms import RollbackRefused
    from publish.publication import rollback

    home = Path(args.home).resolve()
    paths = FotoPaths(home=str(home), config=_config_file(args))
    model, config = current_model(paths.models_dir), paths.foto_config()
    laid: list[int | None] = []
    try:
        old, new = rollback(home, before_point=lambda pub: laid.append(
            relay_arrests(home, pub, model, config)), encryption=config.encryption)
    except RollbackRefused as refused:
        console.print(f"foto rollback: refused: {refused}")
        return 1
    said = f"{laid[0]} published arrest(s) laid over it" if laid and laid[0] is not None \
        else ("it was built by an earlier version of foto: published arrests could not be "
              "laid over it; the next nightly run carries them")
    console.print(f"rolled back: published is now {new.name} (was {old.name}); {said}")
    return 0


def cmd_judge(args: argparse.Namespace) -> int:
    """Store people's decisions on record pairs (`judgements`), then re-publish the persons
    they touch (job `on_judgement`) unless `--later`: the next nightly run gives the same
    persons. Everything is checked first and stored in one transaction: a refusal writes
    nothing. Prints counts, judgement and person ids only: never a key, a name or a reason."""
    from audit.log import record
    from judgements.evidence import published_warehouse, with_evidence
    from judgements.intake import JudgementRefused, make_request, read_file
    from judgements.store import DECISIONS, append, open_store
    from sources.registry import registry

    sources = registry().names()
    if args.file is not None:
        if args.keys or args.decision or args.by is not None or args.reason is not None:
            raise JudgementRefused("--file takes no keys, decision, --by or --reason: they "
                                   "are columns of the file")
        requests = read_file(args.file, sources)
    else:
        if len(args.keys) != 2:
            raise JudgementRefused(f"expected two keys SOURCE:RECORD_ID, got {len(args.keys)}")
        if not args.decision:
            raise JudgementRefused("decision: give one of --same, --different, --unsure")
        requests = [make_request(*args.keys, args.decision, args.by or "", args.reason or "",
                                 sources)]
    home = Path(args.home).resolve()
    judged = with_evidence(requests, published_warehouse(home))
    with open_store(home, create=True) as engine:
        ids = append(engine, judged)
    decisions = [j.decision for j in judged]
    record(home, "judgement", detail={"judgement_ids": ids, "count": len(ids),
                                      **{d: decisions.count(d) for d in DECISIONS}})
    decided = {d: sum(j.decision == d for j in judged) for d in ("same", "different", "unsure")}
    unscored = sum(j.match_probability is None for j in judged)
    stored = (f"foto judge: {len(ids)} judgement(s) stored (id {_id_span(ids)}): "
              + ", ".join(f"{n} {d}" for d, n in decided.items())
              + f"; {unscored} pair(s) never scored by the model")
    if args.later:
        console.print(f"{stored}. They take effect at the next `foto judge` or run.")
        return 0
    code, said = republish(home, _config_file(args))
    console.print(f"{stored}; {said}")
    return code


def republish(home: Path, config_file: str | None = None) -> tuple[int, str]:
    """Re-publish the persons the stored judgements touch (job `on_judgement` on `home`'s
    Dagster instance): (exit status, one line saying what it did: counts, person ids and
    seconds, never a key, a name or a reason). `foto judge` calls it after storing; so may
    any other door to the store (the review page), with the configuration file it runs with.
    Exit status 0 also when nothing needed publishing; 1 when the gate held it (the judgement
    stays stored: the next run applies it); 2 when the run failed."""
    import time

    from assets.resources import FotoPaths
    from foto.summary import RunOutcome
    from publish.judgement_flow import nothing_to_do

    paths = FotoPaths(home=str(home), date="", config=config_file or str(config_path(None)))
    started = time.perf_counter()
    idle = nothing_to_do(home, paths.match_model(), paths.foto_config())
    if idle is None:
        outcome = run_job("on_judgement", paths, tags={"foto/judgement": "republish"})
        d = outcome.details
    else:   # no job for nothing (no publication, nothing new, one that cannot be re-formed)
        outcome, d = RunOutcome(run_id="", status="succeeded"), idle.metadata()
    seconds = time.perf_counter() - started
    status = d.get("status")
    if status == "published":
        shown = str(d.get("person_ids") or "")
        reformed = int(d.get("persons_reformed") or 0)
        ids = f" ({shown}{', ...' if reformed > shown.count(',') + 1 else ''})" \
            if shown else ""
        return 0, (f"re-published: {reformed} person(s) re-formed{ids}, "
                   f"{d.get('sheets_rendered', 0)} sheet(s) in {seconds:.1f} s "
                   f"(publication {d.get('publication')})")
    if status == "current":
        return 0, "nothing to re-publish: the current publication holds every judgement"
    if status in ("no_publication", "stale_publication"):
        return 0, f"not re-published now ({str(status).replace('_', ' ')}): the next run " \
                  "applies them"
    if status == "blocked":
        return 1, ("not re-published: the gate held the re-formed persons (see the quality "
                   "report); the judgements stay stored")
    for error in outcome.errors:
        console.print(error)
    return 2, (f"not re-published: run {outcome.run_id} FAILED "
               f"({', '.join(outcome.failed_steps) or '?'}); the judgements stay stored")


REVIEW_PORT = 8471   # `foto serve` takes 8470 (shared/contracts/SOURCES.md)


def cmd_review(args: argparse.Namespace) -> int:
    """Serve the review page on 127.0.0.1 until interrupted; prints its address with this
    start's token, once. uvicorn's access log is off (addresses hold record ids, and nothing
    of the page is logged)."""
    import uvicorn

    from stores.publications import current_publication
    from web.app import Access
    from web.review import create_review_app

    home = Path(args.home).resolve()
    publication = current_publication(home)
    if publication is None or not (publication / "warehouse.duckdb").exists():
        console.print("foto review: no publication in this home yet: run `foto run` first")
        return 2
    if not _port_free(args.port):
        console.print(f"foto review: port {args.port} on 127.0.0.1 is in use: give another "
                      "with --port")
        return 2
    access = Access()
    config_file = _config_file(args)
    app = create_review_app(home, reviewer=args.by, access=access,
                            after_judgement=lambda _ids: republish(home, config_file)[1])
    console.print(f"foto review: open {access.url(args.port)} (for this start only; "
                  "Ctrl+C ends it). Each decision re-publishes the persons it touches.")
    uvicorn.run(app, host="127.0.0.1", port=args.port, access_log=False, log_level="warning",
                server_header=False, date_header=False)
    return 0


SERVE_PORT = 8470


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the triage photo behind a login until interrupted (users: `foto user add`).
    uvicorn's access log is off and its own lines are warnings only: an address holds a
    person id, and nothing of a page is logged (the audit log records who looked)."""
    import uvicorn

    from stores.publications import current_publication
    from web.serve import create_serve_app

    home = Path(args.home).resolve()
    if current_publication(home) is None:
        console.print("foto serve: no publication in this home yet: run `foto run` first")
        return 2
    if not _port_free(args.port, args.host):
        console.print(f"foto serve: port {args.port} on {args.host} is in use: give another "
                      "with --port")
        return 2
    config_file = _config_file(args)
    config = load_config(config_file)
    app = create_serve_app(home, config.access, config.serve,
                           after_judgement=lambda _ids: republish(home, config_file)[1])
    console.print(f"foto serve: open http://{args.host}:{args.port}/login (Ctrl+C ends it)")
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="warning",
                server_header=False, date_header=False)
    return 0


def _port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether `host`:`port` can be bound now (uvicorn would otherwise fail after start)."""
    import socket

    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _id_span(ids: list[int]) -> str:
    """`7`, `7-9` for a run of ids (one transaction hands them out in a row), else a list."""
    if len(ids) > 1 and ids == list(range(ids[0], ids[-1] + 1)):
        return f"{ids[0]}-{ids[-1]}"
    return ", ".join(map(str, ids))


class FotoParser(argparse.ArgumentParser):
    """argparse, but an argument it does not know is counted, not quoted: it may be a record
    key, a reviewer's name or a reason typed in the wrong place (`foto judge ... --by Anna de
    Vries` without quotes)."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments:"):
            extra = len(message.removeprefix("unrecognized arguments:").split())
            message = (f"{extra} unrecognized argument(s), not shown (quote a value with "
                       "spaces)")
        super().error(message)


def parser() -> argparse.ArgumentParser:
    p = FotoParser(prog="foto", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=None, metavar="FILE.json",
                        help="configuration file (default: $FOTO_CONFIG, else the committed "
                             "config/foto.json)")
    sub = p.add_subparsers(dest="command", required=True)
    for name, func, text in (
            ("run", cmd_run, "nightly job on one delivery (default: the newest); a date after "
                             "the published one first runs the deliveries in between"),
            ("train", cmd_train, "train a new matching model on a delivery and make it this "
                                 "home's current model")):
        s = sub.add_parser(name, help=text, description=text, parents=[common])
        s.add_argument("--inbox", default=DEFAULT_INBOX,
                       help=f"folder of deliveries (default: {DEFAULT_INBOX})")
        s.add_argument("--home", default=DEFAULT_HOME,
                       help=f"folder a run writes to (default: {DEFAULT_HOME})")
        s.add_argument("--date", default="",
                       help="YYYY-MM-DD, a delivery folder of the inbox (default: the newest)")
        s.set_defaults(func=func)
        s.add_argument("--accept", action="append", metavar="SUITE.METRIC",
                       help="let this failed expectation pass for this run, after checking "
                            "that the delivery really is so (recorded as waived)")
        if name == "run":
            s.add_argument("--engine", choices=ENGINES, default="duckdb",
                           help="where Splink scores and clusters: duckdb (default) or spark "
                                "(the configuration's `spark` section; docs/scale.md)")
    s = sub.add_parser("arrest", help="bring one arrested person's photo up to date",
                       parents=[common])
    s.add_argument("file", type=Path)
    s.add_argument("--home", default=DEFAULT_HOME,
                   help=f"folder a run writes to (default: {DEFAULT_HOME})")
    s.set_defaults(func=cmd_arrest)
    s = sub.add_parser("rollback", help="make the previous publication current again",
                       parents=[common])
    s.add_argument("--home", default=DEFAULT_HOME,
                   help=f"folder a run writes to (default: {DEFAULT_HOME})")
    s.set_defaults(func=cmd_rollback)
    s = sub.add_parser("judge", help="store people's decisions on record pairs (they outlive "
                                     "every run and override the model)", parents=[common])
    s.add_argument("keys", nargs="*", metavar="SOURCE:RECORD_ID",
                   help="the two records, e.g. police:PL-2026001234-01")
    decision = s.add_mutually_exclusive_group()
    for name in ("same", "different", "unsure"):
        decision.add_argument(f"--{name}", dest="decision", action="store_const", const=name)
    s.add_argument("--by", default=None, metavar="WHO", help="who decides")
    s.add_argument("--reason", default=None, metavar="TEXT",
                   help="why: free text or a case reference")
    s.add_argument("--file", type=Path, default=None, metavar="JUDGEMENTS.csv",
                   help="many judgements: columns left,right,decision,by,reason (all or none "
                        "are stored)")
    s.add_argument("--later", action="store_true",
                   help="store only (bulk scripts): the next `foto judge` or run applies them")
    s.add_argument("--home", default=DEFAULT_HOME,
                   help=f"folder a run writes to (default: {DEFAULT_HOME})")
    s.set_defaults(func=cmd_judge, decision=None)
    s = sub.add_parser("review", help="the review queue as a page on 127.0.0.1, to decide "
                                      "pairs by button or key", parents=[common])
    s.add_argument("--home", default=DEFAULT_HOME,
                   help=f"folder a run writes to (default: {DEFAULT_HOME})")
    s.add_argument("--port", type=int, default=REVIEW_PORT,
                   help=f"port on 127.0.0.1 (default: {REVIEW_PORT})")
    s.add_argument("--by", default=None, metavar="NAME",
                   help="who decides (default: the page asks for a name)")
    s.set_defaults(func=cmd_review)
    s = sub.add_parser("serve", help="the triage photo behind a login (users: `foto user add`)",
                       parents=[common])
    s.add_argument("--home", default=DEFAULT_HOME,
                   help=f"folder a run writes to (default: {DEFAULT_HOME})")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default: "
                                                       "127.0.0.1)")
    s.add_argument("--port", type=int, default=SERVE_PORT,
                   help=f"port (default: {SERVE_PORT})")
    s.set_defaults(func=cmd_serve)
    add_parsers(sub, common, DEFAULT_HOME)
    add_erase_parser(sub, common, DEFAULT_HOME)
    add_worker_parser(sub, common, DEFAULT_HOME, DEFAULT_INBOX)
    return p


# Commands that write the photo's data under the home or show it, and what each is refused as
# when the home is configured to be on an encrypted volume and is not seen to be: with the
# exit status of a held run (1), or of a server that could not start (2).
AT_REST_REFUSALS = {"run": ("publishing", 1), "train": ("training", 1),
                    "arrest": ("publishing", 1), "judge": ("publishing", 1),
                    "rollback": ("publishing", 1), "review": ("serving", 2),
                    "serve": ("serving", 2)}


def at_rest_refusal(args: argparse.Namespace) -> int | None:
    """Refuse a command that would write or show the photo in a home configured
    `encryption.at_rest = "volume"` that is not seen on an encrypted volume (`stores.at_rest`),
    before it writes anything: its exit status, or None to go on. The publication checks again
    (a run started by the Dagster daemon never comes through here)."""
    from stores.at_rest import HomeNotEncrypted, refuse_unencrypted

    if args.command not in AT_REST_REFUSALS:
        return None
    doing, code = AT_REST_REFUSALS[args.command]
    try:
        refuse_unencrypted(Path(args.home).resolve(), load_config(args.config).encryption,
                           doing=doing)
    except HomeNotEncrypted as refused:
        console.print(f"foto {args.command}: {refused}")
        return code
    return None


def _served_by_worker(args: argparse.Namespace) -> bool:
    """`foto arrest` with the home's worker running: the worker made its home owner-only when
    it started, and this process only hands the file over (owner-only, by its umask), so the
    walk over every file of the home (most of a second at a million persons) is left out. Should
    the worker be gone by the time of the hand-off, the arrest runs here after the walk after
    all (`cmd_arrest`)."""
    from publish.arrest_worker import worker_running

    return args.command == "arrest" and worker_running(Path(args.home).resolve())


def main(argv: list[str] | None = None) -> int:
    """Run one command; any error ends in one line that holds no value from a delivery (its
    text only when foto wrote it, else its type and an error id) and exit status 2."""
    args = parser().parse_args(argv)
    try:
        # checked before the home is touched: a wrong key writes nothing; the retention terms
        # name sources and kinds, checked against the registry as the rest of the file
        config = load_config(args.config)
        resolve_terms(config, list(registry()))
    except ConfigError as err:
        console.print(f"foto {args.command}: {err}")
        return 2
    try:
        if not getattr(args, "home", None):
            return args.func(args)
        args.home_secured = not _served_by_worker(args)
        if args.home_secured:
            secure_home(Path(args.home))
        else:
            os.umask(OWNER_ONLY_UMASK)
        refused = at_rest_refusal(args)
        if refused is not None:
            return refused
        # DuckDB outside the Dagster steps (an arrest, a judgement, the review page) spills
        # under the home too, held to the budget (stores.duck)
        with spilling_under(Path(args.home).resolve(), config.duckdb.memory_limit):
            return args.func(args)
    except Exception as err:  # noqa: BLE001 - every error is told the same, scrubbed way
        from assets.scrub import error_key, safe_text

        home = getattr(args, "home", None)
        key = error_key(Path(home).resolve()) if home and Path(home).is_dir() else None
        console.print(f"foto {args.command}: {safe_text(err, key)}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
