"""Exceptions that reach Dagster or the terminal carry no value from a delivery.

The readers validate every value before SQL sees it; this is the second line of defence. An
exception's text is often a value (`Could not convert string '1987-12- 5' to DATE`, a pandas
`KeyError` on a name, a DuckDB constraint error quoting a BSN), and Dagster stores the text, the
stack and the whole cause chain of a failed step in its event log (`<home>/dagster`). So every
asset, check and op body of foto is wrapped (`@scrubbed`): an exception leaves it as a
`ScrubbedError` that says the stage, where known the file, line and field, the exception's type
and a keyed hash of its text (two failures with one hash are the same failure; the hash cannot be
reversed by trying birth dates), with its cause chain cut. The CLI prints errors the same way.
The same wrapper opens the step's DuckDB scope (`assets.spill`: spill files under the home,
memory held to the budget), since it already wraps every body foto runs in Dagster.

Dagster's stack lines show file names and source lines, never local variables; the scrubbed
error is raised outside the `except` block, so neither `__cause__` nor `__context__` holds the
original.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import inspect
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from dagster import Failure, RetryRequested

from assets.spill import step_scope

F = TypeVar("F", bound=Callable[..., Any])

# Attributes an exception may carry to say where it happened; kept only when they look like a
# file name, a field name or a line number: plain characters, and no run of six digits (a BSN
# or a birth date used as a name).
_SAFE_NAME = re.compile(r"(?!.*[0-9]{6})[A-Za-z0-9_.\-]{1,80}", re.ASCII)
# Exceptions that are foto's own words or Dagster's control flow: passed through unchanged.
PASS_THROUGH: tuple[type[BaseException], ...] = (Failure, RetryRequested)
_KEY_FILE = ".error_key"
_process_key = secrets.token_bytes(32)


class ScrubbedError(Exception):
    """A failure of a foto stage, told without any value from the data."""

    def __init__(self, text: str, error_id: str) -> None:
        super().__init__(text)
        self.error_id = error_id


class Refusal(Exception):
    """An error whose message foto wrote itself from names and counts only (an operator may read
    it as it is). Raise a subclass, or set `safe_message = True` on an exception class."""

    safe_message = True


def error_key(home: Path | None) -> bytes:
    """The home's key for error hashes (owner-only file, made on first use), so that a hash
    means the same across the runs of one home; without a home, this process's key."""
    if home is None:
        return _process_key
    path = home / "dagster" / _KEY_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key.hex())
    return key


def error_hash(text: str, key: bytes) -> str:
    """A short keyed hash of an error's text: the same failure gives the same id."""
    return hmac.new(key, text.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:12]


def _where(exc: BaseException) -> str:
    """`file ..., line ..., field ...` from the exception or its causes, when they say so."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and not parts:
        seen.add(id(current))
        for attr, label in (("file", "file"), ("line", "line"), ("field", "field")):
            value = getattr(current, attr, None)
            if isinstance(value, bool):
                continue
            if isinstance(value, int) or (isinstance(value, str) and _SAFE_NAME.fullmatch(value)):
                parts.append(f"{label} {value}")
        current = current.__cause__ or current.__context__
    return ", ".join(parts)


def describe(exc: BaseException, stage: str, key: bytes) -> ScrubbedError:
    """The scrubbed form of `exc`, raised in `stage`."""
    text = str(exc)
    error_id = error_hash(f"{type(exc).__module__}.{type(exc).__qualname__}: {text}", key)
    where = _where(exc)
    message = (f"stage {stage} failed: {type(exc).__name__}"
               + (f" at {where}" if where else "")
               + f" (error id {error_id}; the error's text is not shown: it may hold a value "
                 "from the delivery)")
    return ScrubbedError(message, error_id)


def safe_text(exc: BaseException, key: bytes | None = None) -> str:
    """What an operator may read of `exc`: its own text when foto wrote it from names and
    counts (a `ScrubbedError`, a class marked `safe_message`, a FileNotFoundError that foto
    raised with its own words), an OS error's reason and file name, else its type, where and a
    hash."""
    if isinstance(exc, ScrubbedError) or getattr(exc, "safe_message", False):
        return str(exc)
    if isinstance(exc, FileNotFoundError) and exc.errno is None:
        return str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        name = Path(str(exc.filename)).name if exc.filename else ""
        return f"{type(exc).__name__}: {exc.strerror}" + (
            f" ({name})" if _SAFE_NAME.fullmatch(name) else "")
    return str(describe(exc, "foto", key or _process_key))


def scrubbed_message(error: Any) -> str | None:
    """The scrubbed text in a Dagster `SerializableErrorInfo` chain, if foto scrubbed it (what
    else a step's error says is not shown: it was not scrubbed)."""
    seen = 0
    while error is not None and seen < 20:
        if getattr(error, "cls_name", None) == ScrubbedError.__name__:
            return str(error.message).strip().removeprefix(
                f"{__name__}.{ScrubbedError.__name__}: ").removeprefix(
                f"{ScrubbedError.__name__}: ")
        error = getattr(error, "cause", None) or getattr(error, "context", None)
        seen += 1
    return None


def _stage(args: tuple, kwargs: dict) -> str:
    """The step's name, from its Dagster context (the first argument)."""
    context = args[0] if args else kwargs.get("context")
    for attr in ("op_def", "op"):
        try:
            name = getattr(getattr(context, attr), "name", None)
        except Exception:  # noqa: BLE001 - a context without it: try the next
            name = None
        if isinstance(name, str):
            return name
    return "unknown"


def _home(args: tuple, kwargs: dict) -> Path | None:
    """The home of the run, from a resource argument that has one (FotoPaths)."""
    for value in (*args, *kwargs.values()):
        home = getattr(value, "home_dir", None)
        if isinstance(home, Path):
            return home
    return None


def scrubbed(fn: F) -> F:
    """Wrap a Dagster asset, check or op body: any exception leaves it scrubbed (see module).

    Put it under `@asset` / `@asset_check` / `@op`; the signature Dagster reads (context,
    config, resources) is the body's own."""
    if inspect.isgeneratorfunction(fn):
        raise TypeError(f"{fn.__name__}: @scrubbed wraps bodies that return, not generators")

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            # DuckDB's spill files under the home, its memory held to the budget (assets.spill)
            with step_scope(args, kwargs):
                return fn(*args, **kwargs)
        except PASS_THROUGH:
            raise
        except Exception as exc:  # noqa: BLE001 - every kind of error is scrubbed alike
            stage, key = _stage(args, kwargs), error_key(_home(args, kwargs))
            if getattr(exc, "safe_message", False):   # foto's own words, counts and names
                error = ScrubbedError(f"stage {stage} refused: {exc}", error_hash(str(exc), key))
            else:
                error = describe(exc, stage, key)
            del exc
        # raised outside the except block: no __context__, and `from None`: no __cause__
        raise error from None

    wrapper.foto_scrubbed = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
