"""`make bench` (matching): wall time and peak memory of standardise, predict and cluster, for
the foto model and the plain Splink baseline on the same records, at several sizes.

    python benchmarks/bench_matching.py --records 100000 1000000

The engines: the pipeline's whole matching step (`predict_and_cluster`: Splink's scoring and
clustering, as `match_pairs` runs it) on DuckDB, on Spark in local mode, and on DuckDB with
chunked prediction, on one generated delivery per size (seed 11, as `bench_region.py`):

    python benchmarks/bench_matching.py --spark --persons 100000 1000000 \
        [--delivery DIR ...] [--engines duckdb spark chunked] [--chunks 4 1] \
        [--spark-driver-memory 4g] [--spark-partitions 16]

Each engine runs in a process of its own: wall seconds; CPU seconds and peak resident memory
of the process and everything it starts (Spark's JVM is a child of the Python process: its
memory is added to Python's, sampled from /proc every 0.1 s, and the kernel's rusage of the
child, `os.wait4`, is taken where it is larger); the pairs kept (at or above the review
threshold) and the persons formed; and, against DuckDB's, the pairwise F1 of the persons (pairs
of records put in one person by both) and the pairs both kept. The Spark settings and the
chunks are written into a copy of the configuration (`spark.driver_memory`,
`spark.sql.shuffle.partitions`, `matching.predict_chunks`) that the engine's process reads
through FOTO_CONFIG, as a region's operator would set them.

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

from benchmarks.bench_region import measure as measure_tree  # noqa: E402
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


def _config(path: Path, memory: str, partitions: int, chunks: tuple[int, int]) -> Path:
    """A copy of the configuration with the Spark settings and chunks of this benchmark."""
    from config import load_config

    raw = json.loads(load_config().model_dump_json())
    raw["spark"]["driver_memory"] = memory
    raw["spark"]["conf"]["spark.sql.shuffle.partitions"] = str(partitions)
    raw["spark"]["conf"]["spark.default.parallelism"] = str(partitions)
    raw["matching"]["predict_chunks"] = {"left": chunks[0], "right": chunks[1]}
    path.write_text(json.dumps(raw, indent=2), encoding="utf-8")
    return path


def engine_stage(stage: str, work: Path, config: Path) -> dict:
    """One stage of the engines' comparison, measured with every process it starts."""
    import os

    out = work / f"{stage}.json"
    env = os.environ | {"FOTO_CONFIG": str(config), "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    got = measure_tree(["bash", "-c", f'exec "{sys.executable}" '
                        f'"{ROOT}/benchmarks/bench_stage.py" {stage} "{work}" > "{out}"'], env)
    if got.exit != 0:
        raise SystemExit(f"stage {stage} failed (work folder {work})")
    # the tree's sum of resident memory (Python and the JVM at once) and its CPU (live
    # children included) from /proc; the child's rusage where it is larger (a peak between
    # samples; children it reaped)
    peak = max([got.peak_mib, *(s[1] for s in got.samples)])
    cpu = max([got.cpu_seconds, *(s[2] for s in got.samples)])
    return {"seconds": round(got.seconds, 1), "cpu_seconds": round(cpu, 1),
            "peak_mib": round(peak), **json.loads(out.read_text().strip().splitlines()[-1])}


