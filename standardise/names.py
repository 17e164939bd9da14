"""Name knowledge that no library holds for Dutch registers: transliteration groups and a
phonetic key.

Transliteration groups: one given name written in Latin script in several ways (Arabic, Turkish,
Somali names in Dutch registers). Every spelling maps to the group's first spelling. Nicknames
(Kees for Cornelis) are not spellings and are deliberately absent: they would link strangers.

The phonetic key folds spellings that Dutch clerks hear alike (ij/ei/y, ch/g, c/k, z/s, ph/f,
dt/d/t at the end, doubled letters, silent h), so `Smit`/`Smid`, `Bruijn`/`Bruyn`/`Bruin` and
`Janssen`/`Jansen` share a key.
"""

from __future__ import annotations

TRANSLITERATION_GROUPS: list[tuple[str, ...]] = [
    ("mohamed", "mohammed", "muhammad", "mohammad", "mohamad", "muhammed", "mohamet",
     "mohammet", "muhamed", "mouhamed", "mohamud", "mahamed"),
    ("ahmed", "ahmad", "achmed", "ahmet", "achmad"),
    ("mehmet", "mehmed", "memet", "mehmmet", "mehmat"),
    ("youssef", "yusuf", "youssouf", "yousef", "yousif", "yusef", "joesoef", "yussuf",
     "youssuf", "jusuf", "yousouf"),
    ("mustafa", "mustapha", "moestafa", "mostafa", "mustefa"),
    ("abdelkader", "abdulkadir", "abdelkadir", "abdelkadr", "abdoelkadir"),
    ("abdullah", "abdallah", "abdellah", "abdulla", "abdoellah"),
    ("said", "saeed", "saied", "saïd", "sayed", "sayid"),
    ("rachid", "rashid", "rasheed", "rashied", "rachied"),
    ("karim", "kareem", "kerim", "kariem"),
    ("hassan", "hasan", "hasaan", "hassane"),
    ("hussein", "husein", "hussain", "hoessein", "huseyin", "hussien", "houssein"),
    ("ibrahim", "ebrahim", "ibrahiem", "brahim", "ibraheem"),
    ("ismail", "ismael", "esmail", "smail", "ismaïl"),
    ("khalid", "khaled", "chalid", "halid", "khalied"),
    ("omar", "umar", "omer", "oumar"),
    ("yassin", "yasin", "yassine", "yaseen", "jassin"),
    ("younes", "yunus", "yunes", "younis", "younus", "joenoes"),
    ("ayoub", "ayub", "eyup", "ayyub", "ajoeb"),
    ("ilias", "ilyas", "iliass", "elias", "ilyass"),
    ("zakaria", "zakariya", "zakariyya", "zakariae", "zacharia"),
    ("soufiane", "sufyan", "sofian", "soufian", "sofyan", "sufian"),
    ("bilal", "bilaal", "belal"),
    ("hamza", "hamzah", "hamsa"),
    ("samir", "sameer", "samier"),
    ("fatima", "fatma", "fatema", "fatimah", "fadma", "fatiha"),
    ("aisha", "aicha", "ayse", "aysha", "aischa", "aïcha", "ayesha"),
    ("khadija", "khadidja", "hatice", "khadijah", "kadija", "chadija"),
    ("nour", "noor", "nur"),
    ("meryem", "maryam", "mariam", "meriem", "meryam"),
    ("zeynep", "zainab", "zaynab", "zeinab"),
]

NAME_GROUP: dict[str, str] = {
    spelling: group[0] for group in TRANSLITERATION_GROUPS for spelling in group
}

# Ordered rewrites (regex, replacement) applied to a folded name.
PHONETIC_RULES: list[tuple[str, str]] = [
    (r"[^a-z]", ""),
    (r"uij|uy", "ui"),
    (r"ij|ei|ey|y", "y"),
    (r"ph", "f"),
    (r"sch", "s"),
    (r"ch", "g"),
    (r"ck", "k"),
    (r"c([^eiy]|$)", r"k\1"),
    (r"c", "s"),
    (r"qu", "kw"),
    (r"x", "ks"),
    (r"z", "s"),
    (r"dt$|d$", "t"),
    (r"([bdfgklmnprstvw])h", r"\1"),
    (r"ou|au", "au"),
    (r"oe", "u"),
    (r"ie", "i"),
    # RE2 has no back-references in patterns: collapse each doubled letter on its own.
    *((f"{letter}{letter}+", letter) for letter in "abcdefghijklmnopqrstuvwxyz"),
]
