"""Where a run reads and writes: the inbox, the home, the delivery date. Chosen in one place.

`foto` builds this resource from its flags; `dagster dev` (make dev) from the environment
(FOTO_INBOX, FOTO_HOME, FOTO_DATE), so both see the same home.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from dagster import ConfigurableResource

DATE_FOLDER = re.compile(r"\d{4}-\d{2}-\d{2}$")
DEFAULT_INBOX = "data/sample/inbox"
DEFAULT_HOME = "var"


class FotoPaths(ConfigurableResource):
    """The inbox, the home and the delivery date (empty: the newest delivery in the inbox)."""

    inbox: str = DEFAULT_INBOX
    home: str = DEFAULT_HOME
    date: str = ""
    accept: str = ""   # comma-separated `<suite>.<metric>` an operator waives for this run

    @classmethod
    def from_env(cls) -> FotoPaths:
        return cls(inbox=os.environ.get("FOTO_INBOX", DEFAULT_INBOX),
                   home=os.environ.get("FOTO_HOME", DEFAULT_HOME),
                   date=os.environ.get("FOTO_DATE", ""))

    @property
    def home_dir(self) -> Path:
        return Path(self.home).resolve()

    def delivery_date(self) -> str:
        """The requested delivery date, or the newest one in the inbox."""
        if self.date:
            return self.date
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


def latest_delivery(inbox: Path) -> str:
    """The newest `YYYY-MM-DD` folder in the inbox."""
    dates = sorted(p.name for p in inbox.iterdir() if p.is_dir() and DATE_FOLDER.match(p.name)) \
        if inbox.is_dir() else []
    if not dates:
        raise FileNotFoundError(f"no delivery folder (YYYY-MM-DD) in inbox {inbox}")
    return dates[-1]
