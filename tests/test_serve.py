"""`foto serve` tested as an attacker would (issue 16): every route behind a login and its
role, CSRF, session fixation and expiry, paths outside the publication, lockout, purpose
before person, and every look in the audit log.

The fast tests serve a small publication made here (a real `triage.duckdb`, real files, the
real app through TestClient): what is under test is the server, not the renderer. The e2e
tests run `foto serve` itself on the sample's published home, on a free port."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.cookiejar import CookieJar
from pathlib import Path

import duckdb
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from access import roles
from access.users import add_user
from audit.log import person_entries, verify_home
from audit.store import entries, open_log
from config import load_config
from foto.cli import main
from stores.publications import current_publication
from tests.test_audit_log import _tamper
from tests.test_review_page import _first_item
from web.serve import PERMISSIONS, REVIEW, SESSION_COOKIE, create_serve_app, permission

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery staple"
USERS = {"triage": "tina", "analyst": "anton", "privacy": "pim"}
PERSON = "F0123456789AB"
OTHER = "F00000000000A"
PUBLICATION = "20261201T010000-abcd1234"
NAME = "Jansen-Visser"


# The columns of `triage_person` the index shows and searches, with the published types.
COLUMNS = ("person_id VARCHAR, naam VARCHAR, geboortedatum DATE, geboortejaar BIGINT, "
           "woonplaats VARCHAR, bronnen VARCHAR[], reden_in_beeld VARCHAR[], "
           "prioriteit VARCHAR, prioriteit_reden VARCHAR, signalen VARCHAR[]")


def _add_persons(triage_db: Path, persons: list[tuple]) -> None:
    """Persons (id, name, birth date, woonplaats, priority) into the publication's table."""
    with duckdb.connect(str(triage_db)) as con:
        con.execute(f"CREATE TABLE IF NOT EXISTS triage_person ({COLUMNS})")
        con.executemany("INSERT INTO triage_person VALUES (?, ?, ?::DATE, year(?::DATE), ?, "
                        "['politie'], ['huiselijk_geweld'], ?, 'een reden', ['signaal'])",
                        [(pid, name, born, born, city, priority)
                         for pid, name, born, city, priority in persons])


