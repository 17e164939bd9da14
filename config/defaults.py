"""Where commands look when not told: the inbox and home relative to the current folder, and the
engines a run may match on. Here, in the lowest layer, so that the command line can build its
parser without importing Dagster (`foto arrest` hands a file to the worker in well under a
second); `assets.resources` takes them from here.
"""

DEFAULT_INBOX = "data/sample/inbox"
DEFAULT_HOME = "var"
ENGINES = ("duckdb", "spark")
