"""The commands of who may see whom: `foto user add|disable` and `foto audit
verify|person|export|prune` (issue 16). Kept apart from `foto.cli`'s data commands: these read
a password and answer a privacy officer; they never start a Dagster run.

A password is read from standard input only, never taken as an argument (an argument shows in
`ps`, in the shell's history and in logs): typed without echo at a terminal (twice), else the
first line of a pipe. What these commands print holds user names, ids, counts and hashes.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import date
from pathlib import Path

from rich.console import Console

from access.roles import ROLES
from config import load_config

# The accounts' and the audit log's stores (SQLAlchemy) are imported by the commands that use
# them: building the command line's parser must not load them (`foto arrest` hands a file to
# the worker in well under a second).

console = Console(stderr=False, highlight=False, soft_wrap=True, markup=False)


def read_password(stdin=None) -> str:
    """The new password: from the terminal without echo (asked twice), else one line of
    standard input (a pipe from a password manager)."""
    from access.users import AccessRefused

    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass("password: ")
        if first != getpass.getpass("again: "):
            raise AccessRefused("the two passwords differ")
        return first
    return stdin.readline().rstrip("\r\n")


def cmd_user_add(args: argparse.Namespace) -> int:
    from access.users import add_user

    rules = load_config(args.config).access
    user = add_user(Path(args.home).resolve(), args.name, args.role, read_password(), rules)
    console.print(f"user {user.name} added with role {user.role}")
    return 0


def cmd_user_disable(args: argparse.Namespace) -> int:
    from access.users import disable_user

    disable_user(Path(args.home).resolve(), args.name)
    console.print(f"user {args.name} disabled")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Exit 0 only when the chain is whole; else name the first broken entry (exit 1)."""
    from audit.log import verify_export, verify_home

    check = verify_export(args.file) if args.file else verify_home(Path(args.home).resolve())
    where = f"entries {check.first_id}-{check.head_id}" if check.entries else "no entries"
    if check.whole:
        console.print(f"audit log whole: {check.entries} entries ({where}); head hash "
                      f"{check.head_hash or '-'}")
        return 0
    console.print(f"audit log BROKEN at entry {check.broken_id}: {check.why} "
                  f"({check.entries} entries before it verified)")
    return 1


def cmd_audit_person(args: argparse.Namespace) -> int:
    """Who did what about a person, when and why (a data subject's request)."""
    from audit.log import person_entries, record
    from audit.store import as_id

    home = Path(args.home).resolve()
    seen = person_entries(home, as_id(args.person_id))
    record(home, "access_report", person_id=as_id(args.person_id),
           detail={"entries": len(seen)})
    if not seen:
        console.print(f"no entries about {args.person_id}")
        return 0
    for e in seen:
        console.print(f"{e.at:%Y-%m-%d %H:%M:%S} UTC  {e.action:<11} {e.who} ({e.role})  "
                      f"purpose: {e.purpose or '-'}  publication: {e.publication or '-'}  "
                      f"entry {e.id}")
    return 0


def cmd_audit_export(args: argparse.Namespace) -> int:
    from audit.log import export, record

    start, end = date.fromisoformat(args.from_), date.fromisoformat(args.to)
    if end < start:
        console.print("foto audit export: --to is before --from")
        return 2
    home = Path(args.home).resolve()
    if args.out is None:
        count = export(home, start, end, sys.stdout, args.format or "jsonl")
        record(home, "export", detail={"from": start.isoformat(), "to": end.isoformat(),
                                       "entries": count})
    else:
        fmt = args.format or ("csv" if args.out.suffix == ".csv" else "jsonl")
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            count = export(home, start, end, out, fmt)
        record(home, "export", detail={"from": start.isoformat(), "to": end.isoformat(),
                                       "entries": count})
        console.print(f"{count} entries of {start} to {end} written to {args.out} "
                      f"(verify with: foto audit verify --file {args.out})")
    return 0


def cmd_audit_prune(args: argparse.Namespace) -> int:
    from audit.log import prune_home

    keep = load_config(args.config).audit.keep_years
    entry = prune_home(Path(args.home).resolve(), keep)
    console.print(f"audit log pruned (entries older than {keep} years): logged as entry "
                  f"{entry.id}: {entry.detail}")
    return 0


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                default_home: str) -> None:
    """`foto user ...` and `foto audit ...` on the command line's parser."""
    def command(group: argparse._SubParsersAction, name: str, text: str, func,
                *positional: str) -> argparse.ArgumentParser:
        s = group.add_parser(name, help=text, description=text, parents=[common])
        for arg in positional:
            s.add_argument(arg)
        s.add_argument("--home", default=default_home,
                       help=f"the home (default: {default_home})")
        s.set_defaults(func=func)
        return s

    users = sub.add_parser("user", help="manage the accounts that may log in",
                           parents=[common]).add_subparsers(dest="user_command", required=True)
    command(users, "add", "add an account; the password is read from standard input",
            cmd_user_add, "name").add_argument("--role", required=True, choices=list(ROLES))
    command(users, "disable", "disable an account (it stays, for the audit log)",
            cmd_user_disable, "name")

    audits = sub.add_parser("audit", help="check and read the audit log",
                            parents=[common]).add_subparsers(dest="audit_command",
                                                             required=True)
    command(audits, "verify", "recompute the hash chain; exit 0 only when whole",
            cmd_audit_verify).add_argument(
        "--file", type=Path, default=None,
        help="check an export (JSON lines or .csv) instead of the home's log")
    command(audits, "person", "who viewed this person, when and why", cmd_audit_person,
            "person_id")
    s = command(audits, "export", "write a period's entries with their hashes",
                cmd_audit_export)
    s.add_argument("--from", dest="from_", required=True, metavar="YYYY-MM-DD")
    s.add_argument("--to", required=True, metavar="YYYY-MM-DD")
    s.add_argument("--out", type=Path, default=None,
                   help="file to write (.csv: CSV, else JSON lines; default: standard output)")
    s.add_argument("--format", choices=["jsonl", "csv"], default=None)
    command(audits, "prune", "remove entries older than the configured term "
                             "(audit.keep_years), as a logged action", cmd_audit_prune)
