"""Need-to-know: which columns each audience may see, declared once.

The analysts' warehouse holds everything the partners delivered (minus reporters). The triage
point gets persons of concern only: who, which partners know them, since when and why they are
of concern, and of police and justice registrations the offence and its outcome; no BSN, no
care report contents, no victims as profiles. What the pages say they show is made from this
declaration (`DISCLOSED`, `disclosure`).
A publication's `triage/triage.duckdb` is built from this table and nothing else; a test holds
it to that.
"""

from __future__ import annotations

from publish.display import LABELS, TIMEZONE
from sources.registry import registry
from stores.sql import Constant, Fragment, Identifier, fill

# The partner's name as the pages show it, from the one table of labels.
# Labels are declared with each source (`sources.registry`), so they are quoted as constants.
_PARTNER_SQL = ("CASE e.source " + " ".join(
    fill("WHEN {code} THEN {name}", code=Constant(code), name=Constant(name))
    for code, name in LABELS["partner"].items()) + " END")

# What triage may read of each partner's events is declared with the partner (`Source.triage_*`,
# least by default): care says only that a report exists, the BRP only a registration.
_TRIAGE_EVENTS = [fill("WHEN {name} THEN {event}", name=Constant(s.name),
                       event=Constant(s.triage_event)) for s in registry() if s.triage_event]
_TRIAGE_EVENT_SQL = (fill("CASE e.source {whens} ELSE e.event_type END",
                          whens=Fragment(" ".join(_TRIAGE_EVENTS)))
                     if _TRIAGE_EVENTS else "e.event_type")


def _shown_for(declared: str, column: str) -> str:
    """`column` for the partners that declare `declared`, NULL for every other partner."""
    names = [Constant(s.name).sql() for s in registry() if getattr(s, declared)]
    return fill("CASE WHEN e.source IN ({names}) THEN {column} END",
                names=Fragment(", ".join(names)), column=Identifier(column)) if names else "NULL"


TRIAGE_TABLES: dict[str, dict[str, str]] = {
    # published table -> {column: the `person` expression it comes from}
    "triage_person": {
        "person_id": "person_id",
        "naam": "preferred_name",
        "bekend_als": "aliases",
        "geboortedatum": "birth_date",
        "geboortejaar": "birth_year",
        "geslacht": "sex",
        "bsn_bekend": "bsn_known",
        "woonplaats": "city",
        "bronnen": "sources",
        "aantal_registraties": "records",
        "politie": "police_records",
        "justitie": "justice_records",
        "zorg": "care_records",
        "gemeente": "municipal_records",
        "bekend_sinds": "first_seen",
        "laatst_gezien": "last_seen",
        "reden_in_beeld": "concern_reasons",
        "prioriteit": "priority",
        "prioriteit_reden": "priority_reason",
        "signalen": "flags",
        "aantal_slachtoffers": "(SELECT count(DISTINCT r.related_id) FROM relations r "
                               "WHERE r.person_id = p.person_id "
                               "AND r.kind IN ('slachtoffer', 'ex_partner'))",
        "aantal_minderjarige_kinderen_in_meldingen": (
            "(SELECT count(DISTINCT r.related_id) FROM relations r "
            "WHERE r.person_id = p.person_id AND r.kind = 'kind_in_melding')"),
    },
    "triage_signaal": {
        "person_id": "f.person_id",
        "signaal": "f.label",
        "ernst": "f.severity",
        "regel": "f.rule",
        "vanaf": "f.period_start",
        "tot": "f.period_end",
    },
    # The timeline as triage may see it: that a partner registered something, when, and the
    # person's role; police and justice say what kind of case, care only that a report exists.
    "triage_tijdlijn": {
        "person_id": "e.person_id",
        "datum": "e.event_date",
        "partner": _PARTNER_SQL,
        "gebeurtenis": _TRIAGE_EVENT_SQL,
        "rol": _shown_for("triage_role", "e.role"),
        "omschrijving": _shown_for("triage_details", "e.description"),
        "status": _shown_for("triage_details", "e.status"),
    },
    # The network as counts per role: no names of victims, children or housemates.
    "triage_netwerk": {
        "person_id": "r.person_id",
        "relatie": "r.kind",
        "aantal": "count(DISTINCT r.related_id)",
    },
    # How sure the matching is: the weakest link that holds the person together, in words.
    "triage_zekerheid": {
        "person_id": "w.person_id",
        "records": "w.records",
        "zwakste_koppeling_kans": "w.link_probability",
        "komt_overeen": "w.agreed",
        "komt_deels_overeen": "w.partly_agreed",
        "wijkt_af": "w.disagreed",
        # 'persoon': that record joined the person as a whole (`persons.attach`), not by a pair;
        # 'beoordeling': a reviewer judged it the same person (`persons.judgements`)
        "gekoppeld_als": "CASE w.linked_by WHEN 'person' THEN 'persoon' "
                         "WHEN 'judgement' THEN 'beoordeling' ELSE 'paar' END",
        # other persons with a record that fits this person and another about equally
        # (`persons.constraints`: undecided, waiting for a reviewer); a count, no names.
        # Not those a reviewer decided (`persons.judgements`: judged different, or joined)
        "onbesliste_personen": "coalesce(w.undecided_persons, 0)",
        # of those, how many a reviewer looked at and left undecided (judged `unsure`)
        "onbesliste_personen_bekeken": "coalesce(w.undecided_seen, 0)",
        # THAT and WHEN a reviewer confirmed links of this person (applied `same` judgements),
        # the day of the latest in the triage point's time zone; never who, never why: the
        # reviewer's name and reason stay in the warehouse (`judgements`)
        "bevestigde_koppelingen": "coalesce(w.confirmed_links, 0)",
        "laatst_bevestigd": "w.last_confirmed",
    },
}

