"""Towns, postcodes, streets, dwellings and birthplaces: where the synthetic persons live.

Why: addresses are a matching signal and a source of noise (stale addresses, toevoegingen,
postcode styles); the region's woonplaatsen with their gemeentecodes and postcode ranges, and
the dwellings drawn from them, are one concern separate from who lives there.
"""

from dataclasses import dataclass

import numpy as np

from .dates import YEAR, ymd
from .draws import obj, pick, rank_within, split_list, unique_ints, zfill
from .names import ORIGINS

# Woonplaats: (gemeentecode, postcode low, postcode high, weight, streets)
REGION_TOWNS: dict[str, tuple[str, int, int, float, str]] = {
    "Rotterdam": (
        "0599",
        3011,
        3089,
        0.62,
        """Wolphaertsbocht, Coolsingel, Beijerlandselaan,
        Putselaan, Groene Hilledijk, Zwart Janstraat, Bergweg, Noordsingel, 's-Gravendijkwal,
        Nieuwe Binnenweg, Mathenesserlaan, Schiedamseweg, Grote Visserijstraat,
        Jonker Fransstraat, Goudsesingel, Kleiweg, Straatweg, Lange Hilleweg, Dordtselaan,
        Pleinweg, Vaanweg, Slinge, Zuiderparkweg, Oldegaarde, Kruisnetlaan, Hilledijk,
        Oranjeboomstraat, Stadhoudersweg, Bergse Dorpsstraat, Rosestraat, Hillevliet,
        Paul Krugerstraat, Gruttostraat, Tweebosstraat, Katendrechtse Lagedijk, Mijnsherenlaan,
        Schieweg, Zaagmolenkade, Gordelweg, Crooswijkseweg, Boezemweg, Oudedijk,
        Kralingse Plaslaan, Prinsenlaan, Ommoordseweg, Hesseplaats, Burgemeester Baumannlaan,
        Spinozaweg, Carnissesingel, Vreewijkstraat, Asterlo, Sint-Janssteeg, Mathenesserdijk,
        Bloklandstraat, Zestienhovensekade, Hoogvlietsekerkweg, Middenbaan-Noord,
        Aleidisstraat, Korte Hoefsteeg, Varkenoordseweg""",
    ),
    "Schiedam": (
        "0606",
        3111,
        3125,
        0.08,
        """Broersvest, Lange Haven, Nieuwe Damlaan,
        Rotterdamsedijk, Mgr. Nolenslaan, Churchillweg, 's-Gravelandseweg, Hof van Spaland,
        Parkweg, Burgemeester Knappertlaan""",
    ),
    "Vlaardingen": (
        "0622",
        3131,
        3138,
        0.07,
        """Hoogstraat, Westhavenkade, Van Hogendorplaan,
        Marathonweg, Holysingel, Billitonlaan, Schiedamseweg, Binnensingel""",
    ),
    "Capelle aan den IJssel": (
        "0502",
        2901,
        2909,
        0.07,
        """Slotlaan, Kerklaan, Couwenhoekseweg,
        Lijstersingel, Bermweg, Merellaan, Kanaalweg, Reigerlaan""",
    ),
    "Spijkenisse": (
        "1930",
        3200,
        3209,
        0.06,
        """Noordkade, Kolk, Hoogstraat, Groene Kruisweg,
        Nieuwstraat, Maaswijkweg""",
    ),
    "Barendrecht": (
        "0489",
        2991,
        2994,
        0.04,
        """Middenbaan, Dorpsstraat, Gebroken Meeldijk,
        Carnisse Veste, Dierensteinweg""",
    ),
    "Ridderkerk": (
        "0597",
        2981,
        2987,
        0.03,
        """Koningsplein, Vlietlaan, Rijksstraatweg,
        Sint Jorisstraat""",
    ),
    "Maassluis": (
        "0556",
        3140,
        3147,
        0.02,
        """Govert van Wijnkade, Noordvliet, Uiverlaan,
        Sportlaan""",
    ),
    "Krimpen aan den IJssel": (
        "0542",
        2921,
        2926,
        0.01,
        """Nieuwe Tiendweg, Raadhuisplein,
        Ouverturelaan""",
    ),
}


