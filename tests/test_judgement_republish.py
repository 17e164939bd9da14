"""Issue 15, item 6: a judgement takes effect within seconds, not tomorrow.

`foto judge` on a false link and on a missed link re-publishes at once (job `on_judgement`,
`publish.judgement_flow`): before any nightly run the current publication's `person_records`
shows the first pair in two persons and the second in one, with those persons' triage rows and
sheets; then `foto run` on the same delivery gives the very same persons, triage tables and
sheets (parity is the test). A `different` judgement is never undone by its re-publication nor
by a later arrest, published arrests survive a re-publication, a publication made current
while a judgement run builds is never undone by it, and nothing a reviewer wrote or a record
holds reaches `foto`'s output or Dagster's event log.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import duckdb
import pytest

from config import load_config
from foto.cli import main
from judgements.store import FILE_NAME
from matching.models import current_model
from publish.arrests import done_path, publish_lock
from publish.judgement_flow import nothing_to_do, republish_judgements
from publish.publication import point_to
from stores.publications import current_publication, point_at
from tests.conftest import SAMPLE, foto
from tests.test_arrest import _write
from tests.test_arrest_stages import PUBLISHED, _warehouse
from tests.test_judge_then_run import _pairs, _persons
from tests.test_judgements import PETER_1, SANNE
from tests.test_judgements_persist import _identity

BY = "Wilma Beoordelaar"
REASON = "Zaak 2026-4411: andere moeder volgens BRP"
TRIAGE_TABLES = ("triage_person", "triage_zekerheid", "triage_signaal", "triage_tijdlijn",
                 "triage_netwerk")


def _digest(db: Path, tables: tuple[str, ...]) -> dict[str, tuple]:
    """Per table: its rows, in order (content, ids included)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: tuple(con.sql(f"SELECT * FROM {t} ORDER BY ALL").fetchall()) for t in tables}
    finally:
        con.close()


def _sheets(publication: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8")
            for p in sorted((publication / "triage" / "sheets").glob("*.html"))}


