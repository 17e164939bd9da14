"""`make eval`: fresh deliveries (seeds other than the sample's), one `foto run` each, and the
quality of its persons next to a plain Splink baseline on the same standardised records.

    python benchmarks/eval.py --persons 10000 100000 --seed 7 --reviewer 100 300 1000

With `--reviewer`, a simulated reviewer (`benchmarks/reviewer.py`) then decides the first
items of the review queue, and as many in each of `--shuffles` (3) seeded random orders,
rerunning foto after each step.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.baseline import baseline_clusters  # noqa: E402
from benchmarks.metrics import (  # noqa: E402
    blocking_recall,
    calibration,
    linkage_metrics,
    loosest_true_person,
    quality,
)
from benchmarks.reviewer import simulate  # noqa: E402
from config import load_config  # noqa: E402
from matching.thresholds import load_thresholds  # noqa: E402
from stores.duck import open_duckdb  # noqa: E402

ROWS = [("precision", "{:.4f}"), ("recall", "{:.4f}"), ("f1", "{:.4f}"),
        ("persons_kept_whole", "{:.4f}"), ("persons_merged", "{:.4f}"),
        ("persons_split", "{:.4f}"), ("found_persons", "{}"), ("predicted_pairs", "{}")]


def evaluate(persons: int, seed: int, work: Path, reviewer: list[int],
             shuffles: int = 3, baseline: bool = True, arrests: int | None = None) -> dict:
    """Generate, run foto, score foto and (unless `baseline` is False) the baseline; returns
    all figures. `arrests`: the generator's arrest files (its default when None)."""
    t0 = time.perf_counter()
    extra = [] if arrests is None else ["--arrests", str(arrests)]
    subprocess.run([sys.executable, str(ROOT / "data/sample/generate.py"), "--persons",
                    str(persons), "--seed", str(seed), "--out", str(work / "data"), *extra],
                   check=True, stdout=subprocess.DEVNULL)
    t1 = time.perf_counter()
    run = subprocess.run([str(Path(sys.executable).parent / "foto"), "run", "--inbox",
                          str(work / "data/inbox"), "--home", str(work / "home")],
                         stdout=subprocess.DEVNULL)
    t2 = time.perf_counter()
    if run.returncode != 0:
        raise SystemExit(f"foto run exited {run.returncode} (work folder {work})")
    warehouse, truth = work / "home/warehouse.duckdb", work / "data/truth.parquet"
    ours = linkage_metrics(warehouse, truth) | blocking_recall(warehouse, truth)
    ours["calibration"] = calibration(warehouse, truth)
    ours["loosest_true_person"] = loosest_true_person(
        warehouse, truth, load_config().gate.linkage.chaining.min_records)
    base = plain_splink(warehouse, truth) if baseline else None
    t3 = time.perf_counter()
    result = {"persons": persons, "seed": seed, "foto": ours, "baseline": base,
              "seconds": {"generate": t1 - t0, "foto_run": t2 - t1, "baseline": t3 - t2}}
    if reviewer:
        result["reviewer"] = review(work, seed, reviewer, shuffles)
    return result


def plain_splink(warehouse: Path, truth: Path) -> dict:
    """Quality of the plain Splink deduplication (`benchmarks/baseline.py`) of the records
    foto standardised."""
    con = open_duckdb(warehouse, read_only=True)
    records = con.sql("SELECT * FROM std_persons").to_arrow_table()
    con.close()
    clusters = baseline_clusters(records, load_thresholds().link)
    c = open_duckdb()
    c.register("cl", clusters)
    c.register("r", records.select(["unique_id", "source", "record_id"]))
    assignment = c.sql("SELECT source, record_id, cluster_id AS person_id FROM r "
                       "JOIN cl USING (unique_id)").to_arrow_table()
    return quality(assignment, truth)


def review(work: Path, seed: int, steps: list[int], shuffles: int) -> dict:
    """The simulated reviewer in queue order (in the eval's home) and in `shuffles` random
    orders (seeds `seed`, `seed + 1`, ...; each in its own copy of the home, made before any
    judgement), all from the published run just scored. One shuffle is one draw: a queue that
    beats it may have been lucky, so the report gives every draw and their mean."""
    home, truth = work / "home", work / "data/truth.parquet"
    homes = {"queue": (home, seed)}
    for i in range(shuffles):
        homes[f"random{i + 1}"] = (work / f"home-random{i + 1}", seed + i)
        shutil.copytree(home, homes[f"random{i + 1}"][0], symlinks=True)
    return {name: simulate(path, work / "data/inbox", truth, steps,
                           "queue" if name == "queue" else "random", rng_seed,
                           lambda warehouse: linkage_metrics(warehouse, truth))
            for name, (path, rng_seed) in homes.items()}


