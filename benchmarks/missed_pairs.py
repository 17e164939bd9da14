"""Why true pairs end up in two persons: counts per cause, for one evaluated delivery.

    python benchmarks/missed_pairs.py WORK [WORK ...] [--floor 10]

WORK is an eval work folder (`benchmarks/eval.py --keep DIR` leaves DIR/<persons>/ with
`home/` and `data/truth.parquet`). A true pair is two records of one generated person; it is
*missed* when the published `person_records` put them in two persons. Each missed pair gets one
cause, the first that applies:

- (a) **not a candidate**: no blocking rule makes it a pair (the rules' own SQL evaluated on the
  pair, `benchmarks.metrics.true_pair_table`);
- (a') **candidate, not scored**: a rule holds but the pair is not among those scored down to
  the floor: a rule refined in an oversized block left it out (`matching.blocking`), or it
  scores more than `--floor` bits below the link threshold;
- (b) **below the link threshold**: scored, match weight under the link threshold's, counted by
  how many bits under (the match weight includes the model's prior, which `model_for_size`
  scales with 1 / records: at ten times the records a pair needs log2(10) = 3.3 bits more);
- (c) **linked, then split**: scored at or above the link threshold, yet apart after
  constraints, undecided records and attachment (`persons.constraints`, `persons.attach`).

The true and false candidate pairs per band of match weight below the threshold are printed
too: what lowering the threshold by that much would link. And, for the pairs within
`--pattern-bits` (4) below the threshold whose two records sit in two found persons, the (b)
pairs against the false ones by *comparison pattern* (the level each comparison reached, by the
model's level labels) and by the two records' sources: which evidence the missed pairs have and
how often the same evidence belongs to two persons. Counts only: no record's values.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.metrics import true_pair_table  # noqa: E402
from config import Thresholds, load_config  # noqa: E402
from matching.blocking import rule_sql  # noqa: E402
from matching.explain import comparison_levels  # noqa: E402
from matching.models import current_model  # noqa: E402
from matching.predict import model_for_size, predict_and_cluster  # noqa: E402
from matching.thresholds import load_thresholds  # noqa: E402
from stores.duck import open_duckdb  # noqa: E402
from stores.sql import Fragment, Identifier, fill  # noqa: E402

# Bands of bits below the link threshold's match weight: [0, 1), [1, 2), ...
BANDS = (1, 2, 3, 4, 6, 8)
# Comparison patterns printed, those holding the most missed pairs first.
TOP_PATTERNS = 15


def log2_odds(p: float) -> float:
    return math.log2(p / (1.0 - p))


def band(bits: float | None, floor: float) -> str:
    if bits is None:
        return f">= {floor:g} or not scored"
    lower = 0
    for upper in BANDS:
        if bits < upper:
            return f"{lower}-{upper}"
        lower = upper
    return f"{lower}-{floor:g}"


def diagnose(work: Path, floor: float, pattern_bits: float = 4.0) -> dict:
    """The counts for one eval work folder (see the module's docstring)."""
    home, truth = work / "home", work / "data/truth.parquet"
    con = open_duckdb(home / "warehouse.duckdb", read_only=True)
    records = con.sql("SELECT * FROM std_persons").to_arrow_table()
    persons = con.sql("SELECT unique_id, person_id FROM person_records").to_arrow_table()
    stored = con.sql("SELECT unique_id_l, unique_id_r, decision FROM match_pairs"
                     ).to_arrow_table()
    con.close()
    config = load_config()
    thresholds = load_thresholds()
    model = model_for_size(current_model(home / "models").path, records.num_rows)
    link_weight = log2_odds(thresholds.link)
    floor_p = 1.0 / (1.0 + 2.0 ** (floor - link_weight))
    scored = predict_and_cluster(
        records, model, Thresholds(version=thresholds.version, link=thresholds.link,
                                   review=floor_p), config.matching.blocking)
    c = open_duckdb()
    true_pair_table(c, records, truth,
                    [rule_sql(r) for r in model["blocking_rules_to_generate_predictions"]])
    c.register("persons", persons)
    c.register("stored", stored)
    gammas = [name for name in scored.pairs.column_names if name.startswith("gamma_")]
    c.register("scored", scored.pairs.select(["unique_id_l", "unique_id_r", "match_weight",
                                              *gammas]))
    c.execute("""CREATE TEMP TABLE t AS
        SELECT tp.candidate, s.match_weight, st.decision,
               pl.person_id = pr.person_id AS together
        FROM tp JOIN persons pl ON pl.unique_id = tp.uid_l
        JOIN persons pr ON pr.unique_id = tp.uid_r
        LEFT JOIN scored s ON s.unique_id_l = tp.uid_l AND s.unique_id_r = tp.uid_r
        LEFT JOIN stored st ON st.unique_id_l = tp.uid_l AND st.unique_id_r = tp.uid_r""")
    true_pairs, missed = c.sql("SELECT count(*), count(*) FILTER (WHERE NOT together) FROM t"
                               ).fetchall()[0]
    causes = dict(c.execute("""
        SELECT CASE WHEN NOT candidate THEN 'a_not_candidate'
                    WHEN match_weight IS NULL THEN 'a_candidate_not_scored'
                    WHEN match_weight < $link THEN 'b_below_threshold'
                    WHEN decision = 'undecided' THEN 'c_undecided'
                    ELSE 'c_split' END AS cause, count(*)
        FROM t WHERE NOT together GROUP BY cause ORDER BY cause""",
        {"link": link_weight}).fetchall())
    below = dict(c.execute("""SELECT $link - match_weight, count(*) FROM t
        WHERE NOT together AND candidate AND match_weight < $link GROUP BY ALL""",
        {"link": link_weight}).fetchall())
    missed_bands: dict[str, int] = {}
    for bits, n in below.items():
        missed_bands[band(bits, floor)] = missed_bands.get(band(bits, floor), 0) + n
    # every scored candidate pair under the threshold, true or not: what a lower threshold adds
    k = c.sql("SELECT unique_id, person_key FROM k")
    c.register("kk", k.to_arrow_table())
    pairs_below = c.execute("""
        SELECT $link - s.match_weight AS bits, a.person_key = b.person_key AS same
        FROM scored s JOIN kk a ON a.unique_id = s.unique_id_l
        JOIN kk b ON b.unique_id = s.unique_id_r
        WHERE s.match_weight < $link""", {"link": link_weight}).fetchall()
    trade: dict[str, list[int]] = {}
    for bits, same in pairs_below:
        row = trade.setdefault(band(bits, floor), [0, 0])
        row[0 if same else 1] += 1
    patterns, sources = _patterns(c, model, gammas, records, link_weight, pattern_bits)
    c.close()
    prior = model["probability_two_random_records_match"]
    return {"work": str(work), "records": records.num_rows, "true_pairs": true_pairs,
            "missed_pairs": missed, "causes": causes, "missed_below_threshold_bits": missed_bands,
            "scored_below_threshold_true_false": trade,
            "prior_log2_odds": log2_odds(prior), "link_weight": link_weight,
            "refined_rules": len(scored.caps), "pattern_bits": pattern_bits,
            "apart_below_by_pattern_true_false": patterns,
            "apart_below_by_sources_true_false": sources}


def _patterns(c: Any, model: dict, gammas: list[str], records: Any, link_weight: float,
              bits: float) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Pairs scored within `bits` below the threshold whose records sit in two found persons
    (`persons` in `c`), true and false, by comparison pattern and by source pair."""
    labels = comparison_levels(model)
    names = {(r.comparison, int(r.gamma)): r.label for r in labels.itertuples()}
    c.register("srcs", records.select(["unique_id", "source"]))
    rows = c.execute(fill("""
        SELECT {gammas}, least(sl.source, sr.source) || '-' || greatest(sl.source, sr.source),
               a.person_key = b.person_key
        FROM scored s JOIN kk a ON a.unique_id = s.unique_id_l
        JOIN kk b ON b.unique_id = s.unique_id_r
        JOIN persons pl ON pl.unique_id = s.unique_id_l
        JOIN persons pr ON pr.unique_id = s.unique_id_r
        JOIN srcs sl ON sl.unique_id = s.unique_id_l
        JOIN srcs sr ON sr.unique_id = s.unique_id_r
        WHERE s.match_weight < $link AND s.match_weight >= $link - $bits
          AND pl.person_id <> pr.person_id""",
        gammas=Fragment(", ".join(Identifier(g).sql() for g in gammas))),
        {"link": link_weight, "bits": bits}).fetchall()
    patterns: dict[str, list[int]] = {}
    sources: dict[str, list[int]] = {}
    for *levels, pair_sources, same in rows:
        shown = [f"{g[len('gamma_'):]}: {names[(g[len('gamma_'):], level)]}"
                 for g, level in zip(gammas, levels, strict=True) if level != -1]
        for key, table in ((", ".join(shown) or "all missing", patterns),
                           (pair_sources, sources)):
            table.setdefault(key, [0, 0])[0 if same else 1] += 1
    return patterns, sources


def report(d: dict) -> None:
    print(f"\n{d['work']}: {d['records']} records, {d['true_pairs']} true pairs, "
          f"{d['missed_pairs']} missed (recall {1 - d['missed_pairs'] / d['true_pairs']:.4f}); "
          f"prior {d['prior_log2_odds']:.2f} bits, link threshold {d['link_weight']:.2f} bits; "
          f"rules refined in oversized blocks: {d['refined_rules']}")
    for cause, n in d["causes"].items():
        print(f"  {cause:24}{n:>8}")
    print("  missed pairs below the threshold, by bits below: "
          + ", ".join(f"{b}: {n}" for b, n in sorted(d["missed_below_threshold_bits"].items(),
                                                       key=lambda x: float(x[0].split('-')[0]))))
    print("  all scored pairs below the threshold (true / false), by bits below: "
          + ", ".join(f"{b}: {t}/{f}" for b, (t, f) in sorted(
              d["scored_below_threshold_true_false"].items(),
              key=lambda x: float(x[0].split('-')[0]))))
    print(f"  pairs 0-{d['pattern_bits']:g} bits below the threshold, records in two found "
          "persons (true / false), by the level each comparison reached (missing ones left out):")
    for name, (t, f) in sorted(d["apart_below_by_pattern_true_false"].items(),
                               key=lambda x: -x[1][0])[:TOP_PATTERNS]:
        print(f"    {t:>7} / {f:<7} {name}")
    print("  the same pairs by the two records' sources: " + ", ".join(
        f"{name} {t}/{f}" for name, (t, f) in sorted(
            d["apart_below_by_sources_true_false"].items(), key=lambda x: -x[1][0])))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("work", type=Path, nargs="+", help="eval work folders (<keep>/<persons>)")
    p.add_argument("--floor", type=float, default=10.0,
                   help="score candidate pairs down to this many bits below the link threshold")
    p.add_argument("--pattern-bits", type=float, default=4.0,
                   help="count pairs this many bits below the threshold by comparison pattern")
    p.add_argument("--json", type=Path, help="also write the counts here")
    args = p.parse_args()
    results = []
    for work in args.work:
        d = diagnose(work, args.floor, args.pattern_bits)
        report(d)
        results.append(d)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
