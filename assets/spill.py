"""Each step of foto spills DuckDB's work under the run's home, held to the configured budget.

`stores.duck.open_duckdb` takes its spill folder and memory budget from the scope it is opened
in; every asset, check and op body of foto is wrapped (`assets.scrub.scrubbed`), and the wrapper
opens the scope from the step's `FotoPaths` (its home and its configuration): so a connection
opened deep inside matching or the profiles, which knows no home, still spills under it, and
the folder is removed when the step ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from stores.duck import spilling_under


def _paths(args: tuple, kwargs: dict) -> Any | None:
    """The step's `FotoPaths` (any argument with a home and a configuration), if it has one."""
    for value in (*args, *kwargs.values()):
        if isinstance(getattr(value, "home_dir", None), Path) and hasattr(value, "foto_config"):
            return value
    return None


@contextmanager
def step_scope(args: tuple, kwargs: dict) -> Iterator[None]:
    """Within: DuckDB connections spill under the step's home, held to its configuration's
    budget; a step without `FotoPaths` keeps the scope it runs in."""
    paths = _paths(args, kwargs)
    scope = nullcontext() if paths is None else spilling_under(
        paths.home_dir, paths.foto_config().duckdb.memory_limit)
    with scope:
        yield
