"""Surnames with the frequencies of the region: a head of real names at their real shares and a
long synthetic tail built from name parts, per origin.

Why: blocking compares the records that share a surname key, so the cost of matching and what
it misses at scale depend on how common the commonest surnames are. In the Netherlands the ten
commonest surnames (De Jong 0.53%, Jansen 0.45%, De Vries 0.44%, ...) hold about 4% of the
population and there are some 300,000 distinct surnames. A generator whose few dozen names
hold most persons makes blocks that grow far faster with the region than real ones do (the
one this replaces gave its ten commonest surname keys 15% of the persons), so growth measured
on it is not the growth a region would see. `tests/test_surname_frequencies.py` keeps the
share within bounds.

How the shares are built, per origin:

- **Head**: the listed names in rank order. The leading ones carry their measured share of the
  origin's persons (`HEAD_SHARES`); for Dutch names that is the national share (Meertens
  Instituut, Nederlandse Familienamenbank) divided by the share of the population of Dutch
  origin (about 0.75), since Turkish, Moroccan and other families rarely carry them.
- **Tail**: names combined from parts (`TAIL_PARTS`: 'Hoog' + 'veld' + 'er'), in a fixed
  pseudo-random order (by checksum, so the same for every seed), after the listed names.
- Every rank after the measured ones gets a share that falls as a power of the rank,
  continuing from the last measured share, with the exponent chosen so the shares add up to
  one (`_power_shares`): a heavy-tailed distribution like the real one, where the number of
  distinct surnames keeps growing with the population.
"""

from __future__ import annotations

import functools
import zlib

import numpy as np

from .draws import obj, split_list
from .names import ORIGINS, TUSSENVOEGSELS

