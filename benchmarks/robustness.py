"""`make robust`: the bundled model on deliveries unlike the ones it was trained on.

The pipeline will meet deliveries from other partners and other generators through the
contract alone. From one fresh generated delivery this makes variants (`benchmarks/perturb.py`),
runs `foto run` on each in a fresh home, and scores the published persons against the truth;
one variant first trains a model on the delivery itself (`foto train`), as a region would.

    python benchmarks/robustness.py --persons 10000 --seed 29
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.metrics import linkage_metrics  # noqa: E402
from benchmarks.perturb import PERTURBATIONS  # noqa: E402

FOTO = str(Path(sys.executable).parent / "foto")
COLUMNS = ("precision", "recall", "f1", "persons_merged", "persons_split")


def run_variant(name: str, data: Path, work: Path, seed: int) -> dict:
    """Copy the delivery, perturb it, (train,) run foto; the scores or the gate's refusal."""
    inbox, home = work / name / "inbox", work / name / "home"
    shutil.copytree(data / "inbox", inbox)
    if name in PERTURBATIONS:
        PERTURBATIONS[name](inbox, seed)
    if name == "trained_on_delivery":
        subprocess.run([FOTO, "train", "--inbox", str(inbox), "--home", str(home)],
                       check=True, capture_output=True)
    run = subprocess.run([FOTO, "run", "--inbox", str(inbox), "--home", str(home)],
                         capture_output=True, text=True)
    if run.returncode != 0:
        failed = [line for line in run.stdout.splitlines() if "FAILED" in line]
        return {"variant": name, "published": False, "gate": failed}
    figures = linkage_metrics(home / "warehouse.duckdb", data / "truth.parquet")
    return {"variant": name, "published": True} | {k: figures[k] for k in COLUMNS}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--persons", type=int, default=10000)
    p.add_argument("--seed", type=int, default=29)
    p.add_argument("--keep", type=Path, help="work folder to keep (default: temporary)")
    args = p.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="foto-robust-"))
    data = work / "data"
    subprocess.run([sys.executable, str(ROOT / "data/sample/generate.py"), "--persons",
                    str(args.persons), "--seed", str(args.seed), "--out", str(data)],
                   check=True, stdout=subprocess.DEVNULL)
    variants = ["as_generated", *PERTURBATIONS, "trained_on_delivery"]
    results = [run_variant(name, data, work, args.seed) for name in variants]
    print(f"\n{args.persons} generated persons, seed {args.seed}: the bundled model unless "
          "trained on the delivery")
    print(f"  {'variant':24}" + "".join(f"{c:>16}" for c in COLUMNS))
    for r in results:
        if r["published"]:
            print(f"  {r['variant']:24}" + "".join(f"{r[c]:>16.4f}" for c in COLUMNS))
        else:
            print(f"  {r['variant']:24}  blocked by the gate: {'; '.join(r['gate'])}")
    (work / "robustness.json").write_text(json.dumps(results, indent=2, default=float))
    print(f"\nfigures: {work / 'robustness.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