def report(result: dict) -> None:
    ours, base = result["foto"], result["baseline"]
    print(f"\n{result['persons']} generated persons, seed {result['seed']}: "
          f"{ours['records']} records, {ours['true_persons']} true persons "
          f"(foto run {result['seconds']['foto_run']:.1f}s, "
          f"baseline {result['seconds']['baseline']:.1f}s)")
    if base is None:
        print(f"  {'':22}{'foto':>10}   (no baseline: --no-baseline)")
    else:
        print(f"  {'':22}{'foto':>10}{'baseline':>10}{'ratio':>8}")
    for key, fmt in ROWS:
        if base is None:
            print(f"  {key:22}{fmt.format(ours[key]):>10}")
            continue
        ratio = ours[key] / base[key] if base[key] else float("nan")
        print(f"  {key:22}{fmt.format(ours[key]):>10}{fmt.format(base[key]):>10}"
              f"{ratio:>8.3f}")
    print(f"  blocking recall over true pairs sharing more than a first name "
          f"{ours['blocking_recall_evident']:.4f} ({ours['missed_evident_pairs']} of "
          f"{ours['evident_pairs']} missed; target 0.995), over all true pairs "
          f"{ours['blocking_recall']:.4f}; candidate pairs {ours['candidate_pairs']} "
          f"({ours['candidates_per_record']:.2f} per record, Splink's count)")
    print(f"  comparisons per blocking rule (each rule's new pairs, in order): "
          f"{', '.join(str(n) for n in ours['comparisons_per_rule'])}")
    print(f"  missed true pairs {ours['missed_pairs']}: {ours['missed_sharing_no_value']} share "
          f"no value of first name, surname, birth date, postcode or BSN; "
          f"{ours['missed_sharing_first_name_only']} share the first name only")
    print(f"  true pairs joined through candidate pairs of the same person "
          f"{ours['connected_recall']:.4f}")
    chain = load_config().gate.linkage.chaining
    if ours["loosest_true_person"] is not None:
        print(f"  smallest share of pairs linked directly in a found person of "
              f"{chain.min_records} records or more holding one true person: "
              f"{ours['loosest_true_person']:.2f} (the gate blocks below "
              f"{chain.min_linked_pair_share})")
    print("  stored pairs by match probability (band: pairs, mean probability, truly one "
          "person):")
    for b in ours["calibration"]:
        print(f"    {b['band']:.1f}-{b['band'] + 0.1:.1f}: {b['pairs']:>6}, "
              f"{b['mean_probability']:.3f}, {b['true_share']:.3f}")
    if "reviewer" in result:
        report_reviewer(result)


def report_reviewer(result: dict) -> None:
    """N = 0 (no judgement) and each step: the queue order, each random order, and the mean of
    the random orders (with their lowest and highest F1)."""
    ours, rows = result["foto"], result["reviewer"]
    shuffles = [name for name in rows if name != "queue"]
    queued = rows["queue"][0]["queue_items"]
    print(f"  simulated reviewer (reads the truth; `foto judge --file`, then `foto run` on the "
          f"same delivery), {queued} items in the first queue:")
    print("    (against: decisions other than the persons then: `same` on two persons, "
          "`different` within one)")
    print(f"    {'N':>6} {'order':12}{'decided':>8}{'same':>6}{'diff':>6}{'against':>8}"
          f"{'precision':>11}{'recall':>9}{'f1':>9}")
    print(f"    {0:>6} {'-':12}{0:>8}{0:>6}{0:>6}{0:>8}{ours['precision']:>11.4f}"
          f"{ours['recall']:>9.4f}{ours['f1']:>9.4f}")
    for i in range(len(rows["queue"])):
        for name in ("queue", *shuffles):
            r = rows[name][i]
            print(f"    {r['n']:>6} {name:12}{r['decided']:>8}{r['same']:>6}"
                  f"{r['different']:>6}{r['against_persons']:>8}{r['precision']:>11.4f}"
                  f"{r['recall']:>9.4f}{r['f1']:>9.4f}")
        if shuffles:
            drawn = [rows[name][i] for name in shuffles]
            mean = {k: sum(r[k] for r in drawn) / len(drawn)
                    for k in ("decided", "same", "different", "against_persons", "precision",
                              "recall", "f1")}
            f1s = [r["f1"] for r in drawn]
            print(f"    {drawn[0]['n']:>6} {'random mean':12}{mean['decided']:>8.0f}"
                  f"{mean['same']:>6.0f}{mean['different']:>6.0f}"
                  f"{mean['against_persons']:>8.0f}{mean['precision']:>11.4f}"
                  f"{mean['recall']:>9.4f}{mean['f1']:>9.4f}  (f1 {min(f1s):.4f}-{max(f1s):.4f};"
                  f" queue {rows['queue'][i]['f1'] - mean['f1']:+.4f})")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--persons", type=int, nargs="+", default=[10000, 100000])
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--keep", type=Path, help="work folder to keep (default: temporary)")
    p.add_argument("--reviewer", type=int, nargs="*", default=[], metavar="N",
                   help="a simulated reviewer decides the first N items of the review queue "
                        "(cumulative, e.g. 100 300 1000), and as many in random order")
    p.add_argument("--shuffles", type=int, default=3, metavar="K",
                   help="random orders to compare the queue with (seeds SEED, SEED+1, ...)")
    p.add_argument("--no-baseline", action="store_true",
                   help="score foto only (the plain Splink baseline does not finish at 1M "
                        "persons within the matching step's memory bound: docs/scale.md)")
    p.add_argument("--arrests", type=int, help="arrest files to generate (generator default)")
    args = p.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="foto-eval-"))
    results = []
    for n in args.persons:
        result = evaluate(n, args.seed, work / str(n), args.reviewer, args.shuffles,
                          baseline=not args.no_baseline, arrests=args.arrests)
        report(result)
        results.append(result)
    (work / "eval.json").write_text(json.dumps(results, indent=2, default=float))
    print(f"\nfigures: {work / 'eval.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
