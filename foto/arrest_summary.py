"""What `foto arrest` prints about one arrest, whoever ran it: the `on_arrest` job in this
process (`foto.summary.print_arrest_summary`) or the home's worker (`foto worker`), so that
an operator reads the same lines either way. Light on imports: the hand-off to a worker must
not wait for Dagster to load."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from publish.arrests import REFUSED


def print_arrest(console: Console, d: dict[str, Any], failure: str = "") -> int | None:
    """The arrest's lines from its details (`ArrestOutcome.details`: ids, counts, seconds);
    its exit status, or None when the run itself failed (the caller tells how)."""
    status = d.get("status")
    if failure:
        console.print(f"arrest {d.get('arrest_id', '')}: {failure}")
    if status in ("published", "already_published"):
        known = "new person" if d.get("new_person") else "known person"
        console.print(f"arrest {d['arrest_id']}: {status.replace('_', ' ')} on {known} "
                      f"{d['person_id']} ({d.get('candidates', 0)} candidates, model "
                      f"{d.get('model_version')}); its sheet is served by `foto serve`")
        times = ", ".join(f"{k[8:]} {v:.2f}s" for k, v in d.items() if k.startswith("seconds_"))
        if times:
            console.print(f"time: {times}")
        return 0
    if status == "blocked":
        console.print(f"arrest {d.get('arrest_id')}: the sheet's check failed; nothing "
                      "published")
        return 1
    if status in REFUSED:
        return 1
    return None
