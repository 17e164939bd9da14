"""`foto erase SOURCE:RECORD_ID --by WHO --reason TEXT` and `foto erase --list`: a record that
may no longer be used leaves the photo at once and every kept file under the home.

The key is checked by the rules `foto judge` uses (`judgements.intake.parse_key`: a registered
source, a plain record id) before anything is written. Then the record goes on the suppression
list (`judgements.suppressions`, with who and the reason as typed), the request into the audit
log (ids only), the evidence snapshots of judgements about it erased
(`judgements.store.redact_evidence`: the judgements themselves lie dormant), and the current
publication is re-formed without it by the job
`on_judgement` (`publish.judgement_flow`), which then removes the kept publications and build
folders that still hold it. Every later run withholds it, until a delivery no longer carries
it. What this prints: ids, counts and publication names, never a value or the reason.
"""

from __future__ import annotations

import argparse
from pathlib import Path

KEY_PLACE = "SOURCE:RECORD_ID"


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
               default_home: str) -> None:
    s = sub.add_parser("erase", parents=[common],
                       help="a record that may no longer be used: out of the photo and every "
                            "kept file now, withheld from every later run")
    s.add_argument("key", nargs="?", metavar=KEY_PLACE,
                   help="the record, e.g. police:PL-2026001234-01")
    s.add_argument("--by", default=None, metavar="WHO", help="who orders the erasure")
    s.add_argument("--reason", default=None, metavar="TEXT",
                   help="why: the order, request or case reference")
    s.add_argument("--list", action="store_true",
                   help="show the open suppressions (ids, who, when)")
    s.add_argument("--home", default=default_home,
                   help=f"folder a run writes to (default: {default_home})")
    s.set_defaults(func=cmd_erase)


def cmd_erase(args: argparse.Namespace) -> int:
    # imported here, not at the top: building the command line's parser stays light
    from audit.log import record
    from audit.store import as_id
    from foto.cli import console
    from judgements.intake import JudgementRefused, parse_key
    from judgements.store import redact_evidence
    from judgements.suppressions import suppress
    from sources.registry import registry

    if args.list:
        if args.key or args.by is not None or args.reason is not None:
            raise JudgementRefused("--list takes no key, --by or --reason")
        return _list(Path(args.home).resolve(), console)
    key = parse_key(args.key or "", registry().names(), KEY_PLACE)
    by, reason = (args.by or "").strip(), (args.reason or "").strip()
    if not by:
        raise JudgementRefused("--by: empty (say who orders the erasure)")
    if not reason:
        raise JudgementRefused("--reason: empty (give the order or a case reference)")
    home = Path(args.home).resolve()
    entry = suppress(home, key, by, reason)
    redacted = redact_evidence(home, [key])
    record(home, "erase", detail={"suppression_id": entry, "source": key.source,
                                  "record_id": as_id(key.record_id),
                                  "judgements_redacted": redacted})
    console.print(f"foto erase: suppression {entry} recorded; every later run withholds the "
                  f"record; {redacted} judgement(s) about it lie dormant, their evidence "
                  "snapshot erased")
    code, said = _republish(home, args)
    console.print(said)
    return code


def _list(home: Path, console) -> int:
    from judgements.suppressions import entries

    shown = entries(home)
    console.print(f"{len(shown)} open suppression(s)")
    for e in shown:
        console.print(f"{e.id}\t{e.key.unique_id}\t{e.suppressed_by}\t"
                      f"{e.suppressed_at.isoformat(timespec='seconds')}")
    return 0


def _republish(home: Path, args: argparse.Namespace) -> tuple[int, str]:
    """Re-form the current publication without the record (job `on_judgement`), then sweep
    the kept copies (also when no job was needed); (exit status, one line of counts)."""
    from assets.resources import FotoPaths
    from foto.cli import _config_file, run_job
    from foto.summary import RunOutcome
    from judgements.suppressions import suppressed
    from publish.erasure import forget_arrests, purge_kept
    from publish.judgement_flow import nothing_to_do

    paths = FotoPaths(home=str(home), date="", config=_config_file(args))
    idle = nothing_to_do(home, paths.match_model(), paths.foto_config())
    if idle is None:
        outcome = run_job("on_judgement", paths, tags={"foto/judgement": "erase"})
        d = outcome.details
    else:
        outcome, d = RunOutcome(run_id="", status="succeeded"), idle.metadata()
    status = str(d.get("status") or "failed")
    keys = suppressed(home)
    swept = purge_kept(home, keys, forget_arrests(home, keys)) \
        if status in ("published", "current", "no_publication") else None
    removed = int(d.get("publications_removed") or 0) + (len(swept.publications) if swept
                                                         else 0)
    builds = int(d.get("builds_removed") or 0) + (swept.builds if swept else 0)
    kept = (f"{removed} kept publication(s) removed (rollback to them is no longer "
            f"possible), {builds} build folder(s) removed")
    if swept is not None and swept.busy:
        kept += f", {swept.busy} build folder(s) in use (swept at the next erasure or run)"
    if status == "published":
        return 0, (f"re-published without the record: {d.get('persons_reformed', 0)} "
                   f"person(s) re-formed (publication {d.get('publication')}); {kept}")
    if status in ("current", "no_publication"):
        return 0, f"the current publication does not hold the record; {kept}"
    if status == "stale_publication":
        return 1, (f"not re-published ({d.get('status')}): {idle.message if idle else ''}; "
                   "run `foto run` now to publish without it")
    if status == "blocked":
        return 1, ("not re-published: the gate held the re-formed persons (see the quality "
                   "report); the record stays suppressed, run `foto run` to publish without "
                   "it")
    from foto.cli import console

    for error in outcome.errors:
        console.print(error)
    return 2, (f"not re-published: run {outcome.run_id} FAILED "
               f"({', '.join(outcome.failed_steps) or '?'}); the record stays suppressed")
