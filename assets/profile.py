"""Profile asset: `person`, one row per person, the photo's centre."""

from dagster import AssetExecutionContext, MaterializeResult, asset

from assets.context import build_db
from pipelines.resources import FotoPaths
from warehouse.profile import build_person
from warehouse.store import connect


@asset(group_name="profile", deps=["person_records"], kinds={"duckdb"})
def person(context: AssetExecutionContext, paths: FotoPaths) -> MaterializeResult:
    """One row per person: preferred identity, sources, counts, and whether of concern."""
    with connect(build_db(context, paths)) as con:
        persons = build_person(con)
        concern = con.sql("SELECT count(*) FROM person WHERE person_of_concern").fetchall()[0][0]
    return MaterializeResult(metadata={"persons": persons, "persons_of_concern": concern})
