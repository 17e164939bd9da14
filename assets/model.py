"""Training asset (job `train_model`, never the nightly run): a new model version."""

from dagster import AssetExecutionContext, MaterializeResult, asset

from assets.context import build_db, delivery_date
from assets.partitions import DELIVERIES
from assets.resources import FotoPaths
from assets.scrub import scrubbed
from matching.models import current_model, make_current, next_model_path
from matching.train import TrainingImpossible, train_model
from standardise.rules import connect_prepared


@asset(group_name="model", deps=["std_persons"], kinds={"splink"},
       partitions_def=DELIVERIES)
@scrubbed
def person_model(context: AssetExecutionContext, paths: FotoPaths) -> MaterializeResult:
    """A trained Splink model, saved as `<home>/models/person_v<N>.json` and made current.
    The expectations an operator waived for this delivery (`--accept`) are in its metadata."""
    with connect_prepared(build_db(context, paths)) as con:
        records = con.sql("SELECT * FROM std_persons").to_arrow_table()
        counts = dict(con.sql("SELECT source, accepted FROM ingest_counts").fetchall())
    out = next_model_path(paths.models_dir)
    waived = sorted(paths.accepted())
    try:
        meta = train_model(records, out, {"delivery": delivery_date(context, paths),
                                          "accepted_records": counts, "run_id": context.run_id,
                                          "waived": waived},
                           paths.foto_config().matching.training)
    except TrainingImpossible as err:
        raise TrainingImpossible(f"{err}. No model written; this home keeps model "
                                 f"{current_model(paths.models_dir).version}.") from None
    make_current(out)
    context.log.info(f"trained {out.name} on {records.num_rows} records")
    return MaterializeResult(metadata={"model": out.name, "version": f"home/{out.stem}",
                                       "path": str(out),
                                       "records": meta["records"], "waived": ", ".join(waived)})
