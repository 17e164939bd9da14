"""One validated configuration (config/foto.json): loaded and checked at start, refused whole
with the key that is wrong, and read by the stages through parameters, never as literals."""

from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from config import DEFAULT_PATH, ConfigError, FotoConfig, load_config
from tests.conftest import foto

ROOT = Path(__file__).parents[1]
DEFAULTS: dict[str, Any] = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: Any, name: str = "foto.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def _with(key: str, value: Any) -> dict[str, Any]:
    """The defaults with `key` (dotted) set to `value` (`...` removes it)."""
    data = copy.deepcopy(DEFAULTS)
    *parents, last = key.split(".")
    node = data
    for part in parents:
        node = node[part]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return data


def test_the_committed_defaults_load_with_their_versions() -> None:
    config = load_config()
    assert isinstance(config, FotoConfig)
    t = config.matching.thresholds
    assert (t.version, t.link, t.review) == (3, 0.6, 0.5)
    assert config.gate.version == 4
    assert config.gate.raw.duplicate_row_share.warn < config.gate.raw.duplicate_row_share.block
    assert config.retention.keep_publications == 5 and config.arrests.recent_days == 7


BAD = [
    # (dotted key, value, words the message must hold)
    ("gate.raw.max_quarantine_share", 1.5, "must be between 0 and 1 (got 1.5)"),
    ("gate.raw.max_quarantine_share", "0.05", "valid number"),
    ("gate.raw.min_rows_accepted", -1, "must be 0 or more"),
    ("gate.raw.min_bsn_valid_share.police", 2, "must be between 0 and 1"),
    ("gate.raw.duplicate_row_share.warn", 0.5, "need warn < block"),
    ("gate.raw.rows_vs_previous_delivery.low", 1.1, "need low < 1 < high"),
    ("gate.std.max_name_lost_share", None, "valid number"),
    ("gate.linkage.chaining.min_records", 2, "greater than or equal to 3"),
    ("gate.linkage.persons_vs_previous_run", [0.7, 1.5], "object"),
    ("gate.profile.max_duplicate_person_rows", 0.5, "valid integer"),
    ("matching.thresholds.review", 0.8, "need review < link"),
    ("matching.thresholds.link", 1.0, "between 0 and 1, both excluded"),
    ("matching.blocking.max_block_comparisons", 0, "must be above 0"),
    ("matching.blocking.neighbour_window", True, "valid integer"),
    ("matching.training.m_floor", 0, "between 0 and 1, both excluded"),
    ("matching.training.seed", 1.5, "valid integer"),
    ("constraints.twin_max_name_similarity", 1.2, "between 0 and 1"),
    ("constraints.min_generation_years", ..., "missing"),
    ("retention.keep_publications", 1, "greater than or equal to 2"),
    ("retention.max_blocked_run_age_days", 0, "must be above 0"),
    ("arrests.recent_days", "7", "valid integer"),
    ("spark.driver_memory", "lots", "should match pattern"),
    ("spark.master", "", "at least 1 character"),
    ("spark.conf", {"spark.sql.warehouse.dir": "/elsewhere"}, "foto sets them"),
    ("gate.raw.max_quarantin_share", 0.05, "unknown key"),
    ("retention.keep_everything", True, "unknown key"),
]


@pytest.mark.parametrize(("key", "value", "words"), BAD,
                         ids=[f"{k}={v!r}" for k, v, _ in BAD])
