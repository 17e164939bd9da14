"""The arrest path's one-scan prefilter keeps every record a nightly run's blocking would pair
with the new one: an arrest is never matched against less than a nightly run would see."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from matching.linker import make_linker
from matching.models import current_model
from matching.predict import model_for_size
from persons.incremental import _SHARES_A_KEY

pytestmark = pytest.mark.e2e


def test_every_blocked_pair_shares_a_prefilter_key_whichever_record_is_new(
        sample_run: Path) -> None:
    con = duckdb.connect(str(sample_run / "warehouse.duckdb"), read_only=True)
    records = con.sql("SELECT * FROM std_persons").to_arrow_table()
    model = model_for_size(current_model(sample_run / "models").path, records.num_rows)
    blocked = make_linker(records, model).inference.compute_blocked_pairs_for_predict()
    pairs = blocked.as_pyarrow_table().select(["join_key_l", "join_key_r"])
    assert pairs.num_rows > 0
    check = duckdb.connect()
    check.register("records", records)
    check.register("pairs", pairs)
    check.execute("CREATE TABLE numbered AS SELECT row_number() OVER () AS pair_no, * "
                  "FROM pairs")
    for side in ("l", "r"):
        check.execute(f"CREATE TABLE side_{side} AS SELECT p.pair_no, x.* FROM numbered p "
                      f"JOIN records x ON x.unique_id = p.join_key_{side}")
    missing = 0
    for master, new in (("side_l", "side_r"), ("side_r", "side_l")):
        missing += check.sql(f"""
            SELECT count(*) FROM {master} m JOIN {new} n ON m.pair_no = n.pair_no
            WHERE NOT coalesce({_SHARES_A_KEY}, false)""").fetchall()[0][0]
    assert missing == 0, f"{missing} of {pairs.num_rows} blocked pairs escape the prefilter"


def _arrest_against(tmp_path: Path, son_surname: str, weights: dict[str, float]):
    """A published father ('f1', 'f2') and son ('s1', 's2') of one name, and a new record 'x'
    without a birth date whose pairs with f1 and s1 have `weights`; where `_choose` puts x.
    Both persons hold two records: a person's size is evidence too (`persons.attach`: a record
    is likelier to be a person's with more records), so equal pairs are a tie only then."""
    import duckdb
    import pyarrow as pa

    from config import load_config
    from persons.incremental import _choose, _live_views
    from standardise.rules import prepare

    def row(uid: str, dob: str | None, surname: str = "vries") -> dict:
        return {"unique_id": uid, "source": "police", "record_id": uid, "bsn": None, "dob": dob,
                "dob_year": int(dob[:4]) if dob else None, "surname_1": surname,
                "first_name": "jan", "first_name_key": "jan", "given_name_list": ["jan"]}

    published = [("f1", "F", row("f1", "1961-03-12")), ("f2", "F", row("f2", "1961-03-12")),
                 ("s1", "S", row("s1", "1989-10-02", son_surname)),
                 ("s2", "S", row("s2", "1989-10-02", son_surname))]
    wh = duckdb.connect(str(tmp_path / "wh.duckdb"))
    wh.register("s", pa.Table.from_pylist([r for _, _, r in published]))
    wh.execute("CREATE TABLE std_persons AS SELECT * REPLACE (CAST(dob AS DATE) AS dob) FROM s")
    wh.register("p", pa.Table.from_pylist([{"unique_id": u, "source": "police", "record_id": u,
                                            "person_id": p} for u, p, _ in published]))
    wh.execute("CREATE TABLE person_records AS SELECT * FROM p")
    wh.close()
    con = duckdb.connect()
    prepare(con)
    con.execute(f"ATTACH '{tmp_path / 'wh.duckdb'}' AS wh (READ_ONLY)")
    _live_views(con, None)   # what match_one reads the published records through
    con.register("x", pa.Table.from_pylist([row("x", None)]))
    con.execute("CREATE TABLE n AS SELECT * REPLACE (CAST(dob AS DATE) AS dob) FROM x")
    scored = pa.Table.from_pylist([
        {"unique_id_l": other, "unique_id_r": "x", "match_weight": w,
         "match_probability": 1 / (1 + 2 ** -w)} for other, w in weights.items()])
    config = load_config()
    return _choose(con, "x", scored, len(weights), config.matching.thresholds,
                   config.constraints, tmp_path / "wh.duckdb", None)


def test_an_arrest_that_fits_a_father_and_a_son_equally_joins_neither(tmp_path: Path) -> None:
    match = _arrest_against(tmp_path, "vries", {"f1": 9.0, "s1": 9.0})
    assert match.person_id is None and match.undecided == 2


def test_an_arrest_clearly_more_like_the_father_joins_him(tmp_path: Path) -> None:
    assert _arrest_against(tmp_path, "vries", {"f1": 12.0, "s1": 9.0}).person_id == "F"


def test_two_persons_nothing_keeps_apart_leave_the_best_link_standing(tmp_path: Path) -> None:
    """A nightly run would join all three; until then the arrest goes with its best link."""
    match = _arrest_against(tmp_path, "bakker", {"f1": 9.0, "s1": 9.0})
    assert match.person_id in ("F", "S") and match.undecided == 0
