"""`make bench`: each source's reader alone on one generated delivery — rows, seconds, rows/s
and peak memory per source.

Why a benchmark of its own: reading was a quarter of a nightly run at 1M persons (issue 18), and
a whole-run figure hides which reader costs what. Each reader runs in a fresh process, so its
peak memory (`ru_maxrss`) is its own; the interpreter with the project imported is shown as
`base MB`, the reader's own cost is the difference. `cpu s` (all the process's threads) is the
figure to compare on a machine shared with other work, where wall seconds vary with the load.

    python benchmarks/bench_readers.py --persons 100000 [--seed 11] [--delivery DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "data" / "sample"))

SOURCES = ("police", "justice", "care", "municipal")


def _peak_mb() -> float:
    """This process's peak resident memory. Linux's `VmHWM` belongs to the process's own
    memory since it started this program (`ru_maxrss` may carry the parent's peak over the
    fork, as when the parent generated the delivery)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(source: str, delivery: Path) -> dict:
    """Read one source's extract in this process; its counts, time and peak memory."""
    from sources.registry import registry

    declared = registry()[source]
    base = _peak_mb()
    start, cpu = time.perf_counter(), time.process_time()
    result, _ = declared.read(delivery)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"source": source, "rows": result.rows_read, "accepted": result.rows_accepted,
            "quarantined": result.rows_quarantined, "values_nulled": result.values_nulled,
            "seconds": round(seconds, 3), "cpu_s": round(cpu, 3),
            "rows_per_s": round(result.rows_read / seconds) if seconds else 0,
            "base_mb": round(base), "peak_mb": round(_peak_mb())}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--persons", type=int, default=100000)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--delivery", type=Path, help="a delivery folder to read instead")
    p.add_argument("--one", nargs=2, metavar=("SOURCE", "DELIVERY"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], Path(args.one[1]))))
        return 0
    with tempfile.TemporaryDirectory(prefix="foto-bench-readers-") as tmp:
        delivery = args.delivery
        if delivery is None:
            from sample_generator import generate

            generate(args.persons, args.seed, Path(tmp), arrests=0)
            delivery = next((Path(tmp) / "inbox").glob("20*"))
        print(f"readers on {delivery}"
              + ("" if args.delivery else f" ({args.persons:,} persons generated)"))
        print(f"{'source':10s} {'rows':>9s} {'seconds':>8s} {'cpu s':>7s} {'rows/s':>10s} "
              f"{'peak MB':>8s} {'base MB':>8s}")
        for source in SOURCES:
            out = subprocess.run([sys.executable, __file__, "--one", source, str(delivery)],
                                 check=True, capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(f"{r['source']:10s} {r['rows']:>9,d} {r['seconds']:>8.2f} {r['cpu_s']:>7.2f} "
                  f"{r['rows_per_s']:>10,d} {r['peak_mb']:>8,d} {r['base_mb']:>8,d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
