"""The on-arrest feed `arrests/<arrest_id>.json`: one JSON object per arrest.

An arrest file arrives from outside at any time of day and its values become file names, SQL
values and a police record of the nightly photo. So it is validated fully at the door, and the
nightly run accepts whatever the door accepts:

- the file: a regular file (never a symlink, fifo, device or folder: opened with O_NOFOLLOW and
  checked with fstat before a byte is read), at most `MAX_BYTES`, named `<safe id>.json`;
- the object: exactly the contract's keys (an unknown key is refused: it may change what the
  record means, e.g. a role, and silently dropping it would hide a contract change), each of
  the contract's JSON type, strings bounded and free of control characters, no key twice;
- ids (`arrest_id`, `record_id`) match `SAFE_ID`: they become file names and run keys;
- `aangehouden_op` an ISO date-time with a time zone, not in the future (beyond `CLOCK_SKEW`);
- `geboortedatum` a real `dd-mm-jjjj` date, not after the arrest and not more than
  `MAX_AGE_YEARS` years before it (the nightly reader's rule, so the nightly run never
  quarantines what the door accepted).

Messages name the file and the field, never a value from the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from config.defaults import TIMEZONE  # an arrest's time is local; its day is a local day
from sources.common import MAX_AGE_YEARS
from sources.police import COLUMNS
from stores.sql import Fragment, Identifier, fill

MAX_BYTES = 64 * 1024          # an arrest is ~500 bytes; a larger file is refused unread
MAX_TEXT = 200                 # characters of any text field
CLOCK_SKEW = timedelta(minutes=10)   # the police's clock may run a little ahead of ours
MAX_ARREST_AGE = timedelta(days=366)  # an arrest older than this at the door is not "on arrest"
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_DATE = re.compile(r"\d{2}-\d{2}-\d{4}")
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})")

ARREST_KEYS = [
    "arrest_id", "aangehouden_op", "record_id", "feit", "huiselijk_geweld", "achternaam",
    "voorvoegsel", "voornamen", "geboortedatum", "bsn", "straat", "huisnummer", "postcode",
    "woonplaats",
]
# The contract's JSON type per key: required text, optional text (string or null), a boolean.
REQUIRED_TEXT = ("arrest_id", "aangehouden_op", "record_id", "achternaam")
OPTIONAL_TEXT = ("feit", "voorvoegsel", "voornamen", "geboortedatum", "bsn", "straat",
                 "huisnummer", "postcode", "woonplaats")
BOOLEAN = ("huiselijk_geweld",)

# What "the same person record" means (see `identity_differences`): the fields that say who
# the record is about, compared as standardised values (case, diacritics, spacing, a
# tussenvoegsel inside or outside the surname, a BSN's dots and a dropped leading zero do not
# count). Address, offence and dates of the registration may change between two looks at one
# record (a move, a reclassified offence); who it is about may not.
IDENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "achternaam": ("surname",),
    "voorvoegsel": ("tussenvoegsel",),
    "voornamen": ("given_names",),
    "geboortedatum": ("dob", "dob_year", "dob_month", "dob_day"),
    "bsn": ("bsn",),
}


class ArrestError(ValueError):
    """An arrest file that breaks the contract: which field, and why (never the value).

    `data` holds the bytes read when the file was refused for its content (the data steward
    may look at them in the quarantine); None when it was refused unread (a symlink, a fifo,
    an oversized file, an unsafe name): such a file is never copied anywhere."""

    def __init__(self, file: str, field: str, reason: str, data: bytes | None = None) -> None:
        where = f"{file}, field {field}" if field != "(file)" else file
        super().__init__(f"{where}: {reason}")
        self.field, self.reason, self.data = field, reason, data


def is_safe_id(value: object) -> bool:
    """Whether `value` may become a file name or a run key: a short id of letters, digits and
    `._-`, starting with a letter or digit, without `..` (never a path, never hidden)."""
    return isinstance(value, str) and SAFE_ID.fullmatch(value) is not None \
        and ".." not in value


def display_name(path: Path) -> str:
    """The file's name as operators may read it: the name when it is a safe one, else a hash
    (a hostile name may hold a person's name or terminal control characters)."""
    stem = path.name[:-5] if path.name.endswith(".json") else None
    if is_safe_id(stem):
        return path.name
    return "file " + hashlib.sha256(os.fsencode(path.name)).hexdigest()[:12]


def read_bytes(path: Path) -> bytes:
    """The file's bytes, read only when it is a safe-named regular file of at most MAX_BYTES.

    Opened with O_NOFOLLOW (a symlink fails to open, also one swapped in after a check) and
    O_NONBLOCK (a fifo never blocks the reader), then checked by fstat on the open descriptor,
    so what is checked is what is read."""
    name = display_name(path)
    if name != path.name:
        raise ArrestError(name, "(file)", "file name is not <arrest id>.json with a safe id "
                          "(letters, digits, '.', '_', '-'; at most 64)")
    try:
        mode = os.lstat(path).st_mode
    except OSError as err:
        raise ArrestError(name, "(file)", f"cannot be read ({type(err).__name__})") from None
    if stat.S_ISLNK(mode):
        raise ArrestError(name, "(file)", "is a symbolic link: refused unread")
    if not stat.S_ISREG(mode):
        raise ArrestError(name, "(file)", "is not a regular file: refused unread")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as err:
        raise ArrestError(name, "(file)", f"cannot be opened as a regular file "
                          f"({type(err).__name__}): refused unread") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ArrestError(name, "(file)", "is not a regular file: refused unread")
        if info.st_size > MAX_BYTES:
            raise ArrestError(name, "(file)", f"is larger than {MAX_BYTES // 1024} KiB "
                              "(an arrest is under 1 KiB): refused unread")
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(MAX_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:   # grew while we looked
        raise ArrestError(name, "(file)", f"is larger than {MAX_BYTES // 1024} KiB: refused")
    return data


def read_arrest(path: Path, now: datetime | None = None, at_the_door: bool = False) -> dict:
    """Read one arrest file; raise `ArrestError` naming the file and field when it breaks the
    contract (see the module's docstring). The message never holds a value from the file.

    `now` is the reference for "not in the future" (default: the wall clock). `at_the_door`
    (an arrest run) also refuses an arrest older than MAX_ARREST_AGE; the nightly reader does
    not, because refusing a file that waited in the inbox would lose an arrest the door took.
    """
    data = read_bytes(path)
    name = path.name
    obj = _parse(name, data)
    _check_keys(name, obj, data)
    for key in ARREST_KEYS:
        _check_type(name, key, obj[key], data)
    for key in ("arrest_id", "record_id"):
        if not is_safe_id(obj[key]):
            raise ArrestError(name, key, "not a safe id (letters, digits, '.', '_', '-'; at "
                              "most 64; no '..')", data)
    now = now or datetime.now(UTC)
    arrested = _arrest_time(name, obj["aangehouden_op"], now, at_the_door, data)
    _check_birth(name, obj["geboortedatum"], arrested, data)
    return obj


def _parse(name: str, data: bytes) -> dict:
    """The JSON object, refusing a key that occurs twice (which value counts is a guess)."""
    def pairs(items: list[tuple[str, Any]]) -> dict:
        keys = [k for k, _ in items]
        if len(set(keys)) != len(keys):
            raise ArrestError(name, "(file)", "a field occurs more than once", data)
        return dict(items)

    try:
        obj = json.loads(data.decode("utf-8-sig"), object_pairs_hook=pairs)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise ArrestError(name, "(file)",
                          f"not a valid UTF-8 JSON object ({type(err).__name__})", data) from None
    if not isinstance(obj, dict):
        raise ArrestError(name, "(file)", "not a JSON object", data)
    return obj


def _check_keys(name: str, obj: dict, data: bytes) -> None:
    missing = [k for k in ARREST_KEYS if k not in obj]
    if missing:
        raise ArrestError(name, "(file)", f"missing field(s) {missing}", data)
    extra = [k for k in obj if k not in ARREST_KEYS]
    if extra:
        # a key is named only when it is a field name foto knows (a police column): a hostile
        # file could use a name or a BSN as a key
        shown = sorted(k if k in COLUMNS else "(other)" for k in extra)
        raise ArrestError(name, "(file)", f"field(s) not in the contract {shown}", data)


def _check_type(name: str, key: str, value: object, data: bytes) -> None:
    """The contract's JSON type, and text that is bounded and printable."""
    if key in BOOLEAN:
        if not isinstance(value, bool):
            raise ArrestError(name, key, "not true/false", data)
        return
    if value is None:
        if key in REQUIRED_TEXT:
            raise ArrestError(name, key, "required text is empty or not text", data)
        return
    if not isinstance(value, str):
        what = "required text" if key in REQUIRED_TEXT else "text (or null)"
        raise ArrestError(name, key, f"{what} expected, the file has a JSON "
                          f"{_json_type(value)}", data)
    if key in REQUIRED_TEXT and not value.strip():
        raise ArrestError(name, key, "required text is empty or not text", data)
    if len(value) > MAX_TEXT:
        raise ArrestError(name, key, f"longer than {MAX_TEXT} characters", data)
    if _CONTROL.search(value):
        raise ArrestError(name, key, "holds control characters", data)


def _json_type(value: object) -> str:
    return {bool: "boolean", int: "number", float: "number", list: "array",
            dict: "object"}.get(type(value), type(value).__name__)


def _arrest_time(name: str, text: str, now: datetime, at_the_door: bool,
                 data: bytes) -> datetime:
    """The arrest time: ISO 8601 with a time zone (a naive time is a guess at the zone), not
    in the future beyond CLOCK_SKEW, and at the door not older than MAX_ARREST_AGE."""
    if not _DATETIME.fullmatch(text.strip()):
        raise ArrestError(name, "aangehouden_op",
                          "not an ISO date-time with a time zone (e.g. +01:00)", data)
    try:
        arrested = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ArrestError(name, "aangehouden_op", "not a real date-time", data) from None
    if arrested.tzinfo is None:
        raise ArrestError(name, "aangehouden_op", "has no time zone", data)
    if arrested > now + CLOCK_SKEW:
        raise ArrestError(name, "aangehouden_op", "lies in the future", data)
    if at_the_door and arrested < now - MAX_ARREST_AGE:
        raise ArrestError(name, "aangehouden_op", f"more than {MAX_ARREST_AGE.days} days "
                          "ago: not an arrest of now", data)
    return arrested


def _check_birth(name: str, text: str | None, arrested: datetime, data: bytes) -> None:
    """A real dd-mm-jjjj date, not after the arrest day, not more than MAX_AGE_YEARS before
    it (by year, as the nightly reader counts)."""
    if text is None or not text.strip():
        return
    born = _birth_date(text)
    if born is None:
        raise ArrestError(name, "geboortedatum", "not a valid date dd-mm-jjjj", data)
    day = local_day(arrested)
    if born > day:
        raise ArrestError(name, "geboortedatum", "birth date after the arrest", data)
    if born.year < day.year - MAX_AGE_YEARS:
        raise ArrestError(name, "geboortedatum",
                          f"birth date more than {MAX_AGE_YEARS} years before the arrest", data)


def _birth_date(text: str) -> date | None:
    if not _DATE.fullmatch(text.strip()):
        return None
    try:
        return datetime.strptime(text.strip(), "%d-%m-%Y").date()
    except ValueError:
        return None


def local_day(moment: datetime) -> date:
    return pd.Timestamp(moment).tz_convert(TIMEZONE).date()


def content_hash(arrest: dict) -> str:
    """The arrest's content, as a hash: the same id with the same hash is the same arrest
    (formatting and key order do not count)."""
    return hashlib.sha256(json.dumps(arrest, sort_keys=True, ensure_ascii=False)
                          .encode("utf-8")).hexdigest()


def field_hashes(arrest: dict) -> dict[str, str]:
    """A short hash per field, so that a later file under the same arrest id can be told
    which fields differ without keeping the values."""
    return {k: hashlib.sha256(json.dumps(v, ensure_ascii=False).encode("utf-8"))
            .hexdigest()[:16] for k, v in sorted(arrest.items())}


def arrest_as_police_row(arrest: dict) -> pd.DataFrame:
    """An arrest (as `read_arrest` returns it) as one row of the police extract: the arrested
    person is a suspect (`verdachte`) of a registration dated the day of the arrest."""
    arrested = local_day(datetime.fromisoformat(
        arrest["aangehouden_op"].strip().replace("Z", "+00:00")))
    dob = arrest["geboortedatum"]
    row = {
        "record_id": arrest["record_id"], "registratie_datum": arrested,
        "rol": "verdachte", "feit": _text(arrest["feit"]),
        "huiselijk_geweld": bool(arrest["huiselijk_geweld"]),
        "achternaam": arrest["achternaam"].strip(), "voorvoegsel": _text(arrest["voorvoegsel"]),
        "voornamen": _text(arrest["voornamen"]),
        "geboortedatum": _birth_date(dob) if _text(dob) else None,
        "geboorteplaats": None, "geslacht": None, "bsn": _text(arrest["bsn"]),
        "straat": _text(arrest["straat"]), "huisnummer": _text(arrest["huisnummer"]),
        "postcode": _text(arrest["postcode"]), "woonplaats": _text(arrest["woonplaats"]),
        "aangehouden": True,
    }
    return pd.DataFrame([row], columns=COLUMNS)


def _text(value: str | None) -> str | None:
    """Optional text as the extract holds it: stripped, empty as missing."""
    return value.strip() or None if isinstance(value, str) else None


def arrested_at(arrest: dict) -> datetime:
    """The arrest time of an arrest `read_arrest` accepted."""
    return datetime.fromisoformat(arrest["aangehouden_op"].strip().replace("Z", "+00:00"))


def register_police_rows(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> None:
    """Police rows as table `raw_police`, typed as the extract's: a column that is empty in
    every row (one arrest without a birth date) would otherwise reach SQL untyped, and
    `year(NULL)` cannot be typed."""
    types = {"registratie_datum": "DATE", "geboortedatum": "DATE", "huiselijk_geweld": "BOOLEAN",
             "aangehouden": "BOOLEAN"}
    con.register("_police_rows", rows[COLUMNS])
    casts = ", ".join(fill("CAST({c} AS {t}) AS {c}", c=Identifier(c),
                           t=Identifier(types.get(c, "VARCHAR"))) for c in COLUMNS)
    con.execute(fill("CREATE OR REPLACE TABLE raw_police AS SELECT {casts} FROM _police_rows",
                     casts=Fragment(casts)))
    con.unregister("_police_rows")


def identity_differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """The contract fields whose standardised identity values differ between two records of
    one record id (missing on one side and given on the other counts: a record id is one
    registration of one person, and a BSN or birth date that appears or vanishes under it
    is not the same content)."""
    return [name for name, cols in IDENTITY_FIELDS.items()
            if any(a.get(c) != b.get(c) for c in cols)]
