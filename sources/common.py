"""What every source reader shares: the parse result, quarantine rows and CSV reading.

A row read from an extract is either accepted or quarantined with a reason naming the file, the
line and the field. Reasons never carry the offending value: they are read by operators, and the
value may be a name, a BSN or a date of birth. The raw line itself is kept in the quarantine
table of the warehouse (for the data steward), never in logs or run metadata.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from sources.csv_lines import BLANK, line_array, split_fields, split_lines
from stores.sql import Fragment, Identifier, fill

QUARANTINE_COLUMNS = ["source", "file", "line", "record_id", "field", "reason", "raw", "kept"]

# The contract's CSV extracts hold one record per physical line. A line ends at "\n" (with or
# without a "\r" before it); a file without any "\n" but with "\r" is an old Mac-style export
# whose "\r" ends its lines (unambiguous, so it is read rather than refused).
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass
class ParseResult:
    """Outcome of reading one extract: accepted rows, quarantined rows and the counts.

    The quarantine holds two kinds of entries: a row set aside whole (`kept` false: it could
    not be identified or parsed) and a value nulled in a row that was kept (`kept` true).
    `rows_in_file` is the file's own count of records (physical data lines, Parquet rows,
    persons in the JSON lines), taken apart from the parser so that a parser that swallows
    lines cannot hide it."""

    source: str
    file: str
    accepted: pd.DataFrame
    quarantine: pd.DataFrame
    rows_read: int
    file_error: str | None = None
    withheld: dict[str, int] = field(default_factory=dict)
    rows_in_file: int | None = None
    expired: int = 0   # records past their use term (sources.retention), never stored

    @property
    def rows_accepted(self) -> int:
        return len(self.accepted)

    @property
    def rows_quarantined(self) -> int:
        """Rows set aside whole; a file refused before any row could be read is listed in the
        quarantine with line 0 but holds no row, and a nulled value is not a lost row."""
        if not len(self.quarantine):
            return 0
        return int(((self.quarantine["line"] > 0) & ~_kept(self.quarantine)).sum())

    @property
    def values_nulled(self) -> int:
        """Values set to missing in rows that were kept (one per bad field)."""
        if not len(self.quarantine):
            return 0
        return int(_kept(self.quarantine).sum())

    def counts(self) -> dict[str, int]:
        """Counts that add up: read = accepted + quarantined + withheld (e.g. melders) +
        expired (past the use term), and read = rows_in_file; values_nulled are faults inside
        accepted rows."""
        out = {
            "read": self.rows_read,
            "accepted": self.rows_accepted,
            "quarantined": self.rows_quarantined,
            "expired": self.expired,
            "values_nulled": self.values_nulled,
            "rows_in_file": -1 if self.rows_in_file is None else self.rows_in_file,
        }
        out.update({f"withheld_{k}": v for k, v in self.withheld.items()})
        return out


def _kept(quarantine: pd.DataFrame) -> pd.Series:
    if "kept" not in quarantine:
        return pd.Series(False, index=quarantine.index)
    return quarantine["kept"].fillna(False).astype(bool)


class QuarantineLog:
    """Collects quarantine entries: a row set aside once, for its first failing field, or a
    bad value nulled in a kept row (`kept=True`, one entry per field)."""

    def __init__(self, source: str, file: str) -> None:
        self.source = source
        self.file = file
        self._frames: list[pd.DataFrame] = []

    def add(self, line: int, record_id: str | None, field_name: str, reason: str,
            raw: str | None = None, kept: bool = False) -> None:
        """Quarantine a single row (or, with `kept`, log one nulled value of a kept row)."""
        self._frames.append(pd.DataFrame([{
            "line": line, "record_id": record_id, "field": field_name, "reason": reason,
            "raw": raw, "kept": kept,
        }]))

    def add_frame(self, rows: pd.DataFrame, field_name: str, reason: str,
                  kept: bool = False) -> None:
        """Quarantine many rows at once; `rows` has `_line`, `record_id` and `_raw` columns."""
        if rows.empty:
            return
        self._frames.append(pd.DataFrame({
            "line": rows["_line"].astype("int64").to_numpy(),
            "record_id": rows["record_id"].to_numpy() if "record_id" in rows else None,
            "field": field_name,
            "reason": reason,
            "raw": rows["_raw"].to_numpy() if "_raw" in rows else None,
            "kept": kept,
        }))

    def add_lines(self, bad: pd.DataFrame) -> None:
        """Quarantine lines that could not be read, each with its own reason (`bad` has the
        columns of `sources.csv_lines.BAD_COLUMNS`)."""
        if bad.empty:
            return
        self._frames.append(pd.DataFrame({
            "line": bad["_line"].astype("int64").to_numpy(),
            "record_id": bad["record_id"].to_numpy(), "field": bad["field"].to_numpy(),
            "reason": bad["reason"].to_numpy(), "raw": bad["_raw"].to_numpy(), "kept": False,
        }))

    def rows(self) -> int:
        """Rows set aside whole so far (nulled values and file-level entries not counted)."""
        return sum(int(((f["line"] > 0) & ~f["kept"].astype(bool)).sum()) for f in self._frames)

    def frame(self) -> pd.DataFrame:
        if not self._frames:
            out = pd.DataFrame({c: pd.Series(dtype="object") for c in QUARANTINE_COLUMNS})
            out["line"] = out["line"].astype("int64")
            out["kept"] = out["kept"].astype("bool")
            return out
        out = pd.concat(self._frames, ignore_index=True)
        out.insert(0, "file", self.file)
        out.insert(0, "source", self.source)
        out["line"] = out["line"].astype("int64")
        out["kept"] = out["kept"].astype("bool")
        for col in ("record_id", "field", "reason", "raw"):
            out[col] = out[col].astype("object")
        return out[QUARANTINE_COLUMNS]


def message(file: str, line: int, field_name: str, reason: str) -> str:
    """The operator's message for one quarantined row: file, line and field, never the value."""
    return f"{file} line {line}, field {field_name}: {reason}"


