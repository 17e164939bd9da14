"""Evidence snapshots of records gone from the photo go after a term (issue 17).

A snapshot (`judgements.evidence`) is overwritten past its record's destroy term
(`judgements.snapshot_terms`). Not every record has one: the BRP has no term by date (a
registration is used while the BRP delivers it), a source's rule may give no date, and a
snapshot made before terms were kept has none to go by. Without more, the values of such a
record, once no longer delivered, would stay in `<home>/judgements.sqlite` as long as the
judgement: for ever. So every record a snapshot shows follows one more rule, whatever its
terms: once it has been out of the published photo for `retention.evidence_days_after_gone`
days, the values of every snapshot showing it are overwritten, the way the destroy term does
(`judgements.store.redact_evidence`, marker `GONE_PAST_TERM`, the file scrubbed); the
judgement itself (ids, decision, who, when, why) stays, dormant: a record not in the photo is
matched to no one.

The clock is the store's `record_seen` table (ids and delivery dates, kept only for records a
snapshot still shows), set after each publication, "today" being the delivery date the
publication is of: a record in the photo was last published today; one not in it keeps the
day it was last published, and the first day it was missed. A record no publication was seen
holding since the clock was kept (a snapshot made before, of a record already gone) is counted
from the first publication that sees it absent. A record that comes back before the term
starts again. What is "in the photo" is the publication's `record_terms` (every accepted
record, with or without dates); a publication without it cannot tell, and then no clock moves
and nothing is overwritten (counted `unknown`).
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Connection, delete, insert, inspect, select, update

from judgements.snapshot_terms import Redacted, overwritten, publication_terms
from judgements.store import (
    GONE_PAST_TERM,
    RecordKey,
    judgement,
    open_store,
    record_seen,
    redact_evidence,
    snapshots,
)

# A record's clock: (last_published, missed_since), either may be None (not both).
Clock = tuple[date | None, date | None]


def shown(stored: Iterable[tuple[int, RecordKey, RecordKey, object]]) -> set[RecordKey]:
    """The records whose values a snapshot still holds (one not yet overwritten)."""
    return {key for _, left, right, evidence in stored
            if isinstance(evidence, dict) and not overwritten(evidence)
            for key in (left, right)}


def moved(clock: Clock | None, published: bool, today: date) -> Clock:
    """A record's clock after a publication of `today` that holds it (`published`) or not."""
    last, missed = clock if clock is not None else (None, None)
    if published:
        return (today if last is None else max(last, today)), None
    return last, (today if missed is None else missed)


def due(clock: Clock, today: date, days: int) -> bool:
    """Whether a record out of the photo has been so for the term on `today`, counted from
    the day it was last published, else from the first publication seen without it: due on
    the first publication `days` or more days after."""
    last, missed = clock
    if missed is None:
        return False
    return today >= (last if last is not None else missed) + timedelta(days=days)


def redact_gone(home: Path, today: date, warehouse: Path | None, days: int) -> Redacted:
    """After a publication of `today` (`warehouse`: its warehouse): move the clock of every
    record a snapshot still shows, and overwrite the snapshots of every judgement about a
    record out of the photo for `days` or more (`retention.evidence_days_after_gone`).
    Returns the judgements overwritten, their gone records, and the records whose presence
    could not be told (a publication without `record_terms`: nothing moved)."""
    with open_store(home) as engine:
        if engine is None or not inspect(engine).has_table(judgement.name):
            return Redacted(0, 0, 0)
        records = shown(snapshots(engine))
        photo = publication_terms(warehouse)
        if photo is None:
            return Redacted(0, 0, len(records))
        record_seen.create(engine, checkfirst=True)   # a store made before the clock was kept
        with engine.begin() as con:
            clocks = _clocks(con)
            now = {key: moved(clocks.get(key), key.unique_id in photo, today)
                   for key in records}
            _write(con, clocks, now)
    gone = sorted((key for key, clock in now.items() if due(clock, today, days)),
                  key=lambda k: k.unique_id)
    # their clocks go with the next publication's pass: no snapshot shows them any more
    done = redact_evidence(home, gone, GONE_PAST_TERM) if gone else 0
    return Redacted(done, len(gone), 0)


def _clocks(con: Connection) -> dict[RecordKey, Clock]:
    s = record_seen.c
    return {RecordKey(source, record_id): (last, missed) for source, record_id, last, missed
            in con.execute(select(s.source, s.record_id, s.last_published, s.missed_since))}


def _write(con: Connection, before: dict[RecordKey, Clock], now: dict[RecordKey, Clock]) -> None:
    """Store the moved clocks; drop those of records no snapshot shows any more."""
    s = record_seen.c
    new = [key for key in now if key not in before]
    changed = [key for key in now if key in before and now[key] != before[key]]
    if new:
        con.execute(insert(record_seen), [
            {"source": k.source, "record_id": k.record_id, "last_published": now[k][0],
             "missed_since": now[k][1]} for k in new])
    for key in changed:
        con.execute(update(record_seen)
                    .where(s.source == key.source, s.record_id == key.record_id)
                    .values(last_published=now[key][0], missed_since=now[key][1]))
    _drop(con, set(before) - set(now))


def _drop(con: Connection, keys: Set[RecordKey]) -> None:
    s = record_seen.c
    for key in sorted(keys, key=lambda k: k.unique_id):
        con.execute(delete(record_seen)
                    .where(s.source == key.source, s.record_id == key.record_id))