def engines_main(args: argparse.Namespace) -> int:
    """DuckDB, Spark local and chunked DuckDB on the same records, per size."""
    import time

    deliveries = args.delivery or [None] * len(args.persons)
    if len(deliveries) != len(args.persons):
        raise SystemExit("give one --delivery per --persons size")
    root = args.work or Path(tempfile.mkdtemp(prefix="foto-bench-engines-"))
    results = []
    for persons, delivery in zip(args.persons, deliveries, strict=True):
        work = root / str(persons)
        work.mkdir(parents=True, exist_ok=True)
        row: dict = {"persons": persons, "spark_driver_memory": args.spark_driver_memory,
                     "spark_partitions": args.spark_partitions, "chunks": args.chunks}
        if delivery is None:
            t = time.perf_counter()
            subprocess.run([sys.executable, str(ROOT / "data/sample/generate.py"), "--persons",
                            str(persons), "--seed", "11", "--arrests", "0", "--out",
                            str(work / "data")], check=True, stdout=subprocess.DEVNULL)
            row["generate_seconds"] = round(time.perf_counter() - t, 1)
            delivery = work / "data"
        (work / "data").mkdir(exist_ok=True)
        if delivery != work / "data":   # read only: standardise reads data/inbox
            link = work / "data/inbox"
            link.unlink(missing_ok=True)
            link.symlink_to(Path(delivery).resolve() / "inbox")
        plain = _config(work / "config.json", args.spark_driver_memory, args.spark_partitions,
                        (1, 1))
        chunked = _config(work / "config-chunked.json", args.spark_driver_memory,
                          args.spark_partitions, tuple(args.chunks))
        row["standardise"] = engine_stage("standardise", work, plain)
        print(f"{persons:>9} persons standardise {row['standardise']}", flush=True)
        for engine in args.engines:
            config = chunked if engine == "chunked" else plain
            row[engine] = engine_stage(f"match_{engine}", work, config)
            if engine != "duckdb" and "duckdb" in args.engines:
                row[engine]["against_duckdb"] = engine_stage(f"compare_{engine}", work, plain)
            print(f"{persons:>9} persons {engine:<8} {row[engine]}", flush=True)
        results.append(row)
        if not args.keep:
            (work / "bench.duckdb").unlink(missing_ok=True)
    report(results)
    (root / "bench_engines.json").write_text(json.dumps(results, indent=2))
    print(f"details: {root / 'bench_engines.json'}")
    return 0


def report(results: list[dict]) -> None:
    names = {"duckdb": "DuckDB", "spark": "Spark local", "chunked": "DuckDB chunked"}
    print("\n| persons | records | engine | wall s | CPU s | peak MiB | pairs kept | persons "
          "| pairwise F1 vs DuckDB | pairs kept by both |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in results:
        for engine in ("duckdb", "spark", "chunked"):
            if engine not in row:
                continue
            m = row[engine]
            vs = m.get("against_duckdb")
            name = names[engine]
            if engine == "spark":
                name += f" ({row['spark_driver_memory']}, {row['spark_partitions']} partitions)"
            if engine == "chunked":
                name += f" ({m['chunks'][0]}x{m['chunks'][1]})"
            f1 = f"{vs['pairwise_f1']:.6f}" if vs else ""
            both = f"{vs['pairs_kept_both']:,}" if vs else ""
            print(f"| {row['persons']:,} | {m['records']:,} | {name} | {m['seconds']:.1f} | "
                  f"{m['cpu_seconds']:.1f} | {m['peak_mib']:,} | {m['pairs']:,} | "
                  f"{m['clusters']:,} | {f1} | {both} |")
    print("\nbench_engines " + json.dumps(results))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--records", type=int, nargs="+", default=[100000, 1000000])
    p.add_argument("--spark", action="store_true",
                   help="the engines instead: the matching step on DuckDB, on Spark (local "
                        "mode) and on DuckDB in chunks")
    p.add_argument("--persons", type=int, nargs="+", default=[100000, 1000000],
                   help="with --spark: the sizes, in persons (a delivery of seed 11 each)")
    p.add_argument("--delivery", type=Path, nargs="+",
                   help="with --spark: generated folders (with inbox/) to use instead, one per "
                        "size; read only")
    p.add_argument("--engines", nargs="+", choices=["duckdb", "spark", "chunked"],
                   default=["duckdb", "spark"])
    p.add_argument("--chunks", type=int, nargs=2, default=[4, 1], metavar=("LEFT", "RIGHT"),
                   help="matching.predict_chunks of the chunked DuckDB run")
    p.add_argument("--spark-driver-memory", default="4g")
    p.add_argument("--spark-partitions", type=int, default=8,
                   help="spark.sql.shuffle.partitions (and spark.default.parallelism)")
    p.add_argument("--work", type=Path, help="with --spark: the folder to work in")
    p.add_argument("--keep", action="store_true",
                   help="with --spark: keep each size's bench.duckdb (the records, pairs and "
                        "clusters)")
    args = p.parse_args()
    if args.spark:
        return engines_main(args)
    stages = STAGES
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
    (root / "bench_matching.json").write_text(json.dumps(results, indent=2))
    print(f"details: {root / 'bench_matching.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
