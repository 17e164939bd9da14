"""Profile assets: the timeline (`events`), the network (`relations`), the signals (`flags`)
and `person`, one row per person with its priority: the photo's centre; with it, the
`review_queue` (what a reviewer decides first needs to know who is of concern)."""

from dagster import AssetExecutionContext, MaterializeResult, asset

from assets.context import build_db, delivery_date
from assets.partitions import DELIVERIES
from assets.resources import FotoPaths
from assets.scrub import scrubbed
from profiles.events import build_events
from profiles.flags import build_flags
from profiles.person import build_person
from profiles.relations import build_relations
from profiles.review_queue import build_review_queue
from standardise.rules import connect_prepared


@asset(group_name="profile", deps=["person_records"], kinds={"duckdb"},
       partitions_def=DELIVERIES)
@scrubbed
def events(context: AssetExecutionContext, paths: FotoPaths) -> MaterializeResult:
    """One row per event on a person's timeline, every source."""
    with connect_prepared(build_db(context, paths)) as con:
        rows = build_events(con)
    return MaterializeResult(metadata={"events": rows})


@asset(group_name="profile", deps=["person_records"], kinds={"duckdb"},
       partitions_def=DELIVERIES)
@scrubbed
def relations(context: AssetExecutionContext, paths: FotoPaths) -> MaterializeResult:
    """One row per person, related person and kind of relation, with evidence."""
    with connect_prepared(build_db(context, paths)) as con:
        rows = build_relations(con)
        kinds = dict(con.sql("SELECT kind, count(*) FROM relations GROUP BY kind").fetchall())
    return MaterializeResult(metadata={"relations": rows,
                                       **{f"kind_{k}": v for k, v in kinds.items()}})


@asset(group_name="profile", deps=["events", "relations"], kinds={"duckdb"},
       partitions_def=DELIVERIES)
@scrubbed
def flags(context: AssetExecutionContext, paths: FotoPaths) -> MaterializeResult:
    """One row per flag per person: rule, period, evidence record ids."""
    with connect_prepared(build_db(context, paths)) as con:
        rows = build_flags(con, delivery_date(context, paths))
        per_flag = dict(con.sql("SELECT flag, count(*) FROM flags GROUP BY flag").fetchall())
    return MaterializeResult(metadata={"flags": rows, **per_flag})


@asset(group_name="profile", deps=["person_records", "flags"], kinds={"duckdb"},
       partitions_def=DELIVERIES)
@scrubbed
def person(context: AssetExecutionContext, paths: FotoPaths) -> MaterializeResult:
    """One row per person: preferred identity, sources, counts, concern and priority; then
    the review queue, ordered by who is of concern (`profiles.review_queue`)."""
    with connect_prepared(build_db(context, paths)) as con:
        persons = build_person(con)
        by_priority = dict(con.sql("SELECT priority, count(*) FROM person "
                                   "WHERE person_of_concern GROUP BY priority").fetchall())
        queue = build_review_queue(con)
    return MaterializeResult(metadata={"persons": persons,
                                       **{f"priority_{k}": v for k, v in by_priority.items()},
                                       **{f"review_queue_{k}": v for k, v in queue.items()}})
