"""Date arithmetic and the date formats the partner systems write.

Why: the sources disagree on dates (``dd-mm-jjjj``, ``jjjjmmdd``, ISO dates, ISO datetimes with
the Europe/Amsterdam offset); all of them are computed here on integer day numbers, vectorised,
so no source module formats a date by hand.
"""

import numpy as np
import pandas as pd

from .draws import zfill

YEAR = 365.2425


def to_days(date: str) -> int:
    """ISO date string to days since 1970-01-01."""
    return int(np.datetime64(date, "D").astype(np.int64))


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Days since epoch to (year, month, day) integer arrays."""
    dt = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    months = dt.astype("datetime64[M]")
    y = months.astype("datetime64[Y]").astype(np.int64) + 1970
    m = months.astype(np.int64) % 12 + 1
    d = (dt - months.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, d


def from_ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """(year, month, day) arrays to days since epoch (the date must exist)."""
    months = (np.asarray(y, dtype=np.int64) - 1970) * 12 + np.asarray(m, dtype=np.int64) - 1
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return first + np.asarray(d, dtype=np.int64) - 1


def is_leap(y: np.ndarray) -> np.ndarray:
    """Gregorian leap years."""
    return ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)


def fmt_dmy(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """dd-mm-jjjj strings."""
    s = pd.Series(zfill(d * 1_000_000 + m * 10_000 + y, 8), dtype=str)
    return (s.str[0:2] + "-" + s.str[2:4] + "-" + s.str[4:8]).to_numpy(dtype=object)


def fmt_compact(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """jjjjmmdd strings."""
    return zfill(y * 10_000 + m * 100 + d, 8)


def fmt_iso(days: np.ndarray) -> np.ndarray:
    """jjjj-mm-dd strings."""
    y, m, d = ymd(days)
    s = pd.Series(fmt_compact(y, m, d), dtype=str)
    return (s.str[0:4] + "-" + s.str[4:6] + "-" + s.str[6:8]).to_numpy(dtype=object)


def amsterdam_offset(days: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """'+01:00' or '+02:00' for a local date and minute of day in Europe/Amsterdam."""
    y, _, _ = ymd(days)

    def last_sunday(month: int) -> np.ndarray:
        last = from_ymd(y, np.full_like(y, month), np.full_like(y, 31))
        return last - ((last + 3) % 7 - 6) % 7  # 1970-01-01 was a Thursday (Monday = 0)

    start, end = last_sunday(3), last_sunday(10)
    summer = (days > start) & (days < end)
    summer |= (days == start) & (minutes >= 180)
    summer |= (days == end) & (minutes < 180)
    return np.where(summer, "+02:00", "+01:00").astype(object)


def fmt_datetime(days: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """ISO datetimes with the Europe/Amsterdam offset, e.g. 2026-03-14T09:12:00+01:00."""
    hhmm = pd.Series(zfill((minutes // 60) * 100 + minutes % 60, 4), dtype=str)
    clock = (hhmm.str[0:2] + ":" + hhmm.str[2:4] + ":00").to_numpy(dtype=object)
    return fmt_iso(days) + "T" + clock + amsterdam_offset(days, minutes)
