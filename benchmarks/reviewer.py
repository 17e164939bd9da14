"""The simulated reviewer of `make eval` (issue 15, item 7): what an hour of review is worth.

A careful analyst who opens both records of a review-queue item and finds out whether they are
one person is simulated by reading the generator's truth: `same` when both records carry one
`person_key`, else `different`. Evaluation only: the truth is read here, never by the pipeline.
The decisions go in through the real door, `foto judge --file` (the CLI is the contract), and
take effect through the real path, `foto run` on the same delivery in the same home; the
published `person_records` are then scored as `eval.py` scores them.

Cumulative steps (e.g. 100, 300, 1,000): decide the first 100 items, rerun, score; the next
200, rerun, score; and so on. Before each step the reviewer re-reads the queue of the current
publication, as a reviewer coming back the next day would: judged pairs have left it, persons
have been re-formed (so `records_affected` has changed), and the order is what the pipeline
would show now. Deciding from the first queue instead would measure an order the pipeline
never shows after the first decisions.

The random baseline reads the same queue at each step (the same candidate items), shuffles it
with a seeded generator from a fixed order (by pair, so that the draw does not change when the
queue's order does) and decides the first items of the shuffle: the one difference from the
queue order is the order. It runs in its own copy of the home (its own judgement store);
`eval.py` runs several seeds, since one shuffle is one draw.

An item whose pair the reviewer has already judged is skipped: a `conflict` item is one of
this reviewer's own `same` judgements, left unapplied because it meets a hard constraint
(two valid BSNs); judging it again by the same truth would store the same decision.
"""

from __future__ import annotations

import csv
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from stores.duck import open_duckdb

FOTO = str(Path(sys.executable).parent / "foto")
REVIEWER = "simulated reviewer (eval)"
REASON = "eval: generator truth"


@dataclass(frozen=True)
class Item:
    """One review-queue item: its kind, its pair of unique ids ('<source>:<record_id>') and
    the persons the two records are in now (None: not known)."""

    kind: str
    left: str
    right: str
    person_left: str | None = None
    person_right: str | None = None

    @property
    def pair(self) -> tuple[str, str]:
        """The unordered pair, as the judgement store keys it."""
        return (min(self.left, self.right), max(self.left, self.right))


def read_queue(warehouse: Path) -> list[Item]:
    """The published `review_queue`, in rank order."""
    con = open_duckdb(warehouse, read_only=True)
    try:
        rows = con.sql("SELECT kind, unique_id_l, unique_id_r, person_id_l, person_id_r "
                       "FROM review_queue ORDER BY rank").fetchall()
    finally:
        con.close()
    return [Item(*row) for row in rows]


def read_truth(truth: Path) -> dict[str, str]:
    """unique id -> the generator's person key."""
    con = open_duckdb()
    try:
        rows = con.execute("SELECT source || ':' || record_id, person_key "
                           "FROM read_parquet($path)", {"path": str(truth)}).fetchall()
    finally:
        con.close()
    return dict(rows)


def pick(queue: Sequence[Item], judged: set[tuple[str, str]], count: int,
         rng: random.Random | None) -> list[Item]:
    """The next `count` items to decide: the queue's items whose pair is not judged yet, in
    queue order (`rng` None) or in a random order drawn from `rng`."""
    fresh, seen = [], set(judged)
    for item in queue:
        if item.pair not in seen:
            seen.add(item.pair)
            fresh.append(item)
    if rng is not None:
        # shuffled from one fixed order (by pair): the draw must not depend on the order
        # under test, or every change to the queue's order would redraw the baseline
        fresh.sort(key=lambda item: item.pair)
        rng.shuffle(fresh)
    return fresh[:count]


def decide(items: Iterable[Item], truth: dict[str, str]) -> list[tuple[str, str, str]]:
    """(left, right, decision) for each item both of whose records the truth knows: `same`
    when they carry one person key, else `different`. A record outside the truth (none in a
    generated delivery) is not guessed at: the item is left undecided."""
    decisions = []
    for item in items:
        a, b = truth.get(item.left), truth.get(item.right)
        if a is not None and b is not None:
            decisions.append((item.left, item.right, "same" if a == b else "different"))
    return decisions


def changes(items: Iterable[Item], decisions: Sequence[tuple[str, str, str]]) -> int:
    """How many decisions say other than the persons do now: `same` on two persons, or
    `different` within one. Only these can change `person_records`; `same` on a pair already
    in one person confirms it and changes no figure."""
    persons = {(i.left, i.right): (i.person_left, i.person_right) for i in items}
    count = 0
    for left, right, decision in decisions:
        pl, pr = persons[(left, right)]
        if pl is not None and pr is not None and (decision == "same") != (pl == pr):
            count += 1
    return count


def write_judgements(path: Path, decisions: Sequence[tuple[str, str, str]]) -> None:
    """The CSV `foto judge --file` reads (columns left,right,decision,by,reason)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(("left", "right", "decision", "by", "reason"))
        out.writerows((left, right, decision, REVIEWER, REASON)
                      for left, right, decision in decisions)


def _foto(*args: str) -> None:
    done = subprocess.run([FOTO, *args], capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
        raise SystemExit(f"foto {args[0]} exited {done.returncode}: {' '.join(tail)}")


def simulate(home: Path, inbox: Path, truth: Path, steps: Sequence[int], order: str,
             seed: int, score: Callable[[Path], dict]) -> list[dict]:
    """Decide the queue up to each of `steps` (cumulative) in `order`, rerunning `foto run`
    after each; one row per step with the scores of the published persons."""
    keys = read_truth(truth)
    rng = random.Random(seed) if order == "random" else None
    judged: set[tuple[str, str]] = set()
    rows, done, said = [], 0, {"same": 0, "different": 0, "against_persons": 0}
    for step in sorted(steps):
        t0 = time.perf_counter()
        queue = read_queue(home / "warehouse.duckdb")
        items = pick(queue, judged, step - done, rng)
        decisions = decide(items, keys)
        already = sum(item.pair in judged for item in queue)
        if decisions:
            sheet = home.parent / f"judgements-{order}-{step}.csv"
            write_judgements(sheet, decisions)
            _foto("judge", "--file", str(sheet), "--home", str(home))
            sheet.unlink()
            _foto("run", "--inbox", str(inbox), "--home", str(home))
        judged |= {item.pair for item in items}
        done += len(items)
        for *_, decision in decisions:
            said[decision] += 1
        said["against_persons"] += changes(items, decisions)
        figures = score(home / "warehouse.duckdb")
        rows.append({"n": step, "decided": done, **said, "queue_items": len(queue),
                     "queue_items_judged_before": already,
                     "seconds": time.perf_counter() - t0}
                    | {k: figures[k] for k in ("precision", "recall", "f1")})
    return rows
