"""How values read on the pages people see: Dutch labels for codes, Dutch dates, names in
display casing, folding for search. One place, so that the index, the sheets and the arrest
sheets say the same thing the same way.

Codes are what the warehouse stores (analysts query them); a triage officer reads the labels.
An unknown code is shown with its underscores as spaces rather than as a code, but every code
the pipeline produces has a label here (`tests/test_display.py` holds the sample to that).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from config.defaults import TIMEZONE as REGION_TIMEZONE
from sources.registry import registry

TIMEZONE = ZoneInfo(REGION_TIMEZONE)  # what the triage point's clocks say

LABELS: dict[str, dict[str, str]] = {
    "partner": {s.name: s.label for s in registry()},   # each source declares its label
    "relation": {"huisgenoot": "huisgenoot", "ouder": "ouder", "kind": "kind (BRP)",
                 "broer_zus": "broer of zus", "partner": "partner",
                 "slachtoffer": "slachtoffer", "verdachte": "mede-verdachte",
                 "medebetrokkene": "betrokkene bij dezelfde registratie", "pleger": "pleger",
                 "kind_in_melding": "kind in een zorgmelding", "ex_partner": "ex-partner"},
    "field": {"bsn": "BSN", "given_name": "voornaam", "surname": "achternaam",
              "dob": "geboortedatum", "address": "adres", "sex": "geslacht"},
    "event": {"politieregistratie": "politieregistratie", "aanhouding": "aanhouding",
              "strafzaak": "strafzaak", "toezicht_reclassering": "reclasseringstoezicht",
              "contactverbod": "contactverbod", "zorgmelding": "zorgmelding",
              "inschrijving op adres": "inschrijving op adres",
              "inschrijving_adres": "inschrijving op adres"},
    "role": {"verdachte": "verdachte", "betrokkene": "betrokkene", "getuige": "getuige",
             "slachtoffer": "slachtoffer", "pleger": "pleger", "kind": "kind",
             "ingezetene": "ingezetene", "aangever": "aangever"},
    "status": {"aangehouden": "aangehouden", "ingeschreven": "zaak ingeschreven",
               "vervolging": "vervolging ingesteld", "sepot": "geseponeerd",
               "veroordeeld": "veroordeeld", "vrijspraak": "vrijgesproken",
               "reclasseringstoezicht": "reclasseringstoezicht",
               "contactverbod": "contactverbod", "open": "open", "gesloten": "gesloten",
               "afgesloten": "afgesloten"},
    "sex": {"M": "man", "V": "vrouw", "F": "vrouw", "X": "geslacht onbekend",
            "O": "geslacht onbekend"},
    "priority": {"hoog": "hoog", "midden": "midden", "laag": "laag", "onbekend": "onbekend"},
}

# Why a person is on the triage list (`person.concern_reasons`), as a sentence on the sheet
# and as a short phrase in the index.
CONCERN: dict[str, tuple[str, str]] = {
    "politie: verdachte": ("De politie registreerde deze persoon als verdachte.",
                           "verdachte bij de politie"),
    "politie: aangehouden": ("De politie heeft deze persoon aangehouden.",
                             "aangehouden door de politie"),
    "aangehouden": ("De politie heeft deze persoon aangehouden.",
                    "aangehouden door de politie"),
    "justitie: strafzaak": ("Het OM heeft (of had) een strafzaak tegen deze persoon.",
                            "verdachte in een strafzaak"),
    "zorg: pleger": ("In een zorgmelding staat deze persoon als pleger.",
                     "pleger in een zorgmelding"),
    "zorg: zorgen om persoon": ("Er is een zorgmelding uit zorg om deze persoon.",
                                "zorgmelding over deze persoon"),
}


def label(kind: str, code: object) -> str:
    """The Dutch label of a code; a list of codes ('a, b') label by label. An unknown code
    reads as words (underscores as spaces), never as a code."""
    if code is None or code == "":
        return ""
    text = str(code)
    labels = LABELS[kind]
    if text in labels:
        return labels[text]
    if ", " in text:
        return ", ".join(label(kind, part) for part in text.split(", "))
    return text.replace("_", " ")


def plural(n: int | None, one: str, many: str) -> str:
    """'1 registratie', '2 registraties' (and '0 registraties')."""
    count = n or 0
    return f"{count} {one if count == 1 else many}"


def _in_order(reasons: list[str] | None) -> list[str]:
    """Reasons in the order of `CONCERN` (police, justice, care), unknown ones last."""
    order = list(CONCERN)
    return sorted(reasons or [], key=lambda r: order.index(r) if r in order else len(order))


def concern_sentences(reasons: list[str] | None) -> list[str]:
    """Each reason the person is listed, as a sentence; one sentence once."""
    out: list[str] = []
    for reason in _in_order(reasons):
        sentence = CONCERN[reason][0] if reason in CONCERN else f"{label('role', reason)}."
        if sentence not in out:
            out.append(sentence)
    return out


def concern_phrase(reasons: list[str] | None) -> str:
    """Why the person is listed, short, for the index: 'verdachte bij de politie; …'."""
    out: list[str] = []
    for reason in _in_order(reasons):
        phrase = CONCERN[reason][1] if reason in CONCERN else label("role", reason)
        if phrase not in out:
            out.append(phrase)
    return "; ".join(out)


# --- dates -------------------------------------------------------------------------------

_STAMP = re.compile(r"^\d{8}T\d{6}$")  # a publication stamp: UTC, '20261127T031500'


def _as_datetime(value: object) -> date | datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        return value
    text = str(value)
    if _STAMP.match(text):
        return datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    try:
        return datetime.fromisoformat(text) if ("T" in text or " " in text) \
            else date.fromisoformat(text)
    except ValueError:
        return None


def dutch_date(value: object) -> str:
    """A day as people here write it: 'dd-mm-jjjj'. A value that is no date is shown as it
    came rather than hidden."""
    when = _as_datetime(value)
    if when is None:
        return "" if value in (None, "") else str(value)
    if isinstance(when, datetime) and when.tzinfo is not None:
        when = when.astimezone(TIMEZONE)
    return when.strftime("%d-%m-%Y")


MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december")


def dutch_long_date(value: object) -> str:
    """A day written out, as it reads inside a sentence: '3 december 2026' (a moment is taken
    in Amsterdam time). A value that is no date is shown as it came rather than hidden."""
    when = _as_datetime(value)
    if when is None:
        return "" if value in (None, "") else str(value)
    if isinstance(when, datetime) and when.tzinfo is not None:
        when = when.astimezone(TIMEZONE)
    return f"{when.day} {MONTHS[when.month - 1]} {when.year}"


def dutch_datetime(value: object) -> str:
    """A moment as 'dd-mm-jjjj hh:mm', in Amsterdam time (stamps are stored in UTC)."""
    when = _as_datetime(value)
    if when is None:
        return "" if value in (None, "") else str(value)
    if not isinstance(when, datetime):
        return when.strftime("%d-%m-%Y")
    if when.tzinfo is not None:
        when = when.astimezone(TIMEZONE)
    return when.strftime("%d-%m-%Y %H:%M")


# --- names -------------------------------------------------------------------------------

# Words that stay lower case inside a name (Dutch tussenvoegsels and common particles).
PARTICLES = frozenset({
    "van", "de", "der", "den", "het", "'t", "te", "ten", "ter", "in", "op", "aan", "bij",
    "uit", "onder", "voor", "over", "la", "le", "les", "du", "des", "da", "das", "do", "dos",
    "di", "del", "della", "von", "zu", "vom", "zum", "zur", "y", "e", "el", "al", "bin",
    "ben", "ibn", "'s", "a"})
_WORD = re.compile(r"([^\s\-]+)")


def person_name(name: str | None) -> str:
    """A name in display casing where it was delivered in capitals ('RAMAUTAR' -> 'Ramautar',
    'JAN VAN DER BERG' -> 'Jan van der Berg', 'Glenn RAMAUTAR' -> 'Glenn Ramautar') or all in
    lower case. A word in mixed case was cased by a person on purpose ('McDonald', 'van Dijk')
    and is kept as it is, as are initials ('T.P.') and one-letter words ('Tjon A Fong')."""
    if not name:
        return name or ""
    if not any(c.isalpha() for c in name):
        return name
    whole = name == name.upper() or name == name.lower()
    out: list[str] = []
    first = True
    for piece in _WORD.split(name):
        if not _WORD.fullmatch(piece):
            out.append(piece)
            continue
        shouting = piece.isupper() and "." not in piece \
            and sum(c.isalpha() for c in piece) >= 2
        out.append(_cased_word(piece.lower(), first) if whole or shouting else piece)
        first = False
    return "".join(out)


def _cased_word(word: str, first: bool) -> str:
    """One word of a lower-cased name: particles stay lower case (not at the very start,
    nor 'A' in 'Tjon A Fong', which the sources write in capitals), others get a capital."""
    if word in PARTICLES and not first and word != "a":
        return word
    if "'" in word:  # d'artagnan -> d'Artagnan, o'brien -> O'Brien
        head, _, tail = word.partition("'")
        if head in ("d", "l") and tail:
            return f"{head if not first else head.upper()}'{_capital(tail)}"
        return f"{_capital(head)}'{_capital(tail)}" if head else f"'{tail}"
    if word.startswith("mc") and len(word) > 2:
        return "Mc" + _capital(word[2:])
    return _capital(word)


def _capital(word: str) -> str:
    if word.startswith("ij"):  # Dutch digraph: IJsselmeer, IJzerman
        return "IJ" + word[2:]
    if "." in word:  # initials: 't.p.' -> 'T.P.'
        return word.upper()
    return word[:1].upper() + word[1:]


# --- search ------------------------------------------------------------------------------

# Letters that Unicode does not decompose into a base letter and a mark.
FOLD_MAP = {"ı": "i", "ø": "o", "ł": "l", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe",
            "þ": "th", "ð": "d", "ŀ": "l", "ħ": "h"}
_FOLD = str.maketrans(FOLD_MAP)


def fold(text: object) -> str:
    """Text as the index search compares it: lower case, without diacritics ('Çetin' ->
    'cetin', 'Wójcik' -> 'wojcik', 'Øztürk' -> 'ozturk'). The page's script folds what is
    typed the same way (`FOLD_JS`)."""
    if text is None:
        return ""
    lower = str(text).lower()
    if lower.isascii():   # most names: nothing to decompose or map (the same result, at once)
        return lower
    decomposed = unicodedata.normalize("NFKD", lower.translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_FOLD)


def _fold_js() -> str:
    """`fold` in the browser's JavaScript, from the same table: NFKD strips the marks."""
    table = ", ".join(f'"\\u{ord(k):04x}": "{v}"' for k, v in sorted(FOLD_MAP.items()))
    chars = "".join(f"\\u{ord(k):04x}" for k in sorted(FOLD_MAP))
    return ("function fold(s) { var m = {" + table + "}; "
            "s = String(s).toLowerCase().replace(/[" + chars + "]/g, "
            "function (c) { return m[c]; }); "
            "return s.normalize(\"NFKD\").replace(/[\\u0300-\\u036f]/g, \"\"); }")


FOLD_JS = _fold_js()


def search_text(naam: str | None, person_id: str | None, woonplaats: str | None,
                geboortejaar: object, geboortedatum: object) -> str:
    """What the index search looks in for one person, folded: the name as delivered and as
    shown, the person id, the woonplaats, the birth year and the birth date as shown
    (dd-mm-jjjj). Every word searched must occur in it. The published index carries it per row
    for its own script; `foto serve` searches the same text in `triage.duckdb`."""
    parts = (naam, person_name(naam), person_id, woonplaats, geboortejaar,
             dutch_date(geboortedatum))
    return " ".join(fold(v) for v in parts if v)


def search_words(query: str) -> list[str]:
    """A search as the words that must each occur in `search_text` (folded as it is)."""
    return fold(query).split()