def _many(count: int, start: int = 0x100) -> list[tuple]:
    return [(f"F{i:012X}", f"Persoon {i:05d}", f"19{60 + i % 40}-0{1 + i % 9}-1{i % 10}",
             "Utrecht", "laag") for i in range(start, start + count)]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home with one publication of two persons and a user of every role."""
    home = tmp_path / "home"
    triage = home / "publications" / PUBLICATION / "triage"
    (triage / "sheets").mkdir(parents=True)
    _add_persons(triage / "triage.duckdb", [
        (PERSON, NAME, "1985-03-12", "Zwolle", "hoog"),
        (OTHER, "Bakker", "1990-07-01", "Deventer", "laag")])
    (triage / "manifest.json").write_text(
        '{"published_at": "2026-12-01T01:00:00+00:00", "sheets": 2}', encoding="utf-8")
    (triage / "index.html").write_text(
        f'<html><body><a href="sheets/{PERSON}.html">{NAME}</a>'
        "<script>var zoek = 1;</script></body></html>", encoding="utf-8")
    for pid, name in ((PERSON, NAME), (OTHER, "Bakker")):
        (triage / "sheets" / f"{pid}.html").write_text(
            f'<html><body><h1>{name}</h1><script src="../publication.js"></script>'
            "</body></html>", encoding="utf-8")
    (triage / "publication.js").write_text("/* publication */", encoding="utf-8")
    (home / "published").symlink_to(Path("publications") / PUBLICATION / "triage")
    rules = load_config().access
    for role, name in USERS.items():
        add_user(home, name, role, PASSWORD, rules)
    return home


def _triage_db(home: Path) -> Path:
    return current_publication(home) / "triage" / "triage.duckdb"


def _app(home: Path):
    config = load_config()
    return create_serve_app(home, config.access, config.serve)


def _csrf(text: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert found, "no csrf_token in the form"
    return found.group(1)


def _login(client: TestClient, role: str, password: str = PASSWORD):
    token = _csrf(client.get("/login").text)
    return client.post("/login", data={"username": USERS[role], "password": password,
                                       "csrf_token": token}, follow_redirects=False)


def _client(home: Path, role: str | None = None) -> TestClient:
    client = TestClient(_app(home), base_url="http://127.0.0.1")
    if role:
        assert _login(client, role).status_code == 303
    return client


def _routes(app, prefix: str = "") -> list[tuple[str, str]]:
    """(method, path) of every route the app has, into included routers (FastAPI keeps those
    as one entry) and a mount as a file of it; a route of another kind fails the test."""
    found = []
    for route in getattr(app, "routes", app):
        if isinstance(route, APIRoute):
            found += [(m, prefix + route.path) for m in sorted(route.methods) if m != "HEAD"]
        elif isinstance(route, Mount):
            found.append(("GET", prefix + route.path + "/review.css"))
        elif hasattr(route, "original_router"):
            found += _routes(route.original_router.routes,
                             prefix + route.include_context.prefix)
        else:
            pytest.fail(f"a route of an unknown kind: {type(route).__name__}")
    return found


def _address(path: str) -> str:
    return (path.replace("{person_id}", PERSON).replace("{name}", f"{PERSON}.html")
            .replace("{rank}", "1").replace("{job}", "x"))


def test_every_route_declares_what_it_needs(tmp_path: Path) -> None:
    """A route added without an entry in PERMISSIONS (or outside /review) fails here."""
    for _method, path in _routes(_app(tmp_path)):
        permission(path)   # KeyError for an undeclared route


def test_no_route_without_a_login(home: Path) -> None:
    client = _client(home)
    client.cookies.set(SESSION_COOKIE, "made-up-session-id")
    routes = _routes(client.app)
    assert len(routes) >= len(PERMISSIONS) + 3   # the review page's routes are among them
    for method, path in routes:
        if PERMISSIONS.get(path, "") is None:
            continue
        answer = client.request(method, _address(path), follow_redirects=False)
        assert answer.status_code in (401, 303), (method, path)
        if answer.status_code == 303:
            assert answer.headers["location"] == "/login"
        assert NAME not in answer.text


@pytest.mark.parametrize("role", sorted(roles.ROLES))
def test_each_role_is_refused_where_it_must_be(home: Path, role: str) -> None:
    client = _client(home, role)
    for method, path in _routes(client.app):
        needed = permission(path)
        if not needed or method != "GET":
            continue
        answer = client.get(_address(path), follow_redirects=False)
        if roles.may(role, needed):
            assert answer.status_code != 403, (role, path)
        else:
            assert answer.status_code == 403, (role, path)
            assert NAME not in answer.text
    if not roles.may(role, roles.REVIEW):
        assert client.post(f"{REVIEW}/judgement", json={}).status_code == 403


def test_the_login_form_needs_its_csrf_token(home: Path) -> None:
    client = _client(home)
    token = _csrf(client.get("/login").text)
    data = {"username": USERS["triage"], "password": PASSWORD}
    for bad in ({}, {"csrf_token": "0" * 64}, {"csrf_token": token + "x"}):
        answer = client.post("/login", data=data | bad, follow_redirects=False)
        assert answer.status_code == 403 and SESSION_COOKIE not in answer.headers.get(
            "set-cookie", "")
    other = _client(home)   # a token from another browser's form does not fit this cookie
    other.get("/login")
    assert other.post("/login", data=data | {"csrf_token": token},
                      follow_redirects=False).status_code == 403
    answer = client.post("/login", data=data | {"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303 and "HttpOnly" in answer.headers["set-cookie"]
    assert "samesite=strict" in answer.headers["set-cookie"].lower()


def test_a_change_needs_the_sessions_csrf_token(home: Path) -> None:
    client = _client(home, "triage")
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200   # still logged in
    token = _csrf(client.get(f"/personen/{PERSON}").text)
    answer = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_a_cookie_from_before_login_is_never_promoted(home: Path) -> None:
    client = _client(home)
    client.cookies.set(SESSION_COOKIE, "planted-by-an-attacker")
    answer = _login(client, "triage")
    sid = answer.cookies.get(SESSION_COOKIE)
    assert sid and sid != "planted-by-an-attacker"
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, sid)
    attacker = _client(home)
    attacker.cookies.set(SESSION_COOKIE, "planted-by-an-attacker")
    assert attacker.get("/", follow_redirects=False).status_code == 303
    again = _login(client, "triage")   # a second login: a new id again, the old one ended
    assert again.cookies.get(SESSION_COOKIE) not in (None, sid)
    stale = _client(home)
    stale.cookies.set(SESSION_COOKIE, sid)
    assert stale.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("aged", ["idle", "absolute"])
def test_an_expired_session_is_refused(home: Path, aged: str) -> None:
    client = _client(home, "triage")
    sessions = client.app.state.sessions
    session = sessions.get(client.cookies.get(SESSION_COOKIE))
    if aged == "idle":
        session.seen -= sessions.idle + timedelta(seconds=1)
    else:
        session.started -= sessions.absolute + timedelta(seconds=1)
        session.seen = datetime.now(UTC)
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    session.seen = session.started = datetime.now(UTC)   # gone for good, not merely late
    assert client.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("address", [
    f"/personen/{OTHER[:-1]}B", "/personen/..%2F..%2Fetc%2Fpasswd", "/personen/../../etc/passwd",
    "/personen/%2e%2e%2ftriage.duckdb", "/sheets/..%2Fmanifest.json", "/sheets/x.html",
    f"/personen/{PERSON}%00", "/personen/f0123456789ab", "/static/../../keys/session.key",
    "/triage.duckdb", "/published/index.html"])
def test_unknown_persons_and_paths_outside_are_a_plain_404(home: Path, address: str) -> None:
    answer = _client(home, "triage").get(address + "?doel=casusoverleg")
    assert answer.status_code == 404
    assert str(home) not in answer.text and "/" not in answer.text.replace("</", "")
    assert "duckdb" not in answer.text and "Error" not in answer.text


def test_a_sheet_asks_the_purpose_once_per_person_and_every_view_is_logged(
        home: Path) -> None:
    client = _client(home, "triage")
    asked = client.get(f"/personen/{PERSON}")
    assert asked.status_code == 200 and NAME not in asked.text and "casusoverleg" in asked.text
    for free_text in ("Jan de Vries", "<b>x</b>", "casus", ""):
        refused = client.get(f"/personen/{PERSON}", params={"doel": free_text})
        assert refused.status_code == 400 and NAME not in refused.text
        assert "<b>x</b>" not in refused.text
    assert NAME in client.get(f"/personen/{PERSON}", params={"doel": "ZVH-2026-0042"}).text
    assert NAME in client.get(f"/personen/{PERSON}").text   # not asked again
    assert NAME not in client.get(f"/sheets/{OTHER}.html").text   # another person: asked
    views = [e for e in person_entries(home, PERSON) if e.action == "view"]
    assert [(e.who, e.role, e.purpose, e.publication) for e in views] == \
        [("tina", "triage", "ZVH-2026-0042", PUBLICATION)] * 2
    assert not [e for e in person_entries(home, OTHER) if e.action == "view"]
    assert verify_home(home).whole


def test_the_index_and_a_search_are_logged_the_search_only_as_a_keyed_hash(
        home: Path) -> None:
    client = _client(home, "triage")
    page = client.get("/")
    assert NAME in page.text and "<script" not in page.text   # searched here, not in the page
    found = client.get("/", params={"zoek": "Jansen"})
    assert NAME in found.text and "Bakker" not in found.text
    client.get("/", params={"zoek": "  JANSEN "})
    with open_log(home) as engine:
        logged = [e for e in entries(engine) if e.action in ("index", "search")]
        everything = list(entries(engine))
    assert [e.action for e in logged] == ["index", "search", "search"]
    assert all(e.publication == PUBLICATION for e in logged)
    assert '"page":1' in logged[0].detail
    assert logged[1].detail == logged[2].detail and "search_hash" in logged[1].detail
    assert not [e for e in everything if "jansen" in repr(e).lower()]   # nowhere in clear


def test_the_index_is_paged_in_the_published_order(home: Path) -> None:
    _add_persons(_triage_db(home), _many(120))
    client = _client(home, "triage")
    pages = [_listed(client.get("/", params={"pagina": n})) for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [50, 50, 22]
    assert pages[0][0] == PERSON   # priority first, as the published index
    shown = [pid for page in pages for pid in page]
    assert len(set(shown)) == 122 and shown[2:] == sorted(shown[2:])   # then by name
    first = client.get("/").text
    assert 'href="/?pagina=2"' in first and "Pagina 1 van 3" in first
    for beyond in ("4", "0", "-1", "x", "1.5", "99999999999", "1 OR 1=1"):
        answer = client.get("/", params={"pagina": beyond})
        assert answer.status_code == 404, beyond
        assert "Traceback" not in answer.text and str(home) not in answer.text
    with open_log(home) as engine:
        seen = [e.detail for e in entries(engine) if e.action == "index"]
    assert seen == ['{"page":1}', '{"page":2}', '{"page":3}', '{"page":1}']
    found = client.get("/", params={"zoek": "persoon", "pagina": 3})
    assert len(_listed(found)) == 20 and "120 personen gevonden" in found.text
    assert 'href="/?zoek=persoon&amp;pagina=2"' in found.text
    assert client.get("/", params={"zoek": "persoon", "pagina": 4}).status_code == 404


def _listed(answer) -> list[str]:
    """The person ids an index page lists, in its order."""
    assert answer.status_code == 200
    return re.findall(r'<a href="sheets/(F[0-9A-F]{12})\.html">', answer.text)


SEARCHES = [
    ("jansen", [PERSON]), ("Jansen-Visser", [PERSON]), ("visser jansen", [PERSON]),
    ("12-03-1985", [PERSON]), ("1985", [PERSON]), (PERSON.lower(), [PERSON]),
    ("zwolle", [PERSON]), ("bakker 1990", [OTHER]), ("deventer jansen", []),
    ("cetin", ["F0000000000C1"]), ("Çetin", ["F0000000000C1"]), ("WOJCIK", ["F0000000000C2"]),
    ("100%", ["F0000000000C3"]), ("%", ["F0000000000C3"]), ("_", ["F0000000000C4"]),
    ("a_b", ["F0000000000C4"]), ("o'brien", ["F0000000000C5"]), ("'", ["F0000000000C5"]),
    ("' OR '1'='1", []), ("'; DROP TABLE triage_person; --", []), ("\\", []),
    ("%%", []), ("$words", []), ("strasse", ["F0000000000C6"]), ("ﬁnn", ["F0000000000C6"]),
]


def test_a_search_finds_by_name_birth_date_and_id_and_takes_every_character_literally(
        home: Path) -> None:
    _add_persons(_triage_db(home), [
        ("F0000000000C1", "Çetin, Ayşe", "1970-01-01", "Almelo", "laag"),
        ("F0000000000C2", "Anna Wójcik", "1971-01-01", "Almelo", "laag"),
        ("F0000000000C3", "Honderd 100% Zeker", "1972-01-01", "Almelo", "laag"),
        ("F0000000000C4", "Naam a_b", "1973-01-01", "Almelo", "laag"),
        ("F0000000000C5", "Sean O'Brien", "1974-01-01", "Almelo", "laag"),
        ("F0000000000C6", "Finn Straße", "1975-01-01", "Almelo", "laag")])
    client = _client(home, "triage")
    for query, expected in SEARCHES:
        answer = client.get("/", params={"zoek": query})
        assert sorted(_listed(answer)) == sorted(expected), query
    with duckdb.connect(str(_triage_db(home)), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM triage_person").fetchone()[0] == 8


def test_the_servers_search_finds_what_the_published_pages_search_finds(home: Path) -> None:
    """The same rows as the published index's own script would show: every word, folded, in
    the row's `data-zoek`, for names in plain ASCII (DuckDB folds them) and others (foto's
    `fold`), rendered by the publisher from the same table."""
    from publish.display import search_words
    from publish.sheets import environment
    from stores.database import rows_of

    _add_persons(_triage_db(home), _many(30) + [
        ("F0000000000D1", "ØZTÜRK, Emre", "1980-02-29", "'s-Hertogenbosch", "midden"),
        ("F0000000000D2", "Ĳsbrand DE Vries", "1981-12-31", "IJsselstein", "laag"),
        ("F0000000000D3", "Ñuñez Ǆemal", None, "Ede", "laag")])
    with duckdb.connect(str(_triage_db(home)), read_only=True) as con:
        persons = rows_of(con, "SELECT * FROM triage_person")
    rows = environment().get_template("index_persons.html").render(persons=persons)
    published = re.findall(r'<tr data-zoek="([^"]*)">.*?muted small">(F[0-9A-F]{12})<', rows,
                           re.S)
    assert len(published) == 35
    client = _client(home, "triage")
    for query in ("oztürk", "ijs", "ij de", "29-02-1980", "nunez dz", "19", "persoon 2",
                  "emre 1980", "'s-h", "ede", "0", "e"):
        words = search_words(query)
        expected = sorted(pid for text, pid in published
                          if all(w in html.unescape(text) for w in words))
        found = [pid for n in range(1, 3)
                 for pid in _listed_or_none(client.get("/", params={"zoek": query,
                                                                      "pagina": n}))]
        assert sorted(found) == expected, query


def test_duckdb_folds_every_letter_it_is_given_as_fold_does() -> None:
    """The letters the server folds in SQL (`SQL_FOLDED`), each and in random strings, fold
    to what `publish.display.fold` makes of them, in either case; any other letter goes
    through `fold` itself."""
    import random

    from publish.display import fold
    from web.index_page import SQL_FOLDED, sql_fold

    letters = sorted(SQL_FOLDED)
    rng = random.Random(16)
    texts = letters + [c.upper() for c in letters] + [
        "".join(rng.choice(letters) for _ in range(rng.randint(1, 16))) for _ in range(5000)]
    with duckdb.connect() as con:
        folded = con.execute(f"SELECT t, {sql_fold('t')} FROM unnest($texts) AS u(t)",
                             {"texts": texts}).fetchall()
    assert [t for t, f in folded if f != fold(t)] == []
    assert [c for c in letters if fold(c.upper()) != fold(c)] == []   # the name as shown
    assert {"Ĳ", "ǆ", "ſ", "²"}.isdisjoint(SQL_FOLDED)   # DuckDB would keep these


def _listed_or_none(answer) -> list[str]:
    return [] if answer.status_code == 404 else _listed(answer)


def test_the_served_index_stays_small_however_many_persons(home: Path) -> None:
    client = _client(home, "triage")
    _add_persons(_triage_db(home), _many(60))
    small = len(client.get("/").content)
    _add_persons(_triage_db(home), _many(2000, start=0x1000))
    large = client.get("/")
    assert len(_listed(large)) == 50
    assert len(large.content) < small * 1.1 and len(large.content) < 60_000


def test_the_index_shows_the_arrests_the_publication_holds_on_its_first_page(
        home: Path) -> None:
    """As the published index: the arrests the publication holds (`arrests.json`) above the
    persons, newest first; another published arrest it does not hold is not shown."""
    _add_persons(_triage_db(home), _many(60))
    done = home / "arrests" / "done"
    done.mkdir(parents=True)
    for n, name in ((1, "Aangehouden <b>Een</b>"), (2, "Niet-Gehouden Twee")):
        (done / f"A{n}.json").write_text(json.dumps({
            "arrest_id": f"A{n}", "arrested_at": f"2026-11-30T0{n}:00:00+00:00",
            "arrested_local": f"30-11-2026 0{n}:00", "person_id": PERSON, "naam": name,
            "feit": "mishandeling", "huiselijk_geweld": True, "new_person": False,
            "content_sha256": f"h{n}"}), encoding="utf-8")
    (current_publication(home) / "arrests.json").write_text('{"A1": "h1"}', encoding="utf-8")
    client = _client(home, "triage")
    first = client.get("/").text
    assert 'id="aangehouden"' in first and "Aangehouden &lt;b&gt;Een&lt;/b&gt;" in first
    assert "(huiselijk geweld)" in first and "Niet-Gehouden" not in first
    assert 'id="aangehouden"' not in client.get("/", params={"pagina": 2}).text


def test_markup_in_a_name_or_a_search_stays_inert_in_the_index(home: Path) -> None:
    _add_persons(_triage_db(home), [("F0000000000E1", "<script>alert(1)</script>",
                                     "1970-01-01", '"><img src=x onerror=alert(2)>', "hoog")])
    client = _client(home, "triage")
    for answer in (client.get("/"), client.get("/", params={"zoek": "<script>alert(1)"}),
                   client.get("/", params={"zoek": '"><img src=x>'})):
        assert "<script>alert" not in answer.text and "<img src=x" not in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/").text
    assert client.get("/", params={"zoek": "x" * 201}).status_code == 400


def test_privacy_sees_who_viewed_whom_when_and_why_and_no_sheet(home: Path) -> None:
    _client(home, "triage").get(f"/personen/{PERSON}", params={"doel": "aanhouding"})
    privacy = _client(home, "privacy")
    report = privacy.get(f"/audit/person/{PERSON}")
    assert report.status_code == 200
    assert "tina" in report.text and "aanhouding" in report.text and PUBLICATION in report.text
    assert NAME not in report.text
    assert privacy.get(f"/personen/{PERSON}?doel=aanhouding").status_code == 403
    log = privacy.get("/audit")
    assert "login" in log.text and "view" in log.text and NAME not in log.text


def test_repeated_failures_lock_the_account(home: Path) -> None:
    client = _client(home)
    for _ in range(load_config().access.max_failed_logins):
        assert _login(client, "triage", "wrong password!").status_code == 401
    assert _login(client, "triage").status_code == 401   # the right password, locked
    with open_log(home) as engine:
        failed = [e for e in entries(engine) if e.action == "login_failed"]
    assert '"locked"' in failed[-1].detail


def test_html_typed_anywhere_stays_inert(home: Path) -> None:
    client = _client(home)
    token = _csrf(client.get("/login").text)
    answer = client.post("/login", data={"username": "<script>alert(1)</script>",
                                         "password": "<img src=x>", "csrf_token": token})
    assert "<script>alert" not in answer.text and "<img src=x" not in answer.text
    privacy = _client(home, "privacy")
    assert "<script>alert" not in privacy.get("/audit").text
    assert privacy.get("/audit/person", params={"id": "<script>"}).status_code == 404


def test_every_answer_has_the_security_headers(home: Path) -> None:
    client = _client(home, "triage")
    for address in ("/login", "/", f"/personen/{PERSON}", "/nope"):
        headers = client.get(address, follow_redirects=False).headers
        assert headers["cache-control"] == "no-store"
        assert headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "default-src 'none'" in headers["content-security-policy"]


def test_serve_reads_the_new_publication_after_a_swap(home: Path) -> None:
    client = _client(home, "triage")
    assert NAME in client.get("/").text
    newer = home / "publications" / "20261202T010000-ef567890" / "triage"
    newer.parent.mkdir()
    shutil.copytree(current_publication(home) / "triage", newer)
    with duckdb.connect(str(newer / "triage.duckdb")) as con:
        con.execute("UPDATE triage_person SET naam = 'Nieuwe-Naam' WHERE person_id = $p",
                    {"p": PERSON})
    (home / "published").unlink()
    (home / "published").symlink_to(Path("publications") / newer.parent.name / "triage")
    index = client.get("/").text
    assert "Nieuwe-Naam" in index and NAME not in index
    assert PERSON in _listed(client.get("/", params={"zoek": "nieuwe"}))
    client.get(f"/personen/{PERSON}", params={"doel": "casusoverleg"})
    assert person_entries(home, PERSON)[-1].publication == newer.parent.name


def test_foto_serve_without_a_publication_exits_2(tmp_path: Path) -> None:
    assert main(["serve", "--home", str(tmp_path / "empty")]) == 2


# ---- the real server ---------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(sample_home: Path) -> Iterator[tuple[Path, str, subprocess.Popen]]:
    """`foto serve` on a copy of the sample's published home, with a user of every role."""
    rules = load_config().access
    for role, name in USERS.items():
        add_user(sample_home, name, role, PASSWORD, rules)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "foto.cli", "serve", "--home", str(sample_home), "--port",
         str(port)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield sample_home, f"http://127.0.0.1:{port}", process
    finally:
        process.terminate()
        process.wait(timeout=10)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _browser() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()),
                                       _NoRedirect())


