"""A delimited extract's lines split into fields with Arrow's string kernels, one line at a time.

Why not a CSV parser (DuckDB's `read_csv`, `pyarrow.csv`): the contract holds one record per
physical line, and a stray quote must cost its own line and no other. A CSV parser reads a
quote as opening a value that may run over the line's end (or, told to ignore quotes, cannot
read `"a;b"` as one value); it does not give the line number of each accepted row when it
skips a line; and neither reads Windows-1252 (DuckDB only through an extension this machine
cannot download). So the file is decoded by Python's codec (C speed), cut into lines, and the
lines are split here by Arrow compute kernels over the whole column: no Python loop over rows.
Only the few lines that hold a quote or a carriage return are parsed one by one (`split_fields`,
the csv module), so that quoting keeps the exact meaning it had.

Values are stripped of exactly what Python's `str.strip()` strips (`PY_WHITESPACE`), so that a
value reads the same as when each line was split in Python.
"""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

BLANK = " \t"   # a line of only these is blank: the parser and the file's own count agree
# Every character `str.isspace()` holds true for: what `str.strip()` removes
# (tests/test_csv_lines.py checks the list against Python's own).
PY_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
                 "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
CR_INSIDE = "a carriage return inside the line (not at its end): the line is broken"
BROKEN_QUOTING = "broken quoting: a quote that opens a field is not closed on its line"
BAD_COLUMNS = ["_line", "record_id", "field", "reason", "_raw"]


def line_array(text: str) -> tuple[pa.Array, bool]:
    """Decoded text cut into physical lines as `common.text_lines` cuts it: at "\\n" with a
    "\\r" before it dropped, or at "\\r" in a text without any "\\n"; and whether any line
    may hold a quote or a carriage return (one scan of the text by `str`'s own search, so that
    a file without any skips the per-line test)."""
    if "\n" not in text and "\r" in text:
        sep = "\r"
        odd = '"' in text
    else:
        sep = "\n"
        text = text.replace("\r\n", "\n")
        if text.endswith("\r"):
            text = text[:-1]
        odd = '"' in text or "\r" in text
    whole = pa.array([text], type=pa.large_string())
    return pc.split_pattern(whole, sep).flatten(), odd


def split_fields(line: str, delimiter: str) -> list[str] | str:
    """The fields of one physical line, or the reason it cannot be read (never its value).

    Only this line is parsed, so a stray quote can cost this line and no other. A line without
    quotes is split as is; with quotes, a field is either quoted whole (a doubled quote inside
    stands for one) or holds quotes only inside (O"Brien); a quote that opens a field and is
    not closed before the field ends is broken quoting."""
    if "\r" in line:
        return CR_INSIDE
    if '"' not in line:
        return line.split(delimiter)
    try:
        rows = list(csv.reader([line], delimiter=delimiter, strict=True))
    except csv.Error:
        return BROKEN_QUOTING
    return rows[0] if rows else []


def first_field(line: str, delimiter: str) -> str | None:
    """The record id of a line that could not be parsed, as far as it can be told."""
    first = line.split(delimiter, 1)[0].strip().strip('"').strip()
    return first or None


