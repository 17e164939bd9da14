"""Generate the synthetic sample delivery: a thin script over the ``sample_generator`` package.

Why a script still: ``make sample``, the README and the benchmarks run
``python data/sample/generate.py --persons N --seed S --out DIR``; Python puts this file's folder
first on the import path, so the package next to it imports without installation. The
generator itself, one module per concern, is in ``data/sample/sample_generator/``.
"""

from sample_generator.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