def _open(opener, url: str, data: dict | None = None) -> tuple[int, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(url, data=body, timeout=30) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


def _real_login(opener, base: str, role: str) -> int:
    _, form = _open(opener, base + "/login")
    return _open(opener, base + "/login", {"username": USERS[role], "password": PASSWORD,
                                          "csrf_token": _csrf(form)})[0]


@pytest.mark.e2e
def test_the_real_server_serves_a_sheet_logs_the_view_and_logs_no_personal_data(
        served: tuple[Path, str, subprocess.Popen]) -> None:
    home, base, process = served
    triage = current_publication(home) / "triage"
    anonymous = _browser()
    assert _open(anonymous, f"{base}/?pagina=2")[0] == 303
    browser = _browser()
    assert _real_login(browser, base, "triage") == 303
    status, index = _open(browser, base + "/?pagina=2")
    assert status == 200
    person_id = re.search(r'href="sheets/(F[0-9A-F]{12})\.html"', index).group(1)
    with duckdb.connect(str(triage / "triage.duckdb"), read_only=True) as con:
        name, born = con.execute("SELECT naam, geboortedatum FROM triage_person "
                                 "WHERE person_id = $p", {"p": person_id}).fetchone()
    assert _open(anonymous, f"{base}/personen/{person_id}?doel=casusoverleg")[0] == 303
    status, found = _open(browser, f"{base}/?zoek={born:%d-%m-%Y}")
    assert status == 200 and person_id in found
    status, page = _open(browser, f"{base}/personen/{person_id}")
    assert status == 200 and name not in page and "casusoverleg" in page
    status, page = _open(browser, f"{base}/personen/{person_id}?doel=casusoverleg")
    assert status == 200 and name.split()[-1] in page
    status, page = _open(browser, f"{base}/personen/..%2F..%2Fkeys%2Fsession.key")
    assert status == 404 and str(home) not in page
    assert _open(browser, f"{base}/audit")[0] == 403
    privacy = _browser()
    assert _real_login(privacy, base, "privacy") == 303
    status, report = _open(privacy, f"{base}/audit/person/{person_id}")
    assert status == 200 and "tina" in report and "casusoverleg" in report
    process.terminate()
    said = process.communicate(timeout=10)[0]
    with duckdb.connect(str(triage / "triage.duckdb"), read_only=True) as con:
        names = [n for (n,) in con.execute("SELECT naam FROM triage_person").fetchall() if n]
    assert not [n for n in names if n in said]
    assert not re.search(r"\b\d{9}\b", said)   # no BSN-shaped number
    assert person_id not in said   # uvicorn's access log is off
    assert main(["audit", "verify", "--home", str(home)]) == 0
    view = [e for e in person_entries(home, person_id) if e.action == "view"][-1]
    _tamper(home, "UPDATE audit_entry SET purpose = 'aanhouding' WHERE id = ?", (view.id,))
    assert main(["audit", "verify", "--home", str(home)]) != 0


@pytest.mark.e2e
def test_triage_opens_a_person_with_a_purpose_and_privacy_sees_it_in_chromium(
        served: tuple[Path, str, subprocess.Popen], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    home, base, _process = served
    shots = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for role in ("triage", "privacy"):
            page = browser.new_context(viewport={"width": 1100, "height": 800}).new_page()
            errors: list[str] = []
            page.on("console", lambda m, errors=errors: m.type == "error" and errors.append(
                m.text))
            page.goto(base + "/")
            page.wait_for_url("**/login")
            if role == "triage":
                shots["login.png"] = page.screenshot(full_page=True)
            page.fill("input[name=username]", USERS[role])
            page.fill("input[name=password]", PASSWORD)
            page.click("form[action='/login'] button")
            if role == "triage":
                page.wait_for_url(base + "/")
                page.fill("#zoek", "geen-zo-naam")   # searched in the server, logged hashed
                page.locator("#zoek").press("Enter")
                page.wait_for_url("**zoek=geen-zo-naam*")
                expect(page.locator("#personen tbody tr")).to_have_count(0)
                page.get_by_role("link", name="alle personen").click()
                page.wait_for_url(base + "/")
                page.locator("a[rel=next]").click()   # the index's second page
                page.wait_for_url("**pagina=2")
                page.locator("a[href^='sheets/']").first.click()
                page.wait_for_url("**/personen/*")
                person_id = page.url.rsplit("/", 1)[1]
                expect(page.locator("h1")).to_contain_text("Waarom")
                page.select_option("select[name=doel]", "ZSM-beoordeling")
                page.locator("form:has(select) button").click()
                page.wait_for_url("**doel=ZSM-beoordeling")
                expect(page.locator(".foto-publicatie").first).not_to_contain_text(
                    "zie de index")   # publication.js ran under the policy
                # nothing refused by the page's CSP (a 404 for /favicon.ico is no matter)
                assert not [e for e in errors if "Refused" in e or "Security Policy" in e]
            else:
                page.wait_for_url("**/audit")
                page.fill("input[name=id]", person_id)
                page.locator("form[action='/audit/person'] button").click()
                page.wait_for_url(f"**/audit/person/{person_id}")
                row = page.locator("#entries tbody tr").filter(has_text="ZSM-beoordeling")
                expect(row).to_contain_text(USERS["triage"])
                shots["access_report.png"] = page.screenshot(full_page=True)
        browser.close()
    for name, shot in shots.items():
        (tmp_path / name).write_bytes(shot)
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":
            (ROOT / "docs" / "img" / name).write_bytes(shot)
    assert [e.purpose for e in person_entries(home, person_id) if e.action == "view"] == \
        ["ZSM-beoordeling"]
    with open_log(home) as engine:
        searches = [e for e in entries(engine) if e.action == "search"]
    assert [e.who for e in searches] == [USERS["triage"]]
    assert "geen-zo-naam" not in searches[0].detail


@pytest.mark.e2e
def test_html_in_a_name_stays_inert_in_the_served_pages(sample_home: Path) -> None:
    """A name holding markup, rendered by the publisher as a nightly run would, is served as
    text on the index and on the sheet."""
    from publish.sheets import render_sheets

    triage = current_publication(sample_home) / "triage"
    with duckdb.connect(str(triage / "triage.duckdb")) as con:
        person_id = con.execute("SELECT min(person_id) FROM triage_person").fetchone()[0]
        con.execute("UPDATE triage_person SET naam = '<script>alert(1)</script>', "
                    "woonplaats = '\"><img src=x onerror=alert(2)>' WHERE person_id = $p",
                    {"p": person_id})
    for page in [triage / "index.html", *(triage / "sheets").glob("*.html")]:
        page.unlink()   # hard links into the previous publication: written anew, not through
    render_sheets(triage / "triage.duckdb", triage, "2026-12-01T01:00:00+00:00")
    rules = load_config().access
    add_user(sample_home, USERS["analyst"], "analyst", PASSWORD, rules)
    client = _client(sample_home, "analyst")
    for text in (client.get("/", params={"zoek": person_id}).text,
                 client.get(f"/personen/{person_id}", params={"doel": "casusoverleg"}).text):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>alert" not in text
        assert "<img src=x" not in text
    queue = client.get(f"{REVIEW}/")   # the analyst's review page, its links under /review
    assert queue.status_code == 200 and f'href="{REVIEW}/static/review.css"' in queue.text
    assert 'href="/item?' not in queue.text
    left, right = _first_item(sample_home)
    token = re.search(r'name="csrf-token" content="([^"]+)"', queue.text).group(1)
    decided = {"left": left, "right": right, "decision": "unsure", "reason": "ZVH-2026-1"}
    assert client.post(f"{REVIEW}/judgement", json=decided).status_code == 403   # no token
    answer = client.post(f"{REVIEW}/judgement", json=decided, headers={"X-CSRF-Token": token})
    assert answer.status_code == 200
    with open_log(sample_home) as engine:
        judged = [e for e in entries(engine) if e.action == "judgement"]
    assert [(e.who, e.role) for e in judged] == [(USERS["analyst"], "analyst")]


@pytest.mark.e2e
def test_an_analysts_review_item_view_is_logged_and_in_the_access_report(
        sample_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = load_config().access
    for role in ("analyst", "privacy"):
        add_user(sample_home, USERS[role], role, PASSWORD, rules)
    left, right = _first_item(sample_home)
    analyst = _client(sample_home, "analyst")
    item = analyst.get(f"{REVIEW}/item", params={"left": left, "right": right})
    assert item.status_code == 200
    with open_log(sample_home) as engine:
        views = [e for e in entries(engine) if e.action == "review_view"]
    assert views and {(e.who, e.role) for e in views} == {(USERS["analyst"], "analyst")}
    assert all(sorted(json.loads(e.detail)["records"]) == sorted([left, right]) for e in views)
    person_id = views[0].person_id
    report = _client(sample_home, "privacy").get(f"/audit/person/{person_id}")
    assert "review_view" in report.text and USERS["analyst"] in report.text
    capsys.readouterr()
    assert main(["audit", "person", person_id, "--home", str(sample_home)]) == 0
    assert "review_view" in capsys.readouterr().out
