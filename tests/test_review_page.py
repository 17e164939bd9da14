"""The review page (`web`, `foto review`): only this start's token opens it, a change needs the
CSRF header, record keys from an address are checked, a decision is stored through the same
functions as `foto judge` and says what it changes, names stay inert HTML, and a real
Chromium decides an item by keyboard.

The browser test saves the item view as a screenshot; with `UPDATE_SCREENSHOTS=1` it writes
`docs/img/review.png` (the README's picture), from the synthetic sample.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from audit.log import verify_home
from audit.store import entries, open_log
from foto.cli import main
from judgements.store import current, open_store
from stores.publications import current_publication
from web.app import COOKIE, CSRF_HEADER, Access, guard
from web.review import create_review_app, item_url
from web.waterfall import model_file, waterfall_data
from web.worker import Worker

ROOT = Path(__file__).resolve().parents[1]
LOCAL = "http://127.0.0.1:8471"
REVIEWER = "Reviewer Tessa Test"
REASON = "zaak 2026-0042: same address, other birth date"


def _signed_in(app: FastAPI, access: Access, base: str = LOCAL) -> TestClient:
    client = TestClient(app, base_url=base)
    assert client.get(f"/?token={access.token}", follow_redirects=False).status_code == 303
    return client


# ---- the guard, on a small app of its own -----------------------------------------------

def _guarded() -> tuple[FastAPI, Access]:
    app, access = FastAPI(), Access()
    guard(app, access)

    @app.get("/")
    def page() -> dict[str, str]:
        return {"ok": "yes"}

    @app.post("/change")
    def change() -> dict[str, str]:
        return {"changed": "yes"}

    @app.get("/boom")
    def boom() -> None:
        raise ValueError("Jansen, Pieter 1970-01-01")

    return app, access


def test_only_this_starts_token_opens_the_page_and_leaves_the_address() -> None:
    app, access = _guarded()
    client = TestClient(app, base_url=LOCAL)
    assert client.get("/").status_code == 403
    assert client.get("/?token=wrong", follow_redirects=False).status_code == 403
    assert client.get(f"/?token={Access().token}", follow_redirects=False).status_code == 403
    client.cookies.set(COOKIE, "not-the-token")
    assert client.get("/").status_code == 403
    client.cookies.clear()
    answer = client.get(f"/?token={access.token}", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    page = client.get("/")
    assert page.status_code == 200 and page.json() == {"ok": "yes"}
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_a_change_needs_the_csrf_header() -> None:
    app, access = _guarded()
    client = _signed_in(app, access)
    assert client.post("/change").status_code == 403
    assert client.post("/change", headers={CSRF_HEADER: "forged"}).status_code == 403
    assert client.post(f"/change?token={access.token}").status_code == 403
    assert client.post("/change", headers={CSRF_HEADER: access.csrf}).json() == {
        "changed": "yes"}


def test_another_host_name_is_refused_even_with_the_token() -> None:
    app, access = _guarded()
    for base in ("http://rebound.example:8471", "http://10.0.0.5:8471"):
        client = TestClient(app, base_url=base)
        assert client.get(f"/?token={access.token}", follow_redirects=False).status_code == 400
    assert _signed_in(app, access, "http://localhost:8471").get("/").status_code == 200


def test_an_error_in_a_route_is_told_by_type_never_by_its_text() -> None:
    app, access = _guarded()
    answer = _signed_in(app, access).get("/boom")
    assert answer.status_code == 500 and "ValueError" in answer.text
    assert "Jansen" not in answer.text and "1970" not in answer.text


def test_follow_ups_run_one_at_a_time_and_a_failure_is_told_by_type() -> None:
    """One follow-up at a time; one that starts covers the decisions queued before it (they
    are told so and never run), except after a failure, when the next queued job runs."""
    running, overlaps, calls = [], [], []
    started, release = threading.Event(), threading.Event()

    def after(ids: list[int]) -> str:
        running.append(1)
        overlaps.append(len(running))
        calls.append(ids)
        started.set()
        release.wait(5)
        time.sleep(0.02)
        running.pop()
        if ids == [2]:
            raise RuntimeError("Pieter Jansen")
        return f"re-published judgement {ids[0]}"

    worker = Worker(after)
    jobs = [worker.submit([1])]
    assert started.wait(5)                                  # job 1 runs; 2, 3, 4 queue behind it
    jobs += [worker.submit([n]) for n in (2, 3, 4)]
    release.set()
    worker.shutdown()
    assert max(overlaps) == 1
    assert calls == [[1], [2], [3]]
    assert worker.state(jobs[0]) == {"state": "done", "message": "re-published judgement 1"}
    failed = worker.state(jobs[1])
    assert failed["state"] == "failed" and "RuntimeError" in failed["message"]
    assert "Jansen" not in failed["message"] and worker.state("nope") is None
    assert worker.state(jobs[2]) == {"state": "done", "message": "re-published judgement 3"}
    included = worker.state(jobs[3])
    assert included["state"] == "done" and included["message"].startswith("included")


def test_a_model_version_names_a_model_file_or_none(tmp_path: Path) -> None:
    assert model_file(tmp_path, "bundled/person_v3").name == "person_v3.json"
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "person_v2.json").write_text("{}", encoding="utf-8")
    assert model_file(tmp_path, "home/person_v2") == tmp_path / "models" / "person_v2.json"
    for version in ("home/person_v9", "injected/person_v1", "home/../../etc/passwd",
                    "bundled/person_vx", None, ""):
        assert model_file(tmp_path, version) is None


def test_foto_review_without_a_publication_exits_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "--home", str(tmp_path / "home")]) == 2
    assert "no publication in this home yet" in capsys.readouterr().out


# ---- on the sample's real publication ------------------------------------------------------

@pytest.fixture
def home(sample_home: Path) -> Path:
    """A copy of the sample's published home (conftest): judgements written here stay here."""
    return sample_home