SURNAMES: dict[str, str] = {
    "dutch": """de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Janssen, Visser, Smit,
        Meijer, de Boer, Mulder, de Groot, Bos, Vos, Peters, Hendriks, van Leeuwen, Dekker,
        Brouwer, de Wit, Dijkstra, Smits, de Graaf, van der Meer, van der Linden, Kok, Jacobs,
        de Haan, Vermeulen, van den Heuvel, van der Veen, van den Broek, de Bruijn, de Bruin,
        van der Heijden, Schouten, van Beek, Willems, van Vliet, van de Ven, Hoekstra, Maas,
        Verhoeven, Koster, van Dam, van der Wal, Prins, Blom, Huisman, Peeters, de Lange,
        van Wijk, Kuipers, Post, van der Velden, Kramer, Schipper, Vink, Kuijpers, van der Laan,
        Verbeek, van Doorn, Hermans, Wouters, Bosman, Martens, van Rijn, Gerritsen, van Es,
        de Ruiter, Scholten, ten Brink, ter Horst, ten Have, ter Haar, in 't Veld, in 't Hout,
        van 't Hof, van de Velde, den Hartog, den Ouden, Molenaar, Jonker, Mol, Timmermans,
        Veenstra, Koning, van den Bosch, van der Zee, de Koning, Kroon, Groen, Evers, Boon,
        Verschoor, Sluijter, IJzerman, van IJperen, Smeets, de Ridder, Hoogendoorn, Zwart,
        Hofman, de Kok, van Gelder, Goossens, Claassen, Roos, Leenders, van Wijngaarden,
        Mertens, van der Ploeg, van Rooij, Dirksen, Pronk, van Os, Wijnen, van der Horst,
        Lambregts, Verweij, Bouwman, van Kempen, Rietveld, Versteeg, Hoogland, Vlasblom,
        van der Waal, Stolk, Spaans, Zuidervaart, Groeneveld, Breedveld, Verhoef, van Vuuren,
        Bijl, Kooiman, van Splunter, Poot, Stam, Boogaard, Verkerk, van Tol, Hooijmans,
        Ouwehand""",
    "turkish": """Yilmaz, Kaya, Demir, Şahin, Çelik, Yıldız, Yıldırım, Öztürk, Aydın, Özdemir,
        Arslan, Doğan, Kılıç, Aslan, Çetin, Kara, Koç, Kurt, Özkan, Şimşek, Polat, Ünal,
        Korkmaz, Erdoğan, Güneş, Aksoy, Karaca, Tekin, Bulut, Keskin, Çakır, Uçar, Turan, Akın,
        Yavuz, Bozkurt, Coşkun, Taş""",
    "moroccan": """El Idrissi, Benali, El Amrani, Bakkali, El Khatib, Bouali, Ait Ouali,
        El Ouazzani, Ouali, Haddou, Boukhari, Ziani, Tahiri, El Hamdaoui, Azzouz, Chaouch,
        Belhaj, Abdellaoui, El Bouzidi, Akhnikh, Achahbar, Bouzerda, El Yassini, Amezian,
        Boutaher, Essafi, Lamrani, Ahajjam, Boulahrouz, El Messaoudi, Aberkane, Amrani,
        Ouaali, Bouchtaoui""",
    "surinamese": """Ramdin, Jagessar, Pinas, Ramsaran, Wijngaarde, Sewnath, Kross, Mahabier,
        Sabajo, Ramautar, Fraser, Bhageloe, Doelwijt, Kalloe, Linger, Soekhai, Esajas, Baldew,
        Vanenburg, Ramkisoen, Amatsaleh, Lachman, Martina, Isenia, Girigorie, Rosalia, Maduro,
        Croes, Statia, Brandon, Tjon A Fong, Lie A Ling, Karsters, Nelom""",
    "polish": """Nowak, Kowalski, Wiśniewski, Wójcik, Kowalczyk, Kamiński, Lewandowski,
        Zieliński, Szymański, Woźniak, Dąbrowski, Kozłowski, Jankowski, Mazur, Kwiatkowski,
        Krawczyk, Piotrowski, Grabowski, Pawlak, Michalski""",
    "other": """Silva, Santos, Lopes, Fernandes, Gomes, Rodrigues, Monteiro, Ali, Hassan, Abdi,
        Warsame, Mohamud, Haddad, Alhamad, Al-Hussein, Khalil, Ivanov, Petrov, Georgiev,
        Popescu, Ionescu, Stoica, Tesfay, Mendes""",
}

# Share of the origin's persons (percent) carrying each of the first listed names.
# Dutch: bearers per 100,000 inhabitants of the Netherlands (Nederlandse Familienamenbank,
# ranks 1-50, rounded) divided by 0.75, the share of the population of Dutch origin.
# Turkish: Turkey's commonest surnames (Yılmaz about 1.2% of the population). Polish: Poland's
# (Nowak about 0.5%). Moroccan, Surinamese and other names are more varied; their leading
# shares are estimates of the same order.
_NL_PER_100K = (530, 450, 440, 370, 360, 350, 340, 310, 280, 260,
                243, 238, 235, 226, 194, 193, 189, 182, 177, 168,
                166, 163, 158, 158, 154, 147, 146, 145, 144, 143,
                140, 139, 139, 136, 134, 132, 130, 129, 128, 127,
                126, 125, 124, 122, 121, 120, 119, 118, 116, 116)
DUTCH_ORIGIN_SHARE = 0.75
HEAD_SHARES: dict[str, tuple[float, ...]] = {
    "dutch": tuple(n / 1000 / DUTCH_ORIGIN_SHARE for n in _NL_PER_100K),
    "turkish": (1.2, 0.85, 0.8, 0.7, 0.65, 0.6, 0.6, 0.5, 0.5, 0.5),
    "moroccan": (0.7, 0.6, 0.5, 0.45, 0.4),
    "surinamese": (0.7, 0.6, 0.5, 0.45, 0.4),
    "polish": (0.53, 0.36, 0.29, 0.26, 0.26, 0.25, 0.24, 0.23, 0.23, 0.23),
    "other": (1.0, 0.8, 0.6, 0.5, 0.5),
}

