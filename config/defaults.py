"""Where commands look when not told: the inbox and home relative to the current folder, and the
engines a run may match on. Here, in the lowest layer, so that the command line can build its
parser without importing Dagster (`foto arrest` hands a file to the worker in well under a
second); `assets.resources` takes them from here.
"""

DEFAULT_INBOX = "data/sample/inbox"
DEFAULT_HOME = "var"
ENGINES = ("duckdb", "spark")

# The region's local time, declared once: the day an arrest is matched on, the local day a
# partner's moment falls on (retention terms count in local days), the day a kept term ends,
# what the triage point's clocks show, and when the nightly schedule fires. Every module reads it
# here: a region in another zone (the Caribbean Netherlands) changes it once.
TIMEZONE = "Europe/Amsterdam"