def _warehouse(home: Path) -> Path:
    return current_publication(home) / "warehouse.duckdb"


def _first_item(home: Path) -> tuple[str, str]:
    with duckdb.connect(str(_warehouse(home)), read_only=True) as con:
        return con.sql("SELECT unique_id_l, unique_id_r FROM review_queue "
                       "WHERE rank = 1").fetchall()[0]


def _persons(home: Path, *uids: str) -> dict[str, tuple[str, int]]:
    with duckdb.connect(str(_warehouse(home)), read_only=True) as con:
        return {u: (p, n) for u, p, n in con.execute(
            "SELECT r.unique_id, r.person_id, p.records FROM person_records r "
            "JOIN person p USING (person_id) WHERE r.unique_id IN (?, ?)", list(uids)
        ).fetchall()}


def _published_files(home: Path) -> dict[str, float]:
    published = (home / "published").resolve()
    return {str(p.relative_to(published)): p.stat().st_mtime
            for p in published.rglob("*") if p.is_file()}


def _item_url(left: str, right: str) -> str:
    from urllib.parse import urlencode
    return "/item?" + urlencode({"left": left, "right": right})


@pytest.mark.e2e
def test_every_route_is_refused_without_the_token(home: Path) -> None:
    access = Access()
    left, right = _first_item(home)
    client = TestClient(create_review_app(home, access=access), base_url=LOCAL)
    for path in ("/", "/rank/1", _item_url(left, right), "/status/x", "/static/review.js"):
        answer = client.get(path)
        assert answer.status_code == 403 and left not in answer.text
    answer = client.post("/judgement", headers={CSRF_HEADER: access.csrf}, json={
        "left": left, "right": right, "decision": "same", "reason": REASON, "by": REVIEWER})
    assert answer.status_code == 403
    with open_store(home) as engine:
        assert current(engine).num_rows == 0


