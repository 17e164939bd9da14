"""The quality report of a run: one static HTML page, like Great Expectations' Data Docs.

Operators read it to see why a run was blocked. It shows every expectation with its observed
value, threshold and outcome, the counts per source, and each quarantined row by file, line,
record id, field and reason. It never shows a value of a personal field: it is built from
`gate_results`, `ingest_counts` and `quarantine` without the quarantine's `raw` column.
"""

from __future__ import annotations

import math
import os
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb
from jinja2 import Environment, PackageLoader, select_autoescape

from expectations.gate import GateResult
from stores.database import rows_of, table_exists
from stores.sql import Constant, Fragment, Identifier, fill


def report_path(home: Path, run_id: str) -> Path:
    """Where a run's report lives: outside the run's build folder, so that the link in the
    Dagster UI keeps working after publication moves (or pruning removes) that folder."""
    return home / "reports" / f"{run_id}.html"


def prune_reports(home: Path, keep: int) -> None:
    """Remove all but the newest `keep` reports."""
    reports = sorted((home / "reports").glob("*.html"), key=lambda p: p.stat().st_mtime)
    for old in reports[:-keep]:
        old.unlink(missing_ok=True)
MAX_LISTED_ROWS = 500  # quarantined rows listed one by one; all are counted
# A quarantined row's record id is shown only when it looks like an id: a shifted row may
# carry a name or a BSN where its id should be.
_ID_PATTERN = "[A-Za-z0-9/_.:-]{1,40}"


MAX_LISTED_GROUPS = 100  # groups of rows repeated under other record ids, largest first
MAX_LISTED_IDS = 20     # record ids listed per group; all are counted


def _shown_id(column: str) -> str:
    """SQL: whether a record id may be shown (it looks like an id, not a name or a BSN)."""
    return fill("(regexp_full_match({column}, {pattern}) "
                "AND regexp_matches({column}, '[0-9]') "
                "AND NOT regexp_full_match({column}, '[0-9 .]{8,11}'))",
                column=Identifier(column), pattern=Constant(_ID_PATTERN))


@cache
def _template():
    env = Environment(loader=PackageLoader("expectations", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["thousands"] = lambda n: format_number(n, "count")
    env.filters["observed"] = lambda v, metric: format_number(v, metric_kind(metric))
    env.filters["threshold"] = format_threshold
    return env.get_template("quality_report.html")


def metric_kind(metric: str) -> str:
    """How a metric's numbers read, from its name: shares as percentages, changes of a share
    in percentage points, comparisons with the last run as a factor, others as numbers."""
    if metric.endswith("_share"):
        return "share"
    if metric.endswith("_change"):
        return "points"
    if "_vs_previous" in metric:
        return "factor"
    return "number"


def format_number(value: object, kind: str = "number") -> str:
    """A number as an operator reads it: counts with thousands separators ('1,435'), shares
    as percentages with the precision that tells small ones apart ('0.31%', '97.3%', never a
    rounded-up '100%'), a factor as '1.40×', other fractions to three significant digits.
    Text that is no number is shown as it is."""
    if value is None or value == "":
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number) or math.isinf(number):
        return str(value)
    if kind == "share":
        return _percent(round(number * 100, 9))  # 0.07 * 100 is 7.000000000000001
    if kind == "points":
        return f"{number * 100:+.1f} pts"
    if kind == "factor":
        return f"{number:.2f}×"
    if number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.3g}" if abs(number) < 1000 else f"{number:,.1f}"


def _percent(pct: float) -> str:
    if pct.is_integer():
        return f"{pct:.0f}%"
    if 0 < abs(pct) < 0.01:
        return "< 0.01%"
    if abs(pct) < 1 or 99 < abs(pct) < 100:
        return f"{math.floor(pct * 100) / 100 if pct > 99 else pct:.2f}%"
    return f"{pct:.1f}%"


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


