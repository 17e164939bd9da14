"""``truth.parquet``: which synthetic person is behind every source record.

Why: evaluation (tests and benchmarks) scores matching against it. The pipeline never reads
it; it is written next to the inbox, not inside it.
"""

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .draws import obj

TRUTH_SCHEMA = pa.schema(
    [("source", pa.string()), ("record_id", pa.string()), ("person_key", pa.string())]
)


def write_truth(
    path: Path, parts: list[tuple[str, np.ndarray, np.ndarray]], keys: np.ndarray
) -> int:
    """truth.parquet with one row per written person record."""
    source = np.concatenate([obj(src, ids.size) for src, ids, _ in parts])
    record = np.concatenate([np.asarray(ids, dtype=object) for _, ids, _ in parts])
    person = np.concatenate([keys[np.asarray(p, dtype=np.int64)] for _, _, p in parts])
    table = pa.Table.from_arrays(
        [
            pa.array(source, pa.string()),
            pa.array(record, pa.string()),
            pa.array(person, pa.string()),
        ],
        schema=TRUTH_SCHEMA,
    )
    pq.write_table(table, path)
    return table.num_rows