def test_a_bad_value_is_refused_naming_its_key(tmp_path: Path, key: str, value: Any,
                                               words: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(_write(tmp_path, _with(key, value)))
    message = str(refused.value)
    # an ordering (warn < block, low < high, review < link) is the section's, named so
    named = key.rsplit(".", 1)[0] if words.startswith("need ") else key
    assert message.startswith(f"config: {named}: ") or f"; config: {named}: " in message, message
    assert words in message and "\n" not in message


def test_a_missing_file_and_malformed_json_are_refused_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config: no such file .*nowhere\.json"):
        load_config(tmp_path / "nowhere.json")
    broken = _write(tmp_path, '{"matching": {"thresholds": ', "broken.json")
    with pytest.raises(ConfigError, match=r"config: .*broken\.json is not valid JSON"):
        load_config(broken)


def test_foto_config_names_another_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    strict = _write(tmp_path, _with("retention.keep_reports", 3))
    monkeypatch.setenv("FOTO_CONFIG", str(strict))
    assert load_config().retention.keep_reports == 3
    monkeypatch.setenv("FOTO_CONFIG", str(_write(tmp_path, _with("arrests.recent_days", 0),
                                                 "bad.json")))
    with pytest.raises(ConfigError, match="arrests.recent_days"):
        load_config()


@pytest.mark.parametrize("command", [["run", "--inbox", "data/sample/inbox"], ["rollback"],
                                     ["arrest", "no-such-arrest.json"]])
def test_the_cli_exits_2_naming_the_key_and_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    from foto.cli import main

    bad = _write(tmp_path, _with("gate.raw.max_quarantine_share", 1.5))
    home = tmp_path / "home"
    code = main([*command, "--home", str(home), "--config", str(bad)])
    out = capsys.readouterr().out.strip()
    assert code == 2
    assert out == (f"foto {command[0]}: config: gate.raw.max_quarantine_share: "
                   "must be between 0 and 1 (got 1.5)")
    assert not home.exists()


def test_the_dagster_definitions_refuse_a_broken_configuration(tmp_path: Path) -> None:
    from assets.resources import FotoPaths
    from pipelines.definitions import build_definitions

    bad = _write(tmp_path, _with("constraints.twin_max_name_similarity", 3))
    paths = FotoPaths(inbox=str(tmp_path), home=str(tmp_path / "home"), config=str(bad))
    with pytest.raises(ConfigError, match=r"^config: constraints\.twin_max_name_similarity: "):
        build_definitions(paths)
    assert not (tmp_path / "home").exists()


def test_an_injected_thresholds_file_replaces_only_the_thresholds(tmp_path: Path) -> None:
    from assets.resources import FotoPaths

    config = _write(tmp_path, _with("gate.raw.max_quarantine_share", 0.2))
    thresholds = _write(tmp_path, {"version": 9, "link": 0.9, "review": 0.6}, "t.json")
    paths = FotoPaths(home=str(tmp_path / "home"), config=str(config), thresholds=str(thresholds))
    loaded = paths.foto_config()
    assert loaded.matching.thresholds.version == 9 and loaded.gate.raw.max_quarantine_share == 0.2
    bad = _write(tmp_path, {"version": 9, "link": 0.9, "review": 0.6, "lnk": 1}, "bad.json")
    with pytest.raises(ConfigError, match=r"^thresholds: lnk: unknown key"):
        FotoPaths(home=str(tmp_path), thresholds=str(bad)).foto_config()


def _sample_raw_police() -> duckdb.DuckDBPyConnection:
    from assets.ingest import _read, store_ingest
    from standardise.rules import prepare

    con = duckdb.connect()
    prepare(con)
    result, extra = _read("police", ROOT / "data" / "sample" / "inbox" / "2026-11-27")
    store_ingest(con, result, extra)
    return con


def test_a_stricter_gate_limit_in_the_file_blocks_the_sample(tmp_path: Path) -> None:
    """A changed value reaches the suite: the sample passes the committed limits and fails
    a file that asks for more police rows than it has."""
    from expectations.suites import raw_suite

    con = _sample_raw_police()
    assert raw_suite(con, "police", "2026-11-27", None, load_config().gate.raw).passed
    stricter = load_config(_write(tmp_path, _with("gate.raw.min_rows_accepted", 10**9)))
    result = raw_suite(con, "police", "2026-11-27", None, stricter.gate.raw)
    assert not result.passed
    assert [o.rule.metric for o in result.failed()] == ["rows_accepted"]


def test_a_changed_constraint_takes_effect(tmp_path: Path) -> None:
    """Father and son of one name, 20 years apart: kept apart with the committed 12 years,
    one person when the file asks for 25."""
    import pandas as pd

    from persons.constraints import enforce_constraints
    from standardise.rules import prepare

    def world() -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        prepare(con)
        con.register("s", pd.DataFrame({
            "unique_id": ["a", "b"], "bsn": [None, None], "dob": ["1960-03-12", "1980-10-02"],
            "dob_year": [1960, 1980], "surname_1": ["vries", "vries"],
            "first_name": ["jan", "jan"], "first_name_key": ["jan", "jan"],
            "given_name_list": [["jan"], ["jan"]]}))
        con.execute("CREATE TABLE std_persons AS SELECT * REPLACE (CAST(dob AS DATE) AS dob) "
                    "FROM s")
        con.execute("CREATE TABLE clusters AS SELECT * FROM (VALUES ('a', 'a'), ('b', 'a')) "
                    "t(unique_id, cluster_id)")
        con.execute("CREATE TABLE match_pairs AS SELECT 'a' AS unique_id_l, 'b' AS unique_id_r, "
                    "5.0 AS match_weight, 'link' AS decision")
        return con

    committed = load_config()
    assert enforce_constraints(world(), 0.7, committed.constraints) == 1
    wider = load_config(_write(tmp_path, _with("constraints.min_generation_years", 25)))
    assert enforce_constraints(world(), 0.7, wider.constraints) == 0


@pytest.mark.e2e
def test_foto_run_with_a_stricter_gate_is_held(tmp_path: Path) -> None:
    """End to end: the same sample, a configuration allowing no value nulled and no
    quarantined row as a blocking limit of 0 rows accepted more than the delivery has: held."""
    stricter = _write(tmp_path, _with("gate.raw.min_rows_accepted", 10**9))
    home = tmp_path / "home"
    assert foto("run", "--inbox", str(ROOT / "data" / "sample" / "inbox"), "--home", str(home),
                "--config", str(stricter)) == 1
    assert not (home / "published").exists()


# -- no threshold as a literal in the stages ------------------------------------------------

STAGES = ("stores", "audit", "access", "sources", "standardise", "matching", "persons",
          "profiles", "expectations", "publish", "assets", "pipelines", "foto")

# Files whose number literals in comparisons are definitions, not policy: each with why.
DEFINITIONS = {
    "matching/settings.py": "the model's comparison levels (trained with it; a new level is a "
                            "new model version)",
    "expectations/report.py": "how percentages are printed",
    "publish/sheets.py": "how a probability is printed ('meer dan 99,9%')",
}
# A comparison with a fraction, in Python or in SQL text.
SQL_FRACTION = re.compile(r"(<=?|>=?|<>|=)\s*\d*\.\d+")


def _fraction_comparisons(path: Path) -> list[str]:
    """Comparisons with a fractional literal: Python `x < 0.75` and SQL text `... < 0.75`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(isinstance(o, ast.Constant) and isinstance(o.value, float) for o in operands):
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += [f"line {node.lineno}: SQL {m.group(0)!r}"
                      for m in SQL_FRACTION.finditer(node.value)]
    return found


def test_no_stage_compares_with_a_fractional_literal() -> None:
    """Thresholds live in config/foto.json: a stage comparing with a literal fraction (a
    share, a probability, a similarity) hides a tunable value from the configuration."""
    offenders = {}
    for package in STAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in DEFINITIONS:
                continue
            found = _fraction_comparisons(path)
            if found:
                offenders[rel] = found
    assert not offenders, f"move these to config/foto.json or list them as definitions: " \
                          f"{offenders}"


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    """The scan is not blind: it sees a Python and a SQL comparison with a fraction."""
    sample = tmp_path / "x.py"
    sample.write_text('if share > 0.05:\n    pass\nSQL = "WHERE p >= 0.7"\n', encoding="utf-8")
    assert len(_fraction_comparisons(sample)) == 2
    assert all(_fraction_comparisons(ROOT / rel) for rel in DEFINITIONS)
