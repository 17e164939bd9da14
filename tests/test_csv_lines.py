"""The CSV extracts' lines split by Arrow kernels read exactly as one line at a time in Python.

The reference below is the reader as it was before the lines were split column-wise: each
physical line parsed on its own (`read_line`: `split_fields`, the csv module for a quoted
line, values stripped by `str.strip()`). The
vectorised reader must give the same rows, line numbers and bad lines on every kind of line a
partner's export holds.
"""

from __future__ import annotations

import sys

import pandas as pd
import pytest

from sources.common import text_lines
from sources.csv_lines import (
    BLANK,
    PY_WHITESPACE,
    line_array,
    read_line,
    split_lines,
)

COLUMNS = ["a", "b", "c"]
LINES = [
    "1;x;y", "  2 ; x\u00a0;\u3000y\u2003", "", "   ", "\t", "3;x", "4;x;y;z", ";;",
    '"5";"a;b";c', '6;O"Brien;c', '"7;x;y', '8;"x"y;z', "9;x\ry;z", " \r", '"";"";""',
    "10;\x1cx\x1f;\x85", " \u2003q\x85 ;x", "\u3000;x", "11;x;y", 'x;"y', "12;\x0bx;y\x0c",
    ";", "13;é;ß",
]


def reference(lines: list[str], delimiter: str, columns: list[str], optional: tuple = ()
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One physical line at a time, as the reader read before (an empty optional value made
    missing afterwards)."""
    rows, bad = [], []
    for number, line in enumerate(lines, start=2):
        if not line.strip(BLANK):
            continue
        values, bad_line = read_line(number, line, delimiter, columns, optional)
        if bad_line is not None:
            bad.append(bad_line)
        else:
            rows.append([*values, number, line])
    return (pd.DataFrame(rows, columns=[*columns, "_line", "_raw"], dtype=object),
            pd.DataFrame(bad, columns=["_line", "record_id", "field", "reason", "_raw"]))


def _plain(frame: pd.DataFrame) -> list[list]:
    return [[None if v is None else v for v in row]
            for row in frame.astype(object).itertuples(index=False, name=None)]


def test_whitespace_is_what_str_strip_removes() -> None:
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert everything == PY_WHITESPACE


@pytest.mark.parametrize("optional", [(), ("b",), ("a", "c")])
@pytest.mark.parametrize("order", ["as_written", "reversed"])
def test_split_lines_reads_as_one_line_at_a_time(order: str, optional: tuple) -> None:
    lines = LINES if order == "as_written" else LINES[::-1]
    text = "\n".join(lines)
    rows, bad = split_lines(line_array(text)[0], ";", COLUMNS, optional=optional)
    want_rows, want_bad = reference(text_lines(text), ";", COLUMNS, optional)
    assert _plain(rows) == _plain(want_rows)
    assert _plain(bad) == _plain(want_bad)
    assert list(rows["_line"]) == sorted(rows["_line"])   # line order, odd lines merged in
    assert all(type(v) is str or (v is None and optional)
               for v in rows[COLUMNS].to_numpy().ravel())
    if optional:
        assert rows[list(optional)].isna().any().all()


def test_only_plain_lines_and_only_odd_lines() -> None:
    for lines in (["1;2;3", "4;5", "", " ;"], ['"1";2;3', "4;5\r;6"], ["6;7;8\r", "9;\r"]):
        text = "\n".join(lines)
        array, odd_possible = line_array(text)
        assert odd_possible == ('"' in text or "\r" in text.replace("\r\n", "\n")[:-1])
        rows, bad = split_lines(array, ";", COLUMNS, odd_possible=odd_possible)
        want_rows, want_bad = reference(text_lines(text), ";", COLUMNS)
        assert _plain(rows) == _plain(want_rows) and _plain(bad) == _plain(want_bad)


@pytest.mark.parametrize("text", [
    "h\na\r\nb\n", "h\r\na\r\nb\r\n", "h\ra\rb\r", "h\na\rb\r", "h\na\r", "h", "",
    "h\n\n\r\n", "h\r\r\n", "\r",
])
def test_line_array_cuts_lines_as_text_lines(text: str) -> None:
    assert line_array(text)[0].to_pylist() == text_lines(text)
