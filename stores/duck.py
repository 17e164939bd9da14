"""Every DuckDB connection foto opens, in one place: held to the memory budget, spilling under
the home, on the machine's cores.

Why one place. DuckDB left to itself takes up to 80% of the machine's memory before it spills
(a run at a million persons reached 10.8 GB in `person_clusters`, whose connection had no
limit), and it spills into `.tmp` relative to the process's current folder when the database
is in memory: files holding record values (names, birth dates, BSNs) written outside the home,
wherever foto was started from. So no module outside `stores/` calls `duckdb.connect`
(tests/test_duck.py scans the tree); they call `open_duckdb`, which sets:

- `memory_limit`: the configured budget (`duckdb.memory_limit` in config/foto.json), which
  `FOTO_MATCH_MEMORY` overrides (the name predates the budget: it held the matching connection
  only); a caller may ask for less (training: `FOTO_TRAIN_MEMORY`). Beyond it DuckDB spills.
- `temp_directory`: the spill folder of the current scope (`spilling_under(home)`: an
  owner-only folder under `<home>/tmp`, made on entry and removed with what it holds on exit;
  every Dagster step of foto runs in one, `assets.scrub`). Outside a scope an in-memory
  connection may not spill at all (an out-of-memory error rather than a file outside the home);
  a database file spills beside itself (DuckDB's `<file>.tmp`), where its own file already is.
- `threads`: the cores this process may run on.
- `preserve_insertion_order = false` only when the caller says it relies on no order (Splink's
  connections): it lets DuckDB write results without holding rows back for order, but then a
  table read without ORDER BY may come back in another order.

One process holds one budget per connection: two connections open at once may take twice the
budget, so a stage keeps one open at a time where its data is large.

The scopes are held per thread (a `ContextVar`), not per process: `foto serve` answers requests
on some threads while a judgement's republication runs on another (`web.worker`), and a
request's connection must not take the job's step folder, which is removed when that step ends.
A thread started by foto begins with no scope; a request handler run by the server's thread
pool is given a copy of the server's context, so it keeps the scope of the `foto serve` command.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import duckdb

# The budget's override from the environment (a test, an operator on a smaller machine).
ENV_MEMORY = "FOTO_MATCH_MEMORY"
# The budget when neither the configuration (a scope) nor the environment sets one: the
# configuration's default (config/foto.json `duckdb.memory_limit`).
DEFAULT_MEMORY_LIMIT = "3GB"
# Spill folders live here, under the home.
SCRATCH = "tmp"


@dataclass(frozen=True)
class _Scope:
    scratch: Path
    memory_limit: str | None


# The open scopes of the running thread (or task), innermost last.
_scopes: ContextVar[tuple[_Scope, ...]] = ContextVar("foto_duckdb_scopes", default=())


def cores() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:   # not on Linux
        return os.cpu_count() or 1


def memory_limit(asked: str | None = None) -> str:
    """The memory limit a new connection gets: `asked`, else $FOTO_MATCH_MEMORY, else the
    current scope's configured budget, else `DEFAULT_MEMORY_LIMIT`."""
    if asked:
        return asked
    if os.environ.get(ENV_MEMORY):
        return os.environ[ENV_MEMORY]
    for scope in reversed(_scopes.get()):
        if scope.memory_limit:
            return scope.memory_limit
    return DEFAULT_MEMORY_LIMIT


def scratch_folder() -> Path | None:
    """The spill folder of the current scope, if any."""
    scopes = _scopes.get()
    return scopes[-1].scratch if scopes else None


@contextmanager
def spilling_under(home: Path, budget: str | None = None) -> Iterator[Path]:
    """Within: connections opened here spill into a fresh owner-only folder under
    `<home>/tmp` (removed on exit, with whatever a connection left in it) and get `budget`
    (the configuration's `duckdb.memory_limit`) unless the environment overrides it."""
    parent = home / SCRATCH
    parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(parent, 0o700)
    folder = parent / f"duckdb-{os.getpid()}-{secrets.token_hex(4)}"
    folder.mkdir(mode=0o700)
    token = _scopes.set((*_scopes.get(), _Scope(folder, budget)))
    try:
        yield folder
    finally:
        try:
            _scopes.reset(token)
        except ValueError:   # left in another context than entered (a generator resumed elsewhere)
            _scopes.set(tuple(s for s in _scopes.get() if s.scratch != folder))
        shutil.rmtree(folder, ignore_errors=True)


def open_duckdb(path: Path | str | None = None, *, read_only: bool = False,
                memory: str | None = None, keep_order: bool = True) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection: the database file `path`, or a database in memory when None.

    `memory`: a lower limit than the budget for this connection (see `memory_limit`);
    `keep_order=False`: the caller relies on no insertion order (see module)."""
    config: dict[str, str | bool | int] = {"memory_limit": memory_limit(memory),
                                           "threads": cores()}
    scratch = scratch_folder()
    if scratch is not None:
        config["temp_directory"] = str(scratch)
    elif path is None:
        config["temp_directory"] = ""    # in memory, no scope: never spill outside the home
    if not keep_order:
        config["preserve_insertion_order"] = False
    return duckdb.connect(":memory:" if path is None else str(path), read_only=read_only,
                          config=config)
