"""The source registry: each partner declared once, and a fifth partner added through it alone.

The fifth partner is a toy housing corporation (woningcorporatie) whose declaration lives in a
module written to a temporary folder, outside the repository: no module of the pipeline is
edited. The end-to-end test names it to a real run through `FOTO_SOURCES` and follows its rows
from the file to the published triage tables.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from config import load_config
from sources import care, justice, municipal, police
from sources.common import read_csv_extract
from sources.registry import BUILT_IN, ENV_VAR, Registry, build_registry, registry
from sources.retention import expire, resolve_terms
from stores.publications import current_triage
from stores.sql import Identifier
from tests.conftest import ROOT, SAMPLE

DAY = "2026-11-27"
MODULE = "foto_housing_partner"

# The whole declaration of the fifth partner: one module, nothing else.
DECLARATION = '''
"""A housing corporation's tenants (toy partner for the registry's test)."""
from sources.common import CsvExtract, check_date, check_required, check_unique, \\
    read_csv_extract, split_name_sql
from sources.registry import Source
from sources.retention import RetentionRule, Term

COLUMNS = ["huurder_id", "achternaam", "voorvoegsel", "voornamen", "geboortedatum", "straat",
           "huisnummer", "postcode", "woonplaats", "ingangsdatum"]


def validate(frame, log):
    frame = frame.rename(columns={"huurder_id": "record_id"})
    for col in ("record_id", "achternaam"):
        frame = check_required(frame, log, col)
    frame = check_unique(frame, log)
    frame = check_date(frame, log, "geboortedatum", "%Y-%m-%d", "jjjj-mm-dd")
    return check_date(frame, log, "ingangsdatum", "%Y-%m-%d", "jjjj-mm-dd")


EXTRACT = CsvExtract("housing", "housing_tenants.csv", "utf-8", ",", COLUMNS,
                     COLUMNS[2:], validate)


def read(folder):
    return read_csv_extract(EXTRACT, folder)


V = "VARCHAR"
PARTNER = Source(
    name="housing", file="housing_tenants.csv", format="csv", reader=read,
    raw_types={"record_id": V, "achternaam": V, "voorvoegsel": V, "voornamen": V,
               "geboortedatum": "DATE", "straat": V, "huisnummer": V, "postcode": V,
               "woonplaats": V, "ingangsdatum": "DATE", "source_line": "BIGINT"},
    std_sql="""
        SELECT 'housing:' || record_id AS unique_id, 'housing' AS source, record_id,
            'huurder' AS role,
            """ + split_name_sql("voornamen", "voorvoegsel", "achternaam") + """,
            geboortedatum AS dob, year(geboortedatum) AS dob_year,
            month(geboortedatum) AS dob_month, day(geboortedatum) AS dob_day,
            NULL AS bsn, FALSE AS bsn_given, NULL AS sex, foto_fold(straat) AS street,
            foto_housenumber(huisnummer) AS huisnummer, foto_postcode(postcode) AS postcode,
            foto_fold(woonplaats) AS city, ingangsdatum AS record_date
        FROM raw_housing""",
    events_sql="""
        SELECT pr.person_id, 'housing' AS source, h.record_id, h.ingangsdatum AS event_date,
               'huurcontract' AS event_type, 'huurder' AS role,
               concat_ws(' ', h.straat, h.huisnummer, h.postcode, h.woonplaats) AS description,
               NULL AS status, NULL AS end_date, h.record_id AS reference,
               NULL AS domestic_violence, NULL AS sash_risk
        FROM raw_housing h
        JOIN person_records pr ON pr.source = 'housing' AND pr.record_id = h.record_id""",
    presence_sql="""
        SELECT 'housing:' || record_id AS unique_id, TRUE AS had_name,
               geboortedatum IS NOT NULL AS had_birth,
               nullif(trim(postcode), '') IS NOT NULL AS had_postcode FROM raw_housing""",
    label="Woningcorporatie", retention_class="housing",
    retention=RetentionRule(since="ingangsdatum", term=Term(None, None)))
'''


@pytest.fixture
def housing_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The declaration module in a folder of its own, importable in this process."""
    folder = tmp_path / "plugin"
    folder.mkdir()
    (folder / f"{MODULE}.py").write_text(DECLARATION, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, MODULE, raising=False)
    return folder


