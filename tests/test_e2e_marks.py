"""The fast suite stays fast: an unmarked test cannot start a full run (tests/conftest.py)."""

from __future__ import annotations

import json.tool
import subprocess
import sys

import pytest

from tests.conftest import ROOT, foto


def test_foto_refuses_to_run_in_a_test_not_marked_e2e() -> None:
    with pytest.raises(pytest.fail.Exception, match="mark the test `@pytest.mark.e2e`"):
        foto("run", "--inbox", "nowhere", "--home", "nowhere")


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "foto.cli", "--help"],
    [sys.executable, "-u", "-c", "from foto.cli import main; main()"],
    [sys.executable, str(ROOT / "data" / "sample" / "generate.py"), "--help"],
    ["foto", "--help"],
    ["dagster", "dev"],
    "dagster-webserver -h 127.0.0.1",
], ids=["python -m", "python -c", "a project script", "foto", "dagster", "webserver"])
def test_a_full_run_in_a_subprocess_is_refused_too(command: list[str] | str) -> None:
    with pytest.raises(pytest.fail.Exception, match="mark the test `@pytest.mark.e2e`"):
        subprocess.run(command, check=False, shell=isinstance(command, str))


def test_other_programs_still_run() -> None:
    """A browser, a PDF reader or a library's own script (Dagster tails its compute logs so)
    are no full run."""
    assert subprocess.run(["true"], check=False).returncode == 0
    assert subprocess.run([sys.executable, json.tool.__file__, "--help"], capture_output=True,
                          check=False).returncode == 0


@pytest.mark.e2e
def test_an_e2e_test_may_start_python_on_the_project() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "data" / "sample" / "generate.py"),
                           "--help"], capture_output=True, check=False)
    assert done.returncode == 0
