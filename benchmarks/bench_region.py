"""`make bench`'s headline row: one region on one machine — `foto run` against a plain Splink
deduplication of the same records, and where foto's time and memory go, stage by stage.

    python benchmarks/bench_region.py --persons 1000000 [--seed 11] [--delivery DIR]
        [--skip-baseline]

One generated delivery of N persons; then, each in a process of its own:

- `foto run` on it. Wall time; peak resident memory and CPU time of that process alone (the
  kernel's rusage of the child, `os.wait4`); CPU / wall shows how many cores it kept busy.
- the plain Splink deduplication (`benchmarks/baseline.py`: training, prediction and
  clustering) of the records foto standardised (`std_persons` of the run's warehouse), with the
  same measurements (`--skip-baseline`: foto alone), held to the same DuckDB budget as foto
  and spilling under the run's home (`stores.duck`).

The ratio foto / plain of time and of peak memory is printed, then each Dagster step of the
foto run: its duration (from the home's Dagster event log: step start to step end), the CPU it
used and its peak memory. A run executes its steps one after another in one process
(`in_process_executor`), so the process's rusage cannot be split by step; instead this parent
samples the child's resident memory (`VmRSS`) and CPU ticks from /proc every 0.1 s, with those of
the worker processes it starts (the publication's sheet renderers), and gives each sample to the
step running at its time. Sampling can miss a spike shorter than the interval:
the whole run's rusage peak is the exact figure, the per-stage peaks are a floor.

Output: a markdown table and one JSON line (`bench_region {...}`). A benchmark, never a test:
nothing here asserts a bound.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TICK = os.sysconf("SC_CLK_TCK")
SAMPLE_SECONDS = 0.1


@dataclass
class Measured:
    """One child process: exit code, wall and CPU seconds, peak RSS (MiB), and its samples
    `(time.time(), rss MiB, cpu seconds so far)`."""

    exit: int
    seconds: float
    cpu_seconds: float
    peak_mib: float
    samples: list[tuple[float, float, float]] = field(default_factory=list)

    def row(self) -> dict:
        return {"exit": self.exit, "seconds": round(self.seconds, 1),
                "cpu_seconds": round(self.cpu_seconds, 1), "peak_mib": round(self.peak_mib),
                "cores": round(self.cpu_seconds / self.seconds, 2) if self.seconds else 0.0}


def _tree(pid: int) -> list[int]:
    """`pid` and its live descendants (a publication's rendering workers), from /proc."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo.extend(int(c) for c in task.read_text().split())
            except OSError:
                continue
    return out


def _proc(pid: int) -> tuple[float, float, float, int, tuple[str, str]] | None:
    """(resident MiB, CPU seconds of its threads, CPU seconds of its reaped children, parent's
    pid, its address space's counters: VmSize and VmRSS as the kernel writes them)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    rss = int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
    # proc(5) fields 4 (ppid) and 14-17 (utime, stime, cutime, cstime), counted here from the
    # state field after the command name, which may hold spaces.
    f = stat.rsplit(")", 1)[1].split()
    return (rss, (int(f[11]) + int(f[12])) / TICK, (int(f[13]) + int(f[14])) / TICK, int(f[1]),
            (fields.get("VmSize", "").strip(), fields.get("VmRSS", "").strip()))


def _sample(pid: int) -> tuple[float, float] | None:
    """(resident MiB, CPU seconds so far) of a live process with its live workers: a step's
    memory is what the run holds while it runs, its CPU includes the workers it started.

    A child that shares its parent's address space is not counted twice: Java starts every
    command (Hadoop's file-system calls, in Spark) by `posix_spawn`, whose child runs in the
    JVM's own memory until it execs, and reports the JVM's resident size as its own; summed, a
    4 GB JVM counted 8 (the 11.8 GB "peak" of Spark at 1M in docs/scale.md, 2026-12-01). Such a
    child has the very counters of its parent (size and resident set to the kB)."""
    procs = {p: got for p in _tree(pid) if (got := _proc(p)) is not None}
    if pid not in procs:
        return None
    rss = cpu = 0.0
    for current, (mib, own, reaped, parent, space) in procs.items():
        cpu += own + (reaped if current == pid else 0.0)
        if current != pid and parent in procs and procs[parent][4] == space:
            continue   # the parent's memory, seen through a spawned child
        rss += mib
    return rss, cpu


def measure(cmd: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run `cmd` in its own process, sampling its memory and CPU while it runs."""
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=env, cwd=ROOT)
    samples: list[tuple[float, float, float]] = []
    done = threading.Event()

    def sampler() -> None:
        while not done.is_set():
            got = _sample(child.pid)
            if got is not None:
                samples.append((time.time(), *got))
            done.wait(SAMPLE_SECONDS)

    thread = threading.Thread(target=sampler, daemon=True)
    thread.start()
    # wait4, not Popen.wait: the rusage of this one child (RUSAGE_CHILDREN would add up every
    # child this parent ever reaped, and keep the largest peak of them).
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    thread.join()
    return Measured(child.returncode, seconds, usage.ru_utime + usage.ru_stime,
                    usage.ru_maxrss / 1024, samples)


def step_windows(home: Path) -> list[dict]:
    """Each step of the home's latest run: key, start and end (epoch seconds), from the
    Dagster event log, in the order they started."""
    from dagster import DagsterEventType

    from pipelines.instance import instance_for

    ends = {DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
    with instance_for(home) as instance:
        run = instance.get_runs(limit=1)[0]
        steps: dict[str, dict] = {}
        for entry in instance.all_logs(run.run_id):
            event = entry.dagster_event
            if event is None or not entry.step_key:
                continue
            if event.event_type == DagsterEventType.STEP_START:
                steps[entry.step_key] = {"step": entry.step_key, "start": entry.timestamp,
                                         "end": entry.timestamp}
            elif event.event_type in ends and entry.step_key in steps:
                steps[entry.step_key]["end"] = entry.timestamp
    return sorted(steps.values(), key=lambda s: s["start"])


def per_step(windows: list[dict], samples: list[tuple[float, float, float]]) -> list[dict]:
    """Duration, CPU seconds and sampled peak memory of each step; `(outside steps)` holds
    the process's start (imports, definitions) and its end (summary, audit)."""
    rows = []
    for w in windows:
        inside = [s for s in samples if w["start"] <= s[0] <= w["end"]]
        before = [s for s in samples if s[0] <= w["start"]]
        cpu0 = before[-1][2] if before else 0.0
        cpu1 = inside[-1][2] if inside else cpu0
        rows.append({"step": w["step"], "seconds": round(w["end"] - w["start"], 1),
                     "cpu_seconds": round(cpu1 - cpu0, 1),
                     "peak_mib": round(max((s[1] for s in inside), default=0.0))})
    return rows


def baseline_one(warehouse: Path) -> int:
    """The plain Splink deduplication of the records foto standardised (in this process)."""
    from benchmarks.baseline import baseline_clusters
    from config import load_config
    from matching.thresholds import load_thresholds
    from stores.duck import open_duckdb, spilling_under

    # the same budget as foto's connections, spilling under the run's home (stores.duck)
    with spilling_under(warehouse.parent, load_config().duckdb.memory_limit):
        con = open_duckdb(warehouse, read_only=True)
        records = con.sql("SELECT * FROM std_persons").to_arrow_table()
        con.close()
        clusters = baseline_clusters(records, load_thresholds().link)
    print(json.dumps({"records": records.num_rows,
                      "clusters": len(set(clusters.column("cluster_id").to_pylist()))}))
    return 0


def counts(warehouse: Path) -> dict:
    from stores.duck import open_duckdb

    con = open_duckdb(warehouse, read_only=True)
    try:
        return {"records": con.sql("SELECT count(*) FROM std_persons").fetchall()[0][0],
                "persons": con.sql("SELECT count(*) FROM person").fetchall()[0][0]}
    finally:
        con.close()


def report(result: dict) -> None:
    runs = [("foto run", result["foto_run"])]
    if "plain_splink" in result:
        runs.append(("plain Splink", result["plain_splink"]))
    print(f"\n### One region: {result['persons']:,} persons, {result['records']:,} records "
          f"({result['foto_persons']:,} persons found)\n")
    print("| run | exit | wall s | CPU s | cores | peak MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, m in runs:
        print(f"| {name} | {m['exit']} | {m['seconds']:.1f} | {m['cpu_seconds']:.1f} | "
              f"{m['cores']:.2f} | {m['peak_mib']:,} |")
    if "plain_splink" in result:
        print(f"| foto / plain | | {result['ratio_time']:.2f}× | | | "
              f"{result['ratio_memory']:.2f}× |")
    print("\n| foto stage | s | CPU s | cores | peak MiB (sampled, with workers) |")
    print("|---|---:|---:|---:|---:|")
    for s in result["stages"]:
        cores = s["cpu_seconds"] / s["seconds"] if s["seconds"] else 0.0
        print(f"| {s['step']} | {s['seconds']:.1f} | {s['cpu_seconds']:.1f} | {cores:.2f} | "
              f"{s['peak_mib']:,} |")
    print("\nbench_region " + json.dumps(result))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--persons", type=int, default=1000000)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--delivery", type=Path,
                   help="a generated output folder (with inbox/) to reuse instead of generating")
    p.add_argument("--work", type=Path, help="folder for the home (default: a new temp folder)")
    p.add_argument("--skip-baseline", action="store_true",
                   help="measure foto run only, without the plain Splink deduplication")
    p.add_argument("--baseline-one", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.baseline_one:
        return baseline_one(args.baseline_one)
    work = args.work or Path(tempfile.mkdtemp(prefix="foto-bench-region-"))
    work.mkdir(parents=True, exist_ok=True)
    gen_seconds = None
    data = args.delivery
    if data is None:
        data = work / "data"
        t = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "data/sample/generate.py"), "--persons",
                        str(args.persons), "--seed", str(args.seed), "--arrests", "0",
                        "--out", str(data)], check=True, stdout=subprocess.DEVNULL)
        gen_seconds = round(time.perf_counter() - t, 1)
    home = work / "home"
    env = os.environ | {"PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    print(f"foto run on {data / 'inbox'} (home {home})", flush=True)
    foto = measure([sys.executable, "-m", "foto.cli", "run", "--inbox", str(data / "inbox"),
                    "--home", str(home)], env)
    if foto.exit != 0:
        print(f"foto run exited {foto.exit}; home kept at {home}")
        return 1
    stages = per_step(step_windows(home), foto.samples)
    found = counts(home / "warehouse.duckdb")
    # Shown before the baseline runs: on a loaded machine the whole takes long.
    print("foto_run " + json.dumps({"foto_run": foto.row(), "stages": stages}), flush=True)
    result = {"persons": args.persons, "seed": args.seed, "records": found["records"],
              "foto_persons": found["persons"], "generate_seconds": gen_seconds,
              "cpus": os.cpu_count(), "foto_run": foto.row(), "stages": stages}
    if not args.skip_baseline:
        print("plain Splink on the same records", flush=True)
        plain = measure([sys.executable, __file__, "--baseline-one",
                         str(home / "warehouse.duckdb")], env)
        result |= {"plain_splink": plain.row(),
                   "ratio_time": round(foto.seconds / plain.seconds, 2),
                   "ratio_memory": round(foto.peak_mib / plain.peak_mib, 2)}
    report(result)
    (work / "bench_region.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
