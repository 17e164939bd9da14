"""Where a run reads and writes: the inbox, the home, the delivery date. Chosen in one place.

`foto` builds this resource from its flags; `dagster dev` (make dev) from the environment
(FOTO_INBOX, FOTO_HOME, FOTO_DATE), so both see the same home.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date as calendar_date
from pathlib import Path
from typing import TYPE_CHECKING

from dagster import ConfigurableResource

from config import ENV_VAR as CONFIG_ENV_VAR
from config import FotoConfig, Thresholds, load_config, load_thresholds_file
from config.defaults import DEFAULT_HOME, DEFAULT_INBOX, ENGINES
from matching.models import ModelRef, current_model

if TYPE_CHECKING:
    from sources.retention import Terms

DATE_FOLDER = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
# Entries of the inbox that are not deliveries and are meant to be there: no warning.
INBOX_FEEDS = {"arrests"}


class FotoPaths(ConfigurableResource):
    """The inbox, the home and the delivery date (empty: the newest delivery in the inbox)."""

    inbox: str = DEFAULT_INBOX
    home: str = DEFAULT_HOME
    date: str = ""
    accept: str = ""   # comma-separated `<suite>.<metric>` an operator waives for this run
    # The run's configuration, injectable (a test, a what-if run): empty means the home's
    # current model, $FOTO_CONFIG or else the committed config/foto.json, and that file's
    # thresholds. Resolved here, not in the asset bodies, so that every asset of a run uses
    # the same model, thresholds and limits.
    model: str = ""        # path to a Splink model JSON
    config: str = ""       # path to a configuration JSON (config/foto.json's shape)
    thresholds: str = ""   # path to a thresholds JSON, in place of the configuration's
    # Where Splink scores and clusters (`foto run --engine`): DuckDB in memory, or Spark as the
    # configuration's `spark` section describes it (matching.spark).
    engine: str = "duckdb"

    @classmethod
    def from_env(cls) -> FotoPaths:
        return cls(inbox=os.environ.get("FOTO_INBOX", DEFAULT_INBOX),
                   home=os.environ.get("FOTO_HOME", DEFAULT_HOME),
                   date=os.environ.get("FOTO_DATE", ""),
                   config=os.environ.get(CONFIG_ENV_VAR, ""))

    @property
    def home_dir(self) -> Path:
        return Path(self.home).resolve()

    def delivery_date(self) -> str:
        """The requested delivery date (refused when it is not a delivery), or the newest one
        in the inbox."""
        if self.date:
            return require_delivery(Path(self.inbox), self.date)
        return latest_delivery(Path(self.inbox))

    def accepted(self) -> set[str]:
        return {a.strip() for a in self.accept.split(",") if a.strip()}

    def delivery_dir(self) -> Path:
        return Path(self.inbox).resolve() / self.delivery_date()

    def run_dir(self, run_id: str) -> Path:
        return self.home_dir / "runs" / run_id

    def build_db(self, run_id: str) -> Path:
        return self.run_dir(run_id) / "warehouse.duckdb"

    @property
    def models_dir(self) -> Path:
        return self.home_dir / "models"

    def match_model(self) -> ModelRef:
        """The model this run scores with: the injected one, else the home's current one."""
        if self.model:
            path = Path(self.model).resolve()
            return ModelRef(path, f"injected/{path.stem}", "injected")
        return current_model(self.models_dir)

    def foto_config(self) -> FotoConfig:
        """The validated configuration (`config.load_config`; raises `ConfigError` naming the
        key), with an injected thresholds file in place of its `matching.thresholds`."""
        loaded = load_config(self.config or None)
        if not self.thresholds:
            return loaded
        matching = loaded.matching.model_copy(
            update={"thresholds": load_thresholds_file(self.thresholds)})
        return loaded.model_copy(update={"matching": matching})

    def retention_terms(self) -> dict[str, Terms]:
        """Each source's retention terms: its declaration with the configuration's changes
        (`sources.retention.resolve_terms`; a source or kind not declared raises
        `ConfigError`, as a misspelt key does)."""
        from sources.registry import registry
        from sources.retention import resolve_terms

        return resolve_terms(self.foto_config(), list(registry()))

    def match_engine(self) -> str:
        """The engine the matching stages run on (a safe message: it names no data); anything
        but duckdb or spark is refused."""
        if self.engine not in ENGINES:
            raise ValueError(f"unknown engine {self.engine!r}: one of {', '.join(ENGINES)}")
        return self.engine

    def match_thresholds(self) -> Thresholds:
        """The link and review thresholds: the injected file, else the configuration's."""
        return self.foto_config().matching.thresholds


