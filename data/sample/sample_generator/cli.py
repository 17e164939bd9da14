"""Command line: ``python -m sample_generator --persons N --seed S --out DIR``.

Why a module of its own: the argument parsing and the printed counts are the only
command-line concern; ``data/sample/generate.py`` is a thin script that calls ``main``.
"""

import argparse
import time
from pathlib import Path

from .delivery import generate


def main(argv: list[str] | None = None) -> int:
    """Command line: generate a delivery and print the counts."""
    parser = argparse.ArgumentParser(
        description="Generate a synthetic, seeded delivery of the four foto source extracts."
    )
    parser.add_argument("--persons", type=int, required=True, help="number of synthetic persons")
    parser.add_argument(
        "--seed", type=int, required=True, help="random seed (same seed, same bytes)"
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="output folder (inbox/ and truth.parquet)"
    )
    parser.add_argument("--date", default="2026-11-27", help="delivery date YYYY-MM-DD")
    parser.add_argument("--arrests", type=int, default=8, help="number of on-arrest feed files")
    parser.add_argument(
        "--defects", type=float, default=0.001, help="share of malformed rows (0 disables)"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    counts = generate(args.persons, args.seed, args.out, args.date, args.arrests, args.defects)
    for name, value in counts.items():
        print(f"{name:24s} {value:>10,d}")
    print(f"done in {time.perf_counter() - start:.1f} s -> {args.out}")
    return 0
