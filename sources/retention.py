"""Retention terms per source (issue 17): how long a partner's record may be used in the photo
and when it must be gone from every kept file, counted from a date the record carries.

Each partner declares its rule once, with its `Source` (`sources.registry`): the date the terms
run from (a column of its raw table, or of a further table joined on the columns the two share,
as care's reports carry the date of a report's persons), optionally the column that says which
kind of event a record is, and its default terms, per kind where a kind's differ. The
configuration (`config/foto.json`, `retention.terms`) may change any term; `resolve_terms`
checks it against the registry (a source or kind nobody declared is refused, as a misspelt key
is) and gives the terms a run applies.

A record is past its use term when the run's reference date (the delivery date: a run is a
snapshot "as of" that day, so a rerun of a delivery expires the same records, and a later
delivery date is the clock moved forward) is on or after its date plus the use term. Such a
record is not accepted: `expire` takes it out of the parse result before anything is stored,
with the quarantine entries of its values (they hold its raw line), and counts it under
`expired`, so that `read = accepted + quarantined + withheld + expired`. A record without a
date cannot be shown to be past its term and stays (its missing date is logged as a field fault
by its reader). The destroy term says when kept copies must be gone (`issue 17`, item 3).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

import pandas as pd

from config import ConfigError, FotoConfig
from config.defaults import TIMEZONE  # a partner's moment is a local day
from sources.common import ParseResult


@dataclass(frozen=True)
class Term:
    """Years from the record's date: `use_years` in the photo, `destroy_years` in any kept
    file. None: no such term (a current BRP registration is used as long as it is delivered)."""

    use_years: int | None
    destroy_years: int | None

    def __post_init__(self) -> None:
        for value in (self.use_years, self.destroy_years):
            if value is not None and (not isinstance(value, int) or value <= 0):
                raise ValueError("a term is a whole number of years above 0, or None")
        if self.use_years is not None and (
                self.destroy_years is None or self.use_years > self.destroy_years):
            raise ValueError("a use term needs a destroy term at least as long")


@dataclass(frozen=True)
class RetentionRule:
    """A partner's declared retention: `since` is the column of the date the terms run from,
    of the raw table (`"registratie_datum"`) or, as `"table.column"`, of one of the partner's
    further tables (`"care_reports.ontvangen_op"`); `kind` the column naming the kind of event
    (written alike), when terms differ by kind; `term` the default,
    `kinds` the terms of the kinds that differ from it, `kind_values` every kind the contract
    knows (the configuration may give terms to any of them).

    `quarantined`: how to read the date (and kind) from rows the reader set aside whole
    (duplicate id, no surname, ...): given those quarantine rows (their `raw` line, `line`)
    and the reader's further tables, per row the date and kind, NaT where the line does not
    tell. Such a row keeps its raw line in the warehouse's `quarantine` table: past its use
    term it goes, as an accepted record would. None: the reader keeps no raw line (justice's
    Parquet rows) or the source has no term."""

    since: str
    term: Term
    kind: str | None = None
    kinds: Mapping[str, Term] = field(default_factory=dict)
    kind_values: frozenset[str] = frozenset()
    quarantined: Callable[[pd.DataFrame, dict[str, pd.DataFrame]],
                          tuple[pd.Series, pd.Series]] | None = None

    def __post_init__(self) -> None:
        if (self.kinds or self.kind_values) and self.kind is None:
            raise ValueError("terms per kind need the column that names the kind")
        if not set(self.kinds) <= self.kind_values:
            raise ValueError("a kind with terms of its own must be one of kind_values")

    def term_of(self, kind: str | None) -> Term:
        return self.kinds.get(kind, self.term) if kind is not None else self.term

    def tables(self) -> set[str]:
        """The further tables the rule reads (none: only the raw table)."""
        return {ref.partition(".")[0] for ref in (self.since, self.kind)
                if ref is not None and "." in ref}


def _ref(ref: str, raw_table: str) -> tuple[str, str]:
    """(table, column) of a rule's `column` or `table.column`."""
    table, dot, column = ref.partition(".")
    return (table, column) if dot else (raw_table, ref)


