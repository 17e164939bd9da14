"""Match assets, in data order, each with its own checks:

- `match_pairs` scores candidate pairs with the pinned model (predict, label link/review);
- `judgements` takes people's decisions on pairs from the home's judgement store (they outlive
  every run) into the run's warehouse, for `person_clusters` to obey;
- `person_clusters` turns them into persons: constraints split clusters, lone records join a
  person, explanations per pair;
- `person_records` gives each person its stable id (one row per accepted record).

Model and configuration come from the `paths` resource (`FotoPaths.match_model`,
`FotoPaths.foto_config`), so a test or a what-if run can inject them.
"""

from dagster import AssetExecutionContext, MaterializeResult, asset

from assets.context import build_db, build_id, delivery_date
from assets.partitions import DELIVERIES
from assets.resources import FotoPaths
from assets.scrub import scrubbed
from judgements.warehouse import load_judgements
from matching.linker import MODEL_COLUMNS
from matching.predict import model_for_size, predict_and_cluster
from matching.run_info import record_run_info
from matching.spark import spark_api
from persons.records import store_pairs
from persons.stage import form_persons, keep_model_clusters, name_persons
from standardise.rules import connect_prepared
from stores.database import connect, write_table
from stores.sql import Fragment, Identifier, fill


@asset(group_name="match", deps=["std_persons"], kinds={"splink", "duckdb"},
       partitions_def=DELIVERIES)
@scrubbed
def match_pairs(context: AssetExecutionContext, paths: FotoPaths) -> MaterializeResult:
    """Scored record pairs from the review threshold up, labelled link or review: one row per
    pair, with the comparison levels (gamma_*) and match weights (mw_*) that explain the
    score; Splink's clusters and the records identical to another, for `person_clusters`."""
    model = paths.match_model()
    config = paths.foto_config()
    thresholds = config.matching.thresholds
    db = build_db(context, paths)
    # only the columns the model compares: the records stay in memory, as Arrow, beside
    # DuckDB's budget for the whole of the scoring
    with connect_prepared(db) as con:
        records = con.sql(fill("SELECT {columns} FROM std_persons", columns=Fragment(
            ", ".join(Identifier(c).sql() for c in MODEL_COLUMNS)))).to_arrow_table()
    settings = model_for_size(model.path, records.num_rows)
    engine = paths.match_engine()
    if engine == "spark":
        # Spark's working files (Splink's intermediate tables among them: record values) stay
        # in the run's folder and are removed when scoring is done
        with spark_api(paths.run_dir(build_id(context)) / "spark", config.spark) as api:
            result = predict_and_cluster(records, settings, thresholds,
                                         config.matching.blocking, db_api=api,
                                         chunks=config.matching.predict_chunks)
    else:
        result = predict_and_cluster(records, settings, thresholds, config.matching.blocking,
                                     chunks=config.matching.predict_chunks)
    scored_records = records.num_rows
    del records   # freed before the results are copied into the database
    with connect_prepared(db) as con:
        write_table(con, "scored_pairs", result.pairs)
        write_table(con, "clusters", result.clusters)
        keep_model_clusters(con)
        write_table(con, "identity_duplicates", result.duplicates)
        store_pairs(con, thresholds)
        record_run_info(con, model, thresholds)
        links, reviews = con.sql("SELECT count(*) FILTER (decision = 'link'), "
                                 "count(*) FILTER (decision = 'review') FROM match_pairs"
                                 ).fetchall()[0]
    copies = result.duplicates.num_rows
    skipped = sum(c.key_values for c in result.caps)
    context.log.info(f"{copies} records share every compared field with another (scored once "
                     f"per group); {len(result.caps)} blocking rules skipped "
                     f"{skipped} oversized key values")
    context.log.info(f"model {model.version} on {engine}: {links} links, {reviews} pairs for "
                     "review")
    return MaterializeResult(metadata={"model_version": model.version, "engine": engine,
                                       "thresholds_version": thresholds.version,
                                       "records": scored_records, "link_pairs": links,
                                       "review_pairs": reviews,
                                       "records_identical_to_another": copies,
                                       "oversized_blocks_skipped": skipped})


