"""How fast `foto serve` answers a sheet at a publication of N persons (issue 16's note).

Builds a home with one publication whose `triage.duckdb` holds N persons (synthetic ids, no
names) and a sheet file of a real sheet's size for `--sheets` of them (the lookup goes through
all N; writing N files would measure the disk, not the server), starts the real app on uvicorn
in this process, logs in and opens sheets with a purpose over HTTP: each view is checked in
the person table and appended to the audit log, as in use. Prints the median and p95 time to
serve a sheet and the views per second, for one client and for `--clients` at once.

    python benchmarks/bench_serve.py --persons 100000
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path

import duckdb
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from access.users import add_user  # noqa: E402
from config import load_config  # noqa: E402
from stores.publications import point_at  # noqa: E402
from web.serve import create_serve_app  # noqa: E402

PASSWORD = "benchmark password 1"
SHEET_BYTES = 7_000   # a sample sheet's size


def build_home(home: Path, persons: int, sheets: int) -> list[str]:
    triage = home / "publications" / "20261201T010000-bench001" / "triage"
    (triage / "sheets").mkdir(parents=True)
    with duckdb.connect(str(triage / "triage.duckdb")) as con:
        con.execute("CREATE TABLE triage_person AS SELECT 'F' || upper(substr(sha256(i::VARCHAR),"
                    " 1, 12)) AS person_id, 'Persoon ' || i AS naam FROM range($n) t(i)",
                    {"n": persons})
        ids = [r[0] for r in con.execute("SELECT person_id FROM triage_person ORDER BY hash(naam) "
                                         "LIMIT $k", {"k": sheets}).fetchall()]
    body = "<html><body>" + "x" * SHEET_BYTES + "</body></html>"
    for pid in ids:
        (triage / "sheets" / f"{pid}.html").write_text(body, encoding="utf-8")
    (triage / "index.html").write_text("<html><body>index</body></html>", encoding="utf-8")
    (triage / "publication.js").write_text("", encoding="utf-8")
    point_at(home, triage.parent)
    add_user(home, "bench", "triage", PASSWORD, load_config().access)
    return ids


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _logged_in(base: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    form = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    opener.open(base + "/login", urllib.parse.urlencode(
        {"username": "bench", "password": PASSWORD, "csrf_token": token}).encode()).read()
    return opener


def _views(base: str, ids: list[str]) -> list[float]:
    opener = _logged_in(base)
    times = []
    for pid in ids:
        start = time.perf_counter()
        with opener.open(f"{base}/personen/{pid}?doel=casusoverleg") as answer:
            answer.read()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--persons", type=int, default=100_000)
    p.add_argument("--sheets", type=int, default=500)
    p.add_argument("--clients", type=int, default=4)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        ids = build_home(home, args.persons, args.sheets)
        config = load_config()
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(
            create_serve_app(home, config.access, config.serve), host="127.0.0.1", port=port,
            access_log=False, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        _views(base, ids[:20])   # warm up
        start = time.perf_counter()
        one = _views(base, ids)
        one_rate = len(ids) / (time.perf_counter() - start)
        share = [ids[i::args.clients] for i in range(args.clients)]
        start = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            many = [t for part in pool.map(lambda part: _views(base, part), share) for t in part]
        many_rate = len(ids) / (time.perf_counter() - start)
        server.should_exit = True
        thread.join()
    for label, times, rate in (("1 client", one, one_rate),
                               (f"{args.clients} clients", many, many_rate)):
        q = statistics.quantiles(times, n=20)
        print(f"{args.persons} persons, {label}: sheet median {statistics.median(times) * 1000:.1f}"
              f" ms, p95 {q[18] * 1000:.1f} ms, {rate:.0f} views/s ({len(times)} views, each "
              "checked in triage.duckdb and appended to the audit log)")


if __name__ == "__main__":
    main()
