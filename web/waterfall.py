"""Splink's waterfall chart for one pair, drawn offline as SVG.

How the model came to its probability: the prior match weight, each comparison's weight (and
its term-frequency adjustment), and the final score. The chart is Splink's own
(`WaterfallChart`, its Vega-Lite spec), fed with the pair's row of `match_pairs` and the model
that scored it (named in `run_info`, its prior scaled to the run's records as scoring did,
`matching.predict.model_for_size`), and rendered to SVG here by vl-convert: no JavaScript
library and no CDN in the browser. Splink's `remove_sensitive_data` is on: the chart carries
weights and level labels, never the compared values.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb

from matching.models import BUNDLED_DIR
from stores.database import rows_of


def model_file(home: Path, version: str | None) -> Path | None:
    """The model JSON of a run's `model_version` (`bundled/person_v3`, `home/person_v2`);
    None for an injected model (its path is not recorded) or one no longer on disk."""
    origin, _, stem = (version or "").partition("/")
    folder = {"bundled": BUNDLED_DIR, "home": home / "models"}.get(origin)
    if folder is None or not stem.startswith("person_v") or not stem[8:].isdigit():
        return None
    path = folder / f"{stem}.json"
    return path if path.is_file() else None


@lru_cache(maxsize=4)
def _settings(path: Path, mtime: float, records: int) -> Any:
    """Splink's settings object of a model file as a run of `records` records scored with it
    (cached: a page asks for it per item)."""
    from splink.internals.settings_creator import SettingsCreator

    from matching.predict import model_for_size

    model = model_for_size(path, records)
    return SettingsCreator.from_path_or_dict(model).get_settings("duckdb")


def waterfall_data(con: duckdb.DuckDBPyConnection, home: Path, left: str,
                   right: str) -> list[dict[str, Any]] | None:
    """Splink's waterfall records for the pair; None when the model never scored it or its
    model file is not at hand."""
    from splink.internals.waterfall_chart import records_to_waterfall_data

    rows = rows_of(con, """
        SELECT * FROM match_pairs WHERE unique_id_l = $l AND unique_id_r = $r
        ORDER BY match_probability DESC LIMIT 1""", {"l": left, "r": right})
    version = con.sql("SELECT any_value(model_version) FROM run_info").fetchall()[0][0]
    path = model_file(home, version)
    if not rows or path is None:
        return None
    records = con.sql("SELECT count(*) FROM std_persons").fetchall()[0][0]
    settings = _settings(path, path.stat().st_mtime, records)
    return records_to_waterfall_data(rows, settings, hide_details=True)


def waterfall_svg(data: list[dict[str, Any]]) -> str:
    """The chart as an SVG document (Splink's spec; null comparisons left out, as Splink
    does)."""
    import vl_convert
    from splink.internals.charts import WaterfallChart

    return vl_convert.vegalite_to_svg(WaterfallChart(data, filter_nulls=True).chart_dict,
                                      allowed_base_urls=[])