@asset(group_name="match", deps=["std_persons"], kinds={"sqlite", "duckdb"},
       partitions_def=DELIVERIES)
@scrubbed
def judgements(context: AssetExecutionContext, paths: FotoPaths) -> MaterializeResult:
    """People's decisions on record pairs, as the store holds them when this run starts
    (`judgements.store.current`): table `judgements`, each marked active when both records are
    in this delivery (else dormant, kept); those stored later are taken up after the swap
    (`assets.publish`). Counts only in the metadata: the table holds reviewers' names and
    reasons."""
    with connect(build_db(context, paths)) as con:
        counts = load_judgements(con, paths.home_dir)
    context.log.info(f"{counts.judgements} judgements, {counts.active} active, "
                     f"{counts.dormant} dormant")
    return MaterializeResult(metadata=counts.metadata())


@asset(group_name="match", deps=["match_pairs", "judgements"], kinds={"duckdb"},
       partitions_def=DELIVERIES)
@scrubbed
def person_clusters(context: AssetExecutionContext, paths: FotoPaths) -> MaterializeResult:
    """Persons as clusters of records: reviewers' judgements applied (`persons.judgements`:
    must-links joined, contradictions in `judgement_conflicts`); clusters split where a hard
    constraint or a `different` judgement forbids a pair (`constraint_splits`); lone records
    joined to the person that, as a whole, makes them probable enough (`attachments`);
    per-pair explanations (`pair_explanations`)."""
    model = paths.match_model()
    config = paths.foto_config()
    link = config.matching.thresholds.link
    with connect_prepared(build_db(context, paths)) as con:
        records = con.sql("SELECT count(*) FROM std_persons").fetchall()[0][0]
        formed = form_persons(con, model_for_size(model.path, records), link,
                              config.constraints)
    judged, splits, undecided, attached = (formed.judged, formed.splits, formed.undecided,
                                           formed.attached)
    context.log.info(f"{judged.active} judgements in force ({judged.must_links} must-links "
                     f"applied, {judged.conflicts} contradicting, not applied)")
    context.log.info(f"{splits} clusters split by constraints, {undecided} records undecided "
                     f"between persons a constraint keeps apart, {attached} lone records "
                     f"joined a person")
    return MaterializeResult(metadata={"clusters_split_by_constraints": splits,
                                       "records_undecided": int(undecided),
                                       "records_joined_by_person": attached,
                                       "judgements_active": judged.active,
                                       "judgement_must_links": judged.must_links,
                                       "judgement_conflicts": judged.conflicts})


@asset(group_name="match", deps=["person_clusters"], kinds={"duckdb"},
       partitions_def=DELIVERIES)
@scrubbed
def person_records(context: AssetExecutionContext, paths: FotoPaths) -> MaterializeResult:
    """One row per accepted source record: the person it belongs to and the evidence.
    Person ids are inherited from the previous publication by record overlap; merges and
    splits go to `id_history`."""
    with connect_prepared(build_db(context, paths)) as con:
        run_id = build_id(context)
        had_previous = name_persons(con, paths.home_dir / "warehouse.duckdb", run_id,
                                    delivery_date(context, paths))
        records, persons, linked = con.sql(
            "SELECT count(*), count(DISTINCT person_id), count(*) FILTER (records_in_person > 1)"
            " FROM person_records").fetchall()[0]
        inherited, new_history = con.execute(
            "SELECT (SELECT count(*) FILTER (inherited) FROM person_ids), "
            "(SELECT count(*) FROM id_history WHERE run_id = ?)", [run_id]
        ).fetchall()[0]
    return MaterializeResult(metadata={"records": records, "persons": persons,
                                       "linked_records": linked,
                                       "previous_publication": had_previous,
                                       "ids_kept": inherited, "id_changes": new_history})
