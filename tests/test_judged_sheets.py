"""Issue 15, item 6: a sheet says which links a reviewer confirmed, and when, never who or why.

`foto judge` on a review-band pair of a person of concern (`--same`), then `foto run` on the
same delivery: the published sheet of the person the pair now forms says "bevestigd door een
reviewer op <dag>", and neither the sheet nor the triage database holds the reviewer's name or
the reason."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from config import load_config
from persons.constraints import FORBIDDEN_PAIR_SQL, constraint_params
from publish.display import TIMEZONE, dutch_long_date
from stores.publications import current_triage
from stores.sql import Fragment, fill
from tests.conftest import SAMPLE, foto

pytestmark = pytest.mark.e2e

BY = "Yara Beoordelaar"
REASON = "Zaak 2026-0913: zelfde telefoonnummer bij beide meldingen"


def _review_pair_of_concern(warehouse: Path) -> tuple[str, str]:
    """A review-band pair between two persons, one of them of concern, that no hard constraint
    keeps apart: once judged the same, it is a link no model made."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(fill("""
            SELECT a.unique_id, b.unique_id FROM review_pairs r
            JOIN std_persons a ON a.unique_id = r.unique_id_l
            JOIN std_persons b ON b.unique_id = r.unique_id_r
            JOIN person p ON p.person_id IN (r.person_id_l, r.person_id_r)
            WHERE r.person_id_l <> r.person_id_r AND p.person_of_concern
              AND ({forbidden_pair}) IS NULL
            ORDER BY r.match_probability DESC, 1, 2 LIMIT 1""",
            forbidden_pair=Fragment(FORBIDDEN_PAIR_SQL)),
            constraint_params(load_config().constraints)).fetchall()[0]
    finally:
        con.close()


def test_a_judged_link_is_on_the_sheet_with_its_day_never_who_or_why(
        sample_run: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(sample_run, home, symlinks=True)
    left, right = _review_pair_of_concern(home / "warehouse.duckdb")
    assert foto("judge", left, right, "--same", "--by", BY, "--reason", REASON,
                "--home", str(home)) == 0
    judged_on = dutch_long_date(datetime.now(TIMEZONE))
    assert foto("run", "--inbox", str(SAMPLE / "inbox"), "--home", str(home)) == 0

    wh = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    persons = wh.execute("""SELECT DISTINCT person_id FROM person_records
                            WHERE unique_id IN ($l, $r)""", {"l": left, "r": right}).fetchall()
    wh.close()
    assert len(persons) == 1, "the pair judged the same is still two persons"
    (person_id,) = persons[0]
    sheet = (current_triage(home) / "sheets" / f"{person_id}.html").read_text(encoding="utf-8")
    assert f"bevestigd door een reviewer op {judged_on}" in sheet
    triage = duckdb.connect(str(current_triage(home) / "triage.duckdb"), read_only=True)
    confirmed = triage.execute("""SELECT bevestigde_koppelingen FROM triage_zekerheid
                                  WHERE person_id = $p""", {"p": person_id}).fetchall()
    published = " ".join(str(row) for (table,) in triage.sql(
        "SELECT table_name FROM duckdb_tables()").fetchall()
        for row in triage.sql(f"SELECT * FROM {table}").fetchall())
    triage.close()
    assert confirmed == [(1,)]
    for secret in (BY, "Beoordelaar", REASON, "Zaak 2026", "telefoonnummer"):
        assert secret not in sheet and secret not in published, secret