OUTSIDE_TOWNS: dict[str, tuple[str, int, int, float, str]] = {
    town: (
        "0000",
        lo,
        hi,
        w,
        """Kerkstraat, Dorpsstraat, Stationsweg, Molenweg, Julianalaan,
        Wilhelminastraat, Schoolstraat, Beatrixlaan, Hoofdstraat, Parallelweg, Emmastraat,
        Oranjestraat, Nieuwstraat, Marktstraat, Prins Hendrikstraat, Lindenlaan, Esdoornlaan,
        Van Goghstraat, Rembrandtlaan, Vondelstraat""",
    )
    for town, lo, hi, w in (
        ("Den Haag", 2491, 2597, 0.3),
        ("Dordrecht", 3311, 3329, 0.15),
        ("Utrecht", 3511, 3585, 0.15),
        ("Amsterdam", 1011, 1109, 0.15),
        ("Gouda", 2801, 2809, 0.05),
        ("Zoetermeer", 2711, 2729, 0.08),
        ("Delft", 2611, 2629, 0.07),
        ("Breda", 4811, 4838, 0.05),
    )
}


POSTCODE_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"


BIRTHPLACES: dict[str, tuple[str, str]] = {
    "NL": (
        """Rotterdam, Schiedam, Vlaardingen, Capelle aan den IJssel, Dordrecht, 's-Gravenhage,
        Spijkenisse, Amsterdam, Utrecht, Delft, Gouda, Leiden, Zwijndrecht, Ridderkerk,
        Maassluis, Barendrecht, Hellevoetsluis, Breda, Eindhoven, Groningen""",
        "50, 6, 5, 3, 4, 5, 3, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1",
    ),
    "turkish": ("Ankara, İstanbul, Konya, Kayseri, Sivas, Yozgat, Afyonkarahisar, Emirdağ", ""),
    "moroccan": ("Nador, Al Hoceima, Tanger, Casablanca, Oujda, Berkane, Tetouan", ""),
    "surinamese": ("Paramaribo, Nickerie, Wanica, Willemstad, Oranjestad", "6, 1, 1, 2, 1"),
    "polish": ("Warszawa, Kraków, Wrocław, Gdańsk, Łódź, Poznań, Lublin", ""),
    "other": ("Praia, Mogadishu, Damascus, Aleppo, Sofia, Boekarest, Luanda, Lissabon", ""),
}


BIRTHPLACE_VARIANTS = {
    "'s-Gravenhage": "Den Haag",
    "Capelle aan den IJssel": "Capelle a/d IJssel",
    "İstanbul": "Istanbul",
    "Warszawa": "Warschau",
    "Kraków": "Krakau",
}


@dataclass
class Addresses:
    """Dwellings: region ones (BRP) first, then ones outside the region."""

    town: np.ndarray
    street: np.ndarray
    number: np.ndarray
    letter: np.ndarray
    toev: np.ndarray
    postcode: np.ndarray  # '3083KM'
    adres_id: np.ndarray
    region: np.ndarray


STREET_STEMS = split_list(
    """Azalea, Berken, Eiken, Linden, Kastanje, Wilgen, Populier, Merel, Spreeuw, Zwaluw,
    Vinken, Reiger, Rembrandt, Vermeer, Frans Hals, Jan Steen, Vondel, Bilderdijk, Da Costa,
    Tollens, Schelde, Waal, Lek, Linge, Dommel, Prins Hendrik, Oranje, Nassau, Hugo de Groot,
    Erasmus, Spinoza, Jasmijn, Tulpen, Rozen, Anjer, Seringen, Lupine, Zonnebloem, Korenbloem,
    Akker, Molen, Polder, Dijk, Haven, Vissers, Koopvaardij, Scheepmakers, Touwslagers"""
)


STREET_SUFFIXES = split_list("straat, laan, weg, singel, plein, hof, kade, dreef")


