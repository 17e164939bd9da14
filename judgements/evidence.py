"""What a judgement records of the publication it was made on: that both records exist in it,
the model version and the pair's match probability then (NULL when the model never scored the
pair: below the review threshold or never a candidate), and a snapshot of the evidence the
reviewer saw (both records' standardised fields, the person each was in, the pair's
agreed/disagreed explanation when known). A later run may see other records and another
model; the snapshot keeps what the decision was taken on. It keeps each record's retention
dates as well (`record_terms`: the day its use term ends, the day it must be gone): the
snapshot holds the records' values, so it follows their terms (`judgements.snapshot_terms`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from judgements.intake import JudgementRefused, Request
from judgements.store import Judgement
from stores.database import connect, rows_of, table_exists
from stores.publications import current_publication


def published_warehouse(home: Path) -> Path:
    """The current publication's warehouse; refused before the first publication."""
    publication = current_publication(home)
    warehouse = publication / "warehouse.duckdb" if publication else None
    if warehouse is None or not warehouse.exists():
        raise JudgementRefused("no publication in this home yet: records are judged as "
                               "published (run `foto run` first)")
    return warehouse


def with_evidence(requests: Sequence[Request], warehouse: Path) -> list[Judgement]:
    """The requests as judgements, with what the publication says of each pair; a record the
    publication does not hold refuses them all, naming the first such line and field."""
    pairs = pa.table({"n": list(range(len(requests))),
                      "uid_l": [r.left.unique_id for r in requests],
                      "uid_r": [r.right.unique_id for r in requests]})
    with connect(warehouse, read_only=True) as con:
        con.register("_asked", pairs)
        known = {u for (u,) in con.execute(
            "SELECT unique_id FROM person_records WHERE unique_id IN "
            "(SELECT uid_l FROM _asked UNION SELECT uid_r FROM _asked)").fetchall()}
        for request in requests:
            for side, key in (("left", request.left), ("right", request.right)):
                if key.unique_id not in known:
                    raise JudgementRefused(f"{request.where(side)}: no such record in the "
                                           "current publication")
        version = con.sql("SELECT any_value(model_version) FROM run_info").fetchall()[0][0]
        scored = {r["n"]: r for r in rows_of(con, """
            SELECT a.n, max(m.match_probability) AS p, arg_max(m.decision, m.match_probability)
                   AS decision
            FROM _asked a JOIN match_pairs m ON m.unique_id_l = a.uid_l
                                           AND m.unique_id_r = a.uid_r
            GROUP BY a.n""")}
        records = {r["unique_id"]: r for r in rows_of(con, """
            SELECT s.*, p.person_id FROM std_persons s
            LEFT JOIN person_records p USING (unique_id)
            WHERE s.unique_id IN (SELECT uid_l FROM _asked UNION SELECT uid_r FROM _asked)""")}
        terms = {r["unique_id"]: {"use_until": r["use_until"], "destroy_by": r["destroy_by"]}
                 for r in rows_of(con, """
            SELECT source || ':' || record_id AS unique_id, use_until, destroy_by
            FROM record_terms WHERE source || ':' || record_id IN
                (SELECT uid_l FROM _asked UNION SELECT uid_r FROM _asked)""")} \
            if table_exists(con, "record_terms") else {}
        explained = {r["n"]: r for r in rows_of(con, """
            SELECT a.n, e.agreed, e.partly_agreed, e.disagreed, e.explanation
            FROM _asked a JOIN link_explanation e ON e.unique_id_l = a.uid_l
                                                AND e.unique_id_r = a.uid_r""")} \
            if table_exists(con, "link_explanation") else {}
        con.unregister("_asked")
    out = []
    for n, request in enumerate(requests):
        score = scored.get(n)
        evidence: dict[str, Any] = {
            "publication": warehouse.parent.name,
            "left": _plain(records.get(request.left.unique_id)),
            "right": _plain(records.get(request.right.unique_id)),
            "model_decision": score["decision"] if score else None,
            # each record's terms then (ids and dates), so that the snapshot follows them
            # once the record has left the photo (`judgements.snapshot_terms`)
            "terms": _plain({k.unique_id: terms[k.unique_id]
                             for k in (request.left, request.right) if k.unique_id in terms}),
            "explanation": _plain({k: v for k, v in explained[n].items() if k != "n"})
            if n in explained else None}
        out.append(Judgement(request.left, request.right, request.decision,
                             request.judged_by, request.reason, version,
                             float(score["p"]) if score and score["p"] is not None else None,
                             evidence))
    return out


def _plain(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """A row as JSON-ready values (dates as ISO text)."""
    return None if row is None else json.loads(json.dumps(row, default=str))
