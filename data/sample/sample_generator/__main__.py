"""``python -m sample_generator``: the command line of ``cli``."""

from .cli import main

raise SystemExit(main())
