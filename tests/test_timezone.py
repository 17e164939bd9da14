"""The region's time zone is declared once (`config.defaults.TIMEZONE`): a term's last day, an
arrest's day, the sheet's clock and the nightly schedule must never disagree about what day it
is, which they would the moment one of five copies was changed and the others were not."""

from __future__ import annotations

import re
from pathlib import Path

from config.defaults import TIMEZONE

ROOT = Path(__file__).resolve().parents[1]
NOT_FOTO = {"tests", "benchmarks", "data"}   # the generator writes Amsterdam offsets on purpose
PACKAGES = sorted(d.name for d in ROOT.iterdir()
                  if (d / "__init__.py").is_file() and d.name not in NOT_FOTO)
AREAS = "Europe|America|Africa|Asia|Australia|Pacific|Atlantic|Indian"
ZONE_NAME = re.compile(rf"""["'](?:{AREAS})/[A-Za-z_]+["']""")


def test_no_module_but_the_defaults_names_a_time_zone() -> None:
    assert {"config", "publish", "sources", "pipelines"} <= set(PACKAGES)
    named = [str(path.relative_to(ROOT))
             for package in PACKAGES
             for path in sorted((ROOT / package).rglob("*.py"))
             if ZONE_NAME.search(path.read_text(encoding="utf-8"))]
    assert named == ["config/defaults.py"]


def test_every_local_day_is_the_same_zone() -> None:
    from pipelines.schedules import nightly_schedule
    from publish.display import TIMEZONE as clock
    from publish.kept_terms import TIMEZONE as terms

    assert clock.key == terms.key == TIMEZONE
    assert nightly_schedule.execution_timezone == TIMEZONE
