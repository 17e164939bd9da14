"""The matching stages on Splink's Spark backend (`foto run --engine spark`), in local mode.

One Spark run of the sample (a JVM start and Splink's iterations on Spark take minutes on two
cores): the persons must be those the DuckDB run forms, and Spark's files must stay in the home.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

from config import ConfigError, load_config
from matching.spark import session_conf
from tests.conftest import SAMPLE, foto


def _pairs(home: Path) -> set[tuple[str, str]]:
    """Every pair of records (source:record_id) that the home's publication puts in one
    person."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.sql("""
            WITH r AS (SELECT person_id, source || ':' || record_id AS rec FROM person_records)
            SELECT a.rec, b.rec FROM r a JOIN r b
            ON a.person_id = b.person_id AND a.rec < b.rec""").fetchall()
    finally:
        con.close()
    return set(rows)


def pairwise_f1(truth: set, found: set) -> float:
    """Pairwise F1 of one clustering against another (symmetric in the two)."""
    both = len(truth & found)
    if not both:
        return 0.0 if truth or found else 1.0
    precision, recall = both / len(found), both / len(truth)
    return 2 * precision * recall / (precision + recall)


def test_pairwise_f1_counts_pairs_both_clusterings_share():
    a = {("x", "y"), ("x", "z"), ("y", "z")}
    assert pairwise_f1(a, a) == 1.0
    assert pairwise_f1(a, {("x", "y")}) == pytest.approx(0.5)
    assert pairwise_f1(a, set()) == 0.0


def test_the_spark_section_refuses_the_folders_foto_chooses(tmp_path):
    raw = json.loads(load_config().model_dump_json())
    raw["spark"]["conf"]["spark.local.dir"] = "/tmp/elsewhere"
    path = tmp_path / "foto.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ConfigError, match="spark"):
        load_config(path)


def test_every_folder_spark_writes_to_is_inside_the_given_one(tmp_path):
    conf = session_conf(tmp_path, load_config().spark)
    for key in ("spark.local.dir", "spark.sql.warehouse.dir"):
        assert Path(conf[key]).is_relative_to(tmp_path)
    options = conf["spark.driver.extraJavaOptions"].split()
    assert f"-Djava.io.tmpdir={tmp_path / 'tmp'}" in options
    assert f"-Dderby.system.home={tmp_path / 'derby'}" in options
    assert conf["spark.ui.enabled"] == "false"
    assert conf["spark.jars"].endswith("_spark4.x.jar") and Path(conf["spark.jars"]).is_file()


@pytest.mark.e2e
def test_the_sample_through_spark_gives_the_same_persons(sample_run: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch):
    # Spark would drop spark-warehouse, metastore_db or derby.log in the working directory
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    home = tmp_path / "home"
    code = foto("run", "--inbox", str(SAMPLE / "inbox"), "--home", str(home), "--engine", "spark")
    assert code == 0, "the Spark run on the sample did not publish"
    duck, spark = _pairs(sample_run), _pairs(home)
    assert len(duck) > 1000
    assert pairwise_f1(duck, spark) >= 0.999
    assert os.listdir(cwd) == []
    assert not list(home.glob("runs/*/spark")), "Spark's working files were left behind"


@pytest.mark.e2e
def test_the_gate_imports_in_a_process_started_with_python_c() -> None:
    """Great Expectations imports pyspark's Connect module when pyspark is installed; without
    Connect's own dependencies, that import ends a process whose `__main__` has no file (a
    `python -c` child, a pytest-xdist worker) with exit status 0 and nothing done. The `spark`
    extra carries them (`pyspark[connect]`): the gate must still load in such a process."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import great_expectations; print('loaded')"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "loaded" in done.stdout, done.stderr[-2000:]