@dataclass(frozen=True)
class Terms:
    """The terms a run applies to one source: its rule with the configuration's changes."""

    rule: RetentionRule

    def use_until(self, since: pd.Series, kinds: pd.Series) -> pd.Series:
        """Per record, the first day it may no longer be used (NaT: no term or no date)."""
        return self._until(since, kinds, "use_years")

    def destroy_by(self, since: pd.Series, kinds: pd.Series) -> pd.Series:
        """Per record, the day from which no kept file may hold it (NaT: no term or date)."""
        return self._until(since, kinds, "destroy_years")

    def _until(self, since: pd.Series, kinds: pd.Series, which: str) -> pd.Series:
        out = pd.Series(pd.NaT, index=since.index, dtype="datetime64[ns]")
        days = local_days(since)
        kind_values = kinds.astype("object").where(kinds.notna(), None)
        for kind in list(dict.fromkeys(kind_values.tolist())):
            years = getattr(self.rule.term_of(kind), which)
            if years is None:
                continue
            mask = (kind_values == kind) if kind is not None else kind_values.isna()
            out[mask] = days[mask] + pd.DateOffset(years=years)
        return out


def local_days(values: pd.Series) -> pd.Series:
    """Dates as days: a date as it is, a moment (care's receipt time, kept in UTC) as its day
    in the Netherlands, the day the partner wrote down."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert(TIMEZONE).dt.tz_localize(None).dt.normalize()
    return pd.to_datetime(values, errors="coerce").dt.normalize()


def resolve_terms(config: FotoConfig, sources: list) -> dict[str, Terms]:
    """Each source's terms: its declared rule with the configuration's `retention.terms`
    applied. A source or kind the registry does not declare raises ConfigError (one line)."""
    changes = config.retention.terms
    declared = {s.name: s.retention for s in sources}
    for name, change in changes.items():
        if name not in declared:
            raise ConfigError(f"config: retention.terms.{name}: no such source "
                              f"(known: {', '.join(sorted(declared))})")
        known = declared[name].kind_values
        unknown = sorted(set(change.kinds) - known)
        if unknown:
            raise ConfigError(f"config: retention.terms.{name}.kinds.{unknown[0]}: no such "
                              f"kind of {name} (known: {', '.join(sorted(known)) or 'none'})")
    out = {}
    for name, rule in declared.items():
        change = changes.get(name)
        if change is not None:
            try:
                rule = replace(rule, term=Term(change.use_years, change.destroy_years),
                               kinds={**rule.kinds, **{k: Term(t.use_years, t.destroy_years)
                                                       for k, t in change.kinds.items()}})
            except ValueError as err:
                raise ConfigError(f"config: retention.terms.{name}: {err}") from None
        out[name] = Terms(rule)
    for key in ("dagster_runs_days", "quarantine_days", "evidence_days_after_gone"):
        _check_days(key, getattr(config.retention, key), out)
    return out


def _check_days(key: str, days: int, terms: dict[str, Terms]) -> None:
    """Dagster's run history holds record ids (quarantined rows, review pairs), the quarantine
    lines whose date cannot be read, judgements' evidence snapshots the values of records gone
    from the photo: none may be kept longer than the shortest use term of any source (a year
    counted as 365 days)."""
    years = [t.use_years for s in terms.values()
             for t in (s.rule.term, *s.rule.kinds.values()) if t.use_years is not None]
    if years and days > min(years) * 365:
        raise ConfigError(f"config: retention.{key}: {days} days is longer than "
                          f"the shortest use term ({min(years)} years)")


def _column(rule_ref: str, raw_table: str, frame: pd.DataFrame,
            extra: dict[str, pd.DataFrame]) -> pd.Series:
    """The values of (table, column) per accepted row: the row's own, or those of the further
    table's row it shares key columns with."""
    table, column = _ref(rule_ref, raw_table)
    if table == raw_table:
        return frame[column] if column in frame else pd.Series(None, index=frame.index)
    other = extra.get(table)
    # private columns (`_line`: where a row was read) are no key of the partner's data
    keys = sorted(c for c in (set(other.columns) & set(frame.columns)) - {"record_id", column}
                  if not c.startswith("_")) if other is not None else []
    if other is None or not keys:
        raise ValueError(f"retention: {table}.{column} cannot be joined to {raw_table}")
    lookup = other.drop_duplicates(keys).set_index(keys)[column]
    index = pd.MultiIndex.from_frame(frame[keys]) if len(keys) > 1 else frame[keys[0]]
    return pd.Series(lookup.reindex(index).to_numpy(), index=frame.index)


