"""How fast `foto serve` answers a sheet and the index at a publication of N persons (issue 16's
note).

Builds a home with one publication whose `triage.duckdb` holds N persons (synthetic ids and
names, one in ten with diacritics, the columns the index shows) and a sheet file of a real
sheet's size for `--sheets` of them (the lookup goes through all N; writing N files would
measure the disk, not the server), starts the real app on uvicorn in this process, logs in and
opens sheets with a purpose over HTTP: each view is checked in the person table and appended to
the audit log, as in use. Prints the median and p95 time to serve a sheet and the views per
second, for one client and for `--clients` at once; then the served index (one page of 50,
rendered from `triage.duckdb`): its size and median/p95 time for the first page, a page deep
in, and searches (few hits, many hits, none); with `--static-index` also the size of the
published `index.html` the publisher writes for the same N persons (every person in one page).

    python benchmarks/bench_serve.py --persons 100000 --static-index
"""

from __future__ import annotations

import argparse
import json
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

import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from access.users import add_user  # noqa: E402
from config import load_config  # noqa: E402
from publish.sheets import PRIORITY_RANK, environment  # noqa: E402
from stores.database import rows_of  # noqa: E402
from stores.duck import open_duckdb  # noqa: E402
from stores.publications import point_at  # noqa: E402
from stores.sql import Fragment, fill  # noqa: E402
from web.serve import create_serve_app  # noqa: E402

PASSWORD = "benchmark password 1"
SHEET_BYTES = 7_000   # a sample sheet's size


def build_home(home: Path, persons: int, sheets: int) -> list[str]:
    triage = home / "publications" / "20261201T010000-bench001" / "triage"
    (triage / "sheets").mkdir(parents=True)
    with open_duckdb(triage / "triage.duckdb") as con:
        con.execute("""
            CREATE TABLE triage_person AS SELECT
              'F' || upper(substr(sha256(i::VARCHAR), 1, 12)) AS person_id,
              CASE WHEN i % 10 = 0 THEN 'Çetin-Öztürk ' ELSE 'Jansen de Vries ' END || i AS naam,
              DATE '1960-01-01' + CAST(i % 15000 AS INTEGER) AS geboortedatum,
              year(DATE '1960-01-01' + CAST(i % 15000 AS INTEGER)) AS geboortejaar,
              ['Utrecht', 'Zwolle', 'Deventer', 'Almelo'][1 + i % 4] AS woonplaats,
              ['politie', 'zorg'] AS bronnen, ['huiselijk_geweld'] AS reden_in_beeld,
              ['hoog', 'midden', 'laag'][1 + i % 3] AS prioriteit,
              'twee signalen in het laatste jaar' AS prioriteit_reden,
              ['signaal'] AS signalen
            FROM range($n) t(i)""", {"n": persons})
        ids = [r[0] for r in con.execute("SELECT person_id FROM triage_person ORDER BY hash(naam) "
                                         "LIMIT $k", {"k": sheets}).fetchall()]
    body = "<html><body>" + "x" * SHEET_BYTES + "</body></html>"
    for pid in ids:
        (triage / "sheets" / f"{pid}.html").write_text(body, encoding="utf-8")
    (triage / "manifest.json").write_text(json.dumps(
        {"published_at": "2026-12-01T01:00:00+00:00", "sheets": persons}), encoding="utf-8")
    (triage / "publication.js").write_text("", encoding="utf-8")
    point_at(home, triage.parent)
    add_user(home, "bench", "triage", PASSWORD, load_config().access)
    return ids


def static_index_bytes(triage: Path) -> tuple[int, float]:
    """The size of the `index.html` the publisher writes for these persons (its own templates
    and order), and the seconds it took to render."""
    start = time.perf_counter()
    with open_duckdb(triage / "triage.duckdb", read_only=True) as con:
        persons = rows_of(con, fill("SELECT * FROM triage_person ORDER BY {rank}, naam",
                                    rank=Fragment(PRIORITY_RANK)))
    env = environment()
    rows = env.get_template("index_persons.html").render(persons=persons)
    page = env.get_template("index.html").render(persons_html=rows, persons_count=len(persons),
                                                 arrests=[], published_at="2026-12-01T01:00")
    return len(page.encode("utf-8")), time.perf_counter() - start


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


def _index(base: str, addresses: list[str], times: int) -> tuple[list[float], int]:
    """Times to serve each address `times` over (after one warm-up), and the last size."""
    opener = _logged_in(base)
    took, size = [], 0
    for round_ in range(times + 1):
        for address in addresses:
            start = time.perf_counter()
            with opener.open(base + address) as answer:
                size = len(answer.read())
            if round_:
                took.append(time.perf_counter() - start)
    return took, size


INDEX_PAGES = {
    "index page 1": ["/"],
    "search, few hits ('jansen 1234')": ["/?zoek=jansen+1234"],
    "search, 10% of persons ('cetin')": ["/?zoek=cetin"],
    "search by birth date ('12-03-1985')": ["/?zoek=12-03-1985"],
    "search, no hit": ["/?zoek=geen-zo-naam"],
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--persons", type=int, default=100_000)
    p.add_argument("--sheets", type=int, default=500)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--index-rounds", type=int, default=20)
    p.add_argument("--static-index", action="store_true",
                   help="also render the published index.html for N persons, for its size")
    args = p.parse_args()
    static = None
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
        middle = max(1, args.persons // 50 // 2)
        index = {label: _index(base, addresses, args.index_rounds) for label, addresses in
                 (INDEX_PAGES | {f"index page {middle}": [f"/?pagina={middle}"]}).items()}
        if args.static_index:
            static = static_index_bytes(home / "published")
        server.should_exit = True
        thread.join()
    for label, times, rate in (("1 client", one, one_rate),
                               (f"{args.clients} clients", many, many_rate)):
        q = statistics.quantiles(times, n=20)
        print(f"{args.persons} persons, {label}: sheet median {statistics.median(times) * 1000:.1f}"
              f" ms, p95 {q[18] * 1000:.1f} ms, {rate:.0f} views/s ({len(times)} views, each "
              "checked in triage.duckdb and appended to the audit log)")
    for label, (times, size) in index.items():
        q = statistics.quantiles(times, n=20)
        print(f"{args.persons} persons, {label}: {size:,} bytes, median "
              f"{statistics.median(times) * 1000:.1f} ms, p95 {q[18] * 1000:.1f} ms "
              f"({len(times)} requests, each logged)")
    if static is not None:
        print(f"{args.persons} persons, the published index.html: {static[0]:,} bytes "
              f"(rendered in {static[1]:.1f} s)")


if __name__ == "__main__":
    main()
