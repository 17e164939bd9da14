"""The audit log's door for every caller: record an entry, check the chain, answer the privacy
officer (who viewed a person, a period for the supervisor), prune by the configured term.

Actions taken by foto itself (a run, a publication, a rollback, an arrest) are recorded under
the operating-system account that ran them, role `service`: the nightly daemon and an operator
at the command line are both that account. A person's own actions (a login, a view, a
judgement through the server) carry their user name and role.
"""

from __future__ import annotations

import csv
import getpass
import hashlib
import hmac
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from audit import store
from audit.chain import GENESIS, ChainCheck, Entry, moment, verify
from stores.keys import home_key

SERVICE_ROLE = "service"
SEARCH_KEY = "search_hash"
# The looks that showed someone a person's data: a sheet opened (with its purpose) and a review
# item shown to an analyst (two records side by side). The access report lists these.
VIEW_ACTIONS = frozenset({"view", "review_view"})


def service_actor() -> str:
    """The account foto's own actions are recorded under (`os:<login name>`)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = str(os.getuid())
    token = re.sub(r"[^A-Za-z0-9_.@-]", "_", name)[:60] or "unknown"
    return f"os:{token}"


def record(home: Path, action: str, *, who: str | None = None, role: str | None = None,
           person_id: str | None = None, purpose: str | None = None,
           publication: str | None = None, detail: dict[str, Any] | None = None) -> Entry:
    """Append one entry to the home's log (created on first use); without `who`, foto's own
    action under the service account."""
    with store.open_log(home, create=True) as engine:
        return store.append(engine, who or service_actor(), role or SERVICE_ROLE, action,
                            person_id=person_id, purpose=purpose, publication=publication,
                            detail=detail)


def search_hash(home: Path, search: str) -> str:
    """A search text as the log keeps it: HMAC-SHA256 under the home's search-hash key, of the
    text normalised (NFKC, case-folded, spaces collapsed), so the same search gives the same
    hash and the text cannot be read back nor guessed without the key."""
    normal = " ".join(unicodedata.normalize("NFKC", search).casefold().split())
    return hmac.new(home_key(home, SEARCH_KEY), normal.encode("utf-8"),
                    hashlib.sha256).hexdigest()


def verify_home(home: Path) -> ChainCheck:
    """Recompute the home's whole chain, from its start or from the last prune's anchor."""
    with store.open_log(home) as engine:
        if engine is None:
            return ChainCheck(0, None, None, None)
        return verify(store.entries(engine), _first_prev(engine))


def _first_prev(engine: Any) -> str:
    """What the oldest kept entry must follow: GENESIS when it is entry 1, else the anchor the
    newest prune recorded for it (a mismatch is then reported at that entry)."""
    first = store.oldest_id(engine)
    if first is None or first == 1:
        return GENESIS
    pruned = store.last_prune(engine)
    if pruned is None:
        return GENESIS
    said = json.loads(pruned.detail)
    return said.get("anchor", GENESIS) if said.get("first_kept_id") == first else GENESIS


def person_entries(home: Path, person_id: str) -> list[Entry]:
    """Every entry about `person_id` (views with their purpose, arrests, ...), oldest first."""
    with store.open_log(home) as engine:
        return [] if engine is None else list(store.entries(engine, person_id=person_id))


def newest_entries(home: Path, limit: int, before_id: int | None = None) -> list[Entry]:
    """One page of the log, newest first (`foto serve`'s audit page)."""
    with store.open_log(home) as engine:
        return [] if engine is None else store.newest(engine, limit, before_id)


def period(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00 UTC, the day after end 00:00 UTC): both dates inclusive."""
    if end < start:
        raise ValueError("--to is before --from")
    return (datetime.combine(start, time(), UTC),
            datetime.combine(end + timedelta(days=1), time(), UTC))


def export(home: Path, start: date, end: date, out: Any, fmt: str) -> int:
    """Write the entries of [start, end] (UTC dates, inclusive) to the open text file `out` as
    JSON lines or CSV, with their hashes; returns the count."""
    since, before = period(start, end)
    with store.open_log(home) as engine:
        rows = [] if engine is None else store.entries(engine, since=since, before=before)
        return write_entries(rows, out, fmt)


def write_entries(rows: Iterable[Entry], out: Any, fmt: str) -> int:
    count = 0
    writer = csv.DictWriter(out, fieldnames=list(Entry.__dataclass_fields__)) \
        if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    for entry in rows:
        row = asdict(entry) | {"at": moment(entry.at)}
        if writer is not None:
            writer.writerow(row)
        else:
            out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count


def read_export(path: Path) -> Iterator[Entry]:
    """The entries of an export written by `export` (CSV by its .csv suffix, else JSON lines)."""
    with path.open(encoding="utf-8", newline="") as f:
        if path.suffix == ".csv":
            rows: Iterable[dict[str, Any]] = csv.DictReader(f)
        else:
            rows = (json.loads(line) for line in f if line.strip())
        for row in rows:
            yield Entry(id=int(row["id"]), at=datetime.fromisoformat(row["at"]),
                        who=row["who"], role=row["role"], action=row["action"],
                        person_id=row["person_id"] or None, purpose=row["purpose"] or None,
                        publication=row["publication"] or None, detail=row["detail"],
                        prev_hash=row["prev_hash"], hash=row["hash"])


def verify_export(path: Path) -> ChainCheck:
    """Check an exported period as a chain in itself (its first entry's predecessor is not in
    it: that link is checked against the previous period's last hash by whoever holds both)."""
    return verify(read_export(path), None)


def cutoff(keep_years: int, now: datetime | None = None) -> datetime:
    """The moment `keep_years` years before `now` (29 February falls back to the 28th)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    try:
        return now.replace(year=now.year - keep_years)
    except ValueError:
        return now.replace(year=now.year - keep_years, day=28)


def prune_home(home: Path, keep_years: int, who: str | None = None,
               role: str | None = None, now: datetime | None = None) -> Entry:
    """Remove the entries older than the term, as a logged action (see `store.prune`)."""
    with store.open_log(home, create=True) as engine:
        return store.prune(engine, cutoff(keep_years, now), who or service_actor(),
                           role or SERVICE_ROLE, now=now)