def _since_and_kind(frame: pd.DataFrame, extra: dict[str, pd.DataFrame], raw_table: str,
                    terms: Terms) -> tuple[pd.Series, pd.Series]:
    rule = terms.rule
    since = _column(rule.since, raw_table, frame, extra)
    kinds = _column(rule.kind, raw_table, frame, extra) if rule.kind else \
        pd.Series(None, index=frame.index, dtype="object")
    return since, kinds


def expired_mask(result: ParseResult, extra: dict[str, pd.DataFrame], raw_table: str,
                 terms: Terms, reference: str | date) -> pd.Series:
    """Per accepted row: past its use term on `reference`."""
    frame = result.accepted
    if frame.empty:
        return pd.Series(False, index=frame.index, dtype=bool)
    until = terms.use_until(*_since_and_kind(frame, extra, raw_table, terms))
    return (until <= pd.Timestamp(reference)).fillna(False).astype(bool)


TERM_COLUMNS = {"source": "VARCHAR", "record_id": "VARCHAR", "use_until": "DATE",
                "destroy_by": "DATE"}


def term_dates(result: ParseResult, extra: dict[str, pd.DataFrame], raw_table: str,
               terms: Terms) -> pd.DataFrame:
    """Per accepted record, the day its use term ends and the day it must be gone from every
    kept file (null: no such term, or no date): ids and dates only, stored beside the records
    (`record_terms`) so that a later step (an arrest between two nightly runs, the pruning of
    kept copies) applies the same terms without the partner's file."""
    frame = result.accepted
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in TERM_COLUMNS})
    since, kinds = _since_and_kind(frame, extra, raw_table, terms)
    out = pd.DataFrame({"source": result.source, "record_id": frame["record_id"].to_numpy()})
    for column, until in (("use_until", terms.use_until(since, kinds)),
                          ("destroy_by", terms.destroy_by(since, kinds))):
        out[column] = pd.Series(until.dt.date.to_numpy(), dtype="object").where(
            until.notna().to_numpy(), None)
    return out


@dataclass(frozen=True)
class Undated:
    """How long a line set aside whole is kept when its use term cannot be told from it (its
    date cannot be read, the source has no term by date, or the whole file was refused): `days`
    (`retention.quarantine_days`) from the first delivery that carried it. `delivered`: the day
    of the delivery the file was read from; `first_seen`: per raw line, the first delivery
    day the publication before recorded for it (`quarantine.first_delivered`), so that a line
    a partner delivers again every day does not start again each day."""

    days: int
    delivered: date
    first_seen: Mapping[str, date] = field(default_factory=dict)

    def first_delivered(self, quarantine: pd.DataFrame) -> pd.Series:
        """Per quarantine entry, the first delivery known to carry its line."""
        day = pd.Timestamp(self.delivered)
        raws = quarantine["raw"].astype("object") if "raw" in quarantine else \
            pd.Series(None, index=quarantine.index, dtype="object")
        seen = pd.to_datetime(raws.map(lambda r: self.first_seen.get(r) if isinstance(r, str)
                                       else None), errors="coerce")
        return seen.where(seen < day, day).dt.normalize()


