"""The on-judgement asset: people's decisions take effect within seconds, not tomorrow.

`foto judge` runs it (job `on_judgement`) right after storing judgements. The work is
`publish.judgement_flow.republish_judgements`: the current publication's persons re-formed as
the store says, through the nightly run's own persons stage, profile, gate and publication.
This asset reports what it did (counts, person ids, timings) and the gate's verdict, never a
reviewer's name, a reason or a record value.
"""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    asset,
)

from assets.resources import FotoPaths
from assets.scrub import scrubbed
from publish.judgement_flow import republish_judgements

CHECK = "judged_publication_sound"


@asset(group_name="judgement", kinds={"duckdb"},
       check_specs=[AssetCheckSpec(CHECK, asset="judged_publication", blocking=True,
                                   description="The re-formed persons pass the nightly run's "
                                               "linkage and profile suites.")])
@scrubbed
def judged_publication(context: AssetExecutionContext, paths: FotoPaths) -> MaterializeResult:
    """The current publication with the persons the store's judgements touch re-formed, their
    triage rows and sheets re-published (nothing when it holds every judgement already)."""
    outcome = republish_judgements(paths.home_dir, paths.match_model(), paths.foto_config())
    context.log.info(f"judgements: {outcome.status}; {outcome.persons_reformed} persons "
                     f"re-formed, {outcome.sheets} sheets rendered")
    return MaterializeResult(metadata=outcome.metadata(), check_results=[AssetCheckResult(
        check_name=CHECK, passed=outcome.status != "blocked",
        description=outcome.message or "ok", severity=AssetCheckSeverity.ERROR)])
