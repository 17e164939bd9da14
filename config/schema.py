"""The shape of foto's configuration: one pydantic model per section, every value checked.

Every tunable number of the data path lives here (match thresholds, gate limits, constraint
constants, blocking caps, keep-counts), so that a what-if run or another region changes a file,
not code. The sections are strict: a misspelt key, a string for a number, a share above 1 or
a warning limit above its blocking limit is refused when foto starts, never half-way a run.
Definitions (the 11-proef weights, the canonical columns, the flag rules themselves) stay code.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)


def _share(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"must be between 0 and 1 (got {value})")
    return value


def _probability(value: float) -> float:
    if not 0.0 < value < 1.0:
        raise ValueError(f"must be between 0 and 1, both excluded (got {value})")
    return value


def _positive(value: float) -> float:
    if not value > 0:
        raise ValueError(f"must be above 0 (got {value})")
    return value


def _not_negative(value: float) -> float:
    if value < 0:
        raise ValueError(f"must be 0 or more (got {value})")
    return value


Share = Annotated[float, AfterValidator(_share)]
Probability = Annotated[float, AfterValidator(_probability)]
Count = Annotated[int, AfterValidator(_not_negative)]
PositiveInt = Annotated[int, AfterValidator(_positive)]
PositiveFloat = Annotated[float, AfterValidator(_positive)]


class Section(BaseModel):
    """Strict and closed: JSON types as written (no "0.5" for 0.5), no unknown key, frozen."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Band(Section):
    """A ratio against the previous run or delivery that must stay within [low, high]."""

    low: PositiveFloat
    high: PositiveFloat

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if not self.low < 1.0 < self.high:
            raise ValueError(f"need low < 1 < high (got low {self.low}, high {self.high})")
        return self


class WarnBlock(Section):
    """A share that warns from `warn` and blocks publication from `block`."""

    warn: Share
    block: Share

    @model_validator(mode="after")
    def _ordered(self) -> WarnBlock:
        if not self.warn < self.block:
            raise ValueError(f"need warn < block (got warn {self.warn}, block {self.block})")
        return self


# -- matching ---------------------------------------------------------------------------------

class Thresholds(Section):
    """`link`: pairs at or above it are the same person; `review` <= p < `link`: for review.
    `version` is recorded in every run's `run_info`; `why` says what changed and why."""

    version: PositiveInt
    link: Probability
    review: Probability
    why: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if not self.review < self.link:
            raise ValueError(f"need review < link (got review {self.review}, link {self.link})")
        return self


class Blocking(Section):
    """`max_block_comparisons`: the most comparisons one blocking rule may spend on one key value
    before its block is refined (matching.blocking); `neighbour_window`: how many records on
    either side a record of a refined block is compared with; `chunk_records`: the most records
    whose candidate pairs Splink builds in one query (matching.predict.prediction_chunks: more
    records are scored in slices, one after another, to bound the memory the blocking joins
    hold)."""

    max_block_comparisons: PositiveInt
    neighbour_window: PositiveInt
    chunk_records: PositiveInt


class Training(Section):
    """How `foto train` estimates a model (matching.train; each value is recorded in the model's
    metadata): `deterministic_rules_recall`, the share of true pairs the deterministic rules
    are taken to find when estimating the prior; `u_max_pairs` and `seed`, the random pairs
    that estimate u; `em_max_pairs`, the most pairs expectation maximisation sees per training
    rule (pairs chosen by a hash of `seed` and the records' ids, `matching.train_sample`);
    `m_floor`, the least m any level gets (a level EM never saw a match at would otherwise be
    an absolute veto)."""

    deterministic_rules_recall: Probability
    u_max_pairs: PositiveFloat
    em_max_pairs: PositiveFloat
    seed: Count
    m_floor: Probability


class PredictChunks(Section):
    """Splink's chunked prediction (`num_chunks_left`, `num_chunks_right`): the candidate pairs
    are made and scored in `left` x `right` slices by a hash of the record ids, one slice at a
    time, so the blocked pairs held at once are a `1/(left*right)` share of all of them. The
    same pairs either way; more slices cost more passes over the records. Absent (the default),
    the slices follow `blocking.chunk_records` (left-hand slices of at most that many records,
    one right-hand slice); set, it is taken as given: for benchmarks and a region that wants
    its own split."""

    left: PositiveInt = 1
    right: PositiveInt = 1


class Matching(Section):
    thresholds: Thresholds
    blocking: Blocking
    training: Training
    predict_chunks: PredictChunks | None = None


# -- gate (expectations) ----------------------------------------------------------------------

class RawLimits(Section):
    max_quarantine_share: Share
    max_values_nulled_share: Share
    min_rows_accepted: Count
    rows_vs_previous_delivery: Band
    duplicate_row_share: WarnBlock
    min_bsn_valid_share: dict[str, Share]