def rejected(source: str, path: Path, reason: str, lines: list[str] | None = None,
             field_name: str = "(file)", first_line: int = 2) -> ParseResult:
    """A whole file refused: every data line it holds is quarantined with the file's reason.

    `lines` are the file's data lines (the first is line `first_line`: 2 after a header);
    blank ones hold no record and are left out, as the file's own count leaves them out."""
    log = QuarantineLog(source, path.name)
    numbered = [(i, text) for i, text in enumerate(lines or [], start=first_line)
                if text.strip(BLANK)]
    if numbered:
        log.add_frame(pd.DataFrame({
            "_line": [i for i, _ in numbered], "record_id": None,
            "_raw": [t for _, t in numbered],
        }), field_name, reason)
    else:
        log.add(0, None, field_name, reason)
    return ParseResult(source, path.name, pd.DataFrame(), log.frame(),
                       rows_read=len(numbered), file_error=reason,
                       rows_in_file=len(numbered))


def physical_lines(data: bytes) -> list[bytes]:
    """The file's physical lines, split on its bytes (the same for Windows-1252 and UTF-8):
    at "\n" (a "\r" before it is dropped), or at "\r" in a file that has no "\n" at all."""
    if b"\n" not in data and b"\r" in data:
        return data.split(b"\r")
    return [line[:-1] if line.endswith(b"\r") else line for line in data.split(b"\n")]


def count_data_lines(data: bytes) -> int:
    """The file's own count of records: non-blank physical lines after the header. Taken from
    the bytes, apart from the parser, so that the two can be checked against each other."""
    lines = physical_lines(data)
    return sum(1 for line in lines[1:] if line.strip(BLANK.encode()))