# Parts of the synthetic tail, per origin: groups of (first parts, second parts[, endings]);
# every first part is joined with every second part (and ending). A first part ending in a
# space stays a word of its own ('El Hamdi'); otherwise the second part is written in lower case
# ('Hoogveld'). Patronymics join given names with their endings the same way.
TAIL_PARTS: dict[str, list[tuple[str, ...]]] = {
    "dutch": [
        # place and nature words, each with a place or dwelling word and an ending:
        # 'Hoogveld', 'Hoogvelds', 'Hoogvelder', 'Hoogveldman', 'Hoogveldink'
        ("""Berg, Brink, Hoog, Klein, Groot, Groen, Oost, West, Noord, Zuid, Molen, Meulen,
            Kamp, Veld, Dijk, Kerk, Steen, Hof, Water, Bosch, Linde, Lange, Rijn, Blanken, Zand,
            Veen, Beek, Broek, Horst, Holt, Hout, Wijk, Haar, Laar, Loo, Heuvel, Kolk, Wal, Poel,
            Sloot, Vliet, Brug, Pol, Hamer, Schaap, Klooster, Kuil, Berk, Eik, Wilg, Roos, Bloem,
            Zon, Ster, Wind, Storm, Goud, Zilver, Koper, IJzer, Wolf, Beer, Haas, Valk, Kraai,
            Zwaan, Kraan, Hert, Leeuw, Haag, Hees, Ham, Meer, Dal, Duin, Akker, Weide, Heide,
            Esch, Keizer, Graaf, Heer, Oude, Nieuw, Wit, Zwart, Rood, Bruin, Vroom, Kort, Breed,
            Schip, Vaart, Plas, Stad, Dorp, Burg, Toren, Poort, Hoek, Kant, Zijl, Sluis, Dam,
            Kade, Werf, Schuur, Stal, Hoeve, Tuin, Riet, Mos, Gras, Kalk, Krom, Recht, Ooster,
            Wester, Achter, Boven, Neder, Over, Midden, Zeven, Hooge, Lage, Ruiter, Linden""",
         """berg, brink, veld, dijk, kamp, hof, huis, horst, broek, beek, hout, holt, wijk,
            meer, dam, veen, laar, loo, weg, vliet, sloot, kerk, steen, burg, bosch, water,
            haar, heuvel, boom, dorp, gaard, akker, land, waard, werf, kade, poel, hoek, kant,
            zijl, sluis, wal, molen, stee, schot, rode, hage, straten, velde, dijke, kampen,
            hoven, huizen, donk, rijt, bergen, vaart, leest, hem, heim, weerd, wold, kolk,
            poort, drecht, gouw, wierde, terp""",
         ", s, er, e, man, ink"),
        # the same first parts with a person word: 'Hoogman', 'Brinkstra', 'Veenema'
        ("""Berg, Brink, Hoog, Klein, Groot, Groen, Oost, West, Noord, Zuid, Molen, Kamp,
            Veld, Dijk, Kerk, Steen, Hof, Water, Bosch, Linde, Lange, Zand, Veen, Beek, Broek,
            Horst, Holt, Wijk, Haar, Laar, Heuvel, Kolk, Poel, Sloot, Vliet, Brug, Pol, Hamer,
            Klooster, Berk, Eik, Roos, Bloem, Wolf, Valk, Zwaan, Haag, Meer, Duin, Akker, Heide,
            Esch, Keizer, Dorp, Burg, Toren, Hoek, Dam, Werf, Schuur, Tuin, Riet, Krom""",
         "man, mans, stra, ma, sma, ema, inga, ing, ens, ink, er, ers, je, jes"),
        # patronymics: 'Pietersen', 'Gerritsma', 'Hendrikse', 'Klaassens'
        ("""Jan, Pieter, Klaas, Gerrit, Hendrik, Dirk, Willem, Cornelis, Jacob, Harm, Albert,
            Evert, Geert, Lammert, Roelof, Wiebe, Sjoerd, Douwe, Tjeerd, Jelle, Hidde, Wouter,
            Maarten, Arend, Teunis, Reinier, Bart, Joost, Adriaan, Frans, Marten, Meindert,
            Ruurd, Hessel, Sietse, Folkert, Egbert, Berend, Jurre, Gijsbert, Aart, Thijs, Wessel,
            Lubbert, Hiddo, Rienk, Siebe, Oene, Tjalling, Anne, Feike, Gosse""",
         "sen, se, s, sma, stra, ema, inga, ens, sens, x, ing, kes, ke"),
    ],
    "turkish": [
        ("""Kara, Ak, Öz, Er, Ay, Gün, Al, Koca, Demir, Taş, Gök, Bay, Yıldız, Kılıç, Çelik,
            Ok, Tur, Uz, Bil, Can, Şen, Düz, Sarı, Alp, Ateş, Kurt, Aslan, Doğan, Yücel, Tekin,
            Yavuz, Akın, Acar, Bal, Eren, Ergin, Gür, Kaplan, Keskin, Boz""",
         """kaya, taş, oğlu, can, türk, demir, soy, han, er, dağ, göz, el, yurt, bay, ay, tekin,
            kan, ok, yiğit, baş, çelik, men, tepe, su, yol, gül, ağa, dere, ova, koç, kurt,
            yıldız, doğan, alp, ateş, pınar, çay, kılıç, tan, bulut"""),
        ("""Mehmet, Ahmet, Hasan, Hüseyin, Ali, Mustafa, Osman, İbrahim, Halil, Ömer, Yusuf,
            İsmail, Kemal, Murat, Hacı, Molla, Kadı, Emir, Bekir, Veli, Hamza, Salih, Musa,
            Yakup, Arif""",
         "oğlu, gil, er, can"),
    ],
    "moroccan": [
        ("El , Ben , Bou, Ait , Abou , Ould , ",
         """Hamdi, Kaddouri, Mansouri, Yahyaoui, Allouchi, Morabit, Harrak, Azzaoui, Fassi,
            Ghazouani, Haddaoui, Jabri, Khamlichi, Alaoui, Rifi, Ouahabi, Tounsi, Zaari, Amrani,
            Idrissi, Khattabi, Bakkali, Hajji, Achouri, Aissaoui, Bouzidi, Chaoui, Dahmani,
            Fadili, Ghalbzouri, Hassani, Jaouhari, Kasmi, Lahlou, Marzouki, Naciri, Ouazzani,
            Qasmi, Rahmouni, Saidi, Tahiri, Yousfi, Zerouali, Azzouzi, Baghdadi, Charkaoui,
            Douiri, Filali, Ghanmi, Hilali, Jamali, Karimi, Mahdaoui, Nouri, Rachidi, Sabri,
            Taibi, Wahbi, Zaidi, Abbassi, Belkadi, Chergui, Daoudi, Fethi, Ghoulam, Hammouchi,
            Issaoui, Kabbaj, Lakhdar, Madani, Nejjari, Ouarghi, Rabii, Sefrioui, Tazi, Yacoubi,
            Zemmouri, Mokhtari, Bennani, Chraibi, Drissi, Ferhat, Guennoun, Hamdaoui"""),
    ],
    "surinamese": [
        ("""Ram, Jag, Sew, Mahab, Bal, Lach, Dew, Chan, Per, Gan, Sit, Har, Ragh, Bhag, Sahad,
            Jai, Bis, Kis, Shiw, Mang, Rad, Tew, Ganp, Moh""",
         """din, essar, nath, sing, dew, oe, kisoen, autar, bier, charan, pat, lal, ram, dhan,
            kalan, ware, persad, sarup, jiawan, baran"""),
        ("Pawiro, Kario, Sadi, Soe, Kromo, Wongso, Redjo, Sastro, Karto, Amat, Moes, Djo",
         "dikromo, redjo, sentono, wirjo, semito, dimedjo, kario, pawiro, dongso, rono, min"),
        ("""Tjon A , Lie A , Ho A , Kom A , Sie A , Tjin A , Fung A , Kon A """,
         "Fong, Ling, Chuck, Joe, Kwie, Sam, Tam, Loi, Man, Hin, Sjoe, Pau, Tsoi, Njoe"),
    ],
    "polish": [
        ("""Kowal, Krawc, Wójc, Nowa, Pawl, Mazur, Adam, Jakub, Marcin, Stefan, Woźni, Sob,
            Kacz, Kubi, Grzel, Zając, Król, Wróbl, Kozł, Jank, Kwiatk, Piotr, Grab, Michal,
            Sad, Olsz, Wiśni, Dąbr, Lewand, Malin, Jabł, Zieli, Kamie, Szyma, Bieli, Zalew,
            Czarn, Biał, Gór, Las, Dudz, Kras, Ostrow, Rutk, Sikor, Wilk, Baran, Kos, Szczep""",
         "ski, czyk, ak, ek, ewicz, iak, owski, ecki, uk, owicz"),
    ],
    "other": [
        ("da , dos , de , ",
         """Silva, Santos, Costa, Pereira, Oliveira, Sousa, Ferreira, Almeida, Carvalho,
            Teixeira, Correia, Martins, Barbosa, Pinto, Ribeiro, Cardoso, Moreira, Nunes, Soares,
            Vieira, Lima, Araújo, Rocha, Machado, Cunha"""),
        # 'Al ' as a word of its own: 'Al-' would make every such name a double name whose
        # first part, and so its surname key, is 'al'
        ("Al , ",
         """Hussein, Hamad, Khatib, Sayed, Obeid, Rashid, Masri, Shami, Ahmad, Zoubi, Najjar,
            Bakri, Jaber, Qasim, Darwish, Saleh, Hariri, Tamimi, Jabouri, Amiri"""),
        ("""Ivan, Petr, Georgi, Dimitr, Stoyan, Nikol, Todor, Vasil, Kostadin, Angel, Hrist,
            Marin, Pavl, Yordan, Stefan, Kiril, Atanas, Iliy, Mihayl, Borisl""",
         "ov, ev"),
        ("""Pop, Ion, Stan, Rad, Dumitr, Constantin, Marin, Neag, Vasil, Gheorgh, Flor, Munt,
            Tudor, Dobr, Mihail, Bogd, Sorin, Lazar, Cristi, Andr""",
         "escu, eanu, ache, a"),
        ("",
         """Farah, Jama, Osman, Abdullahi, Nur, Gebre, Haile, Kidane, Berhe, Tekle, Woldu,
            Mebrahtu, Negash, Asfaw, Yohannes, Abera, Tadesse, Girma, Bekele, Kebede, Dahir,
            Aden, Egal, Guled, Hirsi, Ibrahim, Samatar, Shire, Warfa, Yusuf"""),
    ],
}