# How sure the matching is, per person: the weakest link, the persons it is undecided with
# (`match_pairs` 'undecided') unless a reviewer judged the two persons different (a judgement on
# any record of each: the persons are then apart, `persons.attach`), and the links a reviewer
# confirmed (`judged_pairs`: applied `same`) with the day of the latest (`judgements.judged_at`).
_ZEKERHEID = fill("""FROM (
        SELECT pr.person_id, pr.records_in_person AS records, pr.link_probability,
               pr.linked_by, e.agreed, e.partly_agreed, e.disagreed, u.undecided_persons,
               u.undecided_seen, c.confirmed_links, c.last_confirmed,
               -- the weakest link by what can tell links apart: a run's term frequencies
               -- count the person's own records, so one more record of theirs (an arrest, then
               -- the nightly run) moves links near 1 in the ninth decimal, and two such links
               -- would trade places between the two; below a millionth they are alike
               row_number() OVER (PARTITION BY pr.person_id
                                  ORDER BY round(pr.link_probability, 6), pr.unique_id) AS rk
        FROM person_records pr JOIN person p USING (person_id)
        LEFT JOIN link_explanation e  -- Splink keeps unique_id_l < unique_id_r
          ON e.unique_id_l = least(pr.unique_id, pr.strongest_link_to)
         AND e.unique_id_r = greatest(pr.unique_id, pr.strongest_link_to)
        LEFT JOIN (
            SELECT a.person_id, count(DISTINCT b.person_id) AS undecided_persons,
                   count(DISTINCT b.person_id) FILTER (j.decision = 'unsure') AS undecided_seen
            FROM (SELECT unique_id_l AS x, unique_id_r AS y FROM match_pairs
                  WHERE decision = 'undecided'
                  UNION ALL SELECT unique_id_r, unique_id_l FROM match_pairs
                  WHERE decision = 'undecided') m
            JOIN person_records a ON a.unique_id = m.x
            JOIN person_records b ON b.unique_id = m.y AND b.person_id <> a.person_id
            LEFT JOIN judged_pairs j
              ON j.unique_id_l = least(m.x, m.y) AND j.unique_id_r = greatest(m.x, m.y)
            WHERE NOT EXISTS (
                SELECT 1 FROM judged_pairs d
                JOIN person_records dl ON dl.unique_id = d.unique_id_l
                JOIN person_records dr ON dr.unique_id = d.unique_id_r
                WHERE d.decision = 'different'
                  AND ((dl.person_id = a.person_id AND dr.person_id = b.person_id)
                       OR (dl.person_id = b.person_id AND dr.person_id = a.person_id)))
            GROUP BY a.person_id) u ON u.person_id = pr.person_id
        LEFT JOIN (
            SELECT l.person_id, count(*) AS confirmed_links,
                   CAST(max(timezone({zone}, k.judged_at)) AS DATE) AS last_confirmed
            FROM judged_pairs j
            JOIN person_records l ON l.unique_id = j.unique_id_l
            JOIN person_records r ON r.unique_id = j.unique_id_r AND r.person_id = l.person_id
            LEFT JOIN judgements k ON k.judgement_id = j.judgement_id
            WHERE j.decision = 'same' AND j.applied
            GROUP BY l.person_id) c ON c.person_id = pr.person_id
        WHERE {who}) w WHERE w.rk = 1 ORDER BY w.person_id""",
                  zone=Constant(TIMEZONE.key), who=Fragment("{who}"))