def text_lines(text: str) -> list[str]:
    """Split decoded text into physical lines exactly as `physical_lines` splits bytes (not
    `str.splitlines`, which also breaks at form feeds, U+2028 and other characters a value may
    hold)."""
    if "\n" not in text and "\r" in text:
        return text.split("\r")
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def read_csv_text(source: str, path: Path, encoding: str, delimiter: str,
                  columns: list[str], optional: tuple[str, ...] | list[str] = ()
                  ) -> tuple[pd.DataFrame, QuarantineLog, int] | ParseResult:
    """Read a delimited extract into string columns, or refuse the file.

    The header must be exactly the contract's columns. The file is read one physical line at
    a time: a line with broken quoting or the wrong number of fields is quarantined alone (a
    shifted row must never be read with its values in other columns, and a stray quote must
    never swallow the lines after it). An empty value of an `optional` field is missing
    (None). Returns the frame (with `_line` and `_raw`), the
    quarantine log and the file's own count of data lines, or a rejected result.
    """
    if not path.exists():
        return rejected(source, path, "file missing from the delivery")
    data = path.read_bytes()
    if not data.strip():
        return rejected(source, path, "file is empty")
    in_file = count_data_lines(data)
    text = _decode(source, path, data, encoding)
    if isinstance(text, ParseResult):
        return text
    header = split_fields(_first_line(text), delimiter)
    header = [h.strip() for h in header] if isinstance(header, list) else []
    if header != columns:
        missing = [c for c in columns if c not in header]
        extra = [c for c in header if c not in columns]
        what = (f"header does not match the contract (missing {missing or 'none'}, "
                f"unexpected {len(extra)} column(s))")
        if len(header) == 1 and len(columns) > 1:
            what = f"header has one column: the delimiter is not '{delimiter}'"
        return rejected(source, path, what, text_lines(text)[1:], field_name="(header)")
    log = QuarantineLog(source, path.name)
    lines, odd_possible = line_array(text)
    del data, text   # the Arrow lines hold the file now: not three copies at the peak
    frame, bad = split_lines(lines[1:], delimiter, columns, optional=optional,
                             odd_possible=odd_possible)
    log.add_lines(bad)
    return frame, log, in_file


@dataclass(frozen=True)
class CsvExtract:
    """A delimited extract as its contract describes it: the frame every CSV reader shares
    (read the file, make empty fields missing, apply the partner's field rules, turn J/N flags
    into booleans) is `read_csv_extract`; a partner declares only what differs."""

    source: str
    file: str
    encoding: str
    delimiter: str
    columns: list[str]
    optional: list[str]   # fields where empty means missing
    validate: Callable[[pd.DataFrame, QuarantineLog], pd.DataFrame]
    flags: tuple[str, ...] = ()   # J/N fields, booleans once validated


def read_csv_extract(extract: CsvExtract, delivery: Path) -> ParseResult:
    """Read and validate one delimited extract of a delivery folder."""
    got = read_csv_text(extract.source, delivery / extract.file, extract.encoding,
                        extract.delimiter, extract.columns, extract.optional)
    if isinstance(got, ParseResult):
        return got
    frame, log, in_file = got
    rows_read = len(frame) + log.rows()
    frame = extract.validate(frame, log)
    for flag in extract.flags:
        frame[flag] = pd.array(frame[flag].map({"J": True, "N": False}), dtype="boolean")
    return ParseResult(extract.source, extract.file, frame.reset_index(drop=True), log.frame(),
                       rows_read, rows_in_file=in_file)


def split_name_sql(given: str, prefix: str, surname: str) -> Fragment:
    """The canonical name columns of an extract that writes a Dutch name in three fields (given
    names, voorvoegsel, surname), as SELECT items of a partner's standardisation query (the
    `foto_*` macros are `standardise.rules`'). A voorvoegsel left in the surname field ('van
    Dijk') is found there. The arguments are the extract's column names, code, not data."""
    return Fragment(fill("""concat_ws(' ', {given}, {prefix}, {surname}) AS display_name,
        foto_given({given}) AS given_names,
        foto_first_name({given}) AS first_name,
        foto_initials(foto_given({given})) AS initials,
        coalesce(foto_fold({prefix}), foto_tv(foto_fold({surname}))) AS tussenvoegsel,
        foto_surname(foto_fold({surname})) AS surname""",
        given=Identifier(given), prefix=Identifier(prefix), surname=Identifier(surname)))


