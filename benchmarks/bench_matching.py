"""`make bench` (matching): wall time and peak memory of standardise, predict and cluster, for
the foto model and the plain Splink baseline on the same records, at several sizes.

    python benchmarks/bench_matching.py --records 100000 1000000 [--spark]

`--spark` adds the pipeline's whole matching step on DuckDB and on Spark (local mode, the
configuration's `spark` section), side by side; peak memory is the largest process's, the
JVM's or Python's.

Every stage runs in its own process (peak memory is that process's own); the baseline is
trained once per size before it is timed. Candidate pairs per record (what blocking makes,
counted apart from the timed stages) show whether cost grows linearly with size; kept pairs per
record are those scored at or above the review threshold.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_run import measure  # noqa: E402

RECORDS_PER_PERSON = 1.46  # what the generator yields per person, all sources together
STAGES = ["standardise", "predict_foto", "cluster_foto", "predict_baseline", "cluster_baseline"]


def run_stage(stage: str, work: Path) -> tuple[float, float, dict]:
    """(seconds, peak MiB, the stage's own counts)."""
    out = work / f"{stage}.json"
    cmd = ["bash", "-c", f'"{sys.executable}" "{ROOT}/benchmarks/bench_stage.py" {stage} '
           f'"{work}" > "{out}"']
    rc, secs, mib = measure(cmd)
    if rc != 0:
        raise SystemExit(f"stage {stage} failed (work folder {work})")
    return secs, mib, json.loads(out.read_text().strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--records", type=int, nargs="+", default=[100000, 1000000])
    p.add_argument("--spark", action="store_true",
                   help="also time the matching step on DuckDB and on Spark (local mode)")
    args = p.parse_args()
    stages = [*STAGES, *(("match_duckdb", "match_spark") if args.spark else ())]
    root = Path(tempfile.mkdtemp(prefix="foto-bench-matching-"))
    results = []
    for target in args.records:
        work = root / str(target)
        persons = int(target / RECORDS_PER_PERSON)
        subprocess.run([sys.executable, str(ROOT / "data/sample/generate.py"), "--persons",
                        str(persons), "--seed", "13", "--out", str(work / "data")],
                       check=True, stdout=subprocess.DEVNULL)
        row = {"target_records": target}
        for stage in stages:
            if stage == "predict_baseline":
                run_stage("train_baseline", work)
            secs, mib, counts = run_stage(stage, work)
            row[stage] = {"seconds": secs, "peak_mib": mib, **counts}
            print(f"{target:>9} records  {stage:<17}{secs:>8.1f} s{mib:>8.0f} MiB  {counts}",
                  flush=True)
        for model in ("foto", "baseline"):
            row[f"predict_{model}"].update(run_stage(f"candidates_{model}", work)[2])
        results.append(row)
    print(f"\n{'records':>9} {'model':<9}{'std s':>7}{'predict s':>10}{'cluster s':>10}"
          f"{'peak MiB':>9}{'cand/rec':>9}{'kept/rec':>9}")
    for row in results:
        n = row["standardise"]["records"]
        for model in ("foto", "baseline"):
            pred, clus = row[f"predict_{model}"], row[f"cluster_{model}"]
            peak = max(row["standardise"]["peak_mib"], pred["peak_mib"], clus["peak_mib"])
            print(f"{n:>9} {model:<9}{row['standardise']['seconds']:>7.1f}"
                  f"{pred['seconds']:>10.1f}{clus['seconds']:>10.1f}{peak:>9.0f}"
                  f"{pred['candidates_per_record']:>9.2f}{pred['pairs_per_record']:>9.2f}")
        ratio = (row["predict_foto"]["seconds"] + row["cluster_foto"]["seconds"]) / \
            (row["predict_baseline"]["seconds"] + row["cluster_baseline"]["seconds"])
        print(f"{'':>9} foto / baseline time (predict + cluster): {ratio:.2f}")
        if "match_spark" in row:
            duck, spark = row["match_duckdb"], row["match_spark"]
            print(f"{'':>9} matching step: DuckDB {duck['seconds']:.1f} s "
                  f"{duck['peak_mib']:.0f} MiB, Spark local {spark['seconds']:.1f} s "
                  f"{spark['peak_mib']:.0f} MiB ({spark['clusters']} persons against "
                  f"{duck['clusters']})")
    (root / "bench_matching.json").write_text(json.dumps(results, indent=2))
    print(f"details: {root / 'bench_matching.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