def street_catalog(
    towns: dict, synthetic: bool
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Streets per town (real names, plus a synthetic tail in the region), fixed per release.

    Returns the street names, their town index, their index within the town and their
    relative length (how many house numbers they have, around 1).
    """
    catalog = np.random.default_rng(20261127)  # geography does not depend on the seed
    names = list(towns)
    per_town = [split_list(towns[t][4]) for t in names]
    if synthetic:
        extra = [stem + suffix for stem in STREET_STEMS for suffix in STREET_SUFFIXES]
        weights = np.array([towns[t][3] for t in names])
        town_of = catalog.choice(len(names), len(extra), p=weights / weights.sum())
        for street, ti in zip(extra, town_of, strict=True):
            if street not in per_town[ti]:
                per_town[ti].append(street)
    streets = [st for town in per_town for st in town]
    town_idx = np.concatenate([np.full(len(t), i) for i, t in enumerate(per_town)])
    local = np.concatenate([np.arange(len(t)) for t in per_town])
    return streets, town_idx, local, catalog.uniform(0.3, 1.7, len(streets))


def dwelling_variants(
    key: np.ndarray, rank: np.ndarray, count: np.ndarray, u: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Huisletter and toevoeging per dwelling, unique within a building (same street+number).

    A building's style (letters A, B ...; floors hs, 1, 2 ...; flats 01, 02 ...) follows from
    its key; a one-dwelling building is a plain number, now and then with a letter.
    """
    n = key.size
    style = (key * 2654435761 % 2**32) % 3
    letters = obj(list(" ABCDEFGHJK"))
    letter, toev = obj("", n), obj("", n)
    multi = count > 1
    lst = multi & (style == 0) & (rank < 10)
    letter[lst] = letters[rank[lst]]
    letter[lst & (rank == 0)] = ""
    big = multi & (style == 0) & (rank >= 10)
    toev[big] = zfill(rank[big], 1)
    fl = multi & (style == 1)
    toev[fl] = np.where(rank[fl] == 0, "hs", zfill(rank[fl], 1))
    flat = multi & (style == 2)
    toev[flat] = zfill(rank[flat] + 1, 2)
    single_letter = ~multi & (u < 0.05)
    letter[single_letter] = np.where(u[single_letter] < 0.035, "A", "B")
    return letter, toev


def draw_addresses(rng: np.random.Generator, n: int, towns: dict, region: bool) -> Addresses:
    """``n`` distinct dwellings: buildings on streets, several dwellings where numbers repeat.

    Postcodes are consistent per street block; adres_id looks like a BAG nummeraanduiding.
    """
    streets, st_town, st_local, rel = street_catalog(towns, synthetic=region)
    names = list(towns)
    town_w = np.array([towns[t][3] for t in names])
    w = town_w[st_town] / np.bincount(st_town)[st_town] * rel
    base = int(np.clip(n / (len(streets) * 1.6), 20, 300))
    length = np.maximum(4, np.round(base * rel)).astype(np.int64)
    st = rng.choice(len(streets), n, p=w / w.sum())
    num = 1 + np.floor(rng.random(n) * length[st]).astype(np.int64)
    key = st * 10_000 + num
    order = np.argsort(key, kind="stable")
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = rank_within(key[order])
    letter, toev = dwelling_variants(key, rank, counts[inverse], rng.random(n))
    town_idx = st_town[st]
    lo = np.array([towns[t][1] for t in names])[town_idx]
    hi = np.array([towns[t][2] for t in names])[town_idx]
    digits = lo + (st_local[st] * 7 + num // 40) % (hi - lo + 1)
    pair = (st * 37 + (num // 12) * 11) % len(POSTCODE_LETTERS) ** 2
    letters = obj(list(POSTCODE_LETTERS))
    postcode = (
        zfill(digits, 4)
        + letters[pair // len(POSTCODE_LETTERS)]
        + letters[pair % len(POSTCODE_LETTERS)]
    )
    gem = obj([towns[t][0] for t in names])[town_idx]
    seq = unique_ints(rng, n, 0, 10**10)
    return Addresses(
        town=obj(names)[town_idx],
        street=obj(streets)[st],
        number=num,
        letter=letter,
        toev=toev,
        postcode=postcode,
        adres_id=gem + "20" + zfill(seq, 10),
        region=np.full(n, region),
    )


def concat_addresses(a: Addresses, b: Addresses) -> Addresses:
    """Concatenate two address tables."""
    return Addresses(
        *(np.concatenate([getattr(a, f), getattr(b, f)]) for f in Addresses.__dataclass_fields__)
    )


def draw_birthplaces(
    rng: np.random.Generator, origin: np.ndarray, dob: np.ndarray, ref: int
) -> np.ndarray:
    """Birthplace: foreign for many first-generation migrants, Dutch towns otherwise."""
    n = origin.size
    birth_year = ymd(dob)[0]
    p_abroad = np.select([birth_year < 1975, birth_year < 1995], [0.85, 0.5], default=0.1)
    p_abroad = np.where(
        origin == ORIGINS.index("polish"), np.where(ref - dob > 20 * YEAR, 0.95, 0.4), p_abroad
    )
    abroad = (origin > 0) & (rng.random(n) < p_abroad)
    names, weights = BIRTHPLACES["NL"]
    out = pick(rng, split_list(names), n, p=[float(w) for w in split_list(weights)])
    for gi, g in enumerate(ORIGINS[1:], start=1):
        m = abroad & (origin == gi)
        k = int(m.sum())
        if k:
            names, weights = BIRTHPLACES[g]
            w = [float(x) for x in split_list(weights)] if weights else None
            out[m] = pick(rng, split_list(names), k, p=w)
    return out