def _first_line(text: str) -> str:
    """The header line, cut as `text_lines` cuts lines (without splitting the whole text)."""
    end = text.find("\n")
    if end < 0:
        return text.split("\r", 1)[0]
    head = text[:end]
    return head[:-1] if head.endswith("\r") else head


def _decode(source: str, path: Path, data: bytes, encoding: str) -> str | ParseResult:
    """Decode bytes strictly in the contract's encoding; a wrong encoding refuses the file.

    A UTF-8 byte order mark proves a file UTF-8: in a Windows-1252 extract it refuses the
    file with that reason (decoded as Windows-1252 it would read as 'ï»¿' glued to the first
    column's name); in a UTF-8 extract it is allowed and dropped."""
    if encoding == "cp1252" and data.startswith(UTF8_BOM):
        return rejected(source, path,
                        "file starts with a UTF-8 byte order mark: it is UTF-8 encoded, the "
                        "contract says Windows-1252",
                        text_lines(data.decode("utf-8", "replace"))[1:])
    if encoding == "cp1252" and not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return rejected(source, path,
                            "file is UTF-8 encoded, the contract says Windows-1252",
                            text_lines(data.decode("utf-8"))[1:])
    if encoding in ("utf-8", "utf8") and data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM):]
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        line = len(physical_lines(data[: err.start]))
        lines = text_lines(data.decode(encoding, errors="replace"))[1:]
        return rejected(source, path,
                        f"line {line} is not valid {encoding}: the file's encoding is wrong",
                        lines)


def check_required(frame: pd.DataFrame, log: QuarantineLog, column: str) -> pd.DataFrame:
    """Quarantine rows whose identifying field is empty; return the rest. Only for the fields
    that identify a record (its id, its name): any other bad value costs the value alone."""
    bad = frame[column].isna() | (frame[column].astype("string").str.strip() == "")
    if not bad.any():   # the usual case: no copy of the whole frame
        return frame
    log.add_frame(frame[bad], column, "required field is empty")
    return frame[~bad]


def normalise_code(values: pd.Series, upper: bool = False) -> pd.Series:
    """A code as a careless partner may write it (' Verdachte ', 'j', 'VER  DACHTE' stays
    wrong): surrounding and repeated spaces dropped, one case. Missing stays missing."""
    codes, uniques = pd.factorize(values)   # a code column holds few values: each once
    text = pd.Series(uniques, dtype=object).astype("string").str.strip()
    text = text.str.replace(r"\s+", " ", regex=True)
    text = text.str.upper() if upper else text.str.lower()
    spelled = np.append(text.astype("object").to_numpy(), None)   # code -1: missing
    return pd.Series(spelled[codes], index=values.index, dtype=object)


def null_values(frame: pd.DataFrame, log: QuarantineLog, column: str, bad: pd.Series,
                reason: str) -> pd.DataFrame:
    """Null `column` where `bad` holds and log each as a field fault of a kept row: a bad value
    costs that value, not the record."""
    bad = bad.fillna(False).astype(bool)
    if not bad.any():
        return frame
    log.add_frame(frame[bad], column, reason, kept=True)
    frame = frame.copy(deep=False)   # copy-on-write: the caller's frame keeps its column
    frame[column] = frame[column].astype("object").where(~bad, None)
    return frame


def check_values(frame: pd.DataFrame, log: QuarantineLog, column: str,
                 allowed: set[str], optional: bool = False) -> pd.DataFrame:
    """Null values outside the contract's set (and, unless optional, missing ones), logging
    each at field level; the row is kept."""
    values = frame[column]
    outside = values.notna() & ~values.isin(allowed)
    frame = null_values(frame, log, column, outside,
                        f"value outside the contract's set {sorted(allowed)}")
    if not optional:
        frame = null_values(frame, log, column, values.isna(), "required field is empty")
    return frame


