"""`make bench`: wall time and peak memory of `foto run` on the sample and on larger deliveries.

    python benchmarks/bench_run.py [--persons 100000 ...]

Each run is a separate process; its peak resident memory is read from the kernel's rusage of
that child alone. Generation time is reported apart from the run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEASURE = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
           "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
           "print(rc, time.perf_counter() - t, "
           "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def measure(cmd: list[str]) -> tuple[int, float, float]:
    """(exit code, wall seconds, peak RSS in MiB) of one command run in its own process."""
    out = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True,
                         check=True).stdout.split()
    return int(out[0]), float(out[1]), int(out[2]) / 1024


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--persons", type=int, nargs="*", default=[100000])
    args = p.parse_args()
    foto = str(Path(sys.executable).parent / "foto")
    work = Path(tempfile.mkdtemp(prefix="foto-bench-"))
    rows = []
    rc, secs, mib = measure([foto, "run", "--inbox", str(ROOT / "data/sample/inbox"),
                             "--home", str(work / "sample-home")])
    records = _records(work / "sample-home")
    rows.append({"delivery": "sample", "records": records, "exit": rc, "seconds": secs,
                 "peak_mib": mib})
    for n in args.persons:
        t = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "data/sample/generate.py"), "--persons",
                        str(n), "--seed", "11", "--out", str(work / f"gen{n}")], check=True,
                       stdout=subprocess.DEVNULL)
        gen = time.perf_counter() - t
        rc, secs, mib = measure([foto, "run", "--inbox", str(work / f"gen{n}/inbox"),
                                 "--home", str(work / f"home{n}")])
        rows.append({"delivery": f"{n} persons", "records": _records(work / f"home{n}"),
                     "exit": rc, "seconds": secs, "peak_mib": mib, "generate_seconds": gen})
    print(f"{'delivery':<16}{'records':>10}{'exit':>6}{'seconds':>10}{'peak MiB':>10}"
          f"{'s / 1k records':>16}")
    for r in rows:
        per_k = r["seconds"] / (r["records"] / 1000) if r["records"] else float("nan")
        print(f"{r['delivery']:<16}{r['records']:>10}{r['exit']:>6}{r['seconds']:>10.1f}"
              f"{r['peak_mib']:>10.0f}{per_k:>16.2f}")
    (work / "bench.json").write_text(json.dumps(rows, indent=2))
    print(f"details: {work / 'bench.json'}")
    return 0


def _records(home: Path) -> int:
    from stores.duck import open_duckdb

    db = home / "warehouse.duckdb"
    if not db.exists():
        return 0
    con = open_duckdb(db, read_only=True)
    try:
        return int(con.sql("SELECT count(*) FROM person_records").fetchall()[0][0])
    finally:
        con.close()


if __name__ == "__main__":
    sys.exit(main())
