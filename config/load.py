"""Reading the configuration file: once, at start, refused whole with the key that is wrong.

Which file: an explicit path (`foto --config`, the `config` field of the Dagster resource),
else `$FOTO_CONFIG`, else the committed defaults `config/foto.json`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from config.schema import FotoConfig, Thresholds

DEFAULT_PATH = Path(__file__).with_name("foto.json")
ENV_VAR = "FOTO_CONFIG"

M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """A configuration that cannot be used. The message names the file or the key, says what
    is wrong and quotes the value: configuration holds numbers, never personal data."""

    safe_message = True


def config_path(path: str | Path | None = None) -> Path:
    """The file to read: `path`, else `$FOTO_CONFIG`, else the committed defaults."""
    chosen = path or os.environ.get(ENV_VAR) or DEFAULT_PATH
    return Path(chosen).resolve()


def _problem(error: dict) -> str:
    """One pydantic error as `<dotted.key>: <what is wrong>`."""
    key = ".".join(str(part) for part in error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{key}: unknown key (misspelt?)"
    if kind == "missing":
        return f"{key}: missing"
    message = error["msg"].removeprefix("Value error, ")
    if kind != "value_error" and not isinstance(error.get("input"), dict):
        got = repr(error.get("input"))
        message += f" (got {got if len(got) <= 40 else got[:37] + '...'})"
    return f"{key}: {message}" if key else message


def parse(model: type[M], path: Path, label: str = "config") -> M:
    """`path` read as `model`; any problem raises ConfigError naming the key (all of them, first
    one first)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{label}: no such file {path}") from None
    except OSError as err:
        raise ConfigError(f"{label}: cannot read {path} ({type(err).__name__})") from None
    try:
        return model.model_validate_json(text)
    except ValidationError as err:
        errors = err.errors(include_url=False)
        if errors and errors[0]["type"] == "json_invalid":
            raise ConfigError(f"{label}: {path} is not valid JSON "
                              f"({errors[0]['ctx'].get('error', 'malformed')})") from None
        raise ConfigError("; ".join(f"{label}: {_problem(e)}" for e in errors)) from None


@lru_cache(maxsize=8)
def _cached(path: Path, stamp: tuple[int, int]) -> FotoConfig:
    return parse(FotoConfig, path)


def load_config(path: str | Path | None = None) -> FotoConfig:
    """The validated configuration (see `config_path`). Read once per file version: the CLI,
    the Dagster definitions and the assets of one run share the same object."""
    chosen = config_path(path)
    try:
        stat = chosen.stat()
    except FileNotFoundError:
        raise ConfigError(f"config: no such file {chosen}") from None
    return _cached(chosen, (stat.st_mtime_ns, stat.st_size))


def load_thresholds_file(path: str | Path) -> Thresholds:
    """A thresholds file on its own (`{"version", "link", "review"}`): a what-if run injects one
    in place of the configuration's `matching.thresholds`."""
    return parse(Thresholds, Path(path).resolve(), label="thresholds")
