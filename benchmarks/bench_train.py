"""`make bench`'s training row: `foto train` on one region's delivery, against the nightly
matching step on the same delivery (issue 18: training within 3× the nightly matching time).

    python benchmarks/bench_train.py --persons 1000000 [--seed 11] [--delivery DIR] [--no-run]

One generated delivery of N persons; then, each in a process of its own (`bench_region.measure`:
wall, CPU and peak resident memory from the kernel's rusage of that child, `os.wait4`):

- `foto train` on it, with its steps (ingest, `person_model`) from the home's Dagster event log;
- `foto run` on it (unless `--no-run`), of which the matching steps (`person_matches`,
  `person_clusters`) are the nightly matching step the ratio is taken against.

Output: a markdown table and one JSON line (`bench_train {...}`). A benchmark, never a test:
nothing here asserts a bound.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_region import measure, per_step, step_windows  # noqa: E402

# The nightly job's matching steps (group `match`): Splink's prediction (`match_pairs`), the
# judgements, the clustering and the record-to-person table. The ratio is taken against the
# whole group and against the Splink step alone.
MATCHING_STEPS = ("match_pairs", "judgements", "person_clusters", "person_records")


def _model_meta(home: Path) -> dict:
    metas = sorted((home / "models").glob("person_v*.meta.json"))
    return json.loads(metas[-1].read_text()) if metas else {}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--persons", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--work", type=Path, help="folder for the delivery and homes (kept)")
    p.add_argument("--delivery", type=Path,
                   help="a generated output folder (with inbox/) to reuse instead of generating")
    p.add_argument("--no-run", action="store_true", help="measure `foto train` only")
    args = p.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="foto-bench-train-"))
    work.mkdir(parents=True, exist_ok=True)
    data = args.delivery
    if data is None:
        data = work / "data"
        subprocess.run([sys.executable, str(ROOT / "data/sample/generate.py"), "--persons",
                        str(args.persons), "--seed", str(args.seed), "--arrests", "0",
                        "--out", str(data)], check=True, stdout=subprocess.DEVNULL)
    env = os.environ | {"PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    result: dict = {"persons": args.persons, "seed": args.seed, "cpus": os.cpu_count()}
    home = work / "home-train"
    print(f"foto train on {data / 'inbox'} (home {home})", flush=True)
    train = measure([sys.executable, "-m", "foto.cli", "train", "--inbox",
                     str(data / "inbox"), "--home", str(home)], env)
    result["foto_train"] = train.row()
    result["train_steps"] = per_step(step_windows(home), train.samples) if train.exit == 0 else []
    meta = _model_meta(home)
    result["records"] = meta.get("records")
    result["training_sample"] = meta.get("sample")
    print("foto_train " + json.dumps(result), flush=True)
    if not args.no_run and train.exit == 0:
        run_home = work / "home-run"
        run = measure([sys.executable, "-m", "foto.cli", "run", "--inbox", str(data / "inbox"),
                       "--home", str(run_home)], env)
        steps = per_step(step_windows(run_home), run.samples)
        matching = [s for s in steps if s["step"] in MATCHING_STEPS]
        match_seconds = sum(s["seconds"] for s in matching)
        predict = next((s["seconds"] for s in matching if s["step"] == "match_pairs"), 0.0)
        result |= {"foto_run": run.row(), "matching_steps": matching,
                   "matching_seconds": round(match_seconds, 1),
                   "train_over_matching": (round(train.seconds / match_seconds, 2)
                                           if match_seconds else None),
                   "train_over_match_pairs": (round(train.seconds / predict, 2)
                                              if predict else None)}
    report(result)
    print("bench_train " + json.dumps(result), flush=True)
    return 0 if train.exit == 0 else 1


def report(result: dict) -> None:
    t = result["foto_train"]
    print(f"\n## foto train, {result['persons']:,} persons ({result['records']} records)\n")
    print("| | s | CPU s | cores | peak MiB |\n|---|---:|---:|---:|---:|")
    print(f"| foto train | {t['seconds']} | {t['cpu_seconds']} | {t['cores']} | "
          f"{t['peak_mib']} |")
    for s in result["train_steps"]:
        print(f"| {s['step']} | {s['seconds']} | {s['cpu_seconds']} | | {s['peak_mib']} |")
    if "matching_seconds" in result:
        print(f"| nightly matching steps | {result['matching_seconds']} | | | |")
        print(f"\ntrain / nightly matching steps: {result['train_over_matching']}×; "
              f"train / match_pairs alone: {result['train_over_match_pairs']}×")


if __name__ == "__main__":
    raise SystemExit(main())
