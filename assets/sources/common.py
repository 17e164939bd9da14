"""What every source reader shares: the parse result, quarantine rows and CSV reading.

A row read from an extract is either accepted or quarantined with a reason naming the file, the
line and the field. Reasons never carry the offending value: they are read by operators, and the
value may be a name, a BSN or a date of birth. The raw line itself is kept in the quarantine
table of the warehouse (for the data steward), never in logs or run metadata.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

QUARANTINE_COLUMNS = ["source", "file", "line", "record_id", "field", "reason", "raw"]


@dataclass
class ParseResult:
    """Outcome of reading one extract: accepted rows, quarantined rows and the counts."""

    source: str
    file: str
    accepted: pd.DataFrame
    quarantine: pd.DataFrame
    rows_read: int
    file_error: str | None = None
    withheld: dict[str, int] = field(default_factory=dict)

    @property
    def rows_accepted(self) -> int:
        return len(self.accepted)

    @property
    def rows_quarantined(self) -> int:
        """Quarantined rows; a file refused before any row could be read is listed in the
        quarantine with line 0 but holds no row, so it is not counted here."""
        return int((self.quarantine["line"] > 0).sum()) if len(self.quarantine) else 0

    def counts(self) -> dict[str, int]:
        """Counts that add up: read = accepted + quarantined + withheld (e.g. melders)."""
        out = {
            "read": self.rows_read,
            "accepted": self.rows_accepted,
            "quarantined": self.rows_quarantined,
        }
        out.update({f"withheld_{k}": v for k, v in self.withheld.items()})
        return out


class QuarantineLog:
    """Collects quarantined rows; a row is quarantined once, for its first failing field."""

    def __init__(self, source: str, file: str) -> None:
        self.source = source
        self.file = file
        self._frames: list[pd.DataFrame] = []

    def add(self, line: int, record_id: str | None, field_name: str, reason: str,
            raw: str | None = None) -> None:
        """Quarantine a single row."""
        self._frames.append(pd.DataFrame([{
            "line": line, "record_id": record_id, "field": field_name, "reason": reason,
            "raw": raw,
        }]))

    def add_frame(self, rows: pd.DataFrame, field_name: str, reason: str) -> None:
        """Quarantine many rows at once; `rows` has `_line`, `record_id` and `_raw` columns."""
        if rows.empty:
            return
        self._frames.append(pd.DataFrame({
            "line": rows["_line"].astype("int64").to_numpy(),
            "record_id": rows["record_id"].to_numpy() if "record_id" in rows else None,
            "field": field_name,
            "reason": reason,
            "raw": rows["_raw"].to_numpy() if "_raw" in rows else None,
        }))

    def frame(self) -> pd.DataFrame:
        if not self._frames:
            out = pd.DataFrame({c: pd.Series(dtype="object") for c in QUARANTINE_COLUMNS})
            out["line"] = out["line"].astype("int64")
            return out
        out = pd.concat(self._frames, ignore_index=True)
        out.insert(0, "file", self.file)
        out.insert(0, "source", self.source)
        out["line"] = out["line"].astype("int64")
        for col in ("record_id", "field", "reason", "raw"):
            out[col] = out[col].astype("object")
        return out[QUARANTINE_COLUMNS]


def message(file: str, line: int, field_name: str, reason: str) -> str:
    """The operator's message for one quarantined row: file, line and field, never the value."""
    return f"{file} line {line}, field {field_name}: {reason}"


def rejected(source: str, path: Path, reason: str, lines: list[str] | None = None,
             field_name: str = "(file)") -> ParseResult:
    """A whole file refused: every data line it holds is quarantined with the file's reason."""
    log = QuarantineLog(source, path.name)
    lines = lines or []
    if lines:
        log.add_frame(pd.DataFrame({
            "_line": range(2, len(lines) + 2), "record_id": None, "_raw": lines,
        }), field_name, reason)
    else:
        log.add(0, None, field_name, reason)
    return ParseResult(source, path.name, pd.DataFrame(), log.frame(),
                       rows_read=max(len(lines), 0), file_error=reason)


