"""Second line of defence: an exception in any foto step reaches Dagster's storage scrubbed.

A real Dagster run (in-process, on a real instance on disk) of a small asset and an asset check
that raise value-bearing exceptions of every kind, then every file of the instance is searched
for the values. And every asset, check and schedule foto defines is wrapped.
"""

from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetExecutionContext,
    DagsterInstance,
    asset,
    asset_check,
    materialize,
)

from assets.scrub import ScrubbedError, describe, safe_text, scrubbed

DOB, NAME, BSN = "1987-12- 5", "Jansen-Çetin", "123456782"


class FieldFault(ValueError):
    """An error that says where (file, line, field) as well as a value."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.file, self.line, self.field = "care_reports.jsonl", 17, "geboortedatum"


def _duckdb_cast() -> None:
    duckdb.connect().execute(f"SELECT strptime('{DOB}', '%Y-%m-%d')")


def _value_error() -> None:
    raise ValueError(f"Could not convert string '{DOB}' to DATE for {NAME}")


def _key_error() -> None:
    _ = {}[NAME]


def _chained() -> None:
    try:
        raise LookupError(f"bsn {BSN} of {NAME}")
    except LookupError as inner:
        raise RuntimeError("standardisation failed") from inner


def _during_handling() -> None:
    try:
        raise LookupError(f"bsn {BSN}")
    except LookupError:
        raise RuntimeError(f"while handling {NAME}") from None


def _noted() -> None:
    err = RuntimeError("failed")
    err.add_note(f"row: {NAME};{DOB};{BSN}")
    raise err


def _with_local_and_where() -> None:
    secret_local = f"{NAME} {DOB} {BSN}"  # noqa: F841 - a frame local must not be stored
    raise FieldFault(f"bad value {DOB!r}")


RAISERS = [_duckdb_cast, _value_error, _key_error, _chained, _during_handling, _noted,
           _with_local_and_where]


def _instance(root: Path) -> DagsterInstance:
    """A real instance with its storage on disk under `root/dagster`."""
    (root / "dagster").mkdir()
    return DagsterInstance.local_temp(str(root / "dagster"),
                                      overrides={"telemetry": {"enabled": False}})


def _every_file(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _leaks(root: Path) -> list[str]:
    """The files under `root` holding a value in any textual form (plain, JSON-escaped)."""
    forms = {DOB, NAME, BSN, "Jansen", "1987-12", NAME.encode("unicode_escape").decode()}
    found = []
    for path in _every_file(root):
        data = path.read_bytes()
        for form in forms:
            for encoded in {form.encode("utf-8"), form.encode("utf-16-le")}:
                if encoded in data:
                    found.append(f"{path.name}: {form!r}")
    return found


@pytest.mark.e2e   # a real Dagster run on a disk instance (its log-tailing process)
@pytest.mark.parametrize("raiser", RAISERS, ids=lambda f: f.__name__.strip("_"))
def test_a_failing_step_stores_no_value_in_dagster(tmp_path: Path, raiser) -> None:
    @asset(name="std_care")
    @scrubbed
    def failing(context: AssetExecutionContext) -> None:
        raiser()

    instance = _instance(tmp_path)
    result = materialize([failing], instance=instance, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    error = failure.step_failure_data.error
    text = error.to_string()
    assert "ScrubbedError" in text and "stage std_care failed" in text
    assert "error id" in text
    assert DOB not in text and NAME not in text and BSN not in text and "Jansen" not in text
    if raiser is _with_local_and_where:
        assert "at file care_reports.jsonl, line 17, field geboortedatum" in text
    instance.dispose()
    assert _leaks(tmp_path) == []


@pytest.mark.e2e   # a real Dagster run on a disk instance (its log-tailing process)
def test_a_failing_check_stores_no_value_in_dagster(tmp_path: Path) -> None:
    @asset(name="person")
    def person() -> None:
        return None

    @asset_check(asset="person", blocking=True)
    @scrubbed
    def person_sound(context: AssetCheckExecutionContext) -> AssetCheckResult:
        _value_error()
        return AssetCheckResult(passed=True)

    instance = _instance(tmp_path)
    result = materialize([person, person_sound], instance=instance,
                         raise_on_error=False)
    assert not result.success
    instance.dispose()
    assert _leaks(tmp_path) == []


@pytest.mark.e2e   # a real Dagster run on a disk instance (its log-tailing process)
def test_the_unscrubbed_step_would_store_the_value(tmp_path: Path) -> None:
    """The scan finds what it looks for: without `@scrubbed`, the value is in the event log."""
    @asset(name="std_care")
    def failing(context: AssetExecutionContext) -> None:
        _value_error()

    instance = _instance(tmp_path)
    materialize([failing], instance=instance, raise_on_error=False)
    instance.dispose()
    assert _leaks(tmp_path)


@pytest.mark.parametrize("raiser", RAISERS, ids=lambda f: f.__name__.strip("_"))
def test_the_same_failure_has_the_same_id_and_no_text(raiser) -> None:
    errors = []
    for _ in range(2):
        try:
            raiser()
        except Exception as exc:  # noqa: BLE001 - any
            errors.append(describe(exc, "std_care", b"k" * 32))
    assert errors[0].error_id == errors[1].error_id
    assert isinstance(errors[0], ScrubbedError)
    for text in (str(errors[0]), safe_text(RuntimeError(f"{NAME} {DOB}"))):
        assert NAME not in text and DOB not in text and "Jansen" not in text


def test_every_foto_step_and_schedule_is_scrubbed() -> None:
    """A new asset or check without `@scrubbed` fails here, not in a run that leaks."""
    from pipelines.definitions import defs

    repo = defs.get_repository_def()
    bodies = {}
    for assets_def in repo.assets_defs_by_key.values():
        bodies[assets_def.node_def.name] = assets_def.op.compute_fn.decorated_fn
    for checks_def in repo.asset_checks_defs_by_key.values():
        bodies[checks_def.node_def.name] = checks_def.op.compute_fn.decorated_fn
    for schedule in repo.schedule_defs:
        bodies[schedule.name] = schedule._execution_fn.decorated_fn  # noqa: SLF001 - its body
    unwrapped = sorted(name for name, fn in bodies.items()
                       if not getattr(fn, "foto_scrubbed", False))
    assert len(bodies) >= 20 and unwrapped == []


@pytest.mark.parametrize("error, shown, hidden", [
    (ValueError(f"Could not convert string '{DOB}'"), "ValueError (error id ", DOB),
    (KeyError(NAME), "KeyError (error id ", "Jansen"),
    (FileNotFoundError(2, "No such file or directory", f"/in/{NAME}/{BSN}.json"),
     "FileNotFoundError: No such file or directory", BSN),
    (PermissionError(13, "Permission denied", "/home/var/warehouse.duckdb"),
     "PermissionError: Permission denied (warehouse.duckdb)", NAME),
    (FileNotFoundError("no earlier publication to roll back to"),
     "no earlier publication to roll back to", NAME),
    (FieldFault(f"bad {DOB}"),
     "FieldFault at file care_reports.jsonl, line 17, field geboortedatum", DOB),
])
def test_what_the_cli_prints_of_an_error(error: Exception, shown: str, hidden: str) -> None:
    """`foto`'s own error path prints foto's words, an OS error's reason and file name, or a
    type and error id: never the text of an error that may quote a value."""
    text = safe_text(error)
    assert shown in text and hidden not in text
