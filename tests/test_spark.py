"""The matching stages on Splink's Spark backend (`foto run --engine spark`), in local mode.

One Spark run of the sample (a JVM start and Splink's iterations on Spark take minutes on two
cores): the persons must be those the DuckDB run forms, and Spark's files must stay in the home.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from config import ConfigError, load_config
from matching.models import bundled_model
from matching.predict import model_for_size, predict_and_cluster
from matching.spark import session_conf, spark_api
from matching.thresholds import load_thresholds
from stores.home_modes import OPEN_BITS
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
    assert Path(conf["spark.jars.ivy"]).is_relative_to(tmp_path)   # not ~/.ivy2
    assert conf["spark.eventLog.enabled"] == "false"                # not /tmp/spark-events
    assert conf["spark.hadoop.fs.permissions.umask-mode"] == "077"
    assert conf["spark.ui.enabled"] == "false"
    assert conf["spark.jars"].endswith("_spark4.x.jar") and Path(conf["spark.jars"]).is_file()


@pytest.mark.parametrize("folder", ["shared", "/srv/../etc", "/srv/x/../../etc"])
def test_the_shared_folder_must_be_an_absolute_path_without_parent_steps(tmp_path, folder):
    raw = json.loads(load_config().model_dump_json())
    raw["spark"]["shared_folder"] = folder
    path = tmp_path / "foto.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ConfigError, match="shared_folder"):
        load_config(path)


def _sorted(table: pa.Table, keys: list[str]) -> bool:
    order = pc.sort_indices(table, sort_keys=[(k, "ascending") for k in keys])
    return order.equals(pa.array(range(table.num_rows), type=order.type))


@pytest.mark.e2e
def test_spark_hands_its_pairs_and_clusters_back_as_files_not_through_its_driver(
        sample_records: pa.Table, tmp_path: Path):
    """Spark writes the scored pairs and the clusters as parquet (here in a cluster's shared
    folder), owner-only; DuckDB reads them back in id order; the same pairs and persons as
    DuckDB's; nothing left behind. (A JVM start and Splink's clustering: about a minute.)"""
    records = sample_records.sort_by("unique_id").slice(0, 2500)
    model = model_for_size(bundled_model().path, records.num_rows)
    config, thresholds = load_config(), load_thresholds()
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o700)
    spark = config.spark.model_copy(update={"shared_folder": str(shared)})
    folder = tmp_path / "run" / "spark"
    duck = predict_and_cluster(records, model, thresholds, config.matching.blocking)
    with spark_api(folder, spark) as api:
        found = predict_and_cluster(records, model, thresholds, config.matching.blocking,
                                    db_api=api)
        # its JVM is ended before DuckDB reads the files (it held its heap beside them)
        assert "java" not in _children(), "Spark's JVM still runs while its results are read"
        (exchange,) = shared.iterdir()
        results = exchange / "results"
        assert not (folder / "results").exists() and not (folder / "inputs").exists()
        handed = pq.read_table(results / "pairs")
        assert handed.num_rows > 100
        clustered = pq.read_table(results / "clusters").num_rows
        assert 0 < clustered <= records.num_rows
        # (the folder in the home is owner-only by foto's umask; the shared one by foto's modes)
        for path in (exchange, *exchange.rglob("*")):
            assert not path.stat().st_mode & OPEN_BITS, path.name
    assert list(shared.iterdir()) == [] and not folder.exists()
    # the scored pairs come first, in id order; the copies' pairs after them
    assert _sorted(found.pairs.slice(0, handed.num_rows), ["unique_id_l", "unique_id_r"])
    assert _sorted(found.clusters.slice(0, clustered), ["unique_id"])
    assert found.pairs.schema == duck.pairs.schema
    pairs = {(r["unique_id_l"], r["unique_id_r"]): r["match_probability"]
             for r in found.pairs.select(["unique_id_l", "unique_id_r", "match_probability"]
                                         ).to_pylist()}
    expected = {(r["unique_id_l"], r["unique_id_r"]): r["match_probability"]
                for r in duck.pairs.select(["unique_id_l", "unique_id_r", "match_probability"]
                                           ).to_pylist()}
    assert pairs.keys() == expected.keys()
    assert all(abs(pairs[k] - expected[k]) < 1e-9 for k in pairs)
    assert _partition(found.clusters) == _partition(duck.clusters)


def _children() -> list[str]:
    """The command names of this process's live children."""
    names = []
    for task in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        for pid in task.read_text().split():
            try:
                names.append(Path(f"/proc/{pid}/comm").read_text().strip())
            except OSError:
                continue
    return names


def _partition(clusters: pa.Table) -> set[frozenset[str]]:
    members: dict[str, set[str]] = {}
    for row in clusters.to_pylist():
        members.setdefault(row["cluster_id"], set()).add(row["unique_id"])
    return {frozenset(m) for m in members.values()}


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