class StdLimits(Section):
    min_surname_filled_share: Share
    min_birth_year_filled_share: Share
    max_name_lost_share: Share
    max_birth_year_lost_share: Share
    max_postcode_lost_share: Share


class Chaining(Section):
    """A person of `min_records` records or more with fewer than `min_linked_pair_share` of its
    record pairs linked directly is a chain of look-alikes."""

    min_records: Annotated[int, Field(ge=3)]
    min_linked_pair_share: Share


class LinkageLimits(Section):
    max_persons_with_two_valid_bsns: Count
    max_records_missing: Count
    max_records_duplicated: Count
    max_melders: Count
    max_loosely_linked_persons: Count
    chaining: Chaining
    persons_vs_previous_run: Band
    max_linked_share_change: Share
    max_review_pairs_per_record: Annotated[float, AfterValidator(_not_negative)]


class ProfileLimits(Section):
    max_persons_without_records: Count
    max_duplicate_person_rows: Count


class Gate(Section):
    """Limits of the quality gate's suites (expectations.suites), one section per stage."""

    version: PositiveInt
    raw: RawLimits
    std: StdLimits
    linkage: LinkageLimits
    profile: ProfileLimits


# -- persons ----------------------------------------------------------------------------------

class Constraints(Section):
    """Records that are never one person (persons.constraints): a parent and a child of one
    name are born at least `min_generation_years` apart; twins' first names score below
    `twin_max_name_similarity` (Jaro-Winkler)."""

    min_generation_years: Annotated[int, Field(ge=1, le=60)]
    twin_max_name_similarity: Probability


# -- keep-counts ------------------------------------------------------------------------------

class Term(Section):
    """A retention term in whole years from the record's date (sources.retention):
    `use_years` in the photo, `destroy_years` in every kept file; null: no such term. A record
    taken out of use must also be destroyed some time: a use term needs a destroy term at
    least as long."""

    use_years: PositiveInt | None
    destroy_years: PositiveInt | None

    @model_validator(mode="after")
    def _ordered(self) -> Term:
        if self.use_years is not None and self.destroy_years is None:
            raise ValueError("a use term needs a destroy term (got destroy_years null)")
        if self.use_years is not None and self.destroy_years is not None \
                and self.use_years > self.destroy_years:
            raise ValueError(f"need use_years <= destroy_years (got use {self.use_years}, "
                             f"destroy {self.destroy_years})")
        return self


class SourceTerms(Term):
    """A source's terms, replacing those its declaration gives (`sources/<name>.py`), and per
    kind of event the terms that differ; sources and kinds are checked against the registry
    at start (`sources.retention.resolve_terms`)."""

    kinds: dict[str, Term] = Field(default_factory=dict)


class Retention(Section):
    """What the home keeps: publications (rollback can go back that far), build folders of
    blocked runs (and for how many days at most), quality reports, Dagster's own run history
    (`<home>/dagster`: finished runs, their event logs, schedule and sensor ticks) for
    `dagster_runs_days` and at most `keep_dagster_runs` runs (it holds counts and record ids,
    so no longer than the shortest use term, checked at start); `quarantine_days`: how long a
    line set aside whole is kept when its term cannot be told from it (no readable date),
    counted from the first delivery that carried it (no longer than the shortest use term,
    checked at start; docs/retention.md); `evidence_days_after_gone`: how long a judgement's
    evidence snapshot keeps the values of a record no longer in the published photo, counted
    from the day it was last published (`judgements.snapshot_gone`): a record without a
    destroy term by date (the BRP's) would otherwise keep them as long as the judgement. A
    reviewer needs the evidence while the judgement can still apply, and it applies only to a
    record in the photo: one gone for a quarter (the default 90 days) is out of its scope,
    and a partner's record gone that long is not a passing gap in a delivery. No longer than
    the shortest use term (checked at start): a record's values may not outlive, in a
    snapshot, the term they may be used for in the photo itself. `terms`: changes to the
    retention terms the sources declare (by source name; none: the declared defaults,
    docs/retention.md)."""

    keep_publications: Annotated[int, Field(ge=2)]
    keep_blocked_runs: Count
    max_blocked_run_age_days: PositiveFloat
    keep_reports: PositiveInt
    dagster_runs_days: Annotated[int, Field(ge=1, le=3650)]
    keep_dagster_runs: Annotated[int, Field(ge=1)]
    quarantine_days: Annotated[int, Field(ge=1, le=3650)]
    evidence_days_after_gone: Annotated[int, Field(ge=1, le=3650)]
    terms: dict[str, SourceTerms] = Field(default_factory=dict)


class Arrests(Section):
    """`recent_days`: arrests the triage index lists on top, newest first."""

    recent_days: PositiveInt


# -- who may see whom (issue 16) --------------------------------------------------------------

