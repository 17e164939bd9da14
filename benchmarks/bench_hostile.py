"""A delivery that repeats itself: one suspect's police row copied under new record ids, as a
careless or hostile export makes it. Times `foto run` on it (wall and CPU seconds) and says what
became of the copies.

    python benchmarks/bench_hostile.py --persons 10000 --copies 2000 --seed 7
    python benchmarks/bench_hostile.py --case addresses      # each copy at another house number

Cases: `copies` (every field alike but the record id) and `addresses` (the copies differ in
house number: distinct records that share every blocking key but the address, a block no
exact-duplicate rule removes). The gate blocks such a delivery (raw_police.duplicate_row_share),
so the run releases it with --accept, as an operator who has looked would; `--plain` runs
without, for a version of foto that has no such expectation. Generation is seeded; the copied
row is the first suspect with a birth date and a BSN.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stores.duck import open_duckdb

ROOT = Path(__file__).resolve().parents[1]
ACCEPT = ["raw_police.duplicate_row_share"]


def add_copies(police: Path, copies: int, case: str) -> str:
    """Append `copies` copies of the first suspect with a birth date and a BSN; returns the
    copied row's record id."""
    text = police.read_text(encoding="cp1252")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    row = next(r for r in rows if r["rol"] == "verdachte" and r["geboortedatum"] and r["bsn"])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=";", lineterminator="\n")
    for i in range(copies):
        copy = dict(row, record_id=f"PL-{9000000000 + i}-01")
        if case == "addresses":
            copy["huisnummer"] = str(1000 + i)
        writer.writerow(copy)
    sep = "" if text.endswith("\n") else "\n"
    police.write_text(text + sep + out.getvalue(), encoding="cp1252")
    return row["record_id"]


def _children_cpu() -> float:
    """CPU seconds (user and system) of the finished child processes: on a shared machine a
    steadier measure than wall time."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def outcome(home: Path, original: str) -> dict:
    """Persons holding the copied row and its copies, and the size of the original's."""
    con = open_duckdb(home / "warehouse.duckdb", read_only=True)
    try:
        persons, biggest = con.execute("""
            SELECT count(DISTINCT person_id), max(records_in_person) FROM person_records
            WHERE source = 'police' AND (record_id = ? OR record_id LIKE 'PL-9%')""",
                                       [original]).fetchall()[0]
        pairs = con.sql("SELECT count(*) FROM match_pairs").fetchall()[0][0]
    finally:
        con.close()
    return {"persons_of_copies": persons, "largest_person": biggest, "stored_pairs": pairs}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--persons", type=int, default=10000)
    p.add_argument("--copies", type=int, default=2000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--case", choices=["copies", "addresses"], default="copies")
    p.add_argument("--plain", action="store_true", help="run without --accept")
    p.add_argument("--keep", type=Path, help="work folder to keep (default: temporary)")
    args = p.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="foto-hostile-"))
    generated = work / f"generated-{args.persons}-{args.seed}"
    if not generated.exists():
        subprocess.run([sys.executable, str(ROOT / "data/sample/generate.py"), "--persons",
                        str(args.persons), "--seed", str(args.seed), "--out", str(generated)],
                       check=True, stdout=subprocess.DEVNULL)
    case = work / f"{args.case}-{args.copies}{'-plain' if args.plain else ''}"
    shutil.rmtree(case, ignore_errors=True)
    shutil.copytree(generated / "inbox", case / "inbox")
    police = next((case / "inbox").glob("20*")) / "police_persons.csv"
    original = add_copies(police, args.copies, args.case) if args.copies else ""
    home = case / "home"
    cmd = [str(Path(sys.executable).parent / "foto"), "run", "--inbox", str(case / "inbox"),
           "--home", str(home)]
    if not args.plain:
        cmd += [a for metric in ACCEPT for a in ("--accept", metric)]
    t0, cpu0 = time.perf_counter(), _children_cpu()
    run = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    result = {"persons": args.persons, "seed": args.seed, "case": args.case,
              "copies": args.copies, "exit": run.returncode, "seconds": round(seconds, 1),
              "cpu_seconds": round(cpu, 1)}
    if run.returncode == 0 and args.copies:
        result |= outcome(home, original)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
