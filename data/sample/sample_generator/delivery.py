"""One full delivery: the population, the four extracts, the arrest feed, defects and truth.

Why: this is the generator's single entry point for code (``generate``); it fixes the order of
the stages, so the same seed gives byte-identical files.
"""

from pathlib import Path

from .aged import age_care, age_justice, age_police
from .arrests import build_arrests, write_arrests
from .dates import to_days
from .defects import brp_defects, care_defects, police_defects
from .draws import obj, stage_rng
from .population import build_population
from .sources.care import build_care, render_care, write_care
from .sources.justice import build_justice, write_justice
from .sources.municipal import render_brp, write_municipal
from .sources.police import build_police, render_police, write_police
from .truth import write_truth


def generate(
    persons: int,
    seed: int,
    out: Path,
    date: str = "2026-11-27",
    arrests: int = 8,
    defects: float = 0.001,
) -> dict:
    """Generate a full synthetic delivery under ``out``; return the number of records per file."""
    if persons < 50:
        raise ValueError("--persons must be at least 50")
    out = Path(out)
    ref = to_days(date)
    ghosts = max(1, int(round(arrests * 0.125))) if arrests > 0 else 0
    pop, hhs, addrs = build_population(seed, persons, ghosts, ref)

    rows = build_police(seed, pop, hhs, ref, int(round(0.35 * persons)))
    police = render_police(seed, pop, addrs, rows)
    justice = build_justice(seed, pop, rows, ref, int(round(0.10 * persons)))
    reports, people = build_care(seed, pop, hhs, addrs, rows, ref, int(round(0.05 * persons)))
    lines, people, melding = render_care(seed, pop, addrs, reports, people)
    brp = render_brp(pop, addrs)
    arrest_objs, arrest_persons = build_arrests(
        seed, pop, addrs, rows, brp["_person"].to_numpy(), ref, arrests
    )

    rng = stage_rng(seed, "defects")
    police_defects(rng, police, defects)
    care_defects(rng, lines, people, defects)
    brp_defects(rng, brp, defects)

    # records past their retention term, drawn last so that the rest stays as it was
    rng = stage_rng(seed, "aged")
    police = age_police(rng, police, ref)
    justice = age_justice(rng, justice, ref)
    aged_lines, people = age_care(rng, lines, people, ref)

    inbox = out / "inbox" / date
    inbox.mkdir(parents=True, exist_ok=True)
    write_police(police, inbox / "police_persons.csv")
    write_justice(justice, inbox / "justice_cases.parquet")
    write_care(lines, melding, inbox / "care_reports.jsonl", aged_lines)
    write_municipal(brp, inbox / "municipal_brp.csv")
    write_arrests(out / "inbox" / "arrests", arrest_objs)
    truth_rows = write_truth(
        out / "truth.parquet",
        [
            ("police", police["record_id"].to_numpy(dtype=object), police["_person"].to_numpy()),
            ("police", obj([o["record_id"] for o in arrest_objs]), arrest_persons),
            ("justice", justice["record_id"].to_numpy(dtype=object), justice["_person"].to_numpy()),
            ("care", people["betrokkene_id"].to_numpy(dtype=object), people["person"].to_numpy()),
            ("municipal", brp["record_id"].to_numpy(dtype=object), brp["_person"].to_numpy()),
        ],
        pop.key,
    )
    return {
        "police_persons.csv": len(police),
        "justice_cases.parquet": len(justice),
        "care_reports.jsonl": len(lines) + len(aged_lines),
        "care_betrokkenen": len(people),
        "municipal_brp.csv": len(brp),
        "arrests": len(arrest_objs),
        "truth.parquet": truth_rows,
    }
