"""`foto train`'s blocking check, recorded in the model's metadata: how many BSN-anchored pairs
the other blocking rules still find, and how many candidate pairs the rules make, without
materialising the candidate pairs (at 1.7 million records they are some 50 million, twice).

Only the true-pair side is built: the pairs of records sharing a valid BSN (linear in the
records). For each, the non-BSN rules' own SQL is evaluated on the pair, left the record with
the lower unique id as Splink orders a deduplication's pairs: a pair is a candidate exactly
when one rule holds, so this is Splink's candidate set restricted to those pairs
(`benchmarks.metrics.blocking_recall_of` does the same against truth). The candidate count is
each rule's pairs that no earlier rule made, as Splink counts them, but counted while the join
streams: Splink's own count (`count_comparisons_from_blocking_rules`) stores the pairs first,
1.7 GB at 146,000 records.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from matching import settings as model_settings
from matching.blocking import rule_sql
from matching.linker import MODEL_COLUMNS, matching_connection, quiet_splink
from stores.sql import Fragment, fill


def bsn_anchored_blocking_check(records: pa.Table,
                                con: duckdb.DuckDBPyConnection | None = None) -> dict[str, Any]:
    """Blocking recall without truth: of the record pairs that share a valid BSN (one person,
    nearly always), the share that the other blocking rules would still find if the BSN were
    missing, which is how most police and every care record arrives. Also candidate pairs per
    record for the full rule set. Evaluation against truth is `make eval`'s job."""
    quiet_splink()
    rules = [rule_sql(r) for r in model_settings.BLOCKING_RULES_FOR_PREDICTION]
    bsn_rule = rule_sql(model_settings.BSN_BLOCKING_RULE)
    any_rule = " OR ".join(_holds(sql) for sql in rules if sql != bsn_rule)
    own = con is None
    con = matching_connection() if con is None else con
    try:
        con.register("check_records", records.select(MODEL_COLUMNS))
        anchored, found = con.sql(fill("""
            SELECT count(*), count(*) FILTER (WHERE {any_rule})
            FROM check_records l JOIN check_records r
              ON l.bsn = r.bsn AND l.unique_id < r.unique_id""",
                                       any_rule=Fragment(any_rule))).fetchall()[0]
        candidates = sum(_marginal(con, rules[i], rules[:i]) for i in range(len(rules)))
        con.unregister("check_records")
    finally:
        if own:
            con.close()
    return {"bsn_pairs": anchored,
            "recall_without_bsn": round(found / anchored, 4) if anchored else None,
            "candidate_pairs": candidates,
            "candidates_per_record": round(candidates / records.num_rows, 2)}


def _holds(rule: str) -> str:
    return f"coalesce(({rule}), FALSE)"


def _marginal(con: duckdb.DuckDBPyConnection, rule: str, earlier: list[str]) -> int:
    """The pairs `rule` makes that no earlier rule made, as Splink's blocking makes them (a
    deduplication's pair once, the lower unique id on the left), counted as the join streams:
    the pairs are never stored."""
    not_earlier = " AND ".join(f"NOT {_holds(sql)}" for sql in earlier) or "TRUE"
    return int(con.sql(fill("""SELECT count(*) FROM check_records l JOIN check_records r
        ON ({rule}) AND l.unique_id < r.unique_id WHERE {not_earlier}""",
                            rule=Fragment(rule), not_earlier=Fragment(not_earlier))
                   ).fetchall()[0][0])