def check_date(frame: pd.DataFrame, log: QuarantineLog, column: str, fmt: str,
               label: str, optional: bool = True, pattern: str | None = None) -> pd.DataFrame:
    """Parse a date column in place into dates; a value that is not a real date in the
    contract's layout (`pattern` first, then `fmt`) is nulled and logged, the row kept."""
    values = frame[column]
    shaped = values.astype("string").str.fullmatch(pattern) if pattern else values.notna()
    shaped = shaped.fillna(False).astype(bool)
    parsed = pd.to_datetime(values.where(shaped), format=fmt, errors="coerce")
    bad = parsed.isna() & values.notna()
    frame = null_values(frame, log, column, bad, f"not a valid date ({label})")
    if not optional:
        frame = null_values(frame, log, column, values.isna(), "required field is empty")
    frame = frame.copy(deep=False)
    frame[column] = pd.Series(parsed.dt.date, index=frame.index).astype("object").where(
        parsed.notna(), None)
    return frame


def raw_field_dates(raw: pd.Series, delimiter: str, columns: list[str], column: str,
                    fmt: str, pattern: str) -> pd.Series:
    """The dates in `column` of raw CSV lines (a quarantined row's `raw`), split as the reader
    splits a line; NaT where the line has not the contract's fields or the value is no date
    in the contract's layout. For the retention of rows set aside whole
    (`sources.retention.RetentionRule.quarantined`)."""
    at = columns.index(column)

    def field_of(line: object) -> str | None:
        fields = split_fields(line, delimiter) if isinstance(line, str) else None
        return fields[at].strip() if isinstance(fields, list) and len(fields) == len(columns) \
            else None

    text = raw.map(field_of).astype("string")
    shaped = text.str.fullmatch(pattern).fillna(False).astype(bool)
    return pd.Series(pd.to_datetime(text.where(shaped), format=fmt, errors="coerce"),
                     index=raw.index)


def check_unique(frame: pd.DataFrame, log: QuarantineLog, column: str = "record_id"
                 ) -> pd.DataFrame:
    """Quarantine every row of a duplicated key: which one is right cannot be known here."""
    dup = frame[column].duplicated(keep=False) & frame[column].notna()
    if not dup.any():
        return frame
    log.add_frame(frame[dup], column, "record_id occurs more than once in the file")
    return frame[~dup]


MAX_AGE_YEARS = 110
BIRTH_DATE_COLUMN = "geboortedatum"


def _birth_parts(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(year, full date or NaT) of birth-date values in any of the contract's layouts: a date,
    ISO `jjjj-mm-dd`, a year alone, or BRP `jjjjmmdd` with `00` for an unknown month or day."""
    text = values.astype("string").str.replace("-", "", regex=False)
    year = pd.to_numeric(text.str.slice(0, 4), errors="coerce")
    full = pd.to_datetime(text.where(text.str.len() == 8), format="%Y%m%d", errors="coerce")
    return year, full


def check_birth_plausible(result: ParseResult, delivery: str) -> ParseResult:
    """Null birth dates after the delivery date or more than 110 years before it, keeping the
    record: a clerk's typo in a birth date must not take a suspect's registration out of the
    photo. The date is nulled, not kept as matching evidence: ages and flags are computed from
    it, and an impossible date is no evidence of who the person is.

    Readers check a birth date's layout; whether it can be true depends on the delivery date,
    which only the run knows. The reason names the rule, never the value."""
    frame = result.accepted
    if frame.empty or BIRTH_DATE_COLUMN not in frame:
        return result
    day = pd.Timestamp(delivery)
    year, full = _birth_parts(frame[BIRTH_DATE_COLUMN])
    future = (full > day).fillna(False) | (year > day.year).fillna(False)
    too_old = (year < day.year - MAX_AGE_YEARS).fillna(False) & ~future
    if not (future | too_old).any():
        return result
    log = QuarantineLog(result.source, result.file)
    frame = null_values(frame, log, BIRTH_DATE_COLUMN, future,
                        "birth date after the delivery date")
    frame = null_values(frame, log, BIRTH_DATE_COLUMN, too_old,
                        f"birth date more than {MAX_AGE_YEARS} years before the delivery date")
    quarantine = pd.concat([result.quarantine, log.frame()], ignore_index=True)
    return replace(result, accepted=frame.reset_index(drop=True), quarantine=quarantine)
