"""What the home keeps by count and by age (issue 17, item 3): kept publications, blocked
runs' build folders, quality reports and refused arrest files each go by their rule of
`retention`, and the current publication is never touched. Real folders and files; the
rules' own functions (`publish.publication`, `expectations.report`, `publish.arrests`)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from expectations.report import prune_reports
from publish.arrests import prune_refused, quarantine
from publish.publication import prune, prune_runs
from stores.publications import point_at, publication_id

DAY = 86400


def _publications(home: Path, n: int) -> list[Path]:
    folders = []
    for i in range(n):
        folder = home / "publications" / publication_id(f"2026110{i + 1}T000000", f"{i:08d}")
        folder.mkdir(parents=True)
        (folder / "warehouse.duckdb").write_bytes(b"x")
        folders.append(folder)
    return folders


def test_publications_beyond_the_count_go_never_the_current(tmp_path: Path) -> None:
    home = tmp_path / "home"
    folders = _publications(home, 6)
    point_at(home, folders[0])   # a rollback made the oldest current
    prune(home, 3)
    left = sorted(p.name for p in (home / "publications").iterdir())
    assert left == sorted([folders[0].name, *(f.name for f in folders[-3:])])


def test_blocked_runs_go_by_age_and_beyond_the_count_once_idle(tmp_path: Path) -> None:
    home = tmp_path / "home"
    now = time.time()
    ages = {"fresh": 0, "idle-1": 2 * 3600, "idle-2": 3 * 3600, "idle-3": 4 * 3600,
            "old": 15 * DAY}
    for name, age in ages.items():
        (home / "runs" / name).mkdir(parents=True)
        os.utime(home / "runs" / name, (now - age, now - age))
    prune_runs(home, keep=2, max_age_days=14)
    # the newest two stay; beyond them an idle one goes; past 14 days any goes
    assert sorted(p.name for p in (home / "runs").iterdir()) == ["fresh", "idle-1"]


def test_reports_beyond_the_count_go_oldest_first(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "reports").mkdir(parents=True)
    now = time.time()
    for i in range(5):
        report = home / "reports" / f"run-{i}.html"
        report.write_text("counts only", encoding="utf-8")
        os.utime(report, (now - (5 - i) * 60, now - (5 - i) * 60))
    prune_reports(home, 2)
    assert sorted(p.name for p in (home / "reports").iterdir()) == ["run-3.html", "run-4.html"]


def test_a_refused_arrest_file_goes_after_the_quarantine_term(tmp_path: Path) -> None:
    """The bytes of an arrest refused for its content (a name, a birth date) and its reason
    go `retention.quarantine_days` after the refusal; a recent refusal stays."""
    home = tmp_path / "home"
    old = quarantine(home, home / "in" / "AH-2026-000001.json", "field bsn", b'{"naam": "Oud"}')
    new = quarantine(home, home / "in" / "AH-2026-000002.json", "field bsn", b'{"naam": "Nw"}')
    then = time.time() - 90 * DAY - 60
    os.utime(old, (then, then))
    assert prune_refused(home, 90) == 1
    left = sorted(p.name for p in (home / "arrests" / "quarantine").iterdir())
    assert left == ["AH-2026-000002.json", "AH-2026-000002.json.reason.txt"]
    assert new.exists()


def test_a_published_arrest_past_its_use_term_is_laid_no_more_and_its_entry_goes(
        tmp_path: Path) -> None:
    """An arrest is a police registration dated by the arrest: its entry (a name, a birth
    date, the arrest itself) is kept to lay it over later publications, which it may no longer
    enter past the police use term (5 years); on the delivery day it passes, it goes."""
    from config import load_config
    from publish.arrests import all_arrests, drop_past_use_term, record_done
    from sources.registry import registry
    from sources.retention import resolve_terms
    from standardise.arrest_feed import SOURCE

    home = tmp_path / "home"
    for arrest_id, day in (("AH-2021-000001", "2021-11-27"), ("AH-2021-000002", "2021-11-28"),
                           ("AH-2025-000003", "2025-06-01")):
        record_done(home, {"arrest_id": arrest_id, "arrested_at": f"{day}T10:00:00+00:00",
                           "arrested_on": day, "naam": "Oud"})
    terms = resolve_terms(load_config(), list(registry()))[SOURCE]
    assert drop_past_use_term(home, terms, "2026-11-26") == []
    assert drop_past_use_term(home, terms, "2026-11-27") == ["AH-2021-000001"]
    assert sorted(e["arrest_id"] for e in all_arrests(home)) == ["AH-2021-000002",
                                                                 "AH-2025-000003"]
