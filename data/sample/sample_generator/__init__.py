"""Generate a synthetic, seeded delivery of the four foto source extracts.

Why: the pipeline (matching, profiling, publication) must be developed, tested, trained and
evaluated without a single real person in the repository. This module builds a synthetic Dutch
population for the Rotterdam region and writes it out the way the partner systems deliver it,
in exactly the formats of ``shared/contracts/SOURCES.md``, together with ``truth.parquet``:
which synthetic person is behind every source record.

What it writes (``--out DIR``):

- ``DIR/inbox/<date>/police_persons.csv``     ; separated, cp1252, dd-mm-jjjj dates
- ``DIR/inbox/<date>/justice_cases.parquet``  typed parquet (string, date32, bool)
- ``DIR/inbox/<date>/care_reports.jsonl``     UTF-8 JSON Lines with nested betrokkenen
- ``DIR/inbox/<date>/municipal_brp.csv``      , separated, UTF-8, jjjjmmdd dates
- ``DIR/inbox/arrests/<arrest_id>.json``      on-arrest feed (old ``AH-*.json`` there are replaced)
- ``DIR/truth.parquet``                       source, record_id, person_key for every record

The population has households (couples, children, singles, single parents), heavy-tailed Dutch,
Turkish, Moroccan, Surinamese, Polish and other names (surnames at the region's frequencies),
valid unique BSNs and A-nummers, and the hard cases every sample must contain: twins, father
and son with the same name at one address, and different persons with very common names and
close birth dates. The sources add the noise real partner systems have: tussenvoegsels inside
surnames, initials, married names, typos, transliterations, dropped diacritics, stale
addresses, malformed or invalid BSNs, swapped or mistyped birth dates. With ``--defects`` > 0
a few malformed rows are injected so that the pipeline's quarantine is exercised (each defect
kind at least once):

- police: impossible geboortedatum (``31-02-1985``), impossible registratie_datum
  (``31-04-2025``), a J/N flag that is not J/N, an unknown rol;
- care: a line that is not valid JSON, a betrokkene with an unknown rol (never a melder);
- municipal: a non-numeric geboortedatum, an impossible geboortedatum (``19850231``).

Defective records still get their truth rows. Everything is vectorised with numpy/pandas; only
small subsets (typos, per-report JSON joins, distinct names) go through Python loops, so one
million persons take about 25 s and 1.6 GB. The same seed gives byte-identical files.

The package, one module per concern, in the order the data is made (each only imports those
above it)::

    draws, dates          seeded drawing helpers, date arithmetic and formats
    names, places         reference data and draws: names, towns, streets, birthplaces
    surnames              surnames at the region's frequencies: real head, synthetic tail
    households            household types, sizes and ages
    population            the persons model (ground truth), hard cases included
    noise                 how partner systems distort names, BSNs and dates
    sources/              one module per extract (police, justice, care, municipal) and clerk,
                          the address typing they share; each renders and writes its file
    arrests               the on-arrest feed
    defects               malformed rows for the quarantine
    aged                  records past their retention term (drawn last)
    truth                 truth.parquet
    delivery              ``generate``: the stages in a fixed order
    cli                   the command line

Usage (``data/sample`` on the import path; tests get it from pytest's ``pythonpath``)::

    python data/sample/generate.py --persons 4000 --seed 20261127 --out data/sample
    python -m sample_generator --persons 4000 --seed 20261127 --out data/sample   # same thing

    from sample_generator import generate
"""

from .delivery import generate

__all__ = ["generate"]
