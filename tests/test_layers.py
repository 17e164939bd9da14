"""The layer contracts in pyproject.toml hold, and they are not a formality: an upward import
or a stage that imports Dagster, added to a copy of the tree, breaks them.

Runs the real `lint-imports` (import-linter, from the dev extra) as `make lint` does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).parent / "lint-imports"


def _packages() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["importlinter"]["root_packages"]


def _lint(tree: Path) -> subprocess.CompletedProcess:
    """lint-imports on `tree` alone: its own folder first on the path, not this checkout."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT), "--config", str(tree / "pyproject.toml"), "--no-cache"],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=300)


def _copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    shutil.copy(ROOT / "pyproject.toml", tree)
    for package in _packages():
        shutil.copytree(ROOT / package, tree / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.json", "*.html"))
    return tree


def _add_import(module: Path, line: str) -> None:
    module.write_text(module.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_tree_keeps_its_contracts(tmp_path):
    result = _lint(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_breaks_the_layers(tmp_path):
    tree = _copy(tmp_path)
    _add_import(tree / "stores" / "database.py", "import publish.publication  # noqa")
    result = _lint(tree)
    assert result.returncode != 0
    assert "each layer imports only the layers below it BROKEN" in result.stdout
    assert "stores.database -> publish.publication" in result.stdout


def test_a_stage_that_imports_dagster_breaks_the_contract(tmp_path):
    tree = _copy(tmp_path)
    _add_import(tree / "profiles" / "flags.py", "import dagster  # noqa")
    result = _lint(tree)
    assert result.returncode != 0
    assert "no stage imports Dagster BROKEN" in result.stdout


def test_partners_readers_stand_alone(tmp_path):
    tree = _copy(tmp_path)
    _add_import(tree / "sources" / "care.py", "from sources.police import COLUMNS  # noqa")
    result = _lint(tree)
    assert result.returncode != 0
    assert "Each partner's declaration stands alone" in result.stdout
