"""Keeping candidate pairs linear when a delivery repeats itself or a key is very common.

Splink compares every pair of records that share a blocking key, so a block of n records costs
n² / 2 comparisons, per rule. Two kinds of block grow that way:

- **Exact duplicates.** A careless or hostile export repeats one person's row under new record
  ids (2,000 copies of one suspect took a 10,000-person run from 17 s to over three minutes:
  `benchmarks/bench_hostile.py`). Records whose compared fields are all equal form the same
  pair with any other record, and any two of them form the same pair. Only two of them go into
  prediction (the representative, the lowest unique id, and a stand-in, the next); every
  further copy gets the stand-in's pairs and, when the stand-in is linked to anyone, its
  cluster. The persons are exactly those of the full comparison, with pairs growing with the
  copies, not their square; term frequencies are still counted over every record, so scores
  do not change either.
- **A very common key among distinct records** (a clerk's default birth date, a placeholder
  name, a shelter's address used as everyone's postal address, one person under hundreds of
  addresses). A key value whose block in a rule would take more comparisons than the cap
  (configuration: `matching.blocking.max_block_comparisons`) is refined: the rule compares
  each of its records only with its neighbours when the block is sorted by the compared fields
  (records of one person lie together and link one to the next, so such a person stays one
  person); a rule that joins two different keys skips the block, and other rules still pair
  its records where they share more. On generated
  deliveries of 10,000 and 100,000 persons no block comes near the cap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from stores.sql import Fragment, Identifier, fill

# The most comparisons one rule may spend on one key value: a block of 1,000 records. No person
# has that many records in a region, so such a block cannot be mostly one person. Measured on
# generated deliveries (seed 7): the largest block of any rule holds 40 records at 10,000
# persons and 135 at 100,000 (a birth date shared by many, 18,225 comparisons); blocks grow
# with the region, so at 1,000,000 persons the few largest may pass the cap and be refined.
# What refining costs was measured with a far lower cap (100 at 10,000 persons: 7% of the
# records in refined blocks): recall unchanged, precision 0.99920 -> 0.99925. 2,000 copies of
# one row at 2,000 addresses (4 million comparisons in each rule it shares) took a 10,000-person
# run from 17 s to 173 s uncapped. The cap and the neighbour window are configuration
# (`matching.blocking` in config/foto.json: 1,000,000 and 10).

# Model columns that are not evidence: a record is a duplicate of another whatever its id or
# source says.
NOT_IDENTITY = ("unique_id", "source")


def _quote(column: str) -> str:
    """A column name checked and quoted (`stores.sql.Identifier`), for lists built in code."""
    return Identifier(column).sql()


def identity_groups(con: duckdb.DuckDBPyConnection, table: str,
                    columns: list[str]) -> pa.Table:
    """Records of `table` whose `columns` other than id and source all equal another's.

    Columns: unique_id, representative (lowest unique id of the group), stand_in (the next),
    rank (1 for the representative), identity_rows (records in the group). Records without a
    duplicate are left out. NULLs count as equal: two records both without a birth date are
    duplicates when the rest agrees."""
    identity = ", ".join(_quote(c) for c in columns if c not in NOT_IDENTITY)
    if not identity:   # nothing to compare on: no record is a copy of another
        return con.sql(fill("""SELECT unique_id, unique_id AS representative, unique_id AS stand_in,
                                 1::BIGINT AS rank, 1::BIGINT AS identity_rows
                          FROM {table} WHERE false""", table=Identifier(table))).to_arrow_table()
    return con.sql(fill("""
        WITH grp AS (
            SELECT list(unique_id ORDER BY unique_id) AS ids FROM {table}
            GROUP BY {identity} HAVING count(*) > 1)
        SELECT u.unique_id, ids[1] AS representative, ids[2] AS stand_in, u.rank,
               len(ids) AS identity_rows
        FROM grp, unnest(ids) WITH ORDINALITY AS u(unique_id, rank)
        ORDER BY unique_id""", table=Identifier(table), identity=Fragment(identity))
    ).to_arrow_table()


def copies_pairs(con: duckdb.DuckDBPyConnection, pairs: str, copies: str) -> pa.Table:
    """The pairs of every copy (`copies`: unique_id, stand_in): the stand-in's pairs in
    `pairs`, with the copy in the stand-in's place.

    Pairs are kept with unique_id_l < unique_id_r, so a copy may land on the other side than
    its stand-in; then every `<x>_l` column trades its value with `<x>_r`."""
    columns = [r[0] for r in con.sql(fill("DESCRIBE {pairs}", pairs=Identifier(pairs))).fetchall()]
    sides = {c[:-2] for c in columns if c.endswith("_l") and c[:-2] + "_r" in columns}
    swap = "((c.unique_id < o.other) <> o.stand_in_left)"
    select = []
    for col in columns:
        base, side = col[:-2], col[-2:]
        if col == "unique_id_l":
            select.append("least(c.unique_id, o.other) AS unique_id_l")
        elif col == "unique_id_r":
            select.append("greatest(c.unique_id, o.other) AS unique_id_r")
        elif base in sides:
            mirror = base + ("_r" if side == "_l" else "_l")
            select.append(fill("CASE WHEN {swap} THEN o.{mirror} ELSE o.{col} END AS {col}",
                               swap=Fragment(swap), mirror=Identifier(mirror),
                               col=Identifier(col)))
        else:
            select.append(fill("o.{col}", col=Identifier(col)))
    return con.sql(fill("""
        WITH o AS (
            SELECT p.*, p.unique_id_l AS stand, p.unique_id_r AS other, TRUE AS stand_in_left
            FROM {pairs} p WHERE p.unique_id_l IN (SELECT stand_in FROM {copies})
            UNION ALL
            SELECT p.*, p.unique_id_r, p.unique_id_l, FALSE
            FROM {pairs} p WHERE p.unique_id_r IN (SELECT stand_in FROM {copies}))
        SELECT {select}
        FROM o JOIN {copies} c ON c.stand_in = o.stand""", pairs=Identifier(pairs),
        copies=Identifier(copies), select=Fragment(", ".join(select)))).to_arrow_table()


# ---- oversized blocks of distinct records ---------------------------------------------------

_EQUALITY = re.compile(r'^l\."?(\w+)"?\s*=\s*r\."?(\w+)"?$')


def _conjuncts(sql: str) -> list[str]:
    """The parts of `sql` joined by AND at the top level, outer parentheses removed."""
    parts, depth, start, upper = [], 0, 0, sql.upper()
    i = 0
    while i < len(sql):
        ch = sql[i]
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and upper.startswith(" AND ", i):
            parts.append(sql[start:i])
            start = i + 5
            i += 5
            continue
        i += 1
    parts.append(sql[start:])
    out = []
    for part in (p.strip() for p in parts):
        while part.startswith("(") and part.endswith(")") and _balanced(part[1:-1]):
            part = part[1:-1].strip()
        out.append(part)
    return out


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if depth < 0:
            return False
    return depth == 0


def rule_keys(rule_sql: str) -> tuple[list[str], list[str]]:
    """The columns a blocking rule joins on, left side and right side (`l.a = r.b AND ...`):
    the pairs it makes are at most those of records sharing these values. Conditions that are
    not such equalities (an OR, an inequality) only narrow the block and are ignored."""
    left, right = [], []
    for part in _conjuncts(rule_sql):
        match = _EQUALITY.match(part)
        if match:
            left.append(match.group(1))
            right.append(match.group(2))
    return left, right


@dataclass
class Cap:
    """A rule that refines its oversized key values: the column that marks their records (a
    position in the sorted block, NULL elsewhere), how many key values and records, and
    whether the rule compares neighbours in the block (True) or skips the block (False)."""

    rule: int
    column: str
    key_values: int
    records: int
    neighbours: bool


# Order of the records within an oversized block, for comparing neighbours: the fields the
# model compares, most telling first, so that records of one person lie together.
NEIGHBOUR_ORDER = ("bsn", "surname", "first_name", "dob", "postcode", "huisnummer",
                   "given_names", "sex", "unique_id")


def oversized_blocks(con: duckdb.DuckDBPyConnection, table: str, rules: list[str],
                     max_comparisons: int) -> list[Cap]:
    """Mark the key values whose block in a rule exceeds `max_comparisons` (records with that
    left key times records with that right key).

    A rule joining a key with itself (`l.a = r.a AND l.b = r.b`) then compares each record of
    such a block with its neighbours (`capped_model`'s window) on either side in `NEIGHBOUR_ORDER`
    (a sorted neighbourhood: the records of one person lie together and link one to the next,
    so a person of many records stays one person). A rule joining two different keys has no
    common order for its two sides and skips the block. Adds a column `_block_<i>` to `table`
    per refined rule: the record's position in its oversized block, NULL elsewhere."""
    caps = []
    for i, rule in enumerate(rules):
        left, right = rule_keys(rule)
        if not left:
            continue
        big = _big_key_values(con, table, left, right, max_comparisons)
        if not big:
            continue
        column = f"_block_{i}"
        order = ", ".join(f"{_quote(c)} NULLS LAST" for c in NEIGHBOUR_ORDER)
        match = " AND ".join(f"t.{_quote(c)} = _big.k{j}" for j, c in enumerate(left))
        con.execute(fill("ALTER TABLE {table} ADD COLUMN {column} BIGINT DEFAULT NULL",
                         table=Identifier(table), column=Identifier(column)))
        con.execute(fill("""
            UPDATE {table} SET {column} = p.pos FROM (
                SELECT t.unique_id, row_number() OVER (PARTITION BY {keys} ORDER BY {order}) AS pos
                FROM {table} t JOIN _big ON {match}) p
            WHERE {table}.unique_id = p.unique_id""", table=Identifier(table),
            column=Identifier(column), order=Fragment(order), match=Fragment(match),
            keys=Fragment(", ".join("t." + _quote(c) for c in left))))
        values, records = big
        caps.append(Cap(i, column, values, records, neighbours=left == right))
        con.execute("DROP TABLE _big")
    return caps


def _big_key_values(con: duckdb.DuckDBPyConnection, table: str, left: list[str],
                    right: list[str], max_comparisons: int) -> tuple[int, int] | None:
    """Store the oversized left key values in temp table `_big` (k0, k1, ..., n); returns
    (key values, records) or None when there are none."""
    lk = ", ".join(f"{_quote(c)} AS k{j}" for j, c in enumerate(left))
    rk = ", ".join(f"{_quote(c)} AS k{j}" for j, c in enumerate(right))
    lnn = " AND ".join(f"{_quote(c)} IS NOT NULL" for c in left)
    rnn = " AND ".join(f"{_quote(c)} IS NOT NULL" for c in right)
    on = " AND ".join(f"a.k{j} = b.k{j}" for j in range(len(left)))
    con.execute(fill("""
        CREATE OR REPLACE TEMP TABLE _big AS
        WITH a AS (SELECT {lk}, count(*) AS n FROM {table} WHERE {lnn} GROUP BY ALL),
             b AS (SELECT {rk}, count(*) AS n FROM {table} WHERE {rnn} GROUP BY ALL)
        SELECT a.* FROM a JOIN b ON {on} WHERE a.n * b.n > $max""", table=Identifier(table),
        lk=Fragment(lk), rk=Fragment(rk), lnn=Fragment(lnn), rnn=Fragment(rnn), on=Fragment(on)),
        {"max": int(max_comparisons)})
    values, records = con.sql("SELECT count(*), coalesce(sum(n), 0) FROM _big").fetchall()[0]
    if not values:
        con.execute("DROP TABLE _big")
        return None
    return int(values), int(records)


def capped_model(model: dict[str, Any], caps: list[Cap], window: int) -> dict[str, Any]:
    """`model` whose refined rules compare only neighbours in (or skip) oversized blocks: each
    record with the `window` records on either side of it."""
    if not caps:
        return model
    rules = [dict(r) if isinstance(r, dict) else {"blocking_rule": r, "sql_dialect": "duckdb"}
             for r in model["blocking_rules_to_generate_predictions"]]
    for cap in caps:
        col = cap.column
        guard = (f"(l.{col} IS NULL OR abs(l.{col} - r.{col}) <= {int(window)})"
                 if cap.neighbours else f"l.{col} IS NULL")
        rules[cap.rule]["blocking_rule"] = f"({rules[cap.rule]['blocking_rule']}) AND {guard}"
    return model | {"blocking_rules_to_generate_predictions": rules}


def rule_sql(rule: Any) -> str:
    """The SQL of a blocking rule as a saved model or `settings` holds it."""
    if isinstance(rule, dict):
        return rule["blocking_rule"]
    if isinstance(rule, str):
        return rule
    return rule.get_blocking_rule("duckdb").blocking_rule_sql
