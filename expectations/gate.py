"""Run one suite of expectations on a one-row frame of metrics; return a PII-free outcome.

DuckDB computes the metrics (counts, shares, maxima) over the whole table, Great Expectations
validates them. The frames hold numbers only, and the result format keeps no unexpected values,
so what a gate reports can never carry a name, BSN, birth date or address.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from functools import cache
from typing import Any

RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 0,
                 "include_unexpected_rows": False, "return_unexpected_index_query": False}


@dataclass(frozen=True)
class Rule:
    """One expectation on one metric: `low <= metric <= high` (either bound may be None)."""

    metric: str
    low: float | None = None
    high: float | None = None
    why: str = ""

    @property
    def threshold(self) -> str:
        if self.low is not None and self.high is not None:
            return f"{self.low} .. {self.high}" if self.low != self.high else f"= {self.low}"
        return f">= {self.low}" if self.low is not None else f"<= {self.high}"


@dataclass
class Outcome:
    rule: Rule
    observed: Any
    passed: bool


@dataclass
class GateResult:
    suite: str
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outcomes)

    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    def summary(self) -> str:
        """One line per failed expectation: metric, observed value and threshold."""
        return "; ".join(f"{self.suite}.{o.rule.metric} = {o.observed} (expected "
                         f"{o.rule.threshold})" for o in self.failed()) or f"{self.suite}: ok"

    def metadata(self) -> dict[str, Any]:
        """For Dagster: observed value next to the threshold, numbers only."""
        return {f"{o.rule.metric}": f"{o.observed} (expected {o.rule.threshold})"
                f"{'' if o.passed else ' FAILED'}" for o in self.outcomes}


@cache
def _context() -> Any:
    """One ephemeral GX context per process: creating one costs seconds."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False,
                                                         metric_calculations=False)
    return context


def validate(suite: str, metrics: dict[str, float | int], rules: list[Rule]) -> GateResult:
    """Validate `metrics` against `rules` with Great Expectations."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    import pandas as pd

    context = _context()
    frame = pd.DataFrame([{k: float(v) if v is not None else None for k, v in metrics.items()}])
    name = f"{suite}_{id(frame)}"
    batch = (context.data_sources.add_or_update_pandas(name)
             .add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)
             .get_batch(batch_parameters={"dataframe": frame}))
    gx_suite = gx.ExpectationSuite(name=name)
    for rule in rules:
        if rule.low is not None:
            gx_suite.add_expectation(gxe.ExpectColumnMinToBeBetween(
                column=rule.metric, min_value=rule.low, max_value=rule.high))
        else:
            gx_suite.add_expectation(gxe.ExpectColumnMaxToBeBetween(
                column=rule.metric, max_value=rule.high))
    results = batch.validate(gx_suite, result_format=RESULT_FORMAT)
    context.data_sources.delete(name)
    by_column = {r.expectation_config.kwargs["column"]: r for r in results.results}
    outcomes = []
    for rule in rules:
        res = by_column[rule.metric]
        observed = res.result.get("observed_value")
        if isinstance(observed, float) and observed.is_integer():
            observed = int(observed)
        outcomes.append(Outcome(rule, observed, bool(res.success)))
    return GateResult(suite, outcomes)