def split_lines(lines: pa.Array, delimiter: str, columns: list[str], first_line: int = 2,
                optional: tuple[str, ...] | list[str] = (), odd_possible: bool = True
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows, bad lines) of an extract's data lines (`lines[0]` is line `first_line`).

    Rows: one per line with the contract's number of fields, values stripped, as object
    columns of `str` (an empty value of an `optional` column: None, 'not given'), with
    `_line` and `_raw` (the line), in line order. Bad lines: one per
    line that cannot be read (`BAD_COLUMNS`: its line, what it says of its record id, field
    `(row)` and the reason), in line order. Blank lines are neither. `odd_possible` False:
    no line holds a quote or a carriage return (`line_array` says so)."""
    n_cols = len(columns)
    numbers = np.arange(first_line, first_line + len(lines), dtype="int64")
    blank = pc.equal(pc.utf8_trim(lines, BLANK), "")
    odd = (pc.or_(pc.match_substring(lines, '"'), pc.match_substring(lines, "\r"))
           if odd_possible else pa.array(np.zeros(len(lines), dtype=bool)))
    plain = pc.and_(pc.invert(blank), pc.invert(odd))
    plain_lines = pc.filter(lines, plain)
    plain_at = numbers[plain.to_numpy(zero_copy_only=False)]
    fields = pc.split_pattern(plain_lines, delimiter)
    counts = pc.list_value_length(fields).to_numpy()
    fits = counts == n_cols
    short = ~fits
    firsts = pc.utf8_trim(pc.list_element(pc.filter(fields, pa.array(short)), 0),
                          PY_WHITESPACE)
    bad = {"_line": plain_at[short],
           "record_id": pc.if_else(pc.equal(firsts, ""), None, firsts).to_numpy(
               zero_copy_only=False),
           "field": np.full(int(short.sum()), "(row)", dtype=object),
           "reason": np.asarray([f"{n} fields, the contract has {n_cols}"
                                 for n in counts[short]], dtype=object),
           "_raw": pc.filter(plain_lines, pa.array(short)).to_numpy(zero_copy_only=False)}
    good = pc.filter(fields, pa.array(fits))
    del fields   # each Arrow step's input is let go once used: a bounded peak
    # every value of every good row in one pass, then one (rows x columns) block of `str`
    values = pc.utf8_trim(good.flatten(), PY_WHITESPACE)
    n_good = len(good)
    del good
    if optional:   # column of each value: its position modulo the number of columns
        is_optional = np.tile(np.isin(columns, list(optional)), n_good)
        values = pc.if_else(pc.and_(pc.equal(values, ""), pa.array(is_optional)), None,
                            values)
        del is_optional
    rows = {"block": values.to_numpy(zero_copy_only=False).reshape(n_good, n_cols),
            "_line": plain_at[fits], "_raw": pc.filter(plain_lines, pa.array(fits))}
    del values, plain_lines
    odd_np = pc.and_(pc.invert(blank), odd).to_numpy(zero_copy_only=False)
    if odd_np.any():
        _add_odd_lines(rows, bad, numbers[odd_np],
                       pc.filter(lines, pa.array(odd_np)).to_pylist(), delimiter, columns,
                       optional)
    frame = pd.DataFrame(rows["block"], columns=columns, dtype="object", copy=False)
    if len(frame):
        frame["_line"] = rows["_line"]
        # the line as text (pandas' `str`, as a list of lines became before), without a copy
        frame["_raw"] = pd.array(rows["_raw"], dtype="str")
    else:   # typed as an empty frame always was here (float64)
        frame["_line"], frame["_raw"] = [], []
    return frame, pd.DataFrame(bad, columns=BAD_COLUMNS)


def read_line(number: int, text: str, delimiter: str, columns: list[str],
              optional: tuple[str, ...] | list[str] = ()) -> tuple[list | None, list | None]:
    """One physical line read on its own: (its stripped values, None), or (None, the bad
    line's entry as `BAD_COLUMNS`). What `split_lines` does to a whole column of lines."""
    row = split_fields(text, delimiter)
    if isinstance(row, str):
        return None, [number, first_field(text, delimiter), "(row)", row, text]
    if len(row) != len(columns):
        return None, [number, first_field(text, delimiter), "(row)",
                      f"{len(row)} fields, the contract has {len(columns)}", text]
    return [None if c in optional and not v.strip() else v.strip()
            for c, v in zip(columns, row, strict=True)], None


def _add_odd_lines(rows: dict, bad: dict, numbers: np.ndarray, texts: list[str],
                   delimiter: str, columns: list[str], optional: tuple[str, ...] | list[str]
                   ) -> None:
    """The lines holding a quote or a carriage return, parsed one by one and merged in line
    order into `rows` and `bad` (changed in place)."""
    good_rows, good_at, good_raw, bad_rows = [], [], [], []
    for number, text in zip(numbers.tolist(), texts, strict=True):
        values, bad_line = read_line(number, text, delimiter, columns, optional)
        if bad_line is not None:
            bad_rows.append(bad_line)
        else:
            good_rows.append(values)
            good_at.append(number)
            good_raw.append(text)
    if good_rows:
        order = np.argsort(np.concatenate([rows["_line"], good_at]), kind="stable")
        extra = np.empty((len(good_rows), len(columns)), dtype=object)
        extra[:] = good_rows
        rows["block"] = np.concatenate([rows["block"], extra])[order]
        rows["_line"] = np.concatenate([rows["_line"], good_at])[order]
        raw = pa.concat_arrays([rows["_raw"], pa.array(good_raw, rows["_raw"].type)])
        rows["_raw"] = raw.take(pa.array(order))
    if bad_rows:
        order = np.argsort(np.concatenate([bad["_line"], [r[0] for r in bad_rows]]),
                           kind="stable")
        for i, col in enumerate(BAD_COLUMNS):
            new = np.asarray([r[i] for r in bad_rows],
                             dtype="int64" if col == "_line" else object)
            bad[col] = np.concatenate([np.asarray(bad[col]).astype(new.dtype), new])[order]