@pytest.mark.e2e
def test_the_queue_and_an_item_show_what_a_reviewer_needs(home: Path) -> None:
    access = Access()
    client = _signed_in(create_review_app(home, access=access), access)
    queue = client.get("/")
    assert queue.status_code == 200 and access.csrf in queue.text
    with duckdb.connect(str(_warehouse(home)), read_only=True) as con:
        ranks = con.sql("SELECT count(*) FROM review_queue").fetchall()[0][0]
        left, right = con.sql("SELECT unique_id_l, unique_id_r FROM review_queue "
                              "WHERE rank = 1").fetchall()[0]
        names = con.execute("SELECT display_name FROM std_persons WHERE unique_id IN (?, ?)",
                            [left, right]).fetchall()
        evidence = con.execute("SELECT comparison, level FROM match_evidence "
                               "WHERE unique_id_l = ? AND unique_id_r = ?",
                               [left, right]).fetchall()
        scored = con.execute("SELECT * FROM match_pairs WHERE unique_id_l = ? AND "
                             "unique_id_r = ?", [left, right]).fetchall()
        data = waterfall_data(con, home, left, right)
    assert queue.text.count("data-href=") == ranks > 0
    redirect = client.get("/rank/1", follow_redirects=False)
    assert redirect.status_code == 303 and redirect.headers["location"] == _item_url(left, right)
    page = client.get(redirect.headers["location"])
    assert page.status_code == 200
    text = page.text
    for uid in (left, right):
        assert uid.split(":", 1)[1] in text
    for (name,) in names:
        assert name in text
    for comparison, level in evidence:
        assert comparison in text and level in text
    for person, records in _persons(home, left, right).values():
        assert f"{person} · {records} records" in text
    assert scored and "<svg" in text and "Match weights waterfall chart" in text
    # the chart's bars: the prior and each comparison's weight add up to the pair's score
    steps = [d["log2_bayes_factor"] for d in data]
    assert data[0]["column_name"] == "Prior" and data[-1]["column_name"] == "Final score"
    assert sum(steps[:-1]) == pytest.approx(steps[-1], abs=1e-6)
    assert all(d["value_l"] == "" and d["value_r"] == "" for d in data)
    # the same pair in the other order is the same item; the next item is linked
    assert client.get(_item_url(right, left)).text == text
    assert 'data-next="/item?' in text


@pytest.mark.e2e
def test_each_item_view_is_in_the_audit_log_by_ids_only(home: Path) -> None:
    """An item shows two records' personal data: `foto review` logs each view under the
    service account, once per person shown, with both record ids and both person ids; the
    privacy officer's `foto audit person` lists it; no name is in the log."""
    access = Access()
    client = _signed_in(create_review_app(home, access=access), access)
    left, right = _first_item(home)
    persons = _persons(home, left, right)
    person_l, person_r = persons[left][0], persons[right][0]
    assert client.get(_item_url(left, right)).status_code == 200
    assert client.get(_item_url("police:no-such-record", right)).status_code == 404
    with open_log(home) as engine:
        views = [e for e in entries(engine) if e.action == "review_view"]
        logged = " ".join(repr(e) for e in entries(engine))
    assert sorted(e.person_id for e in views) == sorted({person_l, person_r})
    for entry in views:
        assert entry.role == "service" and entry.who.startswith("os:")
        assert entry.publication == current_publication(home).name
        said = json.loads(entry.detail)
        assert said["records"] == sorted([left, right])
        assert said["persons"] == [persons[uid][0] for uid in sorted([left, right])]
    with duckdb.connect(str(_warehouse(home)), read_only=True) as con:
        names = [n for (n,) in con.execute(
            "SELECT display_name FROM std_persons WHERE unique_id IN (?, ?)",
            [left, right]).fetchall() if n]
    assert names and not [n for n in names if n in logged]
    assert verify_home(home).whole


@pytest.mark.e2e
@pytest.mark.parametrize("left, right", [
    ("police:../etc/passwd", "care:VT-1"), ("nosuch:PL-1", "care:VT-1"),
    ("police:PL-2000000000-01", "care:VT-0000-000000-0"), ("police:x' OR 1=1 --", "care:VT-1"),
    ("", ""), ("care:VT-1", "care:VT-1")])
def test_a_bad_or_unknown_record_key_is_a_plain_404(home: Path, left: str, right: str) -> None:
    access = Access()
    client = _signed_in(create_review_app(home, access=access), access)
    answer = client.get(_item_url(left, right))
    assert answer.status_code == 404 and answer.json() == {"detail": "no such item"}
    assert client.get("/rank/999999").status_code == 404