# Tussenvoegsels that a synthetic Dutch tail name of place words (the first group of parts)
# may carry ('van Hoogveld'), and in how many of ten such names.
TAIL_TUSSENVOEGSELS = ("van", "van de", "van der", "van den", "ter", "ten", "de")
TAIL_TUSSENVOEGSEL_IN_TEN = 2


def _parts(text: str) -> list[str]:
    """Comma-separated parts; a part ending in a space keeps it, an empty part is kept as ''."""
    return [p.lstrip() for p in text.split(",")]


def _join(first: str, second: str) -> str:
    if not first:
        return second.strip()
    return first + second.strip() if first.endswith(" ") or first.endswith("-") \
        else first + second.strip().lower()


def _tail_names(origin: str, taken: set[str]) -> list[tuple[str, int]]:
    """Every combination of the origin's parts, without those already taken (lower case), with
    the index of the group of parts it came from."""
    seen = set(taken)
    out: list[tuple[str, int]] = []
    for g, group in enumerate(TAIL_PARTS.get(origin, [])):
        firsts = _parts(group[0])
        seconds = [p.strip() for p in _parts(group[1]) if p.strip()]
        endings = [p.strip() for p in _parts(group[2])] if len(group) > 2 else [""]
        for a in firsts:
            for b in seconds:
                if a.strip() and b.lower().startswith(a.strip().lower()):
                    continue   # 'Berg' + 'berg', 'Bou' + 'Bouzidi'
                stem = _join(a, b)
                for e in endings:
                    name = stem + e
                    if name.lower() not in seen:
                        seen.add(name.lower())
                        out.append((name, g))
    # a fixed order that does not follow the parts, the same in every process and for every
    # seed: the tail's shares fall with this rank
    return sorted(out, key=lambda t: (zlib.crc32(t[0].encode()), t[0]))


