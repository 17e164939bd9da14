"""A rollback brings back no record that may no longer be used (issue 17, item 3): the kept
publication it would return to is refused (nothing changes, one line, exit 1) when it holds a
record past its use term today or a record on the open suppression list; a publication that
holds neither is made current as before."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from config import load_config
from foto.cli import main
from judgements.store import RecordKey
from judgements.suppressions import suppress
from publish.kept_terms import RollbackRefused
from publish.publication import rollback
from stores.publications import current_publication, point_at

EARLIER, LATER = "20261127T020000-abcd1234", "20261128T020000-abcd5678"
TODAY = date(2026, 12, 1)
ENCRYPTION = load_config().encryption


def _home(tmp_path: Path, use_until: str, record_terms: bool = True) -> Path:
    """Two publications, the later current; the earlier holds two records, one of which
    (police PL-1) may be used until `use_until`."""
    home = tmp_path / "home"
    for pub in (EARLIER, LATER):
        folder = home / "publications" / pub
        (folder / "triage").mkdir(parents=True)
        con = duckdb.connect(str(folder / "warehouse.duckdb"))
        con.execute("CREATE TABLE person_records (person_id VARCHAR, source VARCHAR, "
                    "record_id VARCHAR)")
        con.execute("INSERT INTO person_records VALUES ('P1', 'police', 'PL-1'), "
                    "('P2', 'care', 'VT-1-1')")
        if record_terms:
            con.execute("CREATE TABLE record_terms (source VARCHAR, record_id VARCHAR, "
                        "use_until DATE, destroy_by DATE)")
            until = use_until if pub == EARLIER else "2031-01-01"
            con.execute("INSERT INTO record_terms VALUES ('police', 'PL-1', ?, '2036-01-01'), "
                        "('care', 'VT-1-1', '2029-01-01', '2046-01-01')", [until])
        con.close()
    point_at(home, home / "publications" / LATER)
    return home


def test_a_publication_within_its_terms_is_made_current(tmp_path: Path) -> None:
    home = _home(tmp_path, "2026-12-02")   # still in use on TODAY
    was, now = rollback(home, encryption=ENCRYPTION, today=TODAY)
    assert (was.name, now.name) == (LATER, EARLIER)
    assert current_publication(home) == home / "publications" / EARLIER


@pytest.mark.parametrize("until", ["2026-12-01", "2025-06-01"])
def test_a_publication_holding_a_record_past_its_use_term_is_refused(
        tmp_path: Path, until: str) -> None:
    home = _home(tmp_path, until)   # the term ends on TODAY or ended before
    with pytest.raises(RollbackRefused, match=r"1 record\(s\) past their use term"):
        rollback(home, encryption=ENCRYPTION, today=TODAY)
    assert current_publication(home) == home / "publications" / LATER


def test_a_publication_holding_an_erased_record_is_refused(tmp_path: Path) -> None:
    home = _home(tmp_path, "2030-01-01")
    suppress(home, RecordKey("care", "VT-1-1"), "privacy officer", "court order")
    with pytest.raises(RollbackRefused, match=r"1 erased record\(s\)") as refused:
        rollback(home, encryption=ENCRYPTION, today=TODAY)
    assert "VT-1-1" not in str(refused.value)   # counts, not ids or values
    assert current_publication(home) == home / "publications" / LATER


def test_a_publication_without_terms_cannot_be_shown_safe_and_is_refused(
        tmp_path: Path) -> None:
    home = _home(tmp_path, "2030-01-01", record_terms=False)
    with pytest.raises(RollbackRefused, match="before retention terms were kept"):
        rollback(home, encryption=ENCRYPTION, today=TODAY)


def test_the_command_refuses_with_one_line_and_exit_1(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    """Judged on the delivery date of the publication readers see now (its manifest): the
    record's term ended that day."""
    home = _home(tmp_path, "2026-11-27")
    (home / "publications" / LATER / "triage" / "manifest.json").write_text(
        '{"delivery": "2026-11-27"}', encoding="utf-8")
    assert main(["rollback", "--home", str(home)]) == 1   # no job runs: fast
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("foto rollback: refused: publication "
                                               f"{EARLIER} holds 1 record(s) past")
    assert current_publication(home) == home / "publications" / LATER