# Which rows each published table holds: persons of concern only, never anyone else.
TRIAGE_SOURCES: dict[str, str] = {
    # One line per thing that happened: two records of one registration that read alike
    # (delivered twice, or an arrest the extract holds under another record id) are one line.
    "triage_tijdlijn": "FROM events e JOIN person p USING (person_id) WHERE {who} "
                       "ORDER BY person_id, datum DESC, partner, gebeurtenis, rol, "
                       "omschrijving, status",
    "triage_netwerk": "FROM relations r JOIN person p USING (person_id) "
                      "WHERE {who} GROUP BY r.person_id, r.kind "
                      "ORDER BY r.person_id, r.kind",
    "triage_zekerheid": _ZEKERHEID,
    "triage_person": "FROM person p WHERE {who} ORDER BY naam, person_id",
    "triage_signaal": "FROM flags f JOIN person p ON p.person_id = f.person_id "
                      "WHERE {who} ORDER BY f.person_id, signaal",
}


# Tables whose rows are what a person reads: rows that read alike are shown once.
DISTINCT_ROWS = frozenset({"triage_tijdlijn"})

# Who is published: persons of concern. An arrest publishes one more person (`p.person_id = ?`).
OF_CONCERN = "p.person_of_concern"


def triage_select(table: str, who: str = OF_CONCERN) -> str:
    """The SELECT that builds one published triage table from the warehouse, for the persons
    `who` selects (a condition on `person p`)."""
    cols = ", ".join(fill("{expr} AS {name}", expr=Fragment(expr), name=Identifier(name))
                     for name, expr in TRIAGE_TABLES[table].items())
    distinct = "DISTINCT " if table in DISTINCT_ROWS else ""
    source = fill(TRIAGE_SOURCES[table], who=Fragment(who))
    return fill("SELECT {distinct}{cols} {source}", distinct=Fragment(distinct),
                cols=Fragment(cols), source=Fragment(source))


# What the declared columns let a triage officer read, in the words the pages' footer uses.
# Every declared column is described by exactly one entry (`tests/test_display.py`), so a
# column added to the declaration without saying so here fails the tests: the footer cannot
# promise less than the pages show.
DISCLOSED: list[tuple[str, tuple[str, ...], str]] = [
    ("triage_person", ("person_id", "naam", "bekend_als", "geboortedatum", "geboortejaar",
                       "geslacht", "woonplaats", "bsn_bekend"),
     "naam, andere bekende namen, geboortedatum, geslacht, woonplaats en of een BSN bekend "
     "is (het BSN zelf niet)"),
    ("triage_person", ("bronnen", "aantal_registraties", "politie", "justitie", "zorg",
                       "gemeente", "bekend_sinds", "laatst_gezien"),
     "welke partners de persoon kennen, met hoeveel registraties en sinds wanneer"),
    ("triage_person", ("reden_in_beeld", "prioriteit", "prioriteit_reden", "signalen"),
     "waarom de persoon in beeld is en met welke prioriteit"),
    ("triage_signaal", ("person_id", "signaal", "ernst", "regel", "vanaf", "tot"),
     "signalen met de regel erachter en hun periode"),
    ("triage_tijdlijn", ("person_id", "datum", "partner", "gebeurtenis", "rol"),
     "een tijdlijn: wanneer welke partner iets registreerde en de rol van de persoon daarin"),
    ("triage_tijdlijn", ("omschrijving", "status"),
     "bij politie en OM / Reclassering ook het feit (met wetsartikel) en de afloop, zoals "
     "aanhouding, sepot of veroordeling; bij zorg alleen dat er een melding is, niet de inhoud"),
    ("triage_person", ("aantal_slachtoffers", "aantal_minderjarige_kinderen_in_meldingen"),
     "hoeveel slachtoffers en minderjarige kinderen in meldingen er zijn, zonder namen"),
    ("triage_netwerk", ("person_id", "relatie", "aantal"),
     "het netwerk als aantallen per soort relatie, zonder namen"),
    ("triage_zekerheid", ("person_id", "records", "zwakste_koppeling_kans", "komt_overeen",
                          "komt_deels_overeen", "wijkt_af", "gekoppeld_als",
                          "onbesliste_personen", "onbesliste_personen_bekeken"),
     "hoe zeker het is dat de registraties bij één persoon horen"),
    ("triage_zekerheid", ("bevestigde_koppelingen", "laatst_bevestigd"),
     "of en wanneer een reviewer koppelingen bevestigde (niet wie, en niet waarom)"),
]


def disclosure() -> list[str]:
    """What the triage pages show, phrase by phrase, made from the declaration: a phrase only
    when its columns are declared."""
    return [text for table, columns, text in DISCLOSED
            if any(c in TRIAGE_TABLES.get(table, {}) for c in columns)]