@pytest.mark.e2e
def test_a_decision_is_stored_with_evidence_and_says_what_it_changes(home: Path) -> None:
    access = Access()
    ran: list[list[int]] = []
    app = create_review_app(home, access=access,
                            after_judgement=lambda ids: ran.append(ids) or "2 sheets updated")
    client = _signed_in(app, access)
    left, right = _first_item(home)
    persons = _persons(home, left, right)
    before = _published_files(home)
    decision = {"left": right, "right": left, "decision": "different", "reason": REASON,
                "by": REVIEWER}
    assert client.post("/judgement", json=decision).status_code == 403   # no CSRF header
    for bad in ({"decision": "maybe"}, {"reason": "  "}, {"by": ""}, {"left": "police:.."}):
        refused = client.post("/judgement", json=decision | bad,
                              headers={CSRF_HEADER: access.csrf})
        assert refused.status_code == 400 and "refused" in refused.json()
    answer = client.post("/judgement", json=decision, headers={CSRF_HEADER: access.csrf})
    assert answer.status_code == 200
    said = answer.json()
    (pl, nl), (pr, nr) = persons[left], persons[right]
    if pl == pr:
        assert said["effect"].startswith("splits record")
    else:
        assert said["effect"].startswith("keeps the pair apart")
        assert f"person {pl} ({nl} records)" in said["effect"]
        assert f"person {pr} ({nr} records)" in said["effect"]
    for _ in range(50):
        if client.get(f"/status/{said['job']}").json()["state"] == "done":
            break
        time.sleep(0.1)
    assert client.get(f"/status/{said['job']}").json() == {"state": "done",
                                                           "message": "2 sheets updated"}
    assert ran == [[said["id"]]]
    with open_store(home) as engine:
        stored = current(engine).to_pylist()
    assert len(stored) == 1 and stored[0]["judgement_id"] == said["id"]
    row = stored[0]
    assert (row["unique_id_l"], row["unique_id_r"], row["decision"]) == (left, right,
                                                                         "different")
    assert (row["judged_by"], row["reason"]) == (REVIEWER, REASON)
    with open_store(home) as engine, engine.connect() as con:
        evidence = json.loads(con.exec_driver_sql(
            "SELECT evidence FROM judgement WHERE id = ?", (said["id"],)).scalar_one())
    assert evidence["left"]["unique_id"] == left and evidence["right"]["unique_id"] == right
    assert evidence["publication"] == current_publication(home).name
    assert _published_files(home) == before   # nothing of the page under published/
    with open_log(home) as log:
        logged = [e for e in entries(log) if e.action == "judgement"]
    assert [json.loads(e.detail)["judgement_ids"] for e in logged] == [[said["id"]]]
    assert all(REASON not in repr(e) and REVIEWER not in repr(e) for e in logged)
    assert verify_home(home).whole
    # without a follow-up, the answer says when it takes effect; `--by` fixes who decides
    fixed = create_review_app(home, access=access, reviewer="Fixed Reviewer")
    answer = _signed_in(fixed, access).post(
        "/judgement", headers={CSRF_HEADER: access.csrf},
        json=decision | {"decision": "unsure", "by": "someone else"})
    assert answer.json()["status"] == "takes effect in the next run"
    assert answer.json()["effect"] == "marked seen, stays in the queue: no person changes"
    with open_store(home) as engine:
        assert current(engine).to_pylist()[0]["judged_by"] == "Fixed Reviewer"
    # the queue and the item show the decision before any run takes it up
    client = _signed_in(fixed, access)
    assert "unsure #2" in client.get("/").text
    assert "Judged <b>unsure</b> (judgement 2) by Fixed Reviewer" in client.get(
        _item_url(left, right)).text


@pytest.mark.e2e
def test_html_in_a_name_stays_inert(home: Path) -> None:
    left, right = _first_item(home)
    with duckdb.connect(str(_warehouse(home))) as con:
        con.execute("UPDATE std_persons SET display_name = '<script>alert(1)</script>', "
                    "surname = '\"><img src=x onerror=alert(2)>' WHERE unique_id = ?", [left])
    access = Access()
    client = _signed_in(create_review_app(home, access=access), access)
    assert client.post("/judgement", headers={CSRF_HEADER: access.csrf}, json={
        "left": left, "right": right, "decision": "unsure", "reason": "<script>alert(3)</script>",
        "by": "<b>Reviewer</b>"}).status_code == 200
    text = client.get(_item_url(left, right)).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>alert" not in text
    assert "<img src=x" not in text and "&lt;img src=x onerror=alert(2)&gt;" in text
    assert "&lt;script&gt;alert(3)" in text and "&lt;b&gt;Reviewer&lt;/b&gt;" in text


