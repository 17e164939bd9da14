"""The sample generator: seeded, reproducible, in the contract's formats, truth for all."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from sources.care import read_care
from sources.justice import read_justice
from sources.municipal import read_municipal
from sources.police import read_police
from tests.conftest import load_generator


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    gen = load_generator()
    gen.generate(300, 5, tmp_path / "a")
    gen.generate(300, 5, tmp_path / "b")
    gen.generate(300, 6, tmp_path / "c")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_delivery_reads_under_the_contract_and_truth_covers_it(tmp_path: Path) -> None:
    load_generator().generate(500, 9, tmp_path, defects=0.0)
    day = tmp_path / "inbox" / "2026-11-27"
    police, justice, municipal = read_police(day), read_justice(day), read_municipal(day)
    care, _ = read_care(day)
    for result in (police, justice, municipal, care):
        assert result.file_error is None and result.rows_quarantined == 0, result.source
    truth = duckdb.connect().sql(
        f"SELECT source, count(*) FROM read_parquet('{tmp_path}/truth.parquet')"
        " GROUP BY source").fetchall()
    per_source = dict(truth)
    assert per_source["police"] >= police.rows_read        # plus the arrest records
    assert per_source["justice"] == justice.rows_read
    assert per_source["municipal"] == municipal.rows_read
    assert per_source["care"] == care.rows_read            # melders included