def _record_values(warehouse: Path, uids: list[str]) -> set[str]:
    """What the judged records hold (names, birth dates, BSNs, streets): never to be shown."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("""SELECT first_name, surname, CAST(dob AS VARCHAR), bsn, street
                              FROM std_persons WHERE list_contains($u, unique_id)""",
                           {"u": uids}).fetchall()
    finally:
        con.close()
    return {str(v) for row in rows for v in row if v is not None and len(str(v)) > 3}


def _event_log(home: Path) -> str:
    from pipelines.instance import instance_for

    instance = instance_for(home)
    return " ".join(str(e.dagster_event) + str(e.user_message)
                    for run in instance.get_runs() for e in instance.all_logs(run.run_id))


def _home(sample_run: Path, tmp_path: Path) -> tuple[Path, Path, tuple[str, str], tuple[str, str]]:
    """A copy of the sample's published home: (home, its publication, a false link, a missed
    link)."""
    home = tmp_path / "home"
    shutil.copytree(sample_run, home, symlinks=True)
    false_link, missed_link = _pairs(home / "warehouse.duckdb")
    return home, current_publication(home), false_link, missed_link


@pytest.mark.e2e
def test_a_judgement_is_published_at_once_and_the_next_run_gives_the_same(
        sample_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home, nightly, (a, b), (c, d) = _home(sample_run, tmp_path)
    secrets = {BY, REASON, "Wilma", "Zaak 2026"} | \
        _record_values(home / "warehouse.duckdb", [a, b, c, d])
    capsys.readouterr()

    assert foto("judge", a, b, "--different", "--by", BY, "--reason", REASON,
                "--home", str(home)) == 0
    assert foto("judge", c, d, "--same", "--by", BY, "--reason", REASON,
                "--home", str(home)) == 0
    printed = capsys.readouterr()
    assert printed.out.count("re-published: ") == 2, printed.out

    # before any nightly run: the judgements are in the current publication
    judged = current_publication(home)
    assert judged is not None and judged != nightly
    manifest = json.loads((judged / "triage" / "manifest.json").read_text())
    assert manifest["newest_judgement"] == 2 and manifest["delivery"] == "2026-11-27"
    now = _persons(home / "warehouse.duckdb", a, b, c, d)
    assert now[a][0] != now[b][0], "the pair judged different is still one person"
    assert now[c][0] == now[d][0], "the pair judged same is still two persons"
    assert "judgement" in (now[c][1], now[d][1])
    persons = {now[x][0] for x in (a, b, c, d)}
    triage = duckdb.connect(str(judged / "triage" / "triage.duckdb"), read_only=True)
    shown = {r[0] for r in triage.execute(
        "SELECT person_id FROM triage_person WHERE list_contains($p, person_id)",
        {"p": sorted(persons)}).fetchall()}
    triage.close()
    assert all((judged / "triage" / "sheets" / f"{p}.html").exists() for p in shown)

    # the nightly run on the same delivery: the same persons, triage rows and sheets
    before = (_digest(judged / "warehouse.duckdb", ("person_records", "person")),
              _digest(judged / "triage" / "triage.duckdb", TRIAGE_TABLES), _sheets(judged))
    assert foto("run", "--inbox", str(SAMPLE / "inbox"), "--home", str(home)) == 0
    rerun = current_publication(home)
    assert rerun not in (judged, nightly)
    after = (_digest(rerun / "warehouse.duckdb", ("person_records", "person")),
             _digest(rerun / "triage" / "triage.duckdb", TRIAGE_TABLES), _sheets(rerun))
    for got, want, what in zip(after, before, ("warehouse", "triage", "sheets"), strict=True):
        assert got == want, f"the nightly run differs from the judgement's publication: {what}"

    printed = capsys.readouterr()
    told = printed.out + printed.err + _event_log(home)
    assert not [s for s in secrets if s in told]


@pytest.mark.e2e
def test_a_different_survives_its_republication_an_arrest_and_the_arrest_survives_the_next(
        sample_run: Path, tmp_path: Path) -> None:
    home, _, (a, b), (c, d) = _home(sample_run, tmp_path)
    inbox = tmp_path / "inbox"
    warehouse = home / "warehouse.duckdb"
    assert foto("judge", a, b, "--different", "--by", BY, "--reason", REASON,
                "--home", str(home)) == 0
    assert _persons(warehouse, a)[a][0] != _persons(warehouse, b)[b][0]

    # an arrest copying the identity of one side (a police or municipal record: an arrest
    # file carries their fields): never joins the other side's person
    copied, other = (a, b) if a.split(":")[0] in ("police", "municipal") else (b, a)
    arrest = {"arrest_id": "AH-2026-980001", "aangehouden_op": "2026-11-27T22:10:00+01:00",
              "record_id": "PL-2026-980001-01", "feit": "bedreiging",
              "huiselijk_geweld": False} | _identity(warehouse, copied)
    assert foto("arrest", str(_write(inbox / "arrests", arrest)), "--home", str(home)) == 0
    entry = json.loads(done_path(home, arrest["arrest_id"]).read_text())
    assert entry["person_id"] != _persons(warehouse, other)[other][0]

    # the next judgement's re-publication: the `different` holds, the arrest is still there
    assert foto("judge", c, d, "--same", "--by", BY, "--reason", REASON,
                "--home", str(home)) == 0
    publication = current_publication(home)
    assert json.loads((publication / "triage" / "manifest.json").read_text()
                      )["newest_judgement"] == 2
    now = _persons(warehouse, a, b, c, d)
    assert now[a][0] != now[b][0] and now[c][0] == now[d][0]
    held = json.loads((publication / "arrests.json").read_text())
    assert arrest["arrest_id"] in held
    laid = json.loads(done_path(home, arrest["arrest_id"]).read_text())
    assert laid["person_id"] != now[other][0]
    assert (publication / "triage" / "sheets" / f"{laid['person_id']}.html").exists()


@pytest.mark.e2e
def test_a_publication_made_current_meanwhile_is_never_undone(
        sample_run: Path, tmp_path: Path) -> None:
    """A judgement run that built on one publication while another became current (here a
    rollback, made while the run waits for the publish lock) starts again on the new one."""
    home, nightly, (a, b), (c, d) = _home(sample_run, tmp_path)
    assert foto("judge", a, b, "--different", "--by", BY, "--reason", REASON,
                "--home", str(home)) == 0
    first = current_publication(home)
    assert main(["judge", c, d, "--same", "--by", BY, "--reason", REASON, "--later",
                 "--home", str(home)]) == 0
    model, config = current_model(home / "models"), load_config()
    done: dict = {}
    with publish_lock(home):
        worker = threading.Thread(target=lambda: done.update(
            outcome=republish_judgements(home, model, config)))
        worker.start()
        staged = home / "runs"            # it builds on `first`, then waits for the lock
        deadline = time.monotonic() + 120
        while not list(staged.glob("j*/publication/warehouse.duckdb")):
            assert worker.is_alive() and time.monotonic() < deadline
            time.sleep(0.2)
        point_to(home, nightly)           # meanwhile, another publication is made current
    worker.join(timeout=120)
    outcome = done["outcome"]
    assert outcome.status == "published" and outcome.attempts == 2
    final = current_publication(home)
    assert final not in (first, nightly)
    assert json.loads((final / "triage" / "manifest.json").read_text()
                      )["reformed_from"] == nightly.name
    now = _persons(home / "warehouse.duckdb", a, b, c, d)
    assert now[a][0] != now[b][0] and now[c][0] == now[d][0]


@pytest.mark.e2e
def test_a_judgement_stored_while_a_nightly_run_builds_is_in_what_it_publishes(
        sample_run: Path, tmp_path: Path) -> None:
    """The nightly run reads the store when it starts: a judgement stored later (here while
    the run waits for the publish lock, its photo built) is re-formed on the nightly's own
    publication right after its swap, so the run never undoes it."""
    home, nightly, (a, b), _ = _home(sample_run, tmp_path)
    done: dict = {}
    with publish_lock(home):
        run = threading.Thread(target=lambda: done.update(code=foto(
            "run", "--inbox", str(SAMPLE / "inbox"), "--home", str(home))))
        run.start()
        deadline = time.monotonic() + 600
        while not list((home / "runs").glob("*/publication/warehouse.duckdb")):
            assert run.is_alive() and time.monotonic() < deadline
            time.sleep(0.2)
        assert foto("judge", a, b, "--different", "--by", BY, "--reason", REASON, "--later",
                    "--home", str(home)) == 0
    run.join(timeout=600)
    assert done["code"] == 0
    final = current_publication(home)
    manifest = json.loads((final / "triage" / "manifest.json").read_text())
    assert manifest["newest_judgement"] == 1
    assert manifest["reformed_from"] not in (nightly.name, final.name)   # the nightly's own
    now = _persons(home / "warehouse.duckdb", a, b)
    assert now[a][0] != now[b][0]


def test_no_job_without_a_publication_or_one_it_can_re_form(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`foto judge` asks before it starts a job: without a publication, or with one built by
    an earlier version of foto (no `model_clusters`) or another model, the judgement is
    stored and the next nightly run applies it; no job runs, and the line says so."""
    home = tmp_path / "home"
    home.mkdir()
    model, config = current_model(home / "models"), load_config()
    assert nothing_to_do(home, model, config).status == "no_publication"
    assert republish_judgements(home, model, config).status == "no_publication"
    assert not (home / FILE_NAME).exists()

    publication = home / "publications" / "20261127T020000-abcd1234"
    (publication / "triage").mkdir(parents=True)
    wh = _warehouse(publication / "warehouse.duckdb", PUBLISHED)
    con = duckdb.connect(str(wh))
    con.execute("CREATE TABLE run_info AS SELECT $v AS model_version, 't1' AS "
                "thresholds_version, 0.9 AS link_threshold, 0.5 AS review_threshold",
                {"v": model.version})
    con.close()
    point_at(home, publication)
    capsys.readouterr()
    assert main(["judge", PETER_1, SANNE, "--different", "--by", BY, "--reason", REASON,
                 "--home", str(home)]) == 0
    out = capsys.readouterr().out
    assert "not re-published now (stale publication): the next run applies them" in out
    assert nothing_to_do(home, model, config).status == "stale_publication"
    assert not (home / "runs").exists() and not (home / "dagster").exists()
    assert not [s for s in (BY, REASON, PETER_1, SANNE) if s in out]


@pytest.mark.e2e
def test_later_stores_only_and_the_next_judge_publishes_it(
        sample_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home, nightly, (a, b), (c, d) = _home(sample_run, tmp_path)
    capsys.readouterr()
    assert foto("judge", a, b, "--different", "--by", BY, "--reason", REASON, "--later",
                "--home", str(home)) == 0
    assert "re-published" not in capsys.readouterr().out
    assert current_publication(home) == nightly
    model, config = current_model(home / "models"), load_config()
    assert nothing_to_do(home, model, config) is None
    assert foto("judge", c, d, "--same", "--by", BY, "--reason", REASON,
                "--home", str(home)) == 0
    assert "re-published: " in capsys.readouterr().out
    now = _persons(home / "warehouse.duckdb", a, b, c, d)
    assert now[a][0] != now[b][0] and now[c][0] == now[d][0]
    assert nothing_to_do(home, model, config).status == "current"
