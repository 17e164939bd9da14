"""One matching stage on a generated delivery, run in its own process by bench_matching.py.

    python benchmarks/bench_stage.py STAGE WORK_DIR

Stages: standardise (read the four extracts, build std_persons), predict_foto,
cluster_foto, predict_baseline, cluster_baseline; match_duckdb, match_spark and match_chunked
(the pipeline's whole matching step, `predict_and_cluster`, on DuckDB, on Spark in the
configuration's `spark` section, local mode by default, or on DuckDB in chunks), and
compare_spark, compare_chunked (pairwise F1 of their persons against DuckDB's). Each reads
what the stage before it left in WORK_DIR/bench.duckdb and prints one JSON line of counts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def standardise(work: Path) -> dict:
    from assets.ingest import _read, store_ingest
    from sources.registry import registry
    from standardise.rules import connect_prepared as connect
    from standardise.rules import std_persons_sql

    delivery = next((work / "data/inbox").glob("20*"))
    with connect(work / "bench.duckdb") as con:
        for source in registry().names():
            result, extra = _read(source, delivery)
            store_ingest(con, result, extra)
        con.execute("CREATE OR REPLACE TABLE std_persons AS "
                    + std_persons_sql(registry().names(), tables=False))
        return {"records": con.sql("SELECT count(*) FROM std_persons").fetchall()[0][0]}


def _records(work: Path):
    from standardise.rules import connect_prepared as connect

    with connect(work / "bench.duckdb", read_only=True) as con:
        return con.sql("SELECT * FROM std_persons").to_arrow_table()


def _foto_model(records) -> dict:
    """The bundled model with its prior scaled to these records, as the pipeline loads it."""
    from matching.models import bundled_model
    from matching.predict import model_for_size

    return model_for_size(bundled_model().path, records.num_rows)


def _linker(work: Path, which: str, records, model: dict | None = None):
    """The foto model (`model`, else the bundled one) or the baseline, over `records`."""
    import logging

    from splink import DuckDBAPI, Linker

    from matching.linker import make_linker

    if which == "foto":
        return make_linker(records, model or _foto_model(records))
    from benchmarks.baseline import COLUMNS
    from matching.linker import matching_connection

    return Linker(DuckDBAPI(matching_connection()).register(records.select(COLUMNS)),
                  str(work / "baseline_model.json"), log_level=logging.WARNING)


def predict(work: Path, which: str) -> dict:
    from matching.thresholds import load_thresholds
    from standardise.rules import connect_prepared as connect
    from stores.database import write_table

    records = _records(work)
    model = _foto_model(records) if which == "foto" else None
    linker = _linker(work, which, records, model)
    pairs = linker.inference.predict(threshold_match_probability=load_thresholds().review)
    table = pairs.as_pyarrow_table()
    if model is not None:   # as the pipeline stores them: with each comparison's level
        from matching.levels import with_levels

        table = with_levels(table, model)
    with connect(work / "bench.duckdb") as con:
        write_table(con, f"pairs_{which}", table)
    return {"pairs": table.num_rows, "pairs_per_record": table.num_rows / records.num_rows}


def candidates(work: Path, which: str) -> dict:
    """Candidate pairs the blocking rules make (not timed: the count is what shows whether
    cost per record stays flat as the region grows)."""
    records = _records(work)
    blocked = _linker(work, which, records).inference.compute_blocked_pairs_for_predict()
    count = blocked.as_duckdbpyrelation().count("*").fetchall()[0][0]
    return {"candidates": count, "candidates_per_record": count / records.num_rows}


def cluster(work: Path, which: str) -> dict:
    from config import load_config
    from persons.attach import attach_lone_records
    from persons.constraints import enforce_constraints
    from standardise.rules import connect_prepared as connect

    config = load_config()
    link, constraints = config.matching.thresholds.link, config.constraints
    with connect(work / "bench.duckdb") as con:
        con.execute(f"""CREATE OR REPLACE TABLE match_pairs AS
            SELECT CASE WHEN match_probability >= {link} THEN 'link' ELSE 'review' END
                       AS decision, unique_id_l, unique_id_r, match_probability, match_weight
            FROM pairs_{which}""")
        records = con.sql("SELECT unique_id FROM std_persons").to_arrow_table()
        edges = con.sql("SELECT unique_id_l, unique_id_r FROM match_pairs "
                        "WHERE decision = 'link'").to_arrow_table()
        from splink import DuckDBAPI
        from splink.clustering import cluster_pairwise_predictions_at_threshold

        from matching.linker import matching_connection

        clusters = cluster_pairwise_predictions_at_threshold(
            records, edges, DuckDBAPI(matching_connection()), node_id_column_name="unique_id",
            edge_id_column_name_left="unique_id_l", edge_id_column_name_right="unique_id_r",
        ).as_pyarrow_table()
        con.register("_c", clusters)
        con.execute("CREATE OR REPLACE TABLE clusters AS "
                    "SELECT unique_id, cluster_id FROM _c")
        splits = enforce_constraints(con, link, constraints) if which == "foto" else 0
        attached = attach_lone_records(con, link, constraints) if which == "foto" else 0
        persons = con.sql("SELECT count(DISTINCT cluster_id) FROM clusters").fetchall()[0][0]
    return {"persons": persons, "constraint_splits": splits, "attached": attached}


def match(work: Path, engine: str) -> dict:
    """The pipeline's matching step (scoring and Splink's clustering) on `engine`, as
    `assets.match` runs it: `duckdb`, `spark` (the configuration's `spark` section) or
    `chunked` (DuckDB with the configuration's `matching.predict_chunks`; the benchmark hands
    each stage its configuration through FOTO_CONFIG). The pairs and clusters are kept for
    comparing the engines (`compare`)."""
    from config import load_config
    from matching.predict import predict_and_cluster
    from matching.spark import spark_api
    from standardise.rules import connect_prepared as connect
    from stores.database import write_table

    config = load_config()
    records = _records(work)
    model = _foto_model(records)
    args = (records, model, config.matching.thresholds, config.matching.blocking)
    chunks = config.matching.predict_chunks
    if engine == "spark":
        with spark_api(work / "spark", config.spark) as api:
            result = predict_and_cluster(*args, db_api=api, chunks=chunks)
    else:
        result = predict_and_cluster(*args, chunks=chunks)
    with connect(work / "bench.duckdb") as con:
        write_table(con, f"match_pairs_{engine}", result.pairs.select(
            ["unique_id_l", "unique_id_r", "match_probability"]))
        write_table(con, f"clusters_{engine}", result.clusters)
        persons = con.sql(f"SELECT count(DISTINCT cluster_id) FROM clusters_{engine}"
                          ).fetchall()[0][0]
    return {"records": records.num_rows, "pairs": result.pairs.num_rows, "clusters": persons,
            "chunks": [chunks.left, chunks.right] if chunks else "by chunk_records"}


def compare(work: Path, engine: str, against: str = "duckdb") -> dict:
    """How far `engine`'s persons and pairs are from `against`'s (both left by `match`):
    pairwise F1 between the two clusterings (pairs of records in one person, counted per
    cluster, never listed), pairs kept by both, and the largest difference in probability."""
    from stores.duck import open_duckdb

    con = open_duckdb(work / "bench.duckdb", read_only=True)
    try:
        a, b, both = con.sql(f"""
            WITH j AS (SELECT x.cluster_id AS a, y.cluster_id AS b
                       FROM clusters_{against} x JOIN clusters_{engine} y USING (unique_id))
            SELECT (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) n FROM j GROUP BY a)),
                   (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) n FROM j GROUP BY b)),
                   (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) n FROM j GROUP BY a, b))
            """).fetchall()[0]
        shared, worst = con.sql(f"""
            SELECT count(*), max(abs(x.match_probability - y.match_probability))
            FROM match_pairs_{against} x JOIN match_pairs_{engine} y
            USING (unique_id_l, unique_id_r)""").fetchall()[0]
        kept = [con.sql(f"SELECT count(*) FROM match_pairs_{t}").fetchall()[0][0]
                for t in (against, engine)]
    finally:
        con.close()
    f1 = 2 * both / (a + b) if a + b else 1.0
    return {"against": against, "pairwise_f1": f1, "person_pairs": [int(a), int(b)],
            "person_pairs_both": int(both), "pairs_kept": kept, "pairs_kept_both": shared,
            "max_probability_difference": worst}


def train_baseline(work: Path) -> dict:
    """Train the baseline once (not timed as a stage) and save it for predict_baseline."""
    import logging

    from splink import DuckDBAPI, Linker, block_on

    from benchmarks.baseline import COLUMNS, baseline_settings
    from matching.linker import matching_connection

    records = _records(work)
    linker = Linker(DuckDBAPI(matching_connection()).register(records.select(COLUMNS)),
                    baseline_settings(),
                    log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        ["l.bsn = r.bsn"], recall=0.6)
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "surname"))
    linker.misc.save_model_to_json(str(work / "baseline_model.json"), overwrite=True)
    return {"trained_on": records.num_rows}


def main() -> int:
    """Run one stage, spilling under the benchmark's work folder as a foto step spills under its
    home (`stores.duck.spilling_under`): without a scope an in-memory connection may not spill
    at all, and the largest sizes then end in an out-of-memory error the pipeline would not
    meet."""
    from config import load_config
    from stores.duck import spilling_under

    stage, work = sys.argv[1], Path(sys.argv[2])
    with spilling_under(work, load_config().duckdb.memory_limit):
        out = run_stage(stage, work)
    print(json.dumps(out))
    return 0


def run_stage(stage: str, work: Path) -> dict:
    """The stage named `stage` on the work folder `work`."""
    if stage == "standardise":
        out = standardise(work)
    elif stage == "train_baseline":
        out = train_baseline(work)
    elif stage.startswith("predict_"):
        out = predict(work, stage.split("_", 1)[1])
    elif stage.startswith("match_"):
        out = match(work, stage.split("_", 1)[1])
    elif stage.startswith("compare_"):
        out = compare(work, stage.split("_", 1)[1])
    elif stage.startswith("candidates_"):
        out = candidates(work, stage.split("_", 1)[1])
    elif stage.startswith("cluster_"):
        out = cluster(work, stage.split("_", 1)[1])
    else:
        raise SystemExit(f"unknown stage {stage}")
    return out


if __name__ == "__main__":
    sys.exit(main())
