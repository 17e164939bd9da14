"""Shared fixtures: the sample's location, the generator, a runner of `foto`, and the e2e guard.

The guard keeps `pytest -m "not e2e"` fast for good: a test that runs a full job (`foto(...)`, the
session's `sample_run`, or a subprocess running Python, `foto` or `dagster`) fails unless it is
marked `e2e`, so a new slow test cannot slip into the fast suite unnoticed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType

import pytest
import sample_generator

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"

E2E_ONLY = ("{what} runs a full job: mark the test `@pytest.mark.e2e` (the fast suite, "
            "`pytest -m \"not e2e\"`, must stay under a minute)")

# Whether the test now being set up or run carries the e2e mark; set before its fixtures.
_running_e2e = False


def load_generator() -> ModuleType:
    """The sample generator package (`data/sample/sample_generator`, on pytest's `pythonpath`).

    Kept as a function so the tests' call sites (`load_generator().generate(...)`) did not change
    when the one-file script became a package.
    """
    return sample_generator


def require_e2e(what: str) -> None:
    """Fail the current test unless it is marked e2e; `what` names the full run it asked for."""
    if not _running_e2e:
        pytest.fail(E2E_ONLY.format(what=what), pytrace=False)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Record the mark before any fixture of the test is set up (module or session ones too)."""
    global _running_e2e
    _running_e2e = item.get_closest_marker("e2e") is not None
    if not _running_e2e and "sample_run" in getattr(item, "fixturenames", ()):
        pytest.fail(E2E_ONLY.format(what="the `sample_run` fixture"), pytrace=False)


def _runs_a_job(args: object) -> bool:
    """Whether a command starts `foto`, Dagster (job, daemon, webserver) or this project's code.

    That is `foto` or a `dagster*` program, or Python running a module (`-m foto.cli`,
    `-m dagster ...`), a command (`-c`) or a script of this repository. Python running a
    library's own helper script is let through: Dagster tails compute logs that way while
    materialising test assets.
    """
    argv = [os.fsdecode(a) for a in ([args] if isinstance(args, (str, bytes, os.PathLike))
                                     else args)]
    words = argv[0].split() if len(argv) == 1 else argv
    if not words:
        return False
    program = Path(words[0]).name
    if program == "foto" or program.startswith("dagster"):
        return True
    if words[0] != sys.executable and not program.startswith("python"):
        return False
    for word in words[1:]:
        if word.startswith(("-m", "-c")):
            return True
        if not word.startswith("-"):
            return Path(word).resolve().is_relative_to(ROOT)
    return False


class _UnitTestPopen(subprocess.Popen):
    """`subprocess.Popen` for a test not marked e2e: refuses to start a job's process."""

    def __init__(self, args: Sequence[str] | str, *rest: object, **options: object) -> None:
        if _runs_a_job(args):
            require_e2e("a subprocess running foto, Dagster or this project's Python")
        super().__init__(args, *rest, **options)


@pytest.fixture(autouse=True)
def _e2e_guard(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Outside e2e tests, `subprocess.run/Popen` may not start foto, Dagster or project code."""
    if request.node.get_closest_marker("e2e") is None:
        monkeypatch.setattr(subprocess, "Popen", _UnitTestPopen)
    yield


LEFT_ENTERED = ("the test left a Dagster instance entered (its state storage is still the "
                "current one): use `with build_schedule_context(...)`, `with instance:` or "
                "another context manager, so later tests do not load definitions against an "
                "instance that is gone (DagsterInvariantViolationError: undefined weakref)")


@pytest.fixture(autouse=True)
def _no_dagster_instance_left_entered() -> Iterator[None]:
    """Fail the test that leaves Dagster's state-storage context variable set.

    An entered instance sets it; one entered and never exited (an evaluation context built from
    a persistent instance's ref and not closed) leaves it pointing at an instance that garbage
    collection later removes, and a later test in the same worker then fails at loading its
    definitions. Cleared here either way, so only the culprit fails.
    """
    yield
    base = sys.modules.get("dagster._core.storage.defs_state.base")
    if base is None or base.DefsStateStorage.get() is None:
        return
    base._current_storage.set(None)
    pytest.fail(LEFT_ENTERED, pytrace=False)


def foto(*args: str) -> int:
    """Run the `foto` command in this process (a real Dagster run on a real instance)."""
    from foto.cli import main

    require_e2e(f"foto({args[0] if args else ''} ...)")
    saved = os.environ.get("DAGSTER_HOME")
    try:
        return main(list(args))
    finally:
        if saved is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = saved


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The nightly job run once on the committed sample; returns the home."""
    home = tmp_path_factory.mktemp("home")
    code = foto("run", "--inbox", str(SAMPLE / "inbox"), "--home", str(home))
    assert code == 0, "the nightly run on the sample did not publish"
    return home


@pytest.fixture
def sample_home(sample_run: Path, tmp_path: Path) -> Path:
    """A copy of the sample run's published home, for a test that writes to it (judgements,
    arrests): the session's home stays as the run left it."""
    home = tmp_path / "home"
    shutil.copytree(sample_run, home, symlinks=True)
    return home


@pytest.fixture(scope="session")
def sample_records():
    """The bundled sample delivery read and standardised (std_persons), as an Arrow table:
    what matching and training take, without running a job."""
    import duckdb

    from assets.ingest import _read, store_ingest
    from sources.registry import registry
    from standardise.rules import prepare, std_persons_sql

    con = duckdb.connect()
    prepare(con)
    for source in registry().names():
        result, extra = _read(source, SAMPLE / "inbox/2026-11-27")
        store_ingest(con, result, extra)
    return con.sql(std_persons_sql(registry().names(), tables=False)).to_arrow_table()