def expire(result: ParseResult, extra: dict[str, pd.DataFrame], raw_table: str,
           terms: Terms, reference: str | date, undated: Undated | None = None
           ) -> tuple[ParseResult, dict[str, pd.DataFrame]]:
    """The result without the records past their use term on `reference` (counted as
    `expired`), without the quarantine entries of their nulled values (they hold the raw
    line), and the further table the date comes from without its rows past the term (a care
    report received too long ago, whoever its persons are). With `undated`, each quarantine
    entry carries `first_delivered`, and a line set aside whole whose term cannot be told
    from it leaves `undated.days` after it (`quarantined_expired`)."""
    if undated is not None and len(result.quarantine):
        quarantine = result.quarantine.copy()
        quarantine["first_delivered"] = undated.first_delivered(quarantine).dt.date
        result = replace(result, quarantine=quarantine)
    mask = expired_mask(result, extra, raw_table, terms, reference)
    set_aside = quarantined_expired(result, extra, terms, reference, undated)
    extra = _expire_table(extra, terms, raw_table, reference)
    if not mask.any() and not set_aside.any():
        return result, extra
    gone = set(result.accepted.loc[mask, "record_id"])
    quarantine = result.quarantine
    if len(quarantine):
        of_gone = quarantine["record_id"].isin(gone) & \
            quarantine["kept"].fillna(False).astype(bool)
        quarantine = quarantine[~(of_gone | set_aside)].reset_index(drop=True)
    return replace(result, accepted=result.accepted[~mask].reset_index(drop=True),
                   quarantine=quarantine,
                   expired=result.expired + int(mask.sum()) + int(set_aside.sum())), extra


def quarantined_expired(result: ParseResult, extra: dict[str, pd.DataFrame], terms: Terms,
                        reference: str | date, undated: Undated | None = None) -> pd.Series:
    """Per quarantine entry: a row set aside whole whose raw line shows it past its use term
    on `reference` (the same date column and rule as an accepted record), or, when its term
    cannot be told from the line (no readable date, no term by date, every line of a refused
    file: its lines were not read as the contract's columns, so no field can be trusted to be
    the date), whose first delivery lies `undated.days` or more before `reference`. It leaves
    the quarantine and is counted `expired` instead of `quarantined`, so the accounting still
    adds up. Without `undated` such a line stays."""
    quarantine = result.quarantine
    out = pd.Series(False, index=quarantine.index, dtype=bool)
    if not len(quarantine):
        return out
    raws = quarantine["raw"].astype("object")
    whole = (quarantine["line"] > 0) & ~quarantine["kept"].fillna(False).astype(bool) & \
        raws.notna() & (raws.fillna("").astype(str) != "")
    if not whole.any():
        return out
    until = pd.Series(pd.NaT, index=quarantine.index, dtype="datetime64[ns]")
    read = terms.rule.quarantined
    if read is not None and not result.file_error:
        since, kinds = read(quarantine[whole], extra)
        until[whole] = terms.use_until(since, kinds).to_numpy()
    if undated is not None and "first_delivered" in quarantine:
        first = pd.to_datetime(quarantine["first_delivered"], errors="coerce")
        untold = whole & until.isna()
        until[untold] = (first[untold] + pd.Timedelta(days=undated.days)).to_numpy()
    out[whole] = (until[whole] <= pd.Timestamp(reference)).fillna(False).astype(bool)
    return out


def _expire_table(extra: dict[str, pd.DataFrame], terms: Terms, raw_table: str,
                  reference: str | date) -> dict[str, pd.DataFrame]:
    """`extra` with the rows of the further table the date comes from past their term."""
    rule = terms.rule
    table, since = _ref(rule.since, raw_table)
    kind = _ref(rule.kind, raw_table) if rule.kind is not None else None
    if table not in extra or (kind is not None and kind[0] != table):
        return extra
    rows = extra[table]
    kinds = rows[kind[1]] if kind else pd.Series(None, index=rows.index, dtype="object")
    past = (terms.use_until(rows[since], kinds) <= pd.Timestamp(reference)
            ).fillna(False).astype(bool)
    return {**extra, table: rows[~past].reset_index(drop=True)}
