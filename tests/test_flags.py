"""Each flag appears exactly when its rule holds, on hand-made cases (reference 2026-11-27)."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from profiles.events import build_events
from profiles.flags import RULES, build_flags
from profiles.relations import build_relations

REF = "2026-11-27"


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    police = [  # record_id, date, rol, huiselijk_geweld
        ("PL-1-01", date(2026, 6, 1), "verdachte", True, "P3"),
        ("PL-1-02", date(2026, 6, 1), "slachtoffer", True, "P4"),
        ("PL-2-01", date(2025, 6, 1), "verdachte", True, "P14"),      # DV, but too long ago
        # delivered newest first: a flag's evidence must not keep the order rows arrive in
        *[(f"PL-{10 + i}-01", date(2026, 3 + i, 1), "verdachte", False, "P5")
          for i in reversed(range(3))],
        *[(f"PL-{20 + i}-01", date(2026, 3 + i, 1), "verdachte", False, "P6") for i in range(2)],
    ]
    justice = [  # record_id, status, toezicht, einddatum, contactverbod, person
        ("10/1-26", "vervolging", False, None, False, "P7"),
        ("10/2-26", "sepot", False, None, False, "P8"),
        ("10/3-26", "veroordeeld", True, date(2027, 5, 1), False, "P9"),
        ("10/4-26", "veroordeeld", True, date(2025, 5, 1), False, "P10"),
        ("10/5-26", "veroordeeld", False, None, True, "P11"),
    ]
    care = [  # melding, received, type, sash, status, [(betrokkene, rol, person)]
        ("VT-1", "2024-02-01", "ex_partner_stalking", "hoog", "open",
         [("VT-1-1", "pleger", "P1"), ("VT-1-2", "slachtoffer", "P15")]),
        ("VT-2", "2025-01-01", "ex_partner_stalking", "hoog", "gesloten",
         [("VT-2-1", "pleger", "P2")]),
    ]
    brp = [  # record_id, adres_id, person, birth
        ("0000000012", "A1", "P12", date(1980, 1, 1)),
        ("0000000016", "A1", "P16", date(2016, 1, 1)),
        ("0000000013", "A2", "P13", date(1980, 1, 1)),
        ("0000000017", "A2", "P17", date(1996, 1, 1)),
    ]
    c = duckdb.connect()
    recs = [("police", r[0], r[4]) for r in police] + [("justice", j[0], j[5]) for j in justice]
    recs += [("care", b[0], b[2]) for m in care for b in m[5]] + [("municipal", b[0], b[2])
                                                                  for b in brp]
    births = {b[2]: b[3] for b in brp}
    c.register("pr", _frame([{"person_id": p, "source": s, "record_id": r,
                              "unique_id": f"{s}:{r}"} for s, r, p in recs],
                            ["person_id", "source", "record_id", "unique_id"]))
    c.execute("CREATE TABLE person_records AS SELECT * FROM pr")
    c.register("sp", _frame([{"unique_id": f"{s}:{r}", "bsn": None, "dob": births.get(p),
                              "dob_year": births[p].year if p in births else None}
                             for s, r, p in recs], ["unique_id", "bsn", "dob", "dob_year"]))
    c.execute("CREATE TABLE std_persons AS SELECT unique_id, CAST(bsn AS VARCHAR) AS bsn, "
              "CAST(dob AS DATE) AS dob, CAST(dob_year AS INTEGER) AS dob_year FROM sp")
    c.register("rp", _frame([{"record_id": r, "registratie_datum": d, "rol": rol,
                              "feit": "mishandeling", "huiselijk_geweld": hg,
                              "aangehouden": False} for r, d, rol, hg, _ in police],
                            ["record_id", "registratie_datum", "rol", "feit", "huiselijk_geweld",
                             "aangehouden"]))
    c.execute("CREATE TABLE raw_police AS SELECT * FROM rp")
    c.register("rj", _frame([{"record_id": r, "feit": "x", "zaak_status": st,
                              "status_datum": date(2026, 1, 1), "toezicht_reclassering": tz,
                              "toezicht_einddatum": end, "contactverbod": cv}
                             for r, st, tz, end, cv, _ in justice],
                            ["record_id", "feit", "zaak_status", "status_datum",
                             "toezicht_reclassering", "toezicht_einddatum", "contactverbod"]))
    c.execute("CREATE TABLE raw_justice AS SELECT * EXCLUDE (toezicht_einddatum), "
              "CAST(toezicht_einddatum AS DATE) AS toezicht_einddatum FROM rj")
    c.register("cr", _frame([{"melding_id": m, "ontvangen_op": pd.Timestamp(d, tz="UTC"),
                              "type": t, "sash_risico": s, "status": st}
                             for m, d, t, s, st, _ in care],
                            ["melding_id", "ontvangen_op", "type", "sash_risico", "status"]))
    c.execute("CREATE TABLE care_reports AS SELECT * FROM cr")
    c.register("rc", _frame([{"melding_id": m[0], "record_id": b, "rol": rol}
                             for m in care for b, rol, _ in m[5]],
                            ["melding_id", "record_id", "rol"]))
    c.execute("CREATE TABLE raw_care AS SELECT * FROM rc")
    c.register("rb", _frame([{"record_id": r, "adres_id": a, "datum_inschrijving": date(2020, 1, 1),
                              "straatnaam": "Straat", "huisnummer": "1", "huisletter": None,
                              "huisnummertoevoeging": None, "postcode": "3011AA",
                              "woonplaats": "Rotterdam", "ouder1_bsn": None, "ouder2_bsn": None,
                              "partner_bsn": None} for r, a, _, _ in brp],
                            ["record_id", "adres_id", "datum_inschrijving", "straatnaam",
                             "huisnummer", "huisletter", "huisnummertoevoeging", "postcode",
                             "woonplaats", "ouder1_bsn", "ouder2_bsn", "partner_bsn"]))
    c.execute("CREATE TABLE raw_municipal AS SELECT * EXCLUDE (huisletter, huisnummertoevoeging,"
              " ouder1_bsn, ouder2_bsn, partner_bsn), CAST(huisletter AS VARCHAR) AS huisletter,"
              " CAST(huisnummertoevoeging AS VARCHAR) AS huisnummertoevoeging,"
              " CAST(ouder1_bsn AS VARCHAR) AS ouder1_bsn, CAST(ouder2_bsn AS VARCHAR)"
              " AS ouder2_bsn, CAST(partner_bsn AS VARCHAR) AS partner_bsn FROM rb")
    build_events(c)
    build_relations(c)
    build_flags(c, REF)
    return c


def flagged(con, flag: str) -> set[str]:
    return {p for (p,) in con.sql("SELECT person_id FROM flags WHERE flag = ?",
                                  params=[flag]).fetchall()}


@pytest.mark.parametrize(("flag", "expected"), [
    ("ex_partner_stalking_sash_hoog", {"P1"}),        # open; P2 closed and too old
    ("huiselijk_geweld_12m", {"P3"}),                 # not the victim P4, not P14 (2025)
    ("veelpleger_12m", {"P5"}),                       # three; P6 only two
    ("open_strafzaak", {"P7"}),                       # vervolging; P8 sepot
    ("toezicht_of_contactverbod", {"P9", "P11"}),     # P10's supervision ended
    ("minderjarigen_in_huishouden", {"P12"}),         # P16 is 10; P17 (P13's) is 30
])
def test_flag_holds_exactly_when_its_rule_holds(con, flag, expected) -> None:
    assert flagged(con, flag) == expected


def test_every_rule_is_written_down_and_every_flag_has_evidence(con) -> None:
    assert {r.code for r in RULES} == {f for (f,) in con.sql(
        "SELECT DISTINCT flag FROM flags").fetchall()}
    assert all(r.rule and r.label for r in RULES)
    rows = con.sql("SELECT rule, evidence_record_ids FROM flags").fetchall()
    assert all(rule and evidence for rule, evidence in rows)


def test_a_flags_evidence_ids_are_sorted(con) -> None:
    """The same records give the same evidence list on every run (and so the same sheet and
    digest): DuckDB's `list()` keeps the order its threads meet the rows in."""
    rows = con.sql("SELECT evidence_record_ids FROM flags WHERE flag = 'veelpleger_12m'"
                   ).fetchall()
    assert rows == [(["PL-10-01", "PL-11-01", "PL-12-01"],)]
    every = con.sql("SELECT evidence_record_ids FROM flags").fetchall()
    assert all(ids == sorted(ids) for (ids,) in every)


def test_ex_partner_relation_from_a_stalking_report(con) -> None:
    assert con.sql("SELECT kind FROM relations WHERE person_id = 'P1' "
                   "AND related_id = 'P15'").fetchall() == [("ex_partner",)]
    assert con.sql("SELECT kind FROM relations WHERE person_id = 'P3' "
                   "AND related_id = 'P4'").fetchall() == [("slachtoffer",)]
