"""The one way foto fills SQL templates: values are bound, only code goes into the text.

Every value that comes from data or configuration (record ids, run ids, dates, model versions,
paths) is a bound parameter of `con.execute(sql, params)` (`?` or `$name`). DuckDB cannot bind
everything, though: identifiers (table and column names) are not values, and a `CREATE MACRO`
body is defined once, with no parameters to bind. For those, and only those, `fill` pastes a
fragment into a template, and it takes just three kinds, each checked:

- `Identifier`: a name that matches a strict pattern (letters, digits, underscore, one dot),
  pasted double-quoted (`"db"."table"`), so a name that is also a keyword still reads as a name;
- `Constant`: a constant that is code (e.g. the regex of tussenvoegsels built from a Python
  list), quoted as an SQL string literal, quotes doubled;
- `Fragment`: SQL text written in code (a composed expression such as the priority rule).

A plain `str` is refused, so a value read from a file cannot slip into SQL text by accident.
"""

from __future__ import annotations

import re

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Identifier(str):
    """A table or column name; refused unless it matches the strict identifier pattern."""

    def __new__(cls, name: str) -> Identifier:
        if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
            raise ValueError("not an SQL identifier (letters, digits, underscore, one dot)")
        return super().__new__(cls, name)

    def sql(self) -> str:
        return ".".join(f'"{part}"' for part in str(self).split("."))


class Constant(str):
    """A constant that is code, rendered as a quoted SQL string literal."""

    def sql(self) -> str:
        return "'" + str(self).replace("'", "''") + "'"


class Fragment(str):
    """SQL text composed in code (never from data): pasted as it is."""


def fill(template: str, **parts: Identifier | Constant | Fragment) -> str:
    """`template` with each `{name}` replaced by its checked part; every placeholder must be
    given, so a typo fails here and not as odd SQL (parts a template does not use are allowed:
    one set of constants serves several queries)."""
    for name, part in parts.items():
        if not isinstance(part, Identifier | Constant | Fragment):
            raise TypeError(f"part {name!r} must be an Identifier, Constant or Fragment")

    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in parts:
            raise KeyError(f"no part given for placeholder {{{name}}}")
        part = parts[name]
        return part.sql() if isinstance(part, Constant | Identifier) else str(part)

    return _PLACEHOLDER.sub(one, template)
