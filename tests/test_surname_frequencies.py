"""The generator's surnames keep Dutch frequencies, measured as blocking sees them.

Why: blocking pairs the records that share a surname key, so the cost of matching and how it
grows with the region follow from how many persons the commonest keys hold. In the Netherlands
the ten commonest surnames hold about 4% of the population (De Jong 0.53%, Jansen 0.45%, ...)
and the number of distinct surnames keeps growing with the population (about 300,000). A
generator that drifts back to a few dozen heavy names (the one before issue 18 gave its ten
commonest keys 15% of the persons, over fewer than 900 keys) would again measure growth on
blocks that no region has. The key is the pipeline's own: the municipal extract's query
(`standardise.rules.std_sql`) on the rendered BRP rows, so a change to the standardisation of
surnames is measured too.

The bounds: the generator gives Dutch-origin persons the national shares divided by the
national share of Dutch origin (0.75), and the region is 62% of Dutch origin, so its ten
commonest keys hold about 3.3% of its residents (about 4.1% of a population of national make-up;
Jansen and Janssen, De Bruijn and De Bruin share keys). Below 2.5% the head would be too light;
above 6% blocks would again be heavier than a region's.
"""

from __future__ import annotations

import duckdb
import pytest
from sample_generator.dates import to_days
from sample_generator.population import build_population
from sample_generator.sources.municipal import render_brp

from standardise.rules import install_macros, std_sql


def surname_keys(persons: int, seed: int) -> list[tuple[str | None, int]]:
    """(surname key, residents) of a generated population's BRP, commonest first."""
    pop, _, addrs = build_population(seed, persons, 1, to_days("2026-11-27"))
    brp = render_brp(pop, addrs).drop(columns=["_person"], errors="ignore")
    con = duckdb.connect()
    install_macros(con)
    con.register("brp", brp)
    con.execute("CREATE TABLE raw_municipal AS SELECT * REPLACE "
                "(strptime(datum_inschrijving, '%Y%m%d')::DATE AS datum_inschrijving) FROM brp")
    return con.sql(f"SELECT surname_key, count(*) AS n FROM ({std_sql('municipal')}) "
                   "GROUP BY surname_key ORDER BY n DESC, surname_key").fetchall()


@pytest.fixture(scope="module")
def keys_60k() -> list[tuple[str | None, int]]:
    return surname_keys(60_000, 7)


def test_the_ten_commonest_surname_keys_hold_a_dutch_share(keys_60k) -> None:
    people = sum(n for _, n in keys_60k)
    top = sum(n for _, n in keys_60k[:10])
    assert None not in {k for k, _ in keys_60k[:10]}
    assert 0.025 <= top / people <= 0.06, (top, people)
    # no single key near the old generator's 3% (Jansen and Janssen share a key, as do De Bruijn
    # and De Bruin: real data gives the commonest key about 0.8%)
    assert keys_60k[0][1] / people < 0.012


def test_distinct_surname_keys_grow_with_the_population(keys_60k) -> None:
    small = surname_keys(15_000, 7)
    assert len(keys_60k) >= 1.6 * len(small), (len(small), len(keys_60k))
    # a long tail: most keys are rare, as in a real register
    assert len(keys_60k) >= 10_000