def _sample_suspects(count: int) -> list[dict]:
    """Distinct police suspects of the sample with a full birth date and address, within their
    use term on the delivery's day (a record past it is never stored: `sources.retention`)."""
    terms = resolve_terms(load_config(), list(registry()))["police"]
    result, _ = expire(police.read_police(SAMPLE / "inbox" / DAY), {}, police.PARTNER.table,
                       terms, DAY)
    frame = result.accepted
    frame = frame[(frame["rol"] == "verdachte") & frame["geboortedatum"].notna()
                  & frame["postcode"].notna() & frame["huisnummer"].notna()
                  & frame["straat"].notna() & frame["voornamen"].notna()]
    frame = frame.sort_values("record_id").drop_duplicates(
        ["achternaam", "voornamen", "geboortedatum"])
    return frame.head(count).to_dict("records")


def _write_tenants(folder: Path, suspects: list[dict]) -> dict[str, str]:
    """The housing file: one tenant per suspect (their name, birth date and address), 20
    tenants who are no one in the sample, and one row without a surname (quarantined).
    Returns the tenant id of each suspect's police record id."""
    lines = ["huurder_id,achternaam,voorvoegsel,voornamen,geboortedatum,straat,huisnummer,"
             "postcode,woonplaats,ingangsdatum"]
    tenant_of = {}
    for i, p in enumerate(suspects, start=1):
        tenant = f"WC-{i:04d}"
        tenant_of[p["record_id"]] = tenant
        lines.append(",".join([tenant, p["achternaam"], p["voorvoegsel"] or "", p["voornamen"],
                               p["geboortedatum"].isoformat(), p["straat"], p["huisnummer"],
                               p["postcode"], p["woonplaats"] or "", "2024-03-01"]))
    for i in range(20):
        lines.append(f"WC-9{i:03d},Huurstra{chr(97 + i)}q,,Wobbe,19{50 + i}-0{1 + i % 9}-1{i % 9},"
                     f"Proefstraat,{i + 1},9999ZZ,Nergenshuizen,2023-0{1 + i % 9}-01")
    lines.append("WC-8000,,,Zonder,1980-01-01,Proefstraat,1,9999ZZ,Nergenshuizen,2023-01-01")
    (folder / "housing_tenants.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tenant_of


# --- the registry -------------------------------------------------------------------------

def test_each_built_in_partner_is_declared_once_by_its_module() -> None:
    reg = registry()
    assert reg.names()[: len(BUILT_IN)] == BUILT_IN
    for module in (police, justice, care, municipal):
        assert reg[module.SOURCE] is module.PARTNER
    assert len(set(reg.files())) == len(reg)
    for source in reg:
        assert source.columns and "source_line" in source.raw_types
        assert source.std_sql.strip().upper().startswith(("SELECT", "WITH"))
        assert source.label and source.retention_class
    assert [s.name for s in reg if s.carries_bsn] == ["police", "justice", "municipal"]


def test_names_are_identifiers_and_a_bad_one_is_refused() -> None:
    for source in registry():
        assert source.name.isidentifier() and Identifier(source.table)
    for bad in ("Police", "woning-corporatie", "1st", "raw table", ""):
        with pytest.raises(ValueError):
            replace(police.PARTNER, name=bad)
    with pytest.raises(ValueError):
        replace(police.PARTNER, name="housing", file="../elsewhere.csv")
    with pytest.raises(ValueError):
        replace(police.PARTNER, raw_types={"bsn": "VARCHAR"})
    with pytest.raises(ValueError):
        replace(police.PARTNER, label=" ")


def test_a_second_declaration_of_a_name_file_or_table_is_refused() -> None:
    reg = Registry([police.PARTNER, care.PARTNER])
    with pytest.raises(ValueError, match="already registered"):
        reg.register(replace(police.PARTNER, file="other.csv"))
    with pytest.raises(ValueError, match="file"):
        reg.register(replace(police.PARTNER, name="police2"))
    with pytest.raises(ValueError, match="table"):
        reg.register(replace(police.PARTNER, name="other", file="other.csv",
                             tables={"care_reports": {}}))
    with pytest.raises(TypeError):
        reg.register("police")  # type: ignore[arg-type]
    assert reg.names() == ("police", "care")


def test_foto_sources_adds_a_declaration_after_the_built_in_ones(housing_module: Path) -> None:
    reg = build_registry(f" {MODULE}:PARTNER ")
    assert reg.names() == (*BUILT_IN, "housing")
    assert reg["housing"].label == "Woningcorporatie"
    with pytest.raises(ValueError):
        build_registry(f"{MODULE}:PARTNER,{MODULE}:PARTNER")
    with pytest.raises(ValueError):
        build_registry(MODULE)
    with pytest.raises(TypeError):
        build_registry(f"{MODULE}:COLUMNS")


def test_the_shared_csv_reader_reads_a_new_partner(housing_module: Path, tmp_path: Path) -> None:
    """A new CSV partner declares its layout and rules; the frame (read, empty fields, counts,
    quarantine) is the one the police and BRP readers share."""
    from foto_housing_partner import EXTRACT

    _write_tenants(tmp_path, _sample_suspects(3))
    result = read_csv_extract(EXTRACT, tmp_path)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (24, 23, 1)
    assert result.rows_in_file == 24
    assert list(result.quarantine["record_id"]) == ["WC-8000"]
    assert list(result.accepted.columns[:2]) == ["record_id", "achternaam"]


CONSUMERS = ["assets/ingest.py", "assets/checks.py", "assets/resources.py",
             "expectations/suites.py", "standardise/rules.py", "profiles/events.py",
             "profiles/person.py", "profiles/relations.py", "publish/display.py",
             "publish/audiences.py"]


@pytest.mark.parametrize("path", CONSUMERS)
def test_consumers_name_no_partner(path: str) -> None:
    """The modules that handle every partner iterate the registry: no partner's name appears
    in them as a string (a list of partners there would miss the next one)."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    named = {node.value for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and node.value in BUILT_IN}
    assert not named, (path, named)


# --- a fifth partner, end to end ------------------------------------------------------------

@pytest.mark.e2e
def test_a_fifth_partner_runs_end_to_end_through_the_registry_alone(
        housing_module: Path, tmp_path: Path) -> None:
    inbox, home = tmp_path / "inbox", tmp_path / "home"
    shutil.copytree(SAMPLE / "inbox", inbox)
    suspects = _sample_suspects(5)
    tenant_of = _write_tenants(inbox / DAY, suspects)
    env = {**os.environ, ENV_VAR: f"{MODULE}:PARTNER",
           "PYTHONPATH": os.pathsep.join([str(housing_module), str(ROOT)])}
    done = subprocess.run([sys.executable, "-m", "foto.cli", "run", "--inbox", str(inbox),
                           "--home", str(home)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    read, accepted, quarantined, withheld, in_file = con.execute(
        "SELECT read, accepted, quarantined, withheld, rows_in_file FROM ingest_counts "
        "WHERE source = 'housing'").fetchall()[0]
    assert (read, accepted, quarantined, withheld, in_file) == (26, 25, 1, 0, 26)
    assert con.execute("SELECT record_id FROM quarantine WHERE source = 'housing' "
                       "AND NOT kept").fetchall() == [("WC-8000",)]
    assert con.execute("SELECT count(*) FROM std_persons WHERE source = 'housing'"
                       ).fetchall()[0][0] == 25
    assert con.execute("SELECT count(*) FROM person_records WHERE source = 'housing'"
                       ).fetchall()[0][0] == 25
    # each tenant copied from a police suspect is in that suspect's person
    person = dict(con.execute(
        "SELECT source || ':' || record_id, person_id FROM person_records").fetchall())
    for police_id, tenant in tenant_of.items():
        assert person[f"housing:{tenant}"] == person[f"police:{police_id}"], tenant
    # the person profile counts its records; its events are on the timeline; the gate checked
    # it and passed
    assert con.execute("SELECT sum(housing_records) FROM person").fetchall()[0][0] == 25
    assert con.execute("SELECT count(*) FROM events WHERE source = 'housing' "
                       "AND event_type = 'huurcontract'").fetchall()[0][0] == 25
    gate = con.execute("SELECT count(*), bool_and(passed) FROM gate_results "
                       "WHERE suite = 'raw_housing'").fetchall()[0]
    assert gate[0] > 0 and gate[1]
    con.close()
    # the triage point sees the partner by its declared label on the suspects' timelines, and
    # of its events no more than the declaration allows (nothing declared: date and kind only)
    triage = duckdb.connect(str(current_triage(home) / "triage.duckdb"), read_only=True)
    shown = triage.execute("SELECT gebeurtenis, rol, omschrijving, status FROM triage_tijdlijn "
                           "WHERE partner = 'Woningcorporatie'").fetchall()
    triage.close()
    assert shown == [("huurcontract", None, None, None)] * len(suspects)
