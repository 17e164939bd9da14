"""Run one suite of expectations on a one-row frame of metrics; return a PII-free outcome.

DuckDB computes the metrics (counts, shares, maxima) over the whole table, Great Expectations
validates them. The frames hold numbers only, and the result format keeps no unexpected values,
so what a gate reports can never carry a name, BSN, birth date or address.
"""

from __future__ import annotations

import hashlib
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
    warn: bool = False  # a failure warns (shows in the UI) but does not block publication

    @property
    def threshold(self) -> str:
        if self.low is not None and self.high is not None:
            return f"{self.low} .. {self.high}" if self.low != self.high else f"= {self.low}"
        return f">= {self.low}" if self.low is not None else f"<= {self.high}"


@dataclass
class Outcome:
    rule: Rule
    observed: Any          # None: not measured (e.g. no previous publication to compare with)
    passed: bool
    waived: bool = False   # failed, but an operator accepted it for this run (foto run --accept)

    @property
    def status(self) -> str:
        if self.observed is None:
            return "not measured"
        if self.waived:
            return "waived"
        return "passed" if self.passed else ("warning" if self.rule.warn else "FAILED")


@dataclass
class GateResult:
    suite: str
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether publication may go on: warn-level rules never block."""
        return all(o.passed for o in self.outcomes if not o.rule.warn)

    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed and not o.rule.warn]

    def warnings(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed and o.rule.warn]

    def waive(self, accepted: set[str]) -> GateResult:
        """Let failed expectations named `<suite>.<metric>` in `accepted` pass for this run, marked
        as waived: an operator has looked at the delivery and found the change genuine."""
        for o in self.outcomes:
            if not o.passed and f"{self.suite}.{o.rule.metric}" in accepted:
                o.passed, o.waived = True, True
        return self

    def summary(self) -> str:
        """One line per failed expectation: metric, observed value and threshold."""
        lines = [f"{self.suite}.{o.rule.metric} = {o.observed} (expected "
                 f"{o.rule.threshold}){' warning' if o.rule.warn else ''}"
                 for o in self.failed() + self.warnings()]
        return "; ".join(lines) or f"{self.suite}: ok"

    def metadata(self) -> dict[str, Any]:
        """For Dagster: observed value next to the threshold, numbers only."""
        return {f"{o.rule.metric}": f"{o.observed} (expected {o.rule.threshold})"
                f"{'' if o.status == 'passed' else ' ' + o.status}" for o in self.outcomes}


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


@cache
def _definition(suite: str, rules: tuple[Rule, ...]) -> tuple[Any, Any]:
    """The batch definition (a data frame handed in per validation) and the expectation suite
    for one suite's rules, made once per process on the one context: building them again for
    every validation cost a tenth of a second, which the arrest worker would pay per arrest.
    Each rule set gets its own data source, named by its hash, so suites never share one."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    name = f"{suite}_{hashlib.sha256(repr(rules).encode()).hexdigest()[:12]}"
    batch_definition = (_context().data_sources.add_or_update_pandas(name)
                        .add_dataframe_asset(name).add_batch_definition_whole_dataframe(name))
    gx_suite = gx.ExpectationSuite(name=name)
    for rule in rules:
        if rule.low is not None:
            gx_suite.add_expectation(gxe.ExpectColumnMinToBeBetween(
                column=rule.metric, min_value=rule.low, max_value=rule.high))
        else:
            gx_suite.add_expectation(gxe.ExpectColumnMaxToBeBetween(
                column=rule.metric, max_value=rule.high))
    return batch_definition, gx_suite


def validate(suite: str, metrics: dict[str, float | int], rules: list[Rule]) -> GateResult:
    """Validate `metrics` against `rules` with Great Expectations."""
    import pandas as pd

    unmeasured = [r for r in rules if metrics.get(r.metric) is None]
    rules = [r for r in rules if metrics.get(r.metric) is not None]
    if not rules:
        return GateResult(suite, [Outcome(r, None, True) for r in unmeasured])
    frame = pd.DataFrame([{r.metric: float(metrics[r.metric]) for r in rules}])
    batch_definition, gx_suite = _definition(suite, tuple(rules))
    results = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
        gx_suite, result_format=RESULT_FORMAT)
    by_column = {r.expectation_config.kwargs["column"]: r for r in results.results}
    outcomes = []
    for rule in rules:
        res = by_column[rule.metric]
        observed = res.result.get("observed_value")
        if isinstance(observed, float) and observed.is_integer():
            observed = int(observed)
        outcomes.append(Outcome(rule, observed, bool(res.success)))
    return GateResult(suite, outcomes + [Outcome(r, None, True) for r in unmeasured])