def format_threshold(threshold: str | None, metric: str) -> str:
    """A rule's threshold ('<= 0.05', '0.5 .. 2.0') with its numbers read like the observed
    value ('≤ 5%', '0.50× .. 2.00×')."""
    if not threshold:
        return ""
    kind = metric_kind(metric)
    text = _NUMBER.sub(lambda m: format_number(m.group(), kind), threshold)
    return text.replace("<=", "≤").replace(">=", "≥").replace(" .. ", " – ")


def _rows(con: duckdb.DuckDBPyConnection, table: str, sql: str) -> list[dict]:
    return rows_of(con, sql) if table_exists(con, table) else []


def record_gate(con: duckdb.DuckDBPyConnection, result: GateResult) -> None:
    """Keep a suite's outcome in the build database's `gate_results` (numbers and names of
    metrics only), replacing that suite's earlier rows: what `write_report` reports."""
    con.execute("""CREATE TABLE IF NOT EXISTS gate_results (suite VARCHAR, metric VARCHAR,
        observed VARCHAR, threshold VARCHAR, passed BOOLEAN, status VARCHAR, why VARCHAR,
        checked_at TIMESTAMP DEFAULT current_timestamp)""")
    con.execute("DELETE FROM gate_results WHERE suite = ?", [result.suite])
    for o in result.outcomes:
        con.execute("INSERT INTO gate_results VALUES (?, ?, ?, ?, ?, ?, ?, DEFAULT)",
                    [result.suite, o.rule.metric, None if o.observed is None else str(o.observed),
                     o.rule.threshold, o.passed, o.status, o.rule.why])


def write_report(con: duckdb.DuckDBPyConnection, target: Path, run_id: str,
                 delivery: str) -> Path:
    """(Re)write the run's report from what its build database holds so far."""
    results = _rows(con, "gate_results", """
        SELECT suite, metric, observed, threshold, status, why FROM gate_results
        ORDER BY suite, metric""")
    sources = _rows(con, "ingest_counts", """
        SELECT source, file, delivery, read, accepted, quarantined, withheld, expired,
               values_nulled, rows_in_file, file_error
        FROM ingest_counts ORDER BY source""")
    reasons = _rows(con, "quarantine", """
        SELECT source, file, field, reason, coalesce(kept, FALSE) AS kept, count(*) AS rows
        FROM quarantine GROUP BY ALL ORDER BY source, kept, rows DESC, field""")
    limits = {"rows": Fragment(str(int(MAX_LISTED_ROWS))),
              "ids": Fragment(str(int(MAX_LISTED_IDS))),
              "groups": Fragment(str(int(MAX_LISTED_GROUPS)))}
    lines = _rows(con, "quarantine", fill("""
        SELECT source, file, line,
               CASE WHEN {shown} THEN record_id ELSE '(not shown)' END
                   AS record_id,
               field, reason, coalesce(kept, FALSE) AS kept FROM quarantine
        ORDER BY source, line LIMIT {rows}""", shown=Fragment(_shown_id("record_id")), **limits))
    duplicates = _rows(con, "duplicate_row_groups", fill("""
        SELECT source, rows, list_transform(record_ids[1:{ids}], lambda id:
                   CASE WHEN {shown} THEN id ELSE '(not shown)' END) AS record_ids
        FROM duplicate_row_groups ORDER BY rows DESC, source, record_ids[1]
        LIMIT {groups}""", shown=Fragment(_shown_id("id")), **limits))
    quarantined = sum(s["quarantined"] for s in sources)
    nulled = sum(s["values_nulled"] or 0 for s in sources)
    failed = [r for r in results if r["status"] == "FAILED"]
    html = _template().render(
        run_id=run_id, delivery=delivery, results=results, sources=sources, reasons=reasons,
        lines=lines, quarantined=quarantined, nulled=nulled, duplicates=duplicates,
        listed=len(lines), failed=failed,
        warnings=[r for r in results if r["status"] == "warning"],
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, target)
    return target