class NoDelivery(FileNotFoundError):
    """A date that is not a delivery, or an inbox without one. The message names the inbox, the
    date and why (folder names and counts only: they are not personal data)."""

    safe_message = True


def contract_files() -> tuple[str, ...]:
    """The file names a delivery may hold, as the registered sources name them (imported here,
    late, so that the resource module does not pull in the readers at import)."""
    from sources.registry import registry

    return registry().files()


def delivery_problem(inbox: Path, name: str) -> str | None:
    """Why `<inbox>/<name>` is not a delivery, or None when it is. THE rule, used by the CLI,
    the backfill, the schedule, the partitions and the ingest's fallback to an earlier delivery:
    a real calendar date `YYYY-MM-DD`, a folder of the inbox itself (not a symbolic link, which
    could lead a run to read and publish files from anywhere), holding at least one contract
    file. A mistyped `--date` or a stray `2026-13-45` folder would otherwise be run as the
    newest delivery, with every partner's file taken from an older one."""
    if not DATE_FOLDER.fullmatch(name):
        return "not named YYYY-MM-DD"
    try:
        calendar_date.fromisoformat(name)
    except ValueError:
        return "not a calendar date"
    folder = inbox / name
    if folder.is_symlink():
        return "a symbolic link, not a folder of the inbox"
    if not folder.exists():
        return "no such folder in the inbox"
    if not folder.is_dir():
        return "a file, not a folder"
    if not any((folder / f).is_file() for f in contract_files()):
        return "holds no contract file (" + ", ".join(contract_files()) + ")"
    return None


@dataclass(frozen=True)
class InboxScan:
    """The deliveries of an inbox, oldest first, and the entries ignored with their reason."""

    deliveries: list[str] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)

    def warning(self) -> str | None:
        """One line for operators about what was ignored (names and reasons only)."""
        if not self.ignored:
            return None
        shown = "; ".join(f"{name!r}: {why}" for name, why in self.ignored[:10])
        more = f"; and {len(self.ignored) - 10} more" if len(self.ignored) > 10 else ""
        return (f"inbox: ignored {len(self.ignored)} entr{'y' if len(self.ignored) == 1 else 'ies'}"
                f" that are not deliveries: {shown}{more}")


def scan_inbox(inbox: Path) -> InboxScan:
    """Every entry of the inbox sorted into deliveries and ignored entries (hidden entries and
    the arrest feed are neither)."""
    if not inbox.is_dir():
        return InboxScan()
    deliveries, ignored = [], []
    for entry in sorted(inbox.iterdir(), key=lambda p: p.name):
        if entry.name.startswith(".") or entry.name in INBOX_FEEDS:
            continue
        problem = delivery_problem(inbox, entry.name)
        if problem:
            ignored.append((entry.name, problem))
        else:
            deliveries.append(entry.name)
    return InboxScan(deliveries, ignored)


def require_delivery(inbox: Path, date: str) -> str:
    """`date` itself when it is a delivery of the inbox; else refused, saying why."""
    problem = delivery_problem(inbox, date)
    if problem:
        raise NoDelivery(f"{date!r} is not a delivery in inbox {inbox}: {problem}")
    return date


def latest_delivery(inbox: Path) -> str:
    """The newest delivery in the inbox (entries that are not deliveries are passed over)."""
    found = scan_inbox(inbox).deliveries
    if not found:
        raise NoDelivery(f"no delivery folder (YYYY-MM-DD, holding a contract file) in inbox "
                         f"{inbox}")
    return found[-1]