class AuditLog(Section):
    """`keep_years`: how long the audit log keeps an entry before `foto audit prune` may remove
    it (the logs of consultations are kept for checks of lawfulness: 5 years by default)."""

    keep_years: Annotated[int, Field(ge=1, le=100)]


class Access(Section):
    """Logins: `max_failed_logins` failures in a row lock an account for `lockout_minutes`;
    a password has at least `min_password_length` characters."""

    max_failed_logins: Annotated[int, Field(ge=1, le=100)]
    lockout_minutes: PositiveInt
    min_password_length: Annotated[int, Field(ge=8, le=128)]


class Serve(Section):
    """`foto serve`'s sessions: one ends after `session_idle_minutes` without a request and at
    the latest `session_max_hours` after its login (a shared screen is not left open for a
    day); `secure_cookie` marks the cookie Secure (on when served over https behind a proxy,
    off for plain http on 127.0.0.1, where a browser would not send it back)."""

    session_idle_minutes: Annotated[int, Field(ge=1, le=24 * 60)]
    session_max_hours: Annotated[int, Field(ge=1, le=24)]
    secure_cookie: bool


# -- encryption at rest (issue 17) -----------------------------------------------------------

class Encryption(Section):
    """`at_rest`: what protects the home's files on disk. `"volume"`: the home lives on an
    encrypted volume (dm-crypt/LUKS, fscrypt, ...; docs/encryption.md says how to make one),
    and foto refuses to publish, and to serve, where it cannot see that it does. `"none"`:
    nothing is promised or checked (the sample and the quick start, on a laptop's disk).
    foto encrypts no file itself: DuckDB 2.0.1 cannot do so securely here (docs/encryption.md).
    """

    at_rest: Literal["none", "volume"]


# Spark properties foto sets itself: the folders (inside the home), the jar, the master and
# memory (their own keys above); the rest of `spark.conf` is the operator's.
SPARK_OWNED = frozenset({"spark.local.dir", "spark.sql.warehouse.dir", "spark.checkpoint.dir",
                         "spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions",
                         "spark.master", "spark.driver.memory", "spark.jars", "spark.jars.ivy",
                         "spark.eventLog.enabled", "spark.eventLog.dir",
                         "spark.hadoop.fs.permissions.umask-mode"})


def _shared_folder(folder: str | None) -> str | None:
    if folder is not None and (not folder.startswith("/") or ".." in folder.split("/")):
        raise ValueError("must be an absolute path without '..'")
    return folder


def _spark_conf(conf: dict[str, str]) -> dict[str, str]:
    taken = sorted(SPARK_OWNED & set(conf))
    if taken:
        raise ValueError(f"may not set {', '.join(taken)}: foto sets them")
    return conf


class Spark(Section):
    """Where `foto run --engine spark` runs the matching stages (matching.spark): `master`, the
    Spark master URL (`local[N]` on this machine, `spark://host:7077` or `yarn` on a cluster,
    docs/scale.md); `driver_memory` as Spark writes it (`1g`, `512m`); `conf`, further Spark
    properties as strings (shuffle partitions, executor memory). Where Spark writes its working
    files is not configurable: under the run's folder in the home, so nothing lands outside it.
    `shared_folder` (absent by default) is for a cluster: a folder the driver and every executor
    reach at the same path (a mount of shared storage), where the files both sides read go
    instead (the records handed to Spark, Splink's checkpoints, the scored pairs and clusters
    handed back), one folder per run, removed when the stage ends; the warehouse and the
    publications stay in the home (docs/scale.md, the cluster recipe)."""

    master: Annotated[str, StringConstraints(min_length=1)]
    driver_memory: Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]*[kmgt]$")]
    conf: Annotated[dict[str, str], AfterValidator(_spark_conf)]
    shared_folder: Annotated[str | None, AfterValidator(_shared_folder)] = None


class DuckDB(Section):
    """`memory_limit`: what one DuckDB connection of foto may hold before it spills to disk
    (under the home, `stores.duck`), as DuckDB writes it (`3GB`, `512MB`); $FOTO_MATCH_MEMORY
    overrides it. Not the process's whole memory: the Python side (Arrow tables handed to
    Splink, the pandas frames of the profiles) comes on top, so it is set below the machine's
    share for foto (docs/scale.md: what a run at a million persons holds beside it)."""

    memory_limit: Annotated[str, StringConstraints(
        pattern=r"^[1-9][0-9]*(\.[0-9]+)?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")]


class FotoConfig(Section):
    """The whole configuration (config/foto.json), loaded and checked once at start."""

    matching: Matching
    gate: Gate
    constraints: Constraints
    retention: Retention
    arrests: Arrests
    audit: AuditLog
    access: Access
    serve: Serve
    encryption: Encryption
    spark: Spark
    duckdb: DuckDB
