"""`make bench` (profile): time to build the profile tables and to publish the sheets, at
several sizes, for a first run and for a rerun of the same delivery (which re-publishes only
the sheets whose content changed).

    python benchmarks/bench_profile.py --records 100000 1000000

Step times are read from the run's Dagster event log (step start to step success).
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

from benchmarks.bench_matching import RECORDS_PER_PERSON  # noqa: E402
from benchmarks.bench_run import measure  # noqa: E402
from stores.publications import current_triage  # noqa: E402

PROFILE_STEPS = ["events", "relations", "flags", "person"]


def step_seconds(home: Path) -> dict[str, float]:
    """Seconds per step of the home's newest run, from its Dagster event log."""
    code = f"""
import json, os
os.environ["DAGSTER_HOME"] = {str(home / "dagster")!r}
from dagster import DagsterEventType, DagsterInstance
i = DagsterInstance.get()
run = i.get_runs(limit=1)[0]
start, out = {{}}, {{}}
for e in i.all_logs(run.run_id, of_type={{DagsterEventType.STEP_START,
                                          DagsterEventType.STEP_SUCCESS}}):
    if e.dagster_event.event_type == DagsterEventType.STEP_START:
        start[e.step_key] = e.timestamp
    else:
        out[e.step_key] = e.timestamp - start[e.step_key]
print(json.dumps(out))
"""
    env = dict(os.environ, DAGSTER_HOME=str(home / "dagster"))
    return json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                     text=True, check=True, env=env).stdout)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--records", type=int, nargs="+", default=[100000, 1000000])
    args = p.parse_args()
    foto = str(Path(sys.executable).parent / "foto")
    root = Path(tempfile.mkdtemp(prefix="foto-bench-profile-"))
    print(f"{'records':>9} {'run':<7}{'total s':>8}{'profile s':>10}{'publish s':>10}"
          f"{'sheets':>8}{'rendered':>9}{'peak MiB':>9}")
    results = []
    for target in args.records:
        work = root / str(target)
        subprocess.run([sys.executable, str(ROOT / "data/sample/generate.py"), "--persons",
                        str(int(target / RECORDS_PER_PERSON)), "--seed", "19", "--out",
                        str(work / "data")], check=True, stdout=subprocess.DEVNULL)
        for label in ("first", "rerun"):
            rc, secs, mib = measure([foto, "run", "--inbox", str(work / "data/inbox"),
                                     "--home", str(work / "home")])
            if rc != 0:
                raise SystemExit(f"foto run exited {rc} ({work})")
            steps = step_seconds(work / "home")
            manifest = json.loads((current_triage(work / "home") / "manifest.json").read_text())
            row = {"records": target, "run": label, "seconds": secs, "peak_mib": mib,
                   "profile_seconds": sum(steps.get(s, 0.0) for s in PROFILE_STEPS),
                   "publish_seconds": steps.get("publication", 0.0),
                   "sheets": manifest["sheets"], "rendered": manifest["rendered"]}
            results.append(row)
            print(f"{target:>9} {label:<7}{secs:>8.1f}{row['profile_seconds']:>10.1f}"
                  f"{row['publish_seconds']:>10.1f}{row['sheets']:>8}{row['rendered']:>9}"
                  f"{mib:>9.0f}", flush=True)
    (root / "bench_profile.json").write_text(json.dumps(results, indent=2))
    print(f"details: {root / 'bench_profile.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