# ---- the real server in a real browser ---------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(home: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """`foto review` on the copied home, on a free port; yields its printed address."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "foto.cli", "review", "--home", str(home), "--port", str(port),
         "--by", REVIEWER], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    line = process.stdout.readline()
    found = re.search(r"http://127\.0\.0\.1:\d+/\?token=\S+", line)
    assert found, "foto review printed no address"
    url = found.group(0)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.e2e
def test_foto_review_refuses_a_port_in_use(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["review", "--home", str(home), "--port", str(port)]) == 2
    out = capsys.readouterr().out
    assert f"port {port} on 127.0.0.1 is in use" in out and "token=" not in out


@pytest.mark.e2e
def test_a_reviewer_decides_an_item_by_keyboard_in_chromium(
        home: Path, server: tuple[str, subprocess.Popen], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, process = server
    left, right = _first_item(home)
    with duckdb.connect(str(_warehouse(home)), read_only=True) as con:
        names = [n for (n,) in con.execute("SELECT display_name FROM std_persons "
                                           "WHERE unique_id IN (?, ?)", [left, right]).fetchall()]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 1100})
        page.goto(url)
        assert "token=" not in page.url   # the token left the address
        expect(page.locator("tr[data-href]").first).to_be_visible()
        page.keyboard.press("j")
        page.keyboard.press("Enter")
        page.wait_for_url("**/item?**")
        expect(page.locator("svg.marks")).to_be_visible()
        page.keyboard.press("d")   # no reason yet: nothing stored, the reason field is asked
        expect(page.locator("#outcome")).to_contain_text("Give a reason first")
        page.keyboard.press("Escape")
        page.keyboard.press("r")
        page.keyboard.type(REASON)
        page.keyboard.press("Escape")
        page.keyboard.press("d")
        expect(page.locator("#outcome")).to_contain_text("Stored as judgement 1 (different)")
        # the server re-publishes the persons it touches (job on_judgement), and says so
        expect(page.locator("#outcome .status[data-state=done]")).to_contain_text(
            "re-published", timeout=180_000)
        shot = page.screenshot(full_page=True)
        first = page.url
        page.keyboard.press("j")   # on to the next item, then back to the queue
        page.wait_for_function("u => location.href !== u", arg=first)
        # the judged pair left the re-published queue: `j` goes to what is first now
        expect(page.locator("h1")).to_contain_text("Item ")
        page.goto(url.split("?", 1)[0])
        expect(page.locator("tr[data-href]").first).to_be_visible()
        judged_row = item_url({"unique_id_l": left, "unique_id_r": right})
        assert page.locator(f'tr[data-href="{judged_row}"]').count() == 0   # decided: gone
        browser.close()
    (tmp_path / "review.png").write_bytes(shot)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        (ROOT / "docs" / "img" / "review.png").write_bytes(shot)
    with open_store(home) as engine:
        stored = current(engine).to_pylist()
    assert [(s["unique_id_l"], s["unique_id_r"], s["decision"], s["judged_by"], s["reason"])
            for s in stored] == [(left, right, "different", REVIEWER, REASON)]
    with duckdb.connect(str(_warehouse(home)), read_only=True) as con:   # the new publication
        held = con.execute("SELECT judgement_id, decision FROM judgements").fetchall()
        queued = con.execute("SELECT count(*) FROM review_queue WHERE unique_id_l = ? AND "
                             "unique_id_r = ?", [left, right]).fetchall()[0][0]
    assert held == [(1, "different")] and queued == 0
    process.terminate()
    output = process.communicate(timeout=10)[0]
    for secret in (REVIEWER, REASON, *names, left.split(":", 1)[1]):
        assert secret not in output, "the server wrote personal data or a record id to its log"
