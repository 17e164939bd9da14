"""The arrest path's one-scan prefilter keeps every record a nightly run's blocking would pair
with the new one: an arrest is never matched against less than a nightly run would see."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from matching.incremental import _SHARES_A_KEY
from matching.linker import make_linker
from matching.models import current_model
from matching.predict import model_for_size

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
