"""Issue 15, "done when": `foto judge` on a false link and on a missed link, then `foto run` on
the same delivery — the first pair ends in two persons, the second in one, and
`person_records` says why. The whole path: the CLI's store, the nightly run's `judgements`
asset, the persons stage, the publication. Nothing the reviewer wrote reaches what `foto`
prints."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from config import load_config
from persons.constraints import FORBIDDEN_PAIR_SQL, constraint_params
from stores.sql import Fragment, fill
from tests.conftest import SAMPLE, foto

pytestmark = pytest.mark.e2e

BY = "Fatima Reviewer"
REASON = "Dossier 2026-77: geboortedatum wijkt af"


def _pairs(warehouse: Path) -> tuple[tuple[str, str], tuple[str, str]]:
    """A false link to undo (a two-record person joined by one pair) and a missed link to
    make (a review-band pair between two persons that no hard constraint keeps apart). The
    false link has a police or municipal side where the delivery has one: an arrest file can
    copy its identity (`test_judgements_persist._identity`)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        linked = con.sql("""
            SELECT m.unique_id_l, m.unique_id_r FROM match_pairs m
            JOIN person_records p ON p.unique_id = m.unique_id_l AND p.records_in_person = 2
            JOIN person_records q ON q.unique_id = m.unique_id_r AND q.person_id = p.person_id
            WHERE m.decision = 'link'
            ORDER BY (split_part(m.unique_id_l, ':', 1) IN ('police', 'municipal')
                      OR split_part(m.unique_id_r, ':', 1) IN ('police', 'municipal')) DESC,
                     m.match_probability, 1, 2 LIMIT 1""").fetchall()[0]
        missed = con.execute(fill("""
            SELECT a.unique_id, b.unique_id FROM review_pairs r
            JOIN std_persons a ON a.unique_id = r.unique_id_l
            JOIN std_persons b ON b.unique_id = r.unique_id_r
            WHERE r.person_id_l <> r.person_id_r AND ({forbidden_pair}) IS NULL
            ORDER BY r.match_probability DESC, 1, 2 LIMIT 1""",
            forbidden_pair=Fragment(FORBIDDEN_PAIR_SQL)),
            constraint_params(load_config().constraints)).fetchall()[0]
    finally:
        con.close()
    return linked, missed


def _persons(warehouse: Path, *uids: str) -> dict[str, tuple[str, str | None]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("SELECT unique_id, person_id, linked_by FROM person_records "
                           "WHERE list_contains($u, unique_id)", {"u": list(uids)}).fetchall()
    finally:
        con.close()
    return {u: (p, how) for u, p, how in rows}


def test_judged_links_hold_in_the_next_run_of_the_same_delivery(
        sample_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    shutil.copytree(sample_run, home, symlinks=True)
    (a, b), (c, d) = _pairs(home / "warehouse.duckdb")
    before = _persons(home / "warehouse.duckdb", a, b, c, d)
    assert before[a][0] == before[b][0] and before[c][0] != before[d][0]
    capsys.readouterr()

    assert foto("judge", a, b, "--different", "--by", BY, "--reason", REASON,
                "--home", str(home)) == 0
    assert foto("judge", c, d, "--same", "--by", BY, "--reason", REASON,
                "--home", str(home)) == 0
    assert foto("run", "--inbox", str(SAMPLE / "inbox"), "--home", str(home)) == 0

    after = _persons(home / "warehouse.duckdb", a, b, c, d)
    assert after[a][0] != after[b][0], "the pair judged different is still one person"
    assert after[c][0] == after[d][0], "the pair judged same is still two persons"
    assert "judgement" in (after[c][1], after[d][1])
    printed = capsys.readouterr()
    for secret in (BY, "Fatima", REASON, "Dossier", a.split(":", 1)[1], c.split(":", 1)[1]):
        assert secret not in printed.out + printed.err
