"""`make eval`: a fresh delivery (seed other than the sample's), one `foto run`, its quality.

    python benchmarks/eval.py --persons 10000 --seed 7
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.metrics import linkage_metrics  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--persons", type=int, default=10000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one)")
    args = p.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="foto-eval-"))
    bin_dir = Path(sys.executable).parent
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "data/sample/generate.py"), "--persons",
                    str(args.persons), "--seed", str(args.seed), "--out", str(work / "data")],
                   check=True)
    t1 = time.perf_counter()
    run = subprocess.run([str(bin_dir / "foto"), "run", "--inbox", str(work / "data/inbox"),
                          "--home", str(work / "home")])
    t2 = time.perf_counter()
    if run.returncode != 0:
        print(f"foto run exited {run.returncode}", file=sys.stderr)
        return run.returncode
    m = linkage_metrics(work / "home/warehouse.duckdb", work / "data/truth.parquet")
    print(f"\nEvaluation: {args.persons} generated persons, seed {args.seed} "
          f"(generate {t1 - t0:.1f}s, foto run {t2 - t1:.1f}s)")
    print(f"  records linked        {m['records']}")
    print(f"  true persons          {m['true_persons']}   found persons {m['found_persons']}")
    print(f"  pairs true/predicted  {m['true_pairs']} / {m['predicted_pairs']} "
          f"(correct {m['correct_pairs']})")
    print(f"  precision             {m['precision']:.4f}")
    print(f"  recall                {m['recall']:.4f}")
    print(f"  F1                    {m['f1']:.4f}")
    print(f"  persons kept whole    {m['persons_kept_whole']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
