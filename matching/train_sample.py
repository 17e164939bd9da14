"""Which pairs of a training rule expectation maximisation learns from, so that training's time
and memory stop growing with the square of the region.

EM trains on the pairs one equality rule makes (`settings.TRAINING_BLOCKING_KEYS`: records
sharing a BSN, records sharing a birth date). The birth-date rule's pairs grow with the square
of the records: 1.55 million at 146,000 records (100,000 generated persons), some 200 million
at 1.7 million. EM needs far fewer: each m is a share of the match class's pairs, and its
sampling error falls with the number of pairs seen, not with the share of the region they are.

So EM sees a uniform sample of the rule's pairs: each record gets a number from a hash of the
seed and its unique id (`SAMPLE_COLUMN`, uniform in 0..MODULUS-1), and a pair is kept when the
sum of its two numbers, modulo MODULUS, is below a threshold; that sum is uniform too, so every
pair has the same chance whatever its block. Whole blocks are not sampled: a few blocks are a
third of a rule's pairs (birth dates a register fills in when unknown: 1,077 records share one
at 100,000 persons), and all-or-nothing on them would swing the estimates. The threshold makes
the expected pairs 99% of `max_pairs`; the kept pairs are then counted (a count in the database,
no table of pairs), and the threshold lowered until they are at most `max_pairs`: the bound is
exact. The hash, not the data's order, chooses: the same delivery gives the same pairs, hence
the same model. A rule whose pairs fit is used whole (the model is then the unsampled one).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from stores.duck import open_duckdb
from stores.sql import Fragment, Identifier, fill

SAMPLE_COLUMN = "em_sample_hash"
MODULUS = 1 << 20   # 2**20 divides 2**64: md5's lower 64 bits modulo it are uniform


@dataclass(frozen=True)
class RuleSample:
    """One EM rule's sample: its key columns, the pairs of the whole rule and those kept, and
    the threshold (None: every pair)."""

    keys: tuple[str, ...]
    pairs: int
    sampled_pairs: int
    threshold: int | None

    def rule_sql(self) -> str:
        """The EM rule: equal keys and, when sampled, the pair's hash below the threshold."""
        equal = " AND ".join(f"l.{Identifier(k).sql()} = r.{Identifier(k).sql()}"
                             for k in self.keys)
        return equal + (_kept(self.threshold) if self.threshold is not None else "")

    def summary(self) -> dict[str, int | float | str]:
        return {"rule": " = ".join(self.keys), "pairs": self.pairs,
                "sampled_pairs": self.sampled_pairs,
                "share": round(self.sampled_pairs / self.pairs, 6) if self.pairs else 1.0}


def _kept(threshold: int) -> str:
    column = Identifier(SAMPLE_COLUMN).sql()
    return f" AND (l.{column} + r.{column}) % {MODULUS} < {int(threshold)}"


def sample_column(records: pa.Table, seed: int) -> pa.Array:
    """Each record's number in 0..MODULUS-1, from md5 of the seed and its unique id."""
    con = open_duckdb()
    try:
        con.register("records", records.select(["unique_id"]))
        return con.sql("""SELECT CAST(md5_number_lower(concat($seed, '|', unique_id))
                                      % $modulus AS INTEGER) FROM records""",
                       params={"seed": str(seed), "modulus": MODULUS}
                       ).to_arrow_table().column(0).combine_chunks()
    finally:
        con.close()


def sample_pairs(records: pa.Table, keys: tuple[str, ...], max_pairs: int) -> RuleSample:
    """The sample of the rule `keys` for `records` (which hold `SAMPLE_COLUMN`): all its pairs
    when they are at most `max_pairs`, else a threshold whose kept pairs are at most that."""
    cols = Fragment(", ".join(Identifier(k).sql() for k in keys))
    not_null = Fragment(" AND ".join(f"{Identifier(k).sql()} IS NOT NULL" for k in keys))
    con = open_duckdb()
    try:
        con.register("records", records.select(["unique_id", *keys, SAMPLE_COLUMN]))
        pairs = int(con.sql(fill("""SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM (
            SELECT count(*) AS n FROM records WHERE {not_null} GROUP BY {cols})""",
                                 cols=cols, not_null=not_null)).fetchall()[0][0])
        if pairs <= max_pairs:
            return RuleSample(keys, pairs, pairs, None)
        equal = Fragment(" AND ".join(f"l.{Identifier(k).sql()} = r.{Identifier(k).sql()}"
                                      for k in keys))
        threshold = max(1, int(MODULUS * 0.99 * max_pairs / pairs))
        while True:
            kept = int(con.sql(fill("""SELECT count(*) FROM records l JOIN records r
                ON {equal} AND l.unique_id < r.unique_id {kept}""",
                                    equal=equal, kept=Fragment(_kept(threshold)))
                               ).fetchall()[0][0])
            if kept <= max_pairs or threshold == 1:
                return RuleSample(keys, pairs, kept, threshold)
            threshold = max(1, int(threshold * 0.99 * max_pairs / kept))
    finally:
        con.close()
