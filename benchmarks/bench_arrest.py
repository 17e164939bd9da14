"""`make bench` (on-arrest): from arrest file to published sheet, against masters of several
sizes, for the job alone and through the Dagster daemon with the arrest sensor.

    python benchmarks/bench_arrest.py --records 10000 100000 1000000 [--arrests 24] [--daemon]
        [--worker]

Per size: a generated delivery is published by one full nightly run (timed: the rebuild an
arrest would otherwise wait for); its arrest files are held back and then published one at a
time. "Job alone" runs the `on_arrest` Dagster job in one warm process, as `foto arrest` does;
the first arrest of a process (Great Expectations and Splink warming up) is reported apart.
"Daemon" starts `dagster-daemon`, drops each arrest file into the inbox and waits for the
sheet: sensor interval, run launch (a new process per run) and the job itself. "Worker"
starts `foto worker` (one warm process: Splink, Great Expectations and the model loaded once),
drops each arrest file into the inbox and waits for its sheet (file landing to sheet
published, p50 and p95), then times `foto arrest FILE` as a new process from the command line,
handed to the running worker, and again with no worker (the `on_arrest` job in that process).
The breakdown says where the job's time goes; with --worker, the worker's line per arrest
says where its time goes (seconds per step, p50 / p95 / max, and the candidates: counts only).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RECORDS_PER_PERSON = 1.46


def prepare(records: int, arrests: int, work: Path) -> tuple[Path, Path, list[Path], float]:
    """Generate, hold the arrest files back, publish once; (inbox, home, arrest files,
    seconds of the full nightly run). A `work` folder prepared before (`--work`) is used as it
    is: the nightly run's seconds are then unknown (nan)."""
    if (work / "home" / "published").exists() and (work / "held").is_dir():
        return (work / "data" / "inbox", work / "home", sorted((work / "held").glob("*.json")),
                float("nan"))
    persons = max(50, int(records / RECORDS_PER_PERSON))
    subprocess.run([sys.executable, str(ROOT / "data/sample/generate.py"), "--persons",
                    str(persons), "--seed", "13", "--arrests", str(arrests), "--out",
                    str(work / "data")], check=True, stdout=subprocess.DEVNULL)
    inbox, home = work / "data" / "inbox", work / "home"
    held = work / "held"
    shutil.move(str(inbox / "arrests"), held)
    (inbox / "arrests").mkdir()
    t = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "foto"), "run", "--inbox", str(inbox),
                    "--home", str(home)], check=True, stdout=subprocess.DEVNULL)
    return inbox, home, sorted(held.glob("*.json")), time.perf_counter() - t


def job_alone(inbox: Path, home: Path, files: list[Path]) -> dict:
    """Each arrest through the `on_arrest` job in this (warm) process: seconds per arrest."""
    from foto.cli import main

    times = []
    for file in files:
        target = inbox / "arrests" / file.name
        shutil.copy(file, target)
        t = time.perf_counter()
        rc = main(["arrest", str(target), "--home", str(home)])
        times.append(time.perf_counter() - t)
        assert rc == 0, f"foto arrest exited {rc}"
    return {"first": times[0], "warm": times[1:]}


def breakdown(home: Path, inbox: Path, files: list[Path]) -> dict[str, float]:
    """Median seconds per step of `process_arrest` (no Dagster), over fresh copies."""
    from config import load_config
    from matching.models import current_model
    from publish.arrest_flow import process_arrest

    model, config = current_model(home / "models"), load_config()
    steps: dict[str, list[float]] = {}
    for file in files:
        data = json.loads(file.read_text())
        data["arrest_id"] += "-b"
        data["record_id"] += "-b"
        copy = inbox / "arrests" / f"{data['arrest_id']}.json"
        copy.write_text(json.dumps(data))
        outcome = process_arrest(copy, home, model, config)
        for k, v in outcome.seconds.items():
            steps.setdefault(k, []).append(v)
    return {k: statistics.median(v) for k, v in steps.items()}


