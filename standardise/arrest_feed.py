"""The police extract plus the on-arrest feed, for the nightly run.

Which arrest is the same registration as a row of the extract is decided on the standardised
identity fields (`sources.arrests.IDENTITY_FIELDS`), by the same SQL as a delivery, so this
sits one layer above the readers: it reads with `sources.arrests` and compares with the
standardisation rules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from sources.arrests import (
    IDENTITY_FIELDS,
    ArrestError,
    arrest_as_police_row,
    arrested_at,
    content_hash,
    display_name,
    identity_differences,
    local_day,
    read_arrest,
    register_police_rows,
)
from sources.common import ParseResult, QuarantineLog
from sources.police import COLUMNS, SOURCE
from standardise.rules import prepare, std_sql
from stores.duck import open_duckdb
from stores.sql import Fragment, Identifier, fill


def identities(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """The standardised identity columns of police rows (extract layout), in row order, by
    the same SQL as a delivery, so that both sides of a comparison are read alike."""


    columns = sorted({c for cols in IDENTITY_FIELDS.values() for c in cols})
    frame = rows[COLUMNS].reset_index(drop=True)
    frame["record_id"] = [str(i) for i in range(len(frame))]   # row order, not the id
    con = open_duckdb()
    try:
        prepare(con)
        register_police_rows(con, frame)
        got = con.sql(fill("SELECT CAST(record_id AS INTEGER) AS n, {cols} FROM ({std}) ORDER BY n",
                           cols=Fragment(", ".join(Identifier(c).sql() for c in columns)),
                           std=Fragment(std_sql("police"))))
        names = [d[0] for d in got.description]
        return [dict(zip(names[1:], r[1:], strict=True)) for r in got.fetchall()]
    finally:
        con.close()


def with_arrests(result: ParseResult, arrests_dir: Path, delivery_date: str) -> ParseResult:
    """The police extract plus the on-arrest feed up to the delivery date, so that an arrest
    published during the day is part of the next nightly photo and never lost.

    Every arrest file read is accepted, quarantined or withheld, so counts add up:
    - refused by the contract (`read_arrest`): quarantined with its file, field and reason;
    - its record id held by the extract with the same identity: withheld (`arrest_in_extract`,
      the extract's row is the police's own registration); with another identity: quarantined
      as a conflict (never laid on the extract's person);
    - several arrest files under one arrest id or one record id: the same content once, the
      rest withheld (`arrest_duplicate`); other content: every one of them quarantined as a
      conflict, since which one is right cannot be known here.
    Arrests after the delivery day are left for a later run (not counted)."""
    if result.file_error or not arrests_dir.is_dir():
        return result
    log = _ArrestLog()
    read, taken = 0, []
    for path in sorted(arrests_dir.glob("*.json")):
        try:
            arrest = read_arrest(path)
        except ArrestError as err:
            read += 1
            log.add(path, None, err.field, err.reason)
            continue
        if local_day(arrested_at(arrest)).isoformat() > delivery_date:
            continue   # after this delivery: a later run takes it
        read += 1
        taken.append((path, arrest))
    if not read:
        return result
    rows, withheld = _sort_arrests(result, taken, log)
    accepted = pd.concat([result.accepted, *rows], ignore_index=True) if rows \
        else result.accepted
    counts = dict(result.withheld)
    for reason, n in withheld.items():
        if n:
            counts[reason] = counts.get(reason, 0) + n
    quarantine = pd.concat([result.quarantine, log.frame()], ignore_index=True)
    return ParseResult(SOURCE, result.file, accepted, quarantine, result.rows_read + read,
                       result.file_error, counts)


def _sort_arrests(result: ParseResult, taken: list[tuple[Path, dict]], log: _ArrestLog
                  ) -> tuple[list[pd.DataFrame], dict[str, int]]:
    """Accept, withhold or quarantine (as conflicts) the arrests that passed the contract."""
    withheld = {"arrest_in_extract": 0, "arrest_duplicate": 0}
    if not taken:
        return [], withheld
    rows = [arrest_as_police_row(a) for _, a in taken]
    mine = identities(pd.concat(rows, ignore_index=True))
    extract = result.accepted
    held = extract[extract["record_id"].isin({a["record_id"] for _, a in taken})] \
        if not extract.empty else extract
    theirs = dict(zip(held["record_id"], identities(held), strict=True)) \
        if not held.empty else {}
    hashes: dict[str, set[str]] = {}
    persons: dict[str, set[str]] = {}
    for (_, arrest), identity in zip(taken, mine, strict=True):
        hashes.setdefault(arrest["arrest_id"], set()).add(content_hash(arrest))
        persons.setdefault(arrest["record_id"], set()).add(json.dumps(identity, default=str))
    accepted, seen = [], set()
    for (path, arrest), identity, row in zip(taken, mine, rows, strict=True):
        rid = arrest["record_id"]
        if len(hashes[arrest["arrest_id"]]) > 1:
            log.add(path, rid, "arrest_id", f"arrest id {arrest['arrest_id']} "
                    "occurs in another arrest file with other content (conflict)")
        elif rid in theirs and identity_differences(identity, theirs[rid]):
            diff = identity_differences(identity, theirs[rid])
            log.add(path, rid, "record_id", f"record id {rid} is held by the "
                    f"police extract with other content in {diff} (conflict)")
        elif rid in theirs:
            withheld["arrest_in_extract"] += 1
        elif len(persons[rid]) > 1:
            log.add(path, rid, "record_id", f"record id {rid} occurs in another "
                    "arrest file about another person (conflict)")
        elif rid in seen:
            withheld["arrest_duplicate"] += 1
        else:
            seen.add(rid)
            row = row.copy()
            row["_line"], row["_raw"] = 1, None
            accepted.append(row)
    return accepted, withheld


class _ArrestLog:
    """Quarantined arrest files, each under its own file name (`arrests/<name>`, line 1)."""

    def __init__(self) -> None:
        self._logs: list[QuarantineLog] = []

    def add(self, path: Path, record_id: str | None, field_name: str, reason: str) -> None:
        log = QuarantineLog(SOURCE, f"arrests/{display_name(path)}")
        log.add(1, record_id, field_name, reason)
        self._logs.append(log)

    def frame(self) -> pd.DataFrame:
        frames = [log.frame() for log in self._logs]
        return pd.concat(frames, ignore_index=True) if frames else QuarantineLog(
            SOURCE, "arrests").frame()