def _power_shares(last: float, start: int, count: int, mass: float) -> np.ndarray:
    """Shares of ranks start..start+count-1 (1-based) falling as last * ((start-1)/r)^s and
    adding up to `mass`, continuing a head whose last share was `last`. The exponent s is
    found by bisection; when even equal shares (s = 0) cannot reach `mass`, the tail is too
    short for the head's shares and the shares are scaled up instead."""
    ranks = np.arange(start, start + count, dtype=float)
    base = (start - 1) / ranks

    def total(s: float) -> float:
        return float((last * base ** s).sum())

    if count == 0:
        return np.empty(0)
    if total(0.0) <= mass:
        return np.full(count, mass / count)
    lo, hi = 0.0, 8.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if total(mid) > mass else (lo, mid)
    return last * base ** hi * (mass / total(hi))


def _tussenvoegsel(name: str) -> str:
    """The tussenvoegsel a synthetic Dutch name of place words carries, fixed by the name."""
    h = zlib.crc32(("tv:" + name).encode())
    if h % 10 >= TAIL_TUSSENVOEGSEL_IN_TEN:
        return ""
    return TAIL_TUSSENVOEGSELS[(h // 10) % len(TAIL_TUSSENVOEGSELS)]


@functools.cache
def surname_table(origin: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tussenvoegsel, surname, probability) for one origin: the listed names at their shares,
    then the synthetic tail (module docstring). The same for every seed; do not modify."""
    head = split_list(SURNAMES[origin])
    tail = _tail_names(origin, {h.lower() for h in head})
    measured = np.asarray(HEAD_SHARES[origin], dtype=float) / 100
    rest = _power_shares(measured[-1], measured.size + 1, len(head) + len(tail) - measured.size,
                         1.0 - measured.sum())
    p = np.r_[measured, rest]
    tvs, sns = [], []
    for name in head:
        tv = next((t for t in TUSSENVOEGSELS if name.startswith(t + " ")), "")
        tvs.append(tv)
        sns.append(name[len(tv) + 1:] if tv else name)
    for name, group in tail:
        # only names of place words take one ('van Hoogveld', not 'van Pietersen')
        tvs.append(_tussenvoegsel(name) if origin == "dutch" and group == 0 else "")
        sns.append(name)
    out = obj(tvs), obj(sns), p / p.sum()
    for array in out:
        array.flags.writeable = False
    return out


def draw_surnames(rng: np.random.Generator, origin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Own (tussenvoegsel, surname) per person from the person's origin."""
    n = origin.size
    tv, sn = obj("", n), obj("", n)
    for gi, g in enumerate(ORIGINS):
        m = origin == gi
        k = int(m.sum())
        if k:
            tvs, sns, p = surname_table(g)
            i = rng.choice(len(sns), k, p=p)
            tv[m], sn[m] = tvs[i], sns[i]
    return tv, sn