def read_csv_text(source: str, path: Path, encoding: str, delimiter: str,
                  columns: list[str]) -> tuple[pd.DataFrame, QuarantineLog] | ParseResult:
    """Read a delimited extract into string columns, or refuse the file.

    The header must be exactly the contract's columns. Rows with the wrong number of fields are
    quarantined one by one (a shifted row must never be read with its values in other columns).
    Returns the frame (with `_line` and `_raw`) and the quarantine log, or a rejected result.
    """
    if not path.exists():
        return rejected(source, path, "file missing from the delivery")
    data = path.read_bytes()
    if not data.strip():
        return rejected(source, path, "file is empty")
    text = _decode(source, path, data, encoding)
    if isinstance(text, ParseResult):
        return text
    lines = text.splitlines()
    header = next(csv.reader([lines[0]], delimiter=delimiter))
    header = [h.strip().lstrip("\ufeff") for h in header]
    if header != columns:
        missing = [c for c in columns if c not in header]
        extra = [c for c in header if c not in columns]
        what = (f"header does not match the contract (missing {missing or 'none'}, "
                f"unexpected {len(extra)} column(s))")
        if len(header) == 1 and len(columns) > 1:
            what = f"header has one column: the delimiter is not '{delimiter}'"
        return rejected(source, path, what, lines[1:], field_name="(header)")
    log = QuarantineLog(source, path.name)
    rows: list[list[str]] = []
    line_nos: list[int] = []
    raws: list[str] = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    next(reader)
    last = reader.line_num
    for row in reader:
        start = last + 1
        last = reader.line_num
        if not row or all(not v.strip() for v in row):
            continue
        raw = delimiter.join(row)
        if len(row) != len(columns):
            log.add(start, row[0] if row else None, "(row)",
                    f"{len(row)} fields, the contract has {len(columns)}", raw)
            continue
        rows.append(row)
        line_nos.append(start)
        raws.append(raw)
    frame = pd.DataFrame(rows, columns=columns, dtype="object")
    for col in columns:
        frame[col] = frame[col].str.strip()
    frame["_line"] = line_nos
    frame["_raw"] = raws
    return frame, log


def _decode(source: str, path: Path, data: bytes, encoding: str) -> str | ParseResult:
    """Decode bytes strictly in the contract's encoding; a wrong encoding refuses the file."""
    if encoding == "cp1252" and not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return rejected(source, path,
                            "file is UTF-8 encoded, the contract says Windows-1252",
                            data.decode("utf-8").splitlines()[1:])
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        lines = data.decode(encoding, errors="replace").splitlines()[1:]
        return rejected(source, path,
                        f"line {line} is not valid {encoding}: the file's encoding is wrong",
                        lines)


def empty_to_none(frame: pd.DataFrame, columns: list[str]) -> None:
    """Empty strings mean 'not given' in the CSV extracts: make them missing."""
    for col in columns:
        frame[col] = frame[col].where(frame[col].astype(bool), None)


def check_required(frame: pd.DataFrame, log: QuarantineLog, column: str) -> pd.DataFrame:
    """Quarantine rows whose required field is empty; return the rest."""
    bad = frame[column].isna() | (frame[column].astype("string").str.strip() == "")
    log.add_frame(frame[bad], column, "required field is empty")
    return frame[~bad]


def check_values(frame: pd.DataFrame, log: QuarantineLog, column: str,
                 allowed: set[str], optional: bool = False) -> pd.DataFrame:
    """Quarantine rows whose field is outside the contract's value set; return the rest."""
    values = frame[column]
    ok = values.isin(allowed)
    if optional:
        ok |= values.isna()
    log.add_frame(frame[~ok], column, f"value outside the contract's set {sorted(allowed)}")
    return frame[ok]


def check_date(frame: pd.DataFrame, log: QuarantineLog, column: str, fmt: str,
               label: str, optional: bool = True) -> pd.DataFrame:
    """Parse a date column in place; quarantine rows whose non-empty value is not a real date."""
    values = frame[column]
    parsed = pd.to_datetime(values, format=fmt, errors="coerce")
    bad = parsed.isna() & values.notna()
    if not optional:
        bad |= values.isna()
    log.add_frame(frame[bad], column, f"not a valid date ({label})")
    frame = frame[~bad].copy()
    frame[column] = parsed[~bad].dt.date
    return frame


def check_unique(frame: pd.DataFrame, log: QuarantineLog, column: str = "record_id"
                 ) -> pd.DataFrame:
    """Quarantine every row of a duplicated key: which one is right cannot be known here."""
    dup = frame[column].duplicated(keep=False) & frame[column].notna()
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
    """Quarantine accepted rows born after the delivery date or more than 110 years before it.

    Readers check a birth date's layout; whether it can be true depends on the delivery date,
    which only the run knows. The reason names the rule, never the value."""
    frame = result.accepted
    if frame.empty or BIRTH_DATE_COLUMN not in frame:
        return result
    day = pd.Timestamp(delivery)
    year, full = _birth_parts(frame[BIRTH_DATE_COLUMN])
    future = (full > day).fillna(False) | (year > day.year).fillna(False)
    too_old = (year < day.year - MAX_AGE_YEARS).fillna(False)
    log = QuarantineLog(result.source, result.file)
    log.add_frame(frame[future], BIRTH_DATE_COLUMN, "birth date after the delivery date")
    log.add_frame(frame[too_old & ~future], BIRTH_DATE_COLUMN,
                  f"birth date more than {MAX_AGE_YEARS} years before the delivery date")
    bad = future | too_old
    if not bad.any():
        return result
    quarantine = pd.concat([result.quarantine, log.frame()], ignore_index=True)
    return ParseResult(result.source, result.file, frame[~bad].reset_index(drop=True),
                       quarantine, result.rows_read, result.file_error, result.withheld)
