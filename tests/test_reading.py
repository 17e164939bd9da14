"""The sources read two at a time (`assets.reading.read_sources`, a worker process for the second
lane) store exactly what reading them one after another stores, in the same order."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from assets.ingest import ingest, ingest_all
from assets.reading import lanes, typed_table
from config import load_config
from sources.registry import registry
from sources.retention import resolve_terms
from stores.duck import spilling_under

INBOX = Path(__file__).resolve().parents[1] / "data" / "sample" / "inbox"
DELIVERY = INBOX / "2026-11-27"


def _tables(db: Path) -> dict[str, str]:
    """Every table's types and rows in stored order (no ORDER BY: the order is part of it)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for (name,) in con.sql("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
            types = con.execute("SELECT column_name, data_type FROM duckdb_columns() "
                                "WHERE table_name = ? ORDER BY column_index", [name]).fetchall()
            rows = con.sql(f'SELECT * FROM "{name}"').fetchall()
            out[name] = hashlib.sha256(repr((types, rows)).encode()).hexdigest()
        return out
    finally:
        con.close()


def test_sources_read_side_by_side_store_what_one_by_one_stores(tmp_path: Path,
                                                                monkeypatch) -> None:
    monkeypatch.setattr("assets.reading.cores", lambda: 2)   # a worker even on one core
    config = load_config()
    terms = resolve_terms(config, list(registry()))
    days = config.retention.quarantine_days
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    names = list(registry().names())
    with spilling_under(home):
        for source in names:
            ingest(source, DELIVERY, home, terms[source], tmp_path / "one.duckdb", days)
        before = set(home.rglob("*"))
        done = ingest_all(names, DELIVERY, home, terms, tmp_path / "two.duckdb", days)
        # the worker wrote nothing: no file in the home, not even in the step's spill folder
        assert set(home.rglob("*")) == before
    assert _tables(tmp_path / "two.duckdb") == _tables(tmp_path / "one.duckdb")
    assert [ready.source for ready, _ in done] == names
    for ready, lifted in done:
        counts = ready.counts
        assert counts["read"] == counts["accepted"] + counts["quarantined"] + counts["expired"] \
            + sum(v for k, v in counts.items() if k.startswith("withheld_"))
        assert ready.accepted is None and lifted == []   # the tables let go once stored


def test_lanes_give_the_worker_the_heavier_lane(tmp_path: Path) -> None:
    """The largest file alone when it outweighs the rest, and in the worker's lane: this
    process also writes every source."""
    sizes = {"municipal": 1160, "police": 470, "care": 310, "justice": 26}
    files = {}
    for name, size in sizes.items():
        files[name] = tmp_path / name
        files[name].write_bytes(b"x" * size)
    assert lanes(files, 2) == [["police", "care", "justice"], ["municipal"]]
    assert lanes(files, 1) == [["municipal", "police", "care", "justice"]]
    files["missing"] = tmp_path / "absent"   # a missing file weighs nothing: refused quickly
    assert "missing" in lanes(files, 2)[0]


@pytest.mark.parametrize(("values", "kind"), [
    (pd.Series(["a", None, float("nan"), pd.NA], dtype=object), pa.string()),
    (pd.Series([None, None], dtype=object), pa.date32()),
    (pd.Series([float("nan"), float("nan")]), pa.date32()),
    (pd.Series(["x", None], dtype="str"), pa.string()),
    (pd.Series([True, None], dtype="boolean"), pa.bool_()),
])
def test_typed_table_gives_what_the_list_path_gave(values: pd.Series, kind: pa.DataType
                                                   ) -> None:
    """Arrow's conversion from the frame's arrays against the value-by-value list it
    replaced: the same values, missing where pandas says missing, in the declared type."""
    source = "police"
    column = next(c for c, t in registry()[source].raw_types.items()
                  if {pa.string(): "VARCHAR", pa.date32(): "DATE",
                      pa.bool_(): "BOOLEAN"}[kind] == t)
    objects = values.astype("object")
    listed = pa.array(objects.where(objects.notna(), None).tolist(), type=kind)
    got = typed_table(pd.DataFrame({column: values}), source).column(column).combine_chunks()
    assert got.equals(listed)


def test_typed_table_refuses_a_value_of_another_type_as_before() -> None:
    column = next(c for c, t in registry()["police"].raw_types.items() if t == "DATE")
    with pytest.raises(pa.ArrowTypeError):
        typed_table(pd.DataFrame({column: pd.Series(["2020-01-01"], dtype=object)}), "police")
    with pytest.raises(pa.ArrowTypeError):   # a number where text is declared: not cast
        typed_table(pd.DataFrame({"record_id": pd.Series([12345])}), "police")
