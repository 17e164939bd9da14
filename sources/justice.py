"""Justice extract `justice_cases.parquet`: one row per suspect per case, typed columns.

A Parquet file carries its own types; a file whose columns or types differ from the contract is
refused whole (its values could not be read safely), rows with a missing key are quarantined.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sources.common import (
    ParseResult,
    QuarantineLog,
    check_required,
    check_unique,
    check_values,
    normalise_code,
    null_values,
    rejected,
)

SOURCE = "justice"
FILE = "justice_cases.parquet"
COLUMN_TYPES: dict[str, str] = {
    "record_id": "string", "verdachte_naam": "string", "geboortedatum": "date",
    "bsn": "string", "feit": "string", "zaak_status": "string", "status_datum": "date",
    "toezicht_reclassering": "bool", "toezicht_einddatum": "date", "contactverbod": "bool",
}
DATE_COLUMNS = ("geboortedatum", "status_datum", "toezicht_einddatum")
STATUSES = {"ingeschreven", "vervolging", "sepot", "veroordeeld", "vrijspraak"}


def read_justice(delivery: Path) -> ParseResult:
    """Read and validate the justice extract of one delivery folder."""
    path = delivery / FILE
    if not path.exists():
        return rejected(SOURCE, path, "file missing from the delivery")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as err:
        return rejected(SOURCE, path, f"not a readable Parquet file ({type(err).__name__})")
    problem = schema_problem(table.schema)
    if problem:
        return rejected(SOURCE, path, problem, ["?"] * table.num_rows, field_name="(schema)")
    frame = table.select(list(COLUMN_TYPES)).drop_columns(list(DATE_COLUMNS)).to_pandas()
    for col in DATE_COLUMNS:
        frame[col] = as_dates(table.column(col))
    for col in ("record_id", "verdachte_naam", "bsn", "feit", "zaak_status"):
        frame[col] = frame[col].astype("object").where(frame[col].notna(), None)
    frame = frame[list(COLUMN_TYPES)]
    frame["_line"] = range(1, len(frame) + 1)
    frame["_raw"] = None
    log = QuarantineLog(SOURCE, FILE)
    rows_read = len(frame)
    frame = validate_justice_rows(frame, log)
    return ParseResult(SOURCE, FILE, frame.reset_index(drop=True), log.frame(), rows_read,
                       rows_in_file=rows_in_file(path))


def rows_in_file(path: Path) -> int:
    """The file's own count of rows, from its Parquet footer (apart from the reader)."""
    return int(pq.ParquetFile(path).metadata.num_rows)


def as_dates(column: pa.ChunkedArray) -> list[date | None]:
    """A date or timestamp column as Python dates, through Arrow: pandas' nanosecond
    timestamps cannot hold a year like 0001 or 9999, and a partner's typo must not crash the
    run (the birth date's plausibility is checked later, against the delivery date)."""
    out: list[date | None] = []
    for value in column.to_pylist():
        if isinstance(value, datetime):
            out.append(value.date())
        else:
            out.append(value)
    return out


def schema_problem(schema: pa.Schema) -> str | None:
    """Name the first way the file's schema differs from the contract, or None."""
    names = set(schema.names)
    missing = [c for c in COLUMN_TYPES if c not in names]
    if missing:
        return f"column(s) missing: {missing}"
    doubled = sorted({c for c in schema.names if schema.names.count(c) > 1 and c in COLUMN_TYPES})
    if doubled:
        return f"column(s) occur more than once: {doubled}"
    for col, kind in COLUMN_TYPES.items():
        typ = schema.field(col).type
        ok = {
            "string": pa.types.is_string(typ) or pa.types.is_large_string(typ)
            or pa.types.is_null(typ),
            "date": pa.types.is_date(typ) or pa.types.is_timestamp(typ) or pa.types.is_null(typ),
            "bool": pa.types.is_boolean(typ) or pa.types.is_null(typ),
        }[kind]
        if not ok:
            return f"column {col} has type {typ}, the contract says {kind}"
    return None


def validate_justice_rows(frame: pd.DataFrame, log: QuarantineLog) -> pd.DataFrame:
    """Apply the contract's field rules. A row is set aside whole only when it cannot be
    identified (no parketnummer, no name or a name not in the contract's layout, a duplicated
    parketnummer); an unknown case status (after case and spaces are normalised) or a missing
    status date is nulled and logged at field level, the case kept."""
    for col in ("record_id", "verdachte_naam"):
        frame = check_required(frame, log, col)
    frame = check_unique(frame, log).copy()
    frame["zaak_status"] = normalise_code(frame["zaak_status"])
    frame = check_values(frame, log, "zaak_status", STATUSES)
    frame = null_values(frame, log, "status_datum", frame["status_datum"].isna(),
                        "required field is empty")
    no_comma = ~frame["verdachte_naam"].str.contains(",", regex=False)
    log.add_frame(frame[no_comma], "verdachte_naam",
                  "not in the form 'Achternaam, Voorletters [voorvoegsel]'")
    frame = frame[~no_comma].copy()
    for col in ("toezicht_reclassering", "contactverbod"):
        frame[col] = frame[col].fillna(False).astype(bool)
    return frame
