"""What `foto judge` accepts: two record keys, a decision, who and why, one by one or as a CSV
file. Everything is checked before anything is stored, and a refusal names the line and the
field, never the value: a key, a name or a reason may be personal, and the message goes to a
terminal and to logs.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from judgements.store import DECISIONS, RecordKey, ordered
from sources.registry import NAME

CSV_COLUMNS = ("left", "right", "decision", "by", "reason")

# A record id as the partners write them: letters, digits and `._-` (`sources.arrests.SAFE_ID`)
# and `/`, which the justice extract's parketnummers hold (`10/472038-24`). A key is a value
# here (a bound parameter, never a path or SQL text), so the slash is harmless; `..` is still
# refused, and the first character is a letter or digit.
RECORD_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")


class JudgementRefused(ValueError):
    """Input `foto judge` will not store; the message holds names of fields and lines only."""

    safe_message = True


@dataclass(frozen=True)
class Request:
    """A checked judgement request, its pair ordered; `line` is its line in a file (None: the
    command line), so that a later refusal (an unknown record) can say where."""

    left: RecordKey
    right: RecordKey
    decision: str
    judged_by: str
    reason: str
    line: int | None = None

    def where(self, side: str) -> str:
        """`line 3, field left` or `left key`, for a message about one of the two records."""
        return where(side, self.line)


# How a message names a field given on the command line.
_OPTION = {"left": "left key", "right": "right key", "decision": "decision", "by": "--by",
           "reason": "--reason"}


def where(field: str, line: int | None) -> str:
    """Where a problem is: `line 3, field by` in a file, `--by` on the command line."""
    return f"line {line}, field {field}" if line is not None else _OPTION[field]


def parse_key(text: str, sources: Collection[str], place: str) -> RecordKey:
    """`SOURCE:RECORD_ID` with SOURCE a registered source and RECORD_ID a plain id (letters,
    digits, `._-/`, `RECORD_ID`)."""
    source, colon, record_id = (text or "").strip().partition(":")
    if not colon or not NAME.fullmatch(source) or not RECORD_ID.fullmatch(record_id) \
            or ".." in record_id:
        raise JudgementRefused(f"{place}: malformed key (expected SOURCE:RECORD_ID, e.g. "
                               "police:PL-2026001234-01)")
    if source not in sources:
        raise JudgementRefused(f"{place}: unknown source (registered: "
                               f"{', '.join(sorted(sources))})")
    return RecordKey(source, record_id)


def make_request(left: str, right: str, decision: str, judged_by: str, reason: str,
                 sources: Collection[str], line: int | None = None) -> Request:
    """One request from its five parts, checked; refused with the first problem found."""
    a = parse_key(left, sources, where("left", line))
    b = parse_key(right, sources, where("right", line))
    if a == b:
        raise JudgementRefused(f"{where('right', line)}: the same record as left (a record "
                               "is not judged against itself)")
    decision = (decision or "").strip()
    if decision not in DECISIONS:
        raise JudgementRefused(f"{where('decision', line)}: must be one of "
                               f"{', '.join(DECISIONS)}")
    judged_by, reason = (judged_by or "").strip(), (reason or "").strip()
    if not judged_by:
        raise JudgementRefused(f"{where('by', line)}: empty (say who decides)")
    if not reason:
        raise JudgementRefused(f"{where('reason', line)}: empty (give the reason or a case "
                               "reference)")
    left_key, right_key = ordered(a, b)
    return Request(left_key, right_key, decision, judged_by, reason, line)


def read_file(path: Path, sources: Collection[str]) -> list[Request]:
    """Every line of a judgements CSV (header `left,right,decision,by,reason`), checked; one
    bad line refuses the whole file."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or tuple(h.strip() for h in header) != CSV_COLUMNS:
                raise JudgementRefused(f"{path.name}: line 1 must be the header "
                                       f"{','.join(CSV_COLUMNS)}")
            requests = []
            for row in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(CSV_COLUMNS):
                    raise JudgementRefused(f"{path.name}: line {line}: {len(row)} fields, "
                                           f"expected {len(CSV_COLUMNS)}")
                requests.append(make_request(*row, sources=sources, line=line))
    except FileNotFoundError:
        raise JudgementRefused(f"no such file {path.name}") from None
    except UnicodeDecodeError:
        raise JudgementRefused(f"{path.name}: not UTF-8 text") from None
    except csv.Error:
        raise JudgementRefused(f"{path.name}: not a readable CSV file") from None
    if not requests:
        raise JudgementRefused(f"{path.name}: holds no judgements")
    return requests
