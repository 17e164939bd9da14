"""Publish asset: runs only when every blocking check upstream passed (Dagster skips it
otherwise), then swaps the run's checked files in as the current publication."""

import json
from pathlib import Path

from dagster import AssetExecutionContext, MaterializeResult, asset

from assets.context import build_db, build_id, delivery_date
from assets.history import prune_history
from assets.partitions import DELIVERIES
from assets.resources import FotoPaths
from assets.scrub import scrubbed
from expectations.report import report_path
from matching.models import current_model
from publish.arrest_flow import overlay_arrests
from publish.judgement_flow import republish_judgements
from publish.publication import publish
from stores.database import connect


@asset(group_name="publish", deps=["person", "person_records"],
       partitions_def=DELIVERIES)
@scrubbed
def publication(context: AssetExecutionContext, paths: FotoPaths) -> MaterializeResult:
    """The published photo: `<home>/publications/<id>/`, made current by `<home>/published`
    (the pointer file) and `<home>/warehouse.duckdb`."""
    db = build_db(context, paths)
    with connect(db, read_only=True) as con:
        counts = {r[0]: {"read": r[1], "accepted": r[2], "quarantined": r[3], "delivery": r[4]}
                  for r in con.sql("SELECT source, read, accepted, quarantined, delivery "
                                   "FROM ingest_counts ORDER BY source").fetchall()}
        model = con.sql("SELECT model_version FROM run_info").fetchall()[0][0]
        persons = con.sql("SELECT count(*) FROM person").fetchall()[0][0]
        linked_share = con.sql("SELECT avg(CASE WHEN records_in_person > 1 THEN 1 ELSE 0 END)"
                               " FROM person_records").fetchall()[0][0]
    delivery = delivery_date(context, paths)
    manifest = {"delivery": delivery, "inbox": str(Path(paths.inbox).resolve()),
                "model_version": model, "sources": counts, "persons": persons,
                "linked_share": linked_share,
                "freshness": {source: c["delivery"] for source, c in counts.items()},
                "quality_report": str(report_path(paths.home_dir, build_id(context)))}
    model = current_model(paths.models_dir)
    config = paths.foto_config()
    final = publish(paths.home_dir, db.parent, build_id(context), manifest, config.retention,
                    before_swap=lambda staged: overlay_arrests(
                        paths.home_dir, staged, model, config, delivery,
                        feed=Path(paths.inbox).resolve() / "arrests"),
                    encryption=config.encryption)
    # Dagster's own history by term and count, beside the kept publications' pruning; never
    # this run (not finished) nor any other in progress
    pruned = prune_history(context.instance, paths.home_dir, config.retention)
    context.log.info(f"dagster history: {pruned.runs} run(s) deleted, "
                     f"{pruned.vacuumed} file(s) vacuumed, {pruned.busy} busy")
    written = json.loads((final / "triage" / "manifest.json").read_text(encoding="utf-8"))
    # A judgement stored after this run read the store (`judgements`) is not in `final`:
    # re-formed on it now, so a nightly swap never undoes a judgement's re-publication.
    later = republish_judgements(paths.home_dir, paths.match_model(), config)
    if later.status != "current":
        context.log.info(f"judgements stored during the run: {later.status}, "
                         f"{later.persons_reformed} persons re-formed")
    return MaterializeResult(metadata={"publication": final.name, "persons": persons,
                                       "sheets": written["sheets"],
                                       "sheets_rendered": written["rendered"],
                                       "sheets_reused": written["reused"],
                                       "judgements_caught_up": later.status})
