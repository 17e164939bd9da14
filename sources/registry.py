"""The source registry: every partner is declared once, as one `Source`, and every stage that
handles partners iterates the registry instead of naming them.

A declaration holds everything the pipeline knows about a partner: its file, format and reader,
the raw table's columns and types, whether it carries a BSN (the gate's valid-BSN check applies
only then; the minimum share is configuration, `config/foto.json`), the label the pages show, its
retention class, what the triage point may read of its events, its rank for a person's
identity, and its queries as text: standardisation (raw table -> canonical records, run by
`standardise` with its macros), events, relations and reasons of concern (run by `profiles`),
and what the gate checks survived standardisation (`expectations`). The queries are data
declared alongside the reader rather than hooks in the higher layers, so that adding a partner
is ONE module (`sources/<name>.py` with a `PARTNER = Source(...)`, its queries as constants
there) and nothing else: no per-partner entry in standardise/, profiles/, expectations/,
publish/ or assets/ to forget. The text is SQL the higher layers run, so the sources layer does
not import them: it stays the lowest that knows partners, and every consumer may import it.

The built-in partners are named in `BUILT_IN` (their order is the order of the union of records,
kept as it was). A further partner is added without editing any module: the environment variable
`FOTO_SOURCES` names declarations as `module:attribute`, comma-separated (e.g.
`FOTO_SOURCES=housing:PARTNER`); they are registered after the built-in ones, when the registry
is first built in a process (the Dagster assets are generated from it at import).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from pathlib import Path

import pandas as pd

from sources.common import ParseResult
from sources.retention import RetentionRule

BUILT_IN = ("police", "justice", "care", "municipal")
ENV_VAR = "FOTO_SOURCES"
# A name becomes table names (`raw_<name>`, `std_<name>`) and asset names: lower-case
# identifiers only, so that it is a safe SQL identifier and a valid Dagster asset name.
NAME = re.compile(r"[a-z][a-z0-9_]{0,30}")
FORMATS = ("csv", "parquet", "jsonl")

# What a reader returns: the parse result, or the result and further tables at another grain
# (care's reports), by table name.
Read = ParseResult | tuple[ParseResult, dict[str, pd.DataFrame]]


@dataclass(frozen=True)
class Source:
    """One partner's declaration (see the module docstring).

    `raw_types`: the raw table's columns, in the file's order, with their DuckDB types (plus
    `source_line`); a frame with no rows or an all-null column gets its types from here.
    `tables`: types of further tables the reader returns (care's `care_reports`).
    `carries_bsn`: the extract has a BSN field, so the gate checks the share of valid BSNs in
    it (the minimum per source is configuration: `config/foto.json`,
    `gate.raw.min_bsn_valid_share`; a BSN source without one there stops the raw check).
    `std_sql`: SELECT from `raw_<name>` (and `tables`) giving the canonical columns
    (`sources.schema.CANONICAL_COLUMNS`); it may call the `foto_*` macros and use `{tv_re}`,
    `{particle_re}`, `{clan_re}` (filled by `standardise.rules`).
    `events_sql`: SELECT of timeline rows joined to `scoped_records` (the `person_records` of
    the persons being built: all, or an arrest's one) (columns as
    `profiles.events.EVENT_COLUMNS`), or None when the partner adds no events.
    `presence_sql`: per accepted raw record `unique_id, had_name, had_birth, had_postcode`
    (NULL: no such field), so the gate sees a value lost in standardisation; None: not checked.
    `surname_field`: the extract has a surname of its own (care's one free-text name may not
    yield one, so the gate's surname share leaves it out).
    `retention_class`: which body of law the partner's records fall under, e.g. 'police'
    (Wpg), 'justice' (Wjsg), 'care', 'municipal' (the BRP), for people to read.
    `retention`: the terms themselves (`sources.retention.RetentionRule`): the date they run
    from, the kind of event where terms differ by kind, how many years a record may be used in
    the photo and when it must be gone from every kept file. A record past its use term is not
    accepted (counted `expired`); the configuration may change a term (`retention.terms`).
    `identity_trust`: rank of the partner's records for a person's preferred name, birth date
    and sex (1 first; the BRP registers identities); `address_register`: the partner's address
    is preferred for a person's address (the BRP).
    `concern_sql`: SELECT person_id, reason: why a person with this partner's records is of
    concern to the triage point; reads `r` (the person's linked canonical records, with
    `person_id`) and the partner's raw tables. None: the partner's records bring no concern.
    `relations_sql`: SELECT person_id, related_id, kind, source, evidence (a list of record
    ids): who is what to whom by this partner's records; reads `person_records`, the
    partner's raw tables and `bsn_person` (valid BSN -> person, over all partners). None: no
    relations.
    What the triage point may read of the partner's events (`publish.audiences`), least by
    default: `triage_event` the event as triage sees it (care: only 'zorgmelding'; None: the
    event's own type), `triage_role` the person's role in it, `triage_details` its description
    and status (the offence and its outcome).
    """

    name: str
    file: str
    format: str
    reader: Callable[[Path], Read]
    raw_types: dict[str, str]
    std_sql: str
    label: str
    retention_class: str
    retention: RetentionRule
    carries_bsn: bool = False
    events_sql: str | None = None
    presence_sql: str | None = None
    surname_field: bool = True
    identity_trust: int = 9
    address_register: bool = False
    concern_sql: str | None = None
    relations_sql: str | None = None
    triage_event: str | None = None
    triage_role: bool = False
    triage_details: bool = False
    tables: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not NAME.fullmatch(self.name):
            raise ValueError(f"source name {self.name!r} is not a lower-case identifier")
        if self.format not in FORMATS:
            raise ValueError(f"source {self.name}: format must be one of {FORMATS}")
        if "/" in self.file or "\\" in self.file or self.file.startswith("."):
            raise ValueError(f"source {self.name}: file must be a plain file name")
        if not {"record_id", "source_line"} <= set(self.raw_types):
            raise ValueError(f"source {self.name}: the raw table needs record_id and source_line")
        if not self.label.strip() or not self.retention_class.strip():
            raise ValueError(f"source {self.name}: a label and a retention class are required")
        unknown = sorted(self.retention.tables() - set(self.tables))
        if unknown:
            raise ValueError(f"source {self.name}: retention reads {unknown[0]}, which the "
                             "source does not declare")

    @property
    def table(self) -> str:
        return f"raw_{self.name}"

    @property
    def columns(self) -> list[str]:
        """The raw table's columns as the reader gives them (without `source_line`)."""
        return [c for c in self.raw_types if c != "source_line"]

    def read(self, folder: Path) -> tuple[ParseResult, dict[str, pd.DataFrame]]:
        """Read the partner's file of one delivery folder: the result and further tables."""
        got = self.reader(folder)
        return got if isinstance(got, tuple) else (got, {})


class Registry:
    """The registered sources in registration order; a name and a file are declared once."""

    def __init__(self, sources: tuple[Source, ...] | list[Source] = ()) -> None:
        self._sources: dict[str, Source] = {}
        for source in sources:
            self.register(source)

    def register(self, source: Source) -> Source:
        """Add a declaration; a second source of the same name, file or table is refused."""
        if not isinstance(source, Source):
            raise TypeError("only a sources.registry.Source can be registered")
        if source.name in self._sources:
            raise ValueError(f"source {source.name!r} is already registered")
        if any(s.file == source.file for s in self._sources.values()):
            raise ValueError(f"file {source.file!r} is already another source's")
        taken = {t for s in self._sources.values() for t in (s.table, *s.tables)}
        if taken & {source.table, *source.tables}:
            raise ValueError(f"source {source.name!r} declares a table already declared")
        self._sources[source.name] = source
        return source

    def __iter__(self) -> Iterator[Source]:
        return iter(self._sources.values())

    def __len__(self) -> int:
        return len(self._sources)

    def __contains__(self, name: object) -> bool:
        return name in self._sources

    def __getitem__(self, name: str) -> Source:
        return self._sources[name]

    def names(self) -> tuple[str, ...]:
        return tuple(self._sources)

    def files(self) -> tuple[str, ...]:
        return tuple(s.file for s in self)

    def raw_types(self) -> dict[str, dict[str, str]]:
        """Declared types of every raw table and further table, by table name."""
        out: dict[str, dict[str, str]] = {}
        for source in self:
            out[source.table] = source.raw_types
            out.update(source.tables)
        return out


def load(spec: str) -> Source:
    """The declaration `module:attribute` names (as `FOTO_SOURCES` does)."""
    module, _, attribute = spec.strip().partition(":")
    if not module or not attribute:
        raise ValueError(f"{ENV_VAR}: {spec!r} is not module:attribute")
    found = getattr(import_module(module), attribute)
    if not isinstance(found, Source):
        raise TypeError(f"{ENV_VAR}: {spec!r} is not a sources.registry.Source")
    return found


def build_registry(extra: str = "") -> Registry:
    """The built-in partners, then those `extra` names (`module:attr,module:attr`)."""
    registry = Registry([import_module(f"sources.{name}").PARTNER for name in BUILT_IN])
    for spec in extra.split(","):
        if spec.strip():
            registry.register(load(spec))
    return registry


@cache
def registry() -> Registry:
    """This process's registry: the built-in partners and those `FOTO_SOURCES` names."""
    return build_registry(os.environ.get(ENV_VAR, ""))
