"""Scoring candidate pairs with the pinned model and clustering them into persons."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from splink import DuckDBAPI

from config import Blocking, PredictChunks
from matching.blocking import (
    Cap,
    capped_model,
    copies_pairs,
    identity_groups,
    oversized_blocks,
    rule_sql,
)
from matching.levels import levels_identifiable, with_levels
from matching.linker import MODEL_COLUMNS, make_linker, matching_connection
from matching.parameters import engine_settings
from matching.population import for_population
from matching.thresholds import Thresholds
from stores.duck import open_duckdb
from stores.sql import Identifier, fill

# rows per slice of another engine's results read into Python (`_in_id_order`)
SLICE_ROWS = 500_000


@dataclass
class MatchResult:
    """Scored pairs at or above the review threshold, and a cluster id for every record."""

    pairs: pa.Table      # unique_id_l, unique_id_r, match_probability, match_weight, gamma_*, mw_*
    clusters: pa.Table   # unique_id, cluster_id
    # records whose compared fields equal another's: unique_id, representative, identity_rows
    duplicates: pa.Table | None = None
    caps: tuple[Cap, ...] = ()   # rules refined where a key value's block is oversized


def model_for_size(model_path: Path, records: int) -> dict[str, Any]:
    """The saved model moved to this run's number of records (`matching.population`): its
    prior, and the u of identifiers whose pool grows with the region (a BSN, a dwelling),
    scaled with 1 / records.
    """
    model = json.loads(model_path.read_text(encoding="utf-8"))
    # Explanations need each comparison's level (gamma_*) and weight (mw_*) per pair. The level
    # is read back from the weight where the model allows it (`matching.levels`); carrying
    # every compared value through scoring only for Splink's own gamma columns is the fallback.
    meta_path = model_path.with_name(model_path.stem + ".meta.json")
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    for_population(model, meta.get("records"), records, meta.get("u_max_pairs"))
    model["retain_intermediate_calculation_columns"] = True
    model["retain_matching_columns"] = not levels_identifiable(model)
    # The definition's settings with the saved numbers (`matching.parameters`): the same model
    # on DuckDB, and the form every engine's settings are built from.
    return engine_settings(model, "duckdb")


def predict_and_cluster(records: pa.Table, model: dict[str, Any], thresholds: Thresholds,
                        blocking: Blocking, db_api: Any | None = None,
                        collapse_copies: bool = True,
                        chunks: PredictChunks | None = None) -> MatchResult:
    """Score blocked pairs, keep those from the review threshold up, cluster at the link one,
    on `db_api` (Splink's DuckDB in memory when None; `matching.spark.spark_api` for Spark).

    `model` is the saved model as `model_for_size` prepares it for these records. Records
    alike in every compared field are scored once and oversized blocks compare neighbours
    only (`matching.blocking`), so that pairs grow with the records, not with the square of a
    block (`blocking`: the cap on one key value's block and the neighbour window, from the
    configuration; `collapse_copies=False` compares copies like any other records: the full
    comparison, for tests and benchmarks). Splink makes and scores the candidate pairs slice
    by slice: the same pairs, fewer held at once; `chunks` (the configuration's
    `matching.predict_chunks`) sets the slices, else they follow `blocking.chunk_records`."""
    con = open_duckdb()
    dialect = db_api.sql_dialect.sql_dialect_str if db_api is not None else "duckdb"
    # Splink's own DuckDB, closed as soon as its results are in Arrow: it may hold the whole
    # budget, and the steps after it open connections of their own
    splink_con = matching_connection() if db_api is None else None
    if splink_con is not None:
        db_api = DuckDBAPI(splink_con)
    try:
        kept, groups, caps = _prediction_input(con, records, model,
                                               blocking.max_block_comparisons, collapse_copies)
        # the preparation above is our own DuckDB SQL on Arrow tables; Splink's scoring and
        # clustering run on the engine, with settings built for its dialect
        linker = make_linker(kept, capped_model(engine_settings(model, dialect), caps,
                                                blocking.neighbour_window),
                             db_api, extra_columns=tuple(c.column for c in caps))
        _register_term_frequencies(con, linker, model)
        if chunks is None:
            chunks = PredictChunks(left=prediction_chunks(kept.num_rows, blocking.chunk_records))
        predictions = linker.inference.predict(threshold_match_probability=thresholds.review,
                                               num_chunks_left=chunks.left,
                                               num_chunks_right=chunks.right)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=thresholds.link)
        if dialect == "duckdb":
            scored = predictions.as_pyarrow_table()
            clustered = clusters.as_pyarrow_table().select(["unique_id", "cluster_id"])
        else:
            # another engine writes its results as files; they never pass through its driver,
            # and it is stopped before DuckDB reads them
            pairs_files = db_api.hand_back(predictions, "pairs")
            clusters_files = db_api.hand_back(clusters, "clusters")
            db_api.finish()
            scored = _in_id_order(con, pairs_files, ["unique_id_l", "unique_id_r"])
            clustered = _in_id_order(con, clusters_files,
                                     ["unique_id"]).select(["unique_id", "cluster_id"])
        pairs, clustered = _with_copies(con, scored, clustered)
    finally:
        con.close()
        if splink_con is not None:
            splink_con.close()
    return MatchResult(pairs=with_levels(pairs, model), clusters=clustered,
                       duplicates=groups.select(["unique_id", "representative",
                                                 "identity_rows"]),
                       caps=tuple(caps))


def prediction_chunks(records: int, chunk_records: int) -> int:
    """How many slices of left-hand records Splink's prediction runs in, one after another
    (`chunk_records` records at most per slice, `matching.blocking.chunk_records`).

    Why: Splink builds its candidate pairs in one query, a self-join per blocking rule joined
    by UNION ALL, and DuckDB holds every rule's hash table at once; they cannot be spilled, so
    their size, not the memory limit, set the matching's peak (6.9 GB at a million persons).
    A slice takes the pairs whose left record falls in it (by a hash of its id): each pair is
    scored in exactly one slice, as once, and the hash tables hold a slice's records only."""
    return max(1, -(-records // chunk_records))


def _in_id_order(con: duckdb.DuckDBPyConnection, folder: Path, order: list[str]) -> pa.Table:
    """The rows of the parquet files another engine wrote into `folder`, in a fixed order
    (Spark writes rows in the order its partitions finish), so that the tables after matching
    do not vary from run to run.

    DuckDB reads and sorts them under its memory budget (spilling where the connection has a
    scope, `stores.duck`) and hands them to Python `SLICE_ROWS` rows at a time; the engine's
    driver never holds them."""
    files = con.read_parquet(str(folder / "*.parquet"))
    ordered = files.order(", ".join(Identifier(c).sql() for c in order))
    return ordered.to_arrow_reader(SLICE_ROWS).read_all()


def _prediction_input(con: duckdb.DuckDBPyConnection, records: pa.Table,
                      model: dict[str, Any], cap: int,
                      collapse_copies: bool) -> tuple[pa.Table, pa.Table, list[Cap]]:
    """The records Splink scores (all but the third and further copies of each group, with a
    position column per refined rule), the groups of copies (also left in `con` as
    `_groups`, all records as `_records`), and the refined rules."""
    con.register("_records", records.select(MODEL_COLUMNS))
    groups = identity_groups(con, "_records", MODEL_COLUMNS if collapse_copies else [])
    con.register("_groups", groups)
    con.execute("CREATE TABLE recs AS SELECT * FROM _records WHERE unique_id NOT IN "
                "(SELECT unique_id FROM _groups WHERE rank > 2)")
    rules = [rule_sql(r) for r in model["blocking_rules_to_generate_predictions"]]
    caps = oversized_blocks(con, "recs", rules, cap)
    return con.sql("SELECT * FROM recs").to_arrow_table(), groups, caps


def tf_columns(model: dict[str, Any]) -> list[str]:
    """The columns the model adjusts for term frequency (`matching.settings`, a level's
    `tf_adjustment_column`)."""
    return sorted({level["tf_adjustment_column"] for comparison in model["comparisons"]
                   for level in comparison["comparison_levels"]
                   if level.get("tf_adjustment_column")})


def _register_term_frequencies(con: duckdb.DuckDBPyConnection, linker: Any,
                               model: dict[str, Any]) -> None:
    """Term frequencies over all records (`_records` in `con`), copies included, as Splink
    would compute them without the copies left out: the scores stay those of the full
    comparison."""
    for column in tf_columns(model):
        table = con.sql(fill("""
            SELECT {col}, CAST(count(*) AS DOUBLE)
                          / (SELECT count({col}) FROM _records) AS {tf}
            FROM _records WHERE {col} IS NOT NULL GROUP BY {col}""",
            col=Identifier(column), tf=Identifier(f"tf_{column}"))).to_arrow_table()
        linker.table_management.register_term_frequency_lookup(
            linker._db_api.register(table), column)


def _with_copies(con: duckdb.DuckDBPyConnection, pairs: pa.Table,
                 clusters: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Pairs and clusters with every copy left out of prediction put back: its stand-in's
    pairs and its stand-in's cluster (`_groups` in `con`)."""
    con.execute("CREATE TEMP TABLE _copies AS SELECT unique_id, stand_in FROM _groups "
                "WHERE rank > 2")
    if not con.sql("SELECT count(*) FROM _copies").fetchall()[0][0]:
        return pairs, clusters
    con.register("_pairs", pairs)
    con.register("_clusters", clusters)
    extra = copies_pairs(con, "_pairs", "_copies").cast(pairs.schema)
    # A copy has the stand-in's pairs, so it joins the stand-in's person when that holds any
    # other record; a stand-in alone ('Maria', nothing else known, below the link threshold
    # with its copies) leaves each copy alone too.
    copied = con.sql("""
        WITH sizes AS (SELECT cluster_id, count(*) AS n FROM _clusters GROUP BY cluster_id)
        SELECT c.unique_id, CASE WHEN s.n > 1 THEN k.cluster_id ELSE c.unique_id END
                                AS cluster_id
        FROM _copies c JOIN _clusters k ON k.unique_id = c.stand_in
        JOIN sizes s USING (cluster_id)""").to_arrow_table()
    return (pa.concat_tables([pairs, extra]),
            pa.concat_tables([clusters, copied.cast(clusters.schema)]))
