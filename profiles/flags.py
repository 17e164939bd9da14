"""`flags`: one row per flag per person, each from a written rule, with its period and evidence.

The reference date is the delivery date of the run (not the clock), so a rerun of an old
delivery flags what was true then. "Within 12 months" means on or after the reference date
minus 12 months. Priority follows from the flags: `hoog` when a flag of severity `hoog` holds,
`midden` when any other flag holds, else `laag`; the reason lists the flags
(`profiles.person` adds both to `person`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from profiles.scope import scope_condition
from stores.sql import Constant, Fragment, Identifier, fill


@dataclass(frozen=True)
class FlagRule:
    code: str
    label: str        # Dutch, as the triage sheet shows it
    severity: str     # 'hoog' or 'midden'
    rule: str         # the rule in words, stored with every flag
    sql: str          # SELECT person_id, period_start, period_end, evidence (record ids)


# The reference date is the bound parameter `$reference_date` of every rule's query.
REFERENCE_DATE = "CAST($reference_date AS DATE)"
WITHIN_12M = fill("{ref} - INTERVAL 12 MONTH", ref=Fragment(REFERENCE_DATE))

# Flags that are each `midden` but together make the priority `hoog`: domestic violence with
# minors in the household. The SQL below and the sheet's explanation are both made from this.
HIGH_TOGETHER: list[tuple[str, ...]] = [("huiselijk_geweld_12m", "minderjarigen_in_huishouden")]

# Triage priority from a person's flags (lists of severities and codes): `hoog` with a flag of
# severity hoog, or with every flag of one `HIGH_TOGETHER` combination; `midden` with any flag.
PRIORITY_SQL = ("CASE WHEN list_contains({severities}, 'hoog') THEN 'hoog'\n"
                + "".join("     WHEN list_has_all({codes}, ["
                          + ", ".join(Constant(code).sql() for code in combo)
                          + "]) THEN 'hoog'\n" for combo in HIGH_TOGETHER)
                + "     WHEN len({codes}) > 0 THEN 'midden' ELSE 'laag' END")


# The priorities from most to least urgent: lists and indexes sort by this order.
PRIORITY_ORDER = ("hoog", "midden", "laag")


def priority_rank_sql(column: str) -> str:
    """An SQL expression ranking the priority in `column` (a name written in code) by
    `PRIORITY_ORDER`, 0 the most urgent; any other value (none yet) last."""
    whens = " ".join(fill("WHEN {p} THEN {i}", p=Constant(p), i=Fragment(str(i)))
                     for i, p in enumerate(PRIORITY_ORDER[:-1]))
    return fill("CASE {column} {whens} ELSE {last} END", column=Identifier(column),
                whens=Fragment(whens), last=Fragment(str(len(PRIORITY_ORDER) - 1)))


def priority_sql(severities: str, codes: str) -> str:
    """`PRIORITY_SQL` over two list expressions written in code (column expressions of the
    caller's query), filled by the one template helper `stores.sql.fill`."""
    return fill(PRIORITY_SQL, severities=Fragment(severities), codes=Fragment(codes))


def from_events(where: str, having: str = "", end: str = "max(event_date)") -> str:
    """A rule over the timeline: the person's matching events give period and evidence
    (`where`, `having` and `end`: SQL written in code; `{within_12m}` in `where` is the last
    12 months before the reference date)."""
    return fill("SELECT person_id, min(event_date), {end}, list(record_id) FROM events "
                "WHERE {where} GROUP BY person_id {having}", end=Fragment(end),
                where=Fragment(fill(where, within_12m=Fragment(WITHIN_12M))),
                having=Fragment(having))


RULES = [
    FlagRule(
        "ex_partner_stalking_sash_hoog", "Ex-partnerstalking, SASH hoog", "hoog",
        "Pleger in een melding ex-partnerstalking met SASH-risico hoog die open is of in de "
        "laatste 12 maanden is ontvangen.",
        from_events("event_type = 'zorgmelding' AND role = 'pleger' "
                    "AND description = 'ex_partner_stalking' AND sash_risk = 'hoog' "
                    "AND (status = 'open' OR event_date >= {within_12m})")),
    FlagRule(
        "huiselijk_geweld_12m", "Huiselijk geweld (12 mnd)", "midden",
        "Verdachte in een politieregistratie met huiselijk geweld in de laatste 12 maanden.",
        from_events("event_type = 'politieregistratie' AND role = 'verdachte' "
                    "AND domestic_violence AND event_date >= {within_12m}")),
    FlagRule(
        "minderjarigen_in_huishouden", "Minderjarigen in huishouden", "midden",
        "Een huisgenoot (zelfde BRP-adres) of kind in een zorgmelding is jonger dan 18 jaar "
        "op de peildatum.",
        """WITH born AS (
                SELECT pr.person_id, coalesce(mode(s.dob ORDER BY s.dob),
                                        make_date(mode(s.dob_year ORDER BY s.dob_year), 7, 1))
                           AS birth
                FROM person_records pr JOIN std_persons s USING (unique_id)
                WHERE s.dob_year IS NOT NULL GROUP BY pr.person_id)
            SELECT r.person_id, NULL::DATE, NULL::DATE,
                   list_distinct(flatten(list(r.evidence_record_ids)))
            FROM relations r JOIN born b ON b.person_id = r.related_id
            WHERE r.kind IN ('huisgenoot', 'kind_in_melding')
              AND date_diff('year', b.birth, CAST($reference_date AS DATE)) < 18
            GROUP BY r.person_id"""),
    FlagRule(
        "open_strafzaak", "Lopende strafzaak", "midden",
        "Een strafzaak met status ingeschreven of vervolging.",
        from_events("event_type = 'strafzaak' AND status IN ('ingeschreven', 'vervolging')",
                    end="NULL::DATE")),
    FlagRule(
        "toezicht_of_contactverbod", "Toezicht of contactverbod", "midden",
        "Reclasseringstoezicht met een einddatum op of na de peildatum, of een contactverbod "
        "in een zaak die niet met sepot of vrijspraak is afgesloten.",
        """SELECT pr.person_id, min(j.status_datum), max(j.toezicht_einddatum),
                  list(j.record_id)
            FROM raw_justice j
            JOIN person_records pr ON pr.source = 'justice' AND pr.record_id = j.record_id
            WHERE (j.toezicht_reclassering
                   AND j.toezicht_einddatum >= CAST($reference_date AS DATE))
               OR (j.contactverbod AND j.zaak_status NOT IN ('sepot', 'vrijspraak'))
            GROUP BY pr.person_id"""),
    FlagRule(
        "veelpleger_12m", "Herhaald verdachte (3+ in 12 mnd)", "midden",
        "Verdachte in drie of meer politieregistraties in de laatste 12 maanden.",
        from_events("event_type = 'politieregistratie' AND role = 'verdachte' "
                    "AND event_date >= {within_12m}",
                    having="HAVING count(DISTINCT reference) >= 3")),
]


def build_flags(con: duckdb.DuckDBPyConnection, reference_date: str,
                persons: Iterable[str] | None = None) -> int:
    """Evaluate every rule into `flags`, for every person or for the `persons` given (the
    rules read `events`, which must hold those persons' timelines); returns the flags.

    A rule's evidence ids are sorted: DuckDB's `list()` aggregate keeps the order in which its
    threads met the rows, so the same records gave two orders on two runs (a sheet and its
    digest changed with nothing changed)."""
    scope = scope_condition(con, persons, "s.person_id")
    con.execute("""CREATE OR REPLACE TABLE flags (person_id VARCHAR, flag VARCHAR,
        label VARCHAR, severity VARCHAR, rule VARCHAR, period_start DATE, period_end DATE,
        evidence_record_ids VARCHAR[], reference_date DATE)""")
    for r in RULES:
        # r.sql is a rule written in code (RULES); every value in it is a bound parameter
        con.execute(fill("""INSERT INTO flags SELECT f.*, {reference_date}
            FROM (SELECT person_id, $code AS flag, $label AS label, $severity AS severity,
                         $rule AS rule, s.period_start, s.period_end,
                         list_sort(s.evidence) AS evidence
                  FROM ({rule}) s(person_id, period_start, period_end, evidence)
                  WHERE {scope}) f""", reference_date=Fragment(REFERENCE_DATE),
                         rule=Fragment(r.sql), scope=scope),
                    {"code": r.code, "label": r.label, "severity": r.severity,
                     "rule": r.rule, "reference_date": reference_date})
    return int(con.sql("SELECT count(*) FROM flags").fetchall()[0][0])


def priority_explanation(priority: str | None, signals: list[dict]) -> str:
    """Why a person has the priority they have, in a sentence a triage officer reads: which
    rule of `PRIORITY_SQL` made it. `signals` are the sheet's rows (`signaal`, `ernst`)."""
    severe = [s["signaal"] for s in signals if s.get("ernst") == "hoog"]
    by_label = {r.label: r.code for r in RULES}
    codes = {by_label.get(s["signaal"]) for s in signals}
    if priority == "hoog" and severe:
        return (f"Prioriteit hoog: het signaal {_joined(severe)} weegt zwaar (ernst hoog)."
                if len(severe) == 1 else
                f"Prioriteit hoog: de signalen {_joined(severe)} wegen zwaar (ernst hoog).")
    for combo in HIGH_TOGETHER:
        if priority == "hoog" and set(combo) <= codes:
            names = [r.label for r in RULES if r.code in combo]
            return (f"Prioriteit hoog: de signalen {_joined(names)} komen samen voor. Elk apart "
                    f"weegt midden; samen maken ze de prioriteit hoog.")
    if priority == "midden":
        count = len(signals)
        some = "er is één signaal" if count == 1 else f"er zijn {count} signalen"
        return f"Prioriteit midden: {some}, geen met ernst hoog."
    if priority == "laag":
        return "Prioriteit laag: geen signalen. De persoon staat op de lijst om de reden hierboven."
    return f"Prioriteit {priority or 'onbekend'}: nog niet beoordeeld."


def _joined(words: list[str]) -> str:
    """'A', 'A en B', 'A, B en C' with each in quotes."""
    quoted = [f"'{w}'" for w in words]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} en {quoted[-1]}"
