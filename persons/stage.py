"""The persons stage as one sequence, for the nightly run and for a judgement's re-publication.

The nightly run forms persons from the model's clusters and scored pairs (`match_pairs`,
`clusters`) in two Dagster assets: `person_clusters` (judgements, constraints, attach,
explanations: `form_persons`) and `person_records` (stable ids: `name_persons`). A judgement
taken between two nightly runs re-forms persons from the same inputs, kept in the published
warehouse, with the same two functions (`publish.judgement_flow`): so the next nightly run on
the same delivery, which recomputes the inputs, gives the same persons by construction.

The stage changes its inputs in place (`clusters` split and joined, `match_pairs` relabelled
`undecided` / `attach`), so the model's own clusters are kept apart as `model_clusters`
(`keep_model_clusters`, right after prediction) and `restore_inputs` puts both back as the
prediction left them: `match_pairs`' labels come from the probability and the link threshold
alone (`persons.records.label_pairs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from config import Constraints
from matching.explain import build_explanations
from persons.attach import attach_lone_records
from persons.constraints import enforce_constraints
from persons.ids import assign_person_ids, load_previous
from persons.judgements import JudgementEffect, apply_judgements
from persons.records import build_person_records, label_pairs
from stores.database import table_exists

MODEL_CLUSTERS = "model_clusters"


@dataclass(frozen=True)
class PersonsFormed:
    """What `form_persons` did: counts only (they go to logs and metadata)."""

    judged: JudgementEffect
    splits: int       # clusters split by constraints
    undecided: int    # records set apart, undecided between persons
    attached: int     # lone records joined a person as a whole


def keep_model_clusters(con: duckdb.DuckDBPyConnection) -> None:
    """Keep the model's clusters (`clusters` as prediction wrote it) as `model_clusters`, for
    a later re-forming of persons (`restore_inputs`)."""
    con.execute("CREATE OR REPLACE TABLE model_clusters AS SELECT * FROM clusters")


def can_reform(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether this warehouse keeps the stage's inputs (a publication of an earlier version of
    foto does not: it kept no `model_clusters`)."""
    return table_exists(con, MODEL_CLUSTERS) and table_exists(con, "match_pairs")


def restore_inputs(con: duckdb.DuckDBPyConnection, link: float) -> None:
    """Put `clusters` and `match_pairs` back as prediction left them (`link`: the threshold
    the pairs were labelled with, `run_info.link_threshold`)."""
    con.execute("CREATE OR REPLACE TABLE clusters AS SELECT * FROM model_clusters")
    label_pairs(con, "match_pairs", link)


def form_persons(con: duckdb.DuckDBPyConnection, model: dict[str, Any], link: float,
                 constraints: Constraints) -> PersonsFormed:
    """From the model's clusters to persons, in the nightly run's order: reviewers' judgements
    (`judgements` must be loaded), hard constraints, lone records joined as a whole, and the
    per-pair explanations (`model`: the saved model as `matching.predict.model_for_size`
    prepares it)."""
    judged = apply_judgements(con, constraints)
    splits = enforce_constraints(con, link, constraints)
    attached = attach_lone_records(con, link, constraints)
    build_explanations(con, model)
    undecided = con.sql("SELECT coalesce(sum(undecided), 0) FROM constraint_splits"
                        ).fetchall()[0][0]
    return PersonsFormed(judged, splits, int(undecided), attached)


def name_persons(con: duckdb.DuckDBPyConnection, previous: Path, run_id: str,
                 delivery: str) -> bool:
    """Stable ids inherited from the publication `previous` (its warehouse), `id_history`
    extended under `run_id`, and `person_records`; False when there was no previous one."""
    version = con.sql("SELECT model_version FROM run_info").fetchall()[0][0]
    had_previous = load_previous(con, previous)
    assign_person_ids(con, run_id, delivery)
    build_person_records(con, version)
    return had_previous