def through_daemon(inbox: Path, home: Path, files: list[Path]) -> list[float]:
    """Drop each file into the inbox with `dagster-daemon` running; seconds until its sheet
    is published (the arrest's entry appears)."""
    env = os.environ | {"DAGSTER_HOME": str(home / "dagster"), "FOTO_INBOX": str(inbox),
                        "FOTO_HOME": str(home)}
    daemon = subprocess.Popen([str(Path(sys.executable).parent / "dagster-daemon"), "run",
                               "-m", "pipelines.definitions"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times = []
    try:
        time.sleep(15)  # the daemon loads the code location and starts its sensor loop
        for file in files:
            data = json.loads(file.read_text())
            data["arrest_id"] += "-d"
            data["record_id"] += "-d"
            done = home / "arrests" / "done" / f"{data['arrest_id']}.json"
            t = time.perf_counter()
            tmp = inbox / f".{data['arrest_id']}.tmp"
            tmp.write_text(json.dumps(data))
            os.replace(tmp, inbox / "arrests" / f"{data['arrest_id']}.json")
            while not done.exists():
                if time.perf_counter() - t > 120:
                    raise TimeoutError(f"no sheet for {data['arrest_id']} after 120 s")
                time.sleep(0.05)
            times.append(time.perf_counter() - t)
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)
    return times


def through_worker(inbox: Path, home: Path, files: list[Path], cli_files: int = 4,
                   settle: float = 10.0) -> dict:
    """`foto worker` on the published home: seconds from each file landing in the feed to its
    sheet published (after `settle` seconds: a worker runs for days, and prepares a new
    publication while it waits); then `foto arrest FILE` (a new process) with the worker up
    and without; and, from the worker's line per arrest, the seconds of each step."""
    foto = str(Path(sys.executable).parent / "foto")
    t = time.perf_counter()
    worker = subprocess.Popen([foto, "worker", "--home", str(home), "--inbox", str(inbox)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True)
    try:
        first = worker.stdout.readline()   # "foto worker: serving ..." once it is warm
        if "serving" not in first:
            raise RuntimeError("foto worker did not start")
        warm = time.perf_counter() - t
        lines: list[str] = []
        threading.Thread(target=lambda: lines.extend(worker.stdout), daemon=True).start()
        tag = f"{os.getpid() % 10000:04d}"   # fresh ids on a reused home (--work)
        time.sleep(settle)   # the worker prepares the publication while it waits
        landed = [_land(inbox, home, file, f"-w{tag}") for file in files]
        with_worker = [_cli(foto, home, file, f"-c{tag}") for file in files[:cli_files]]
    finally:
        worker.terminate()
        worker.wait(timeout=120)
    without = [_cli(foto, home, file, f"-n{tag}") for file in files[:max(1, cli_files // 2)]]
    return {"worker_start_s": warm, "landed": landed, "cli_worker": with_worker,
            "cli_alone": without, "steps": worker_steps(lines)}


# "arrest A: published person P (1.23s; 187 candidates, standardise 0.200s, match ...)": the
# worker's line per arrest (ids, counts, seconds; `publish.arrest_worker.outcome_line`)
_STEP = re.compile(r"(\w+) (\d+\.\d+)s")


def worker_steps(lines: list[str]) -> dict[str, dict[str, float]]:
    """Per step of the worker's arrests: median, p95 and max seconds; and the candidates."""
    steps: dict[str, list[float]] = {}
    for line in lines:
        if not line.startswith("arrest ") or "candidates" not in line:
            continue
        head, _, tail = line.partition(" candidates")
        steps.setdefault("candidates", []).append(float(head.rsplit(" ", 1)[1]))
        for name, seconds in _STEP.findall(tail):
            steps.setdefault(name, []).append(float(seconds))
    return {k: {"p50": pct(v, 0.5), "p95": pct(v, 0.95), "max": max(v)}
            for k, v in steps.items()}


def _copy(file: Path, suffix: str) -> tuple[dict, str]:
    data = json.loads(file.read_text())
    data["arrest_id"] += suffix
    data["record_id"] += suffix
    return data, json.dumps(data)


def _land(inbox: Path, home: Path, file: Path, suffix: str) -> float:
    """Move one arrest into the feed (atomically, as a feed should) and wait for its sheet."""
    data, text = _copy(file, suffix)
    done = home / "arrests" / "done" / f"{data['arrest_id']}.json"
    tmp = inbox / f".{data['arrest_id']}.tmp"
    tmp.write_text(text)
    t = time.perf_counter()
    os.replace(tmp, inbox / "arrests" / f"{data['arrest_id']}.json")
    while not done.exists():
        if time.perf_counter() - t > 120:
            raise TimeoutError(f"no sheet for {data['arrest_id']} after 120 s")
        time.sleep(0.01)
    return time.perf_counter() - t


def _cli(foto: str, home: Path, file: Path, suffix: str) -> float:
    """`foto arrest FILE` from the command line, for a file outside the watched feed."""
    data, text = _copy(file, suffix)
    folder = home.parent / "cli-arrests" / "arrests"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{data['arrest_id']}.json"
    target.write_text(text)
    t = time.perf_counter()
    subprocess.run([foto, "arrest", str(target), "--home", str(home)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--records", type=int, nargs="+", default=[10000, 100000, 1000000])
    p.add_argument("--arrests", type=int, default=24)
    p.add_argument("--daemon", action="store_true", help="also measure through the daemon")
    p.add_argument("--worker", action="store_true",
                   help="also measure through `foto worker`, and `foto arrest` with and "
                        "without it")
    p.add_argument("--skip-alone", action="store_true",
                   help="leave out the job-alone rows (with --worker: the worker only)")
    p.add_argument("--work", type=Path, default=None,
                   help="folder to generate into, or to reuse (<work>/<records>/ from an "
                        "earlier run; default: a new temporary folder)")
    args = p.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="foto-bench-arrest-"))
    rows = []
    for n in args.records:
        inbox, home, files, nightly = prepare(n, args.arrests, work / str(n))
        row = {"records": n, "arrests": len(files), "nightly_s": nightly, "steps": {}}
        if not args.skip_alone:
            alone = job_alone(inbox, home, files)
            row |= {"first_s": alone["first"], "p50_s": pct(alone["warm"], 0.5),
                    "p95_s": pct(alone["warm"], 0.95),
                    "steps": breakdown(home, inbox, files[:10])}
        if args.worker:
            w = through_worker(inbox, home, files)
            row |= {"worker_start_s": w["worker_start_s"],
                    "worker_p50_s": pct(w["landed"], 0.5),
                    "worker_p95_s": pct(w["landed"], 0.95),
                    "worker_max_s": max(w["landed"]),
                    "cli_worker_p50_s": pct(w["cli_worker"], 0.5),
                    "cli_worker_max_s": max(w["cli_worker"]),
                    "cli_alone_p50_s": pct(w["cli_alone"], 0.5),
                    "worker_steps": w["steps"]}
        if args.daemon:
            daemon = through_daemon(inbox, home, files[:args.arrests])
            row |= {"daemon_p50_s": pct(daemon, 0.5), "daemon_p95_s": pct(daemon, 0.95)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"\n{'records':>9}{'arrests':>8}{'first s':>9}{'p50 s':>8}{'p95 s':>8}"
          f"{'daemon p50':>11}{'daemon p95':>11}{'nightly s':>10}")
    nan = float("nan")
    for r in rows:
        print(f"{r['records']:>9}{r['arrests']:>8}{r.get('first_s', nan):>9.2f}"
              f"{r.get('p50_s', nan):>8.2f}{r.get('p95_s', nan):>8.2f}"
              f"{r.get('daemon_p50_s', nan):>11.2f}{r.get('daemon_p95_s', nan):>11.2f}"
              f"{r['nightly_s']:>10.1f}")
    if args.worker:
        print(f"\n{'records':>9}{'worker start s':>15}{'landed p50':>11}{'landed p95':>11}"
              f"{'landed max':>11}{'cli+worker p50':>15}{'cli+worker max':>15}"
              f"{'cli alone p50':>14}")
        for r in rows:
            print(f"{r['records']:>9}{r['worker_start_s']:>15.1f}{r['worker_p50_s']:>11.2f}"
                  f"{r['worker_p95_s']:>11.2f}{r['worker_max_s']:>11.2f}"
                  f"{r['cli_worker_p50_s']:>15.2f}{r['cli_worker_max_s']:>15.2f}"
                  f"{r['cli_alone_p50_s']:>14.2f}")
        print("\nwhere the worker's time goes (s per arrest: p50 / p95 / max; candidates: "
              "master records sharing a key):")
        for r in rows:
            print(f"{r['records']:>9}  " + "; ".join(
                f"{k} {v['p50']:.0f} / {v['p95']:.0f} / {v['max']:.0f}" if k == "candidates"
                else f"{k} {v['p50']:.3f} / {v['p95']:.3f} / {v['max']:.3f}"
                for k, v in r["worker_steps"].items()))
    save_rows(rows, work / "bench_arrest.json", "where the job's time goes")
    return 0


def save_rows(rows: list[dict], target: Path, steps_title: str) -> None:
    """Print each size's median seconds per step, and write every row to `target`."""
    print(f"\n{steps_title} (median s): " + "; ".join(
        f"{r['records']}: " + ", ".join(f"{k} {v:.3f}" for k, v in r["steps"].items())
        for r in rows))
    target.write_text(json.dumps(rows, indent=2))
    print(f"details: {target}")


if __name__ == "__main__":
    sys.exit(main())
