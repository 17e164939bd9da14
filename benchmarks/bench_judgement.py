"""`make bench` (on-judgement): from `foto judge` to the re-formed persons published, against
publications of several sizes.

    python benchmarks/bench_judgement.py --records 10000 100000 [--judgements 8]

Per size: a generated delivery is published by one full nightly run (timed: what a judgement
would otherwise wait for). Then judgements are taken one at a time through `foto judge` in one
warm process (as a reviewer's session would): alternately a false link undone (`--different`
on a linked pair of a two-record person) and a missed link made (`--same` on a review-band
pair of two persons). Each is timed from the command's start to its return (stored,
re-formed, gate checked, published); the first is reported apart (Great Expectations and
Dagster warming up). The breakdown runs `republish_judgements` without Dagster after
`foto judge --later`, and says where its time goes.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_arrest import RECORDS_PER_PERSON, pct, save_rows  # noqa: E402
from benchmarks.bench_run import _records  # noqa: E402


def prepare(records: int, work: Path) -> tuple[Path, float]:
    """Generate and publish once; (home, seconds of the full nightly run)."""
    persons = max(50, int(records / RECORDS_PER_PERSON))
    subprocess.run([sys.executable, str(ROOT / "data/sample/generate.py"), "--persons",
                    str(persons), "--seed", "17", "--out", str(work / "data")], check=True,
                   stdout=subprocess.DEVNULL)
    home = work / "home"
    t = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "foto"), "run", "--inbox",
                    str(work / "data" / "inbox"), "--home", str(home)], check=True,
                   stdout=subprocess.DEVNULL)
    return home, time.perf_counter() - t


def pairs_to_judge(home: Path, n: int) -> list[tuple[str, str, str]]:
    """`n` (left, right, decision), alternating a false link and a missed link, no record in
    two of them."""
    from stores.duck import open_duckdb

    con = open_duckdb(home / "warehouse.duckdb", read_only=True)
    try:
        linked = con.sql("""
            SELECT m.unique_id_l, m.unique_id_r FROM match_pairs m
            JOIN person_records p ON p.unique_id = m.unique_id_l AND p.records_in_person = 2
            JOIN person_records q ON q.unique_id = m.unique_id_r AND q.person_id = p.person_id
            WHERE m.decision = 'link' ORDER BY m.match_probability, 1, 2 LIMIT 200""").fetchall()
        missed = con.sql("""
            SELECT unique_id_l, unique_id_r FROM review_pairs
            WHERE person_id_l <> person_id_r AND decision = 'review'
            ORDER BY match_probability DESC, 1, 2 LIMIT 200""").fetchall()
    finally:
        con.close()
    chosen, used = [], set()
    for (a, b), (c, d) in zip(linked, missed, strict=False):
        for left, right, decision in ((a, b, "different"), (c, d, "same")):
            if used.isdisjoint((left, right)) and len(chosen) < n:
                chosen.append((left, right, decision))
                used |= {left, right}
    return chosen


def through_foto(home: Path, pairs: list[tuple[str, str, str]]) -> list[float]:
    """Seconds from `foto judge` to its return (stored and re-published), per judgement."""
    from foto.cli import main

    times = []
    for left, right, decision in pairs:
        t = time.perf_counter()
        rc = main(["judge", left, right, f"--{decision}", "--by", "bench", "--reason",
                   "bench", "--home", str(home)])
        times.append(time.perf_counter() - t)
        assert rc == 0, f"foto judge exited {rc}"
    return times


def breakdown(home: Path, pairs: list[tuple[str, str, str]]) -> dict[str, float]:
    """Median seconds per step of `republish_judgements` (no Dagster)."""
    from config import load_config
    from foto.cli import main
    from matching.models import current_model
    from publish.judgement_flow import republish_judgements

    model, config = current_model(home / "models"), load_config()
    steps: dict[str, list[float]] = {}
    for left, right, decision in pairs:
        assert main(["judge", left, right, f"--{decision}", "--by", "bench", "--reason",
                     "bench", "--later", "--home", str(home)]) == 0
        t = time.perf_counter()
        outcome = republish_judgements(home, model, config)
        assert outcome.status == "published", outcome.status
        steps.setdefault("total", []).append(time.perf_counter() - t)
        for k, v in outcome.seconds.items():
            steps.setdefault(k, []).append(v)
    return {k: statistics.median(v) for k, v in steps.items()}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--records", type=int, nargs="+", default=[10000, 100000])
    p.add_argument("--judgements", type=int, default=8)
    p.add_argument("--home", type=Path, default=None,
                   help="judge in this published home instead of generating one (one size)")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="foto-bench-judgement-"))
    rows = []
    sizes = [0] if args.home else args.records
    for n in sizes:
        if args.home:
            home, nightly = work / "home", float("nan")
            shutil.copytree(args.home, home, symlinks=True)
        else:
            home, nightly = prepare(n, work / str(n))
        pairs = pairs_to_judge(home, args.judgements + 4)
        times = through_foto(home, pairs[:args.judgements])
        row = {"records": n or _records(home), "judgements": len(times), "nightly_s": nightly,
               "first_s": times[0], "p50_s": pct(times[1:] or times, 0.5),
               "p95_s": pct(times[1:] or times, 0.95),
               "steps": breakdown(home, pairs[args.judgements:])}
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"\n{'records':>9}{'judged':>8}{'first s':>9}{'p50 s':>8}{'p95 s':>8}"
          f"{'nightly s':>10}")
    for r in rows:
        print(f"{r['records']:>9}{r['judgements']:>8}{r['first_s']:>9.2f}{r['p50_s']:>8.2f}"
              f"{r['p95_s']:>8.2f}{r['nightly_s']:>10.1f}")
    save_rows(rows, work / "bench_judgement.json", "where the time goes without Dagster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
