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
Turkish, Moroccan, Surinamese, Polish and other names, valid unique BSNs and A-nummers, and the
hard cases every sample must contain: twins, father and son with the same name at one address,
and different persons with very common names and close birth dates. The sources add the noise
real partner systems have: tussenvoegsels inside surnames, initials, married names, typos,
transliterations, dropped diacritics, stale addresses, malformed or invalid BSNs, swapped or
mistyped birth dates. With ``--defects`` > 0 a few malformed rows are injected so that the
pipeline's quarantine is exercised (each defect kind at least once):

- police: impossible geboortedatum (``31-02-1985``), impossible registratie_datum
  (``31-04-2025``), a J/N flag that is not J/N, an unknown rol;
- care: a line that is not valid JSON, a betrokkene with an unknown rol (never a melder);
- municipal: a non-numeric geboortedatum, an impossible geboortedatum (``19850231``).

Defective records still get their truth rows. Everything is vectorised with numpy/pandas; only
small subsets (typos, per-report JSON joins, distinct names) go through Python loops, so one
million persons take about 25 s and 1.6 GB. The same seed gives byte-identical files.

Usage::

    python data/sample/generate.py --persons 4000 --seed 20261127 --out data/sample
"""

import argparse
import json
import time
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

# --------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------

ORIGINS = ("dutch", "turkish", "moroccan", "surinamese", "polish", "other")
ORIGIN_P = (0.62, 0.08, 0.09, 0.09, 0.05, 0.07)

FIRST_NAMES: dict[tuple[str, str], str] = {
    ("dutch", "M"): """Jan, Pieter, Kees, Johannes, Hendrik, Cornelis, Willem, Peter, Mark,
        Dennis, Daan, Sem, Lucas, Levi, Thomas, Tim, Bas, Jeroen, Sander, Marco, Erik, Michel,
        Patrick, Richard, Robert, Gerrit, Dirk, Jacob, Adrianus, Wim, Henk, Arie, Noah, Finn,
        Milan, Luuk, Bram, Jesse, Thijs, Ruben, Stijn, Lars, Niels, Kevin, Rick, Jordy, Niek,
        Koen, Tom, Max, Sven, Joost, Frank, Hans, Ronald, Teun, Gijs, Mees, Julian, Rens, Cas,
        Siem, Wouter, Maarten, Johan, Leo, Theo, Gerard, Anton, Martijn, Vincent, Jasper, Jelle,
        Sjoerd, IJsbrand, René, André""",
    ("dutch", "V"): """Maria, Anna, Johanna, Cornelia, Elisabeth, Sanne, Lisa, Emma, Julia,
        Sophie, Anouk, Laura, Kim, Linda, Sandra, Monique, Ingrid, Esther, Marieke, Femke, Iris,
        Tess, Fleur, Lotte, Eva, Noa, Sara, Nina, Zoë, Mila, Yara, Saar, Evi, Lieke, Roos, Anne,
        Marloes, Els, Ria, Truus, Annie, Mieke, Joke, Wilma, Karin, Petra, Nicole, Chantal,
        Samantha, Melissa, Demi, Britt, Lynn, Isa, Jasmijn, Noor, Liv, Mirjam, Heleen, Ilse,
        Renée, Chloë, Daphne, Wilhelmina, Hendrika, Geertruida, Petronella, Adriana, Ineke,
        Astrid, Manon, Bianca""",
    ("turkish", "M"): """Mehmet, Mustafa, Ahmet, Ali, Hüseyin, Hasan, İbrahim, İsmail, Murat,
        Emre, Burak, Yusuf, Ömer, Osman, Kemal, Serkan, Erdem, Tolga, Can, Enes, Furkan, Emir,
        Mert, Eren, Kerem, Halil, Recep, Orhan, Volkan, Barış, Oğuz""",
    ("turkish", "V"): """Ayşe, Fatma, Emine, Hatice, Zeynep, Elif, Meryem, Büşra, Esra, Merve,
        Özlem, Gül, Derya, Selin, Ebru, Sevgi, Hülya, Tuğba, Yasemin, Songül, Nur, Duygu, Kübra,
        Şeyma, Gülsen""",
    ("moroccan", "M"): """Mohamed, Ahmed, Youssef, Said, Mustapha, Rachid, Abdelkader, Karim,
        Hamid, Driss, Khalid, Nordin, Bilal, Ayoub, Anouar, Soufiane, Mehdi, Hicham, Othman,
        Ilias, Zakaria, Adam, Amine, Hamza, Imad, Younes, Abdelaziz, Brahim, Mourad, Redouan,
        Abdellah, Jamal""",
    ("moroccan", "V"): """Fatima, Khadija, Naima, Malika, Rachida, Samira, Hafsa, Nadia, Loubna,
        Souad, Houda, Ikram, Yasmina, Salma, Aya, Imane, Sara, Meryem, Hanane, Zineb, Nora,
        Latifa, Amal, Ilham, Karima, Fadoua, Siham, Soumaya""",
    ("surinamese", "M"): """Ricardo, Romano, Glenn, Ronald, Clyde, Errol, Orlando, Sergio,
        Delano, Jermaine, Dwayne, Rishi, Ravi, Anil, Sunil, Rajesh, Dinesh, Giovanni, Jurgen,
        Virgil, Edson, Ryan, Ashwin, Roy, Marvin, Gilbert, Humphrey, Jandino""",
    ("surinamese", "V"): """Sharon, Jennifer, Shirley, Naomi, Chanel, Kimberley, Sharmila,
        Anita, Sunita, Priya, Reshma, Shanti, Angela, Gina, Joyce, Jacqueline, Denise, Rosita,
        Sabrina, Esmeralda, Marisela, Romina, Gracia, Sherida""",
    ("polish", "M"): """Piotr, Krzysztof, Tomasz, Paweł, Michał, Marcin, Łukasz, Jakub, Adam,
        Grzegorz, Andrzej, Mateusz, Wojciech, Kamil, Dawid, Rafał, Sławomir, Przemysław""",
    ("polish", "V"): """Anna, Katarzyna, Małgorzata, Agnieszka, Magdalena, Joanna, Monika, Ewa,
        Aleksandra, Justyna, Dorota, Beata, Karolina, Natalia, Paulina, Żaneta""",
    ("other", "M"): """Carlos, José, Manuel, João, Ahmad, Mohammad, Abdullah, Omar, Abdi, Ivan,
        Georgi, Dimitar, Ion, Andrei, Bogdan, Nikolai, Abdirahman, Tesfaye, Luís, Tiago, Nelson,
        Samir, Tareq""",
    ("other", "V"): """Maria, Ana, Sofia, Fatuma, Amina, Hodan, Ivana, Elena, Mariya, Ioana,
        Daniela, Lina, Rania, Nour, Hiba, Filomena, Natasha, Yordanka""",
}

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

# Building blocks for a long tail of rarer surnames (real surname frequencies are heavy-tailed).
SURNAME_TAILS: dict[str, tuple[str, str]] = {
    "dutch": (
        """Berg, Brink, Hoog, Klein, Groot, Oost, West, Noord, Zuid, Molen, Kamp, Veld,
        Dijk, Kerk, Steen, Hof, Water, Bosch, Linde, Wester, Ooster, Lange, Rijn, Blanken, Zand""",
        """man, mans, huis, kamp, veld, stra, ink, sma, hout, beek, meijer, hof, horst,
        broek, boom, dorp""",
    ),
    "turkish": (
        "Kara, Ak, Öz, Er, Ay, Gün, Al, Koca, Demir, Taş, Gök, Bay",
        "kaya, taş, oğlu, can, türk, demir, soy, han, er, dağ",
    ),
    "moroccan": (
        "El , Ben , Bou, Ait ",
        """Hamdi, Kaddouri, Mansouri, Yahyaoui, Allouchi, Morabit, Harrak, Azzaoui,
        Fassi, Ghazouani, Haddaoui, Jabri, Khamlichi, Alaoui, Rifi, Ouahabi, Tounsi, Zaari""",
    ),
}

TUSSENVOEGSELS = (
    "van der",
    "van den",
    "van de",
    "van 't",
    "in 't",
    "op den",
    "van",
    "de",
    "den",
    "ter",
    "ten",
    "te",
)

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

TRANSLIT: dict[str, tuple[str, ...]] = {
    "Mohamed": ("Mohammed", "Muhammad", "Mohammad", "Mohamad"),
    "Mohammad": ("Mohammed", "Muhammad", "Mohamed"),
    "Youssef": ("Yusuf", "Youssouf", "Yousef", "Joesoef"),
    "Yusuf": ("Youssef", "Yousouf"),
    "Ahmed": ("Ahmet", "Achmed", "Ahmad"),
    "Ahmet": ("Ahmed",),
    "Mustapha": ("Mustafa", "Moustapha"),
    "Mustafa": ("Mustapha",),
    "Hüseyin": ("Huseyin", "Hussein", "Hussain"),
    "Rachid": ("Rashid", "Rachied"),
    "Said": ("Saïd", "Saaid", "Saeed"),
    "Abdelkader": ("Abdel Kader", "Abdelkadir", "Abdulkadir"),
    "Mehmet": ("Mehmed", "Memet"),
    "Ilias": ("Ilyas", "Elias", "Iliass"),
    "Zakaria": ("Zakariya", "Zakariae"),
    "Soufiane": ("Sofian", "Sofiane", "Soufian"),
    "Ayoub": ("Ayub", "Ayoeb"),
    "Khadija": ("Khadidja", "Khadiza"),
    "Fatima": ("Fatma", "Fatiha", "Fátima"),
    "Naima": ("Naïma", "Naiema"),
    "Meryem": ("Meriem", "Maryam", "Mariam"),
    "Redouan": ("Redouane", "Ridouan", "Ridwan"),
    "Nordin": ("Noureddine", "Nourdin"),
    "Mourad": ("Murad",),
    "Younes": ("Yunus", "Younesse"),
    "Hamza": ("Hamzah",),
}

POLICE_FEIT_HG = ("mishandeling", "bedreiging", "stalking", "vernieling")
POLICE_FEIT_HG_P = (0.50, 0.28, 0.12, 0.10)
POLICE_FEIT_REG = (
    "winkeldiefstal",
    "mishandeling",
    "bedreiging",
    "vernieling",
    "diefstal",
    "inbraak",
    "openlijke geweldpleging",
    "drugshandel",
    "straatroof",
    "heling",
    "rijden onder invloed",
)
POLICE_FEIT_REG_P = (0.20, 0.17, 0.12, 0.10, 0.10, 0.07, 0.05, 0.06, 0.04, 0.03, 0.06)
REG_VICTIM_P = (0.0, 0.9, 0.9, 0.5, 0.6, 0.8, 0.7, 0.0, 1.0, 0.0, 0.05)
REG_COSUSPECT_P = (0.03, 0.05, 0.03, 0.10, 0.05, 0.20, 0.60, 0.15, 0.30, 0.10, 0.0)
POLICE_FEIT_VICT = ("inbraak", "diefstal", "fietsdiefstal", "oplichting", "vernieling")
ROLES = ("verdachte", "slachtoffer", "getuige", "betrokkene")

JUSTICE_FEIT = {
    "mishandeling": "mishandeling (art. 300 Sr)",
    "bedreiging": "bedreiging (art. 285 Sr)",
    "stalking": "belaging (art. 285b Sr)",
    "vernieling": "vernieling (art. 350 Sr)",
    "winkeldiefstal": "diefstal (art. 310 Sr)",
    "diefstal": "diefstal (art. 310 Sr)",
    "inbraak": "diefstal met braak (art. 311 Sr)",
    "openlijke geweldpleging": "openlijke geweldpleging (art. 141 Sr)",
    "drugshandel": "handel in harddrugs (art. 2 Opiumwet)",
    "straatroof": "diefstal met geweld (art. 312 Sr)",
    "heling": "opzetheling (art. 416 Sr)",
    "rijden onder invloed": "rijden onder invloed (art. 8 WVW 1994)",
}
JUSTICE_FEIT_OTHER = (
    "oplichting (art. 326 Sr)",
    "witwassen (art. 420bis Sr)",
    "verduistering (art. 321 Sr)",
    "valsheid in geschrift (art. 225 Sr)",
    "overtreding contactverbod (art. 184a Sr)",
)
ZAAK_STATUS = ("ingeschreven", "vervolging", "sepot", "veroordeeld", "vrijspraak")
ZAAK_STATUS_P = (0.15, 0.25, 0.20, 0.32, 0.08)

CARE_TYPES = ("huiselijk_geweld", "kindermishandeling", "ex_partner_stalking", "zorgen_om_persoon")
CARE_TYPES_P = (0.40, 0.18, 0.14, 0.28)
SASH = ("laag", "midden", "hoog")

POLICE_COLUMNS = (
    "record_id",
    "registratie_datum",
    "rol",
    "feit",
    "huiselijk_geweld",
    "achternaam",
    "voorvoegsel",
    "voornamen",
    "geboortedatum",
    "geboorteplaats",
    "geslacht",
    "bsn",
    "straat",
    "huisnummer",
    "postcode",
    "woonplaats",
    "aangehouden",
)
BRP_COLUMNS = (
    "record_id",
    "bsn",
    "geslachtsnaam",
    "voorvoegsel",
    "voornamen",
    "geboortedatum",
    "geslacht",
    "straatnaam",
    "huisnummer",
    "huisletter",
    "huisnummertoevoeging",
    "postcode",
    "woonplaats",
    "adres_id",
    "ouder1_bsn",
    "ouder2_bsn",
    "partner_bsn",
    "datum_inschrijving",
)
JUSTICE_SCHEMA = pa.schema(
    [
        ("record_id", pa.string()),
        ("verdachte_naam", pa.string()),
        ("geboortedatum", pa.date32()),
        ("bsn", pa.string()),
        ("feit", pa.string()),
        ("zaak_status", pa.string()),
        ("status_datum", pa.date32()),
        ("toezicht_reclassering", pa.bool_()),
        ("toezicht_einddatum", pa.date32()),
        ("contactverbod", pa.bool_()),
    ]
)
TRUTH_SCHEMA = pa.schema(
    [("source", pa.string()), ("record_id", pa.string()), ("person_key", pa.string())]
)

HH_SINGLE, HH_COUPLE, HH_COUPLE_KIDS, HH_SINGLE_PARENT = 0, 1, 2, 3
HH_P = (0.36, 0.25, 0.28, 0.11)
KIDS_P = (0.40, 0.37, 0.15, 0.06, 0.02)
YEAR = 365.2425


# --------------------------------------------------------------------------------------------
# Small generic helpers
# --------------------------------------------------------------------------------------------


def stage_rng(seed: int, stage: str) -> np.random.Generator:
    """An independent generator per stage, so changing one stage leaves the others alone."""
    return np.random.default_rng([seed, zlib.crc32(stage.encode())])


def split_list(text: str) -> list[str]:
    """Split a comma-separated literal into stripped items, keeping inner spaces."""
    return [item.strip() for item in text.split(",") if item.strip()]


def zipf_p(n: int, offset: float, s: float = 1.0) -> np.ndarray:
    """Zipf-Mandelbrot probabilities for ranks 0..n-1: heavy head, long tail."""
    w = 1.0 / (np.arange(n) + offset) ** s
    return w / w.sum()


def obj(values: object, size: int | None = None) -> np.ndarray:
    """An object array of Python strings (optionally a scalar repeated ``size`` times)."""
    if size is not None:
        out = np.empty(size, dtype=object)
        out[:] = values
        return out
    return np.asarray(values, dtype=object)


def pick(rng: np.random.Generator, values: tuple | list, size: int, p=None) -> np.ndarray:
    """Draw ``size`` values (object array) from a small list, optionally weighted."""
    arr = obj(list(values))
    if p is not None:
        p = np.asarray(p, dtype=float)
        p = p / p.sum()
    return arr[rng.choice(len(arr), size=size, p=p)]


def map_unique(values: np.ndarray, func: Callable[[str], str]) -> np.ndarray:
    """Apply a Python function once per distinct value of an object array of strings."""
    if len(values) == 0:
        return obj([])
    codes, uniques = pd.factorize(values)
    mapped = obj([func(u) for u in uniques])
    return mapped[codes]


def zfill(values: np.ndarray, width: int) -> np.ndarray:
    """Integers as zero-padded strings (object array)."""
    return (
        pd.Series(np.asarray(values, dtype=np.int64))
        .astype(str)
        .str.zfill(width)
        .to_numpy(dtype=object)
    )


def unique_ints(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    """``n`` distinct random integers in [low, high), in random order."""
    out = np.empty(0, dtype=np.int64)
    while out.size < n:
        cand = rng.integers(low, high, size=int((n - out.size) * 1.1) + 16, dtype=np.int64)
        out = np.unique(np.concatenate([out, cand]))
    return rng.permutation(out)[:n]


def expand_ranges(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups with (start, count) return (group index, member index) for every member."""
    counts = np.maximum(np.asarray(counts, dtype=np.int64), 0)
    group = np.repeat(np.arange(len(counts)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return group, np.asarray(starts, dtype=np.int64)[group] + offsets


def rank_within(group: np.ndarray) -> np.ndarray:
    """0-based running number of each element within its (contiguous, sorted) group."""
    if len(group) == 0:
        return np.empty(0, dtype=np.int64)
    change = np.r_[True, group[1:] != group[:-1]]
    start_idx = np.maximum.accumulate(np.where(change, np.arange(len(group)), 0))
    return np.arange(len(group)) - start_idx


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------


def to_days(date: str) -> int:
    """ISO date string to days since 1970-01-01."""
    return int(np.datetime64(date, "D").astype(np.int64))


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Days since epoch to (year, month, day) integer arrays."""
    dt = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    months = dt.astype("datetime64[M]")
    y = months.astype("datetime64[Y]").astype(np.int64) + 1970
    m = months.astype(np.int64) % 12 + 1
    d = (dt - months.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, d


def from_ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """(year, month, day) arrays to days since epoch (the date must exist)."""
    months = (np.asarray(y, dtype=np.int64) - 1970) * 12 + np.asarray(m, dtype=np.int64) - 1
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return first + np.asarray(d, dtype=np.int64) - 1


def is_leap(y: np.ndarray) -> np.ndarray:
    """Gregorian leap years."""
    return ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)


def fmt_dmy(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """dd-mm-jjjj strings."""
    s = pd.Series(zfill(d * 1_000_000 + m * 10_000 + y, 8), dtype=str)
    return (s.str[0:2] + "-" + s.str[2:4] + "-" + s.str[4:8]).to_numpy(dtype=object)


def fmt_compact(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """jjjjmmdd strings."""
    return zfill(y * 10_000 + m * 100 + d, 8)


def fmt_iso(days: np.ndarray) -> np.ndarray:
    """jjjj-mm-dd strings."""
    y, m, d = ymd(days)
    s = pd.Series(fmt_compact(y, m, d), dtype=str)
    return (s.str[0:4] + "-" + s.str[4:6] + "-" + s.str[6:8]).to_numpy(dtype=object)


def amsterdam_offset(days: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """'+01:00' or '+02:00' for a local date and minute of day in Europe/Amsterdam."""
    y, _, _ = ymd(days)

    def last_sunday(month: int) -> np.ndarray:
        last = from_ymd(y, np.full_like(y, month), np.full_like(y, 31))
        return last - ((last + 3) % 7 - 6) % 7  # 1970-01-01 was a Thursday (Monday = 0)

    start, end = last_sunday(3), last_sunday(10)
    summer = (days > start) & (days < end)
    summer |= (days == start) & (minutes >= 180)
    summer |= (days == end) & (minutes < 180)
    return np.where(summer, "+02:00", "+01:00").astype(object)


def fmt_datetime(days: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """ISO datetimes with the Europe/Amsterdam offset, e.g. 2026-03-14T09:12:00+01:00."""
    hhmm = pd.Series(zfill((minutes // 60) * 100 + minutes % 60, 4), dtype=str)
    clock = (hhmm.str[0:2] + ":" + hhmm.str[2:4] + ":00").to_numpy(dtype=object)
    return fmt_iso(days) + "T" + clock + amsterdam_offset(days, minutes)


# --------------------------------------------------------------------------------------------
# Text noise
# --------------------------------------------------------------------------------------------

_FOLD = str.maketrans({"ı": "i", "İ": "I", "ł": "l", "Ł": "L", "ß": "ss", "ø": "o", "Ø": "O"})


def ascii_fold(text: str) -> str:
    """Drop diacritics: Çelik -> Celik, Şahin -> Sahin, Łukasz -> Lukasz."""
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in text if not unicodedata.combining(c))


def cp1252_safe(text: str) -> str:
    """Transliterate only the characters Windows-1252 cannot hold (ş, ı, ğ, ł ...)."""
    try:
        text.encode("cp1252")
        return text
    except UnicodeEncodeError:
        out = []
        for ch in text:
            try:
                ch.encode("cp1252")
                out.append(ch)
            except UnicodeEncodeError:
                out.append(ascii_fold(ch))
        return "".join(out)


def initials(names: str) -> str:
    """'Pieter Johannes' -> 'P.J.'; Dutch IJ stays together ('IJsbrand' -> 'IJ.')."""
    return "".join(("IJ" if p.startswith("IJ") else p[0]) + "." for p in names.split())


def first_token(names: str) -> str:
    """The first given name."""
    return names.split(" ", 1)[0] if names else names


def apply_typos(rng: np.random.Generator, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Substitute, transpose, drop or double one inner character in the masked strings."""
    out = values.copy()
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return out
    ops = rng.integers(0, 4, idx.size)
    fracs = rng.random(idx.size)
    letters = pick(rng, list("aeiounrstlkmdg"), idx.size)

    def one(s: str, op: int, frac: float, letter: str) -> str:
        if len(s) < 4:
            return s
        i = 1 + int(frac * (len(s) - 2))
        if op == 0:
            return s[:i] + (letter if s[i] != letter else "e") + s[i + 1 :]
        if op == 1 and i + 1 < len(s) and s[i] != " " and s[i + 1] != " ":
            return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
        if op == 2:
            return s[:i] + s[i + 1 :]
        return s[:i] + s[i] + s[i:]

    out[idx] = [
        one(s, o, f, c) for s, o, f, c in zip(values[idx], ops, fracs, letters, strict=True)
    ]
    return out


def apply_translit(rng: np.random.Generator, first: np.ndarray, p: float) -> np.ndarray:
    """Replace a share ``p`` of transliterable first names by a spelling variant."""
    out = first.copy()
    sel = rng.random(len(first)) < p
    for name, variants in TRANSLIT.items():
        m = sel & (first == name)
        k = int(m.sum())
        if k:
            out[m] = pick(rng, variants, k)
    return out


# --------------------------------------------------------------------------------------------
# Population
# --------------------------------------------------------------------------------------------


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


@dataclass
class Population:
    """One row per synthetic person; household members are contiguous."""

    n: int
    key: np.ndarray
    sex: np.ndarray  # 'M', 'V', 'X'
    origin: np.ndarray  # index into ORIGINS
    roep: np.ndarray  # first given name
    rest: np.ndarray  # further given names with a leading space, or ''
    tv: np.ndarray  # own tussenvoegsel
    sn: np.ndarray  # own surname without tussenvoegsel
    style: np.ndarray  # married-name use: 0 none, 1 partner's name, 2 double name
    mtv: np.ndarray
    msn: np.ndarray
    dob: np.ndarray  # days since epoch
    dob_unknown: np.ndarray  # 0 known, 1 day unknown, 2 day and month unknown (BRP)
    birthplace: np.ndarray
    bsn: np.ndarray
    anr: np.ndarray
    hh: np.ndarray
    pos: np.ndarray
    partner: np.ndarray
    registered: np.ndarray  # partner registered in BRP
    parent1: np.ndarray
    parent2: np.ndarray
    ex: np.ndarray
    addr: np.ndarray
    prev_addr: np.ndarray
    in_region: np.ndarray
    ghost: np.ndarray  # only appears in the arrest feed
    inschrijving: np.ndarray

    @property
    def voornamen(self) -> np.ndarray:
        """Full given names."""
        return self.roep + self.rest


@dataclass
class Households:
    """Household structure: members are persons start .. start+size-1, adults first."""

    htype: np.ndarray
    size: np.ndarray
    start: np.ndarray
    nadults: np.ndarray
    nkids: np.ndarray


def draw_households(rng: np.random.Generator, n: int, ghosts: int) -> Households:
    """Household types and sizes adding up to exactly ``n`` persons, plus ghost singles."""
    types, kids, total = [], [], 0
    while total < n:
        m = max(16, (n - total) // 2 + 16)
        t = rng.choice(4, size=m, p=HH_P)
        k = np.where(t >= HH_COUPLE_KIDS, rng.choice(5, size=m, p=KIDS_P) + 1, 0)
        types.append(t)
        kids.append(k)
        total += int((np.where(t == HH_SINGLE, 1, np.where(t == HH_SINGLE_PARENT, 1, 2)) + k).sum())
    htype, nkids = np.concatenate(types), np.concatenate(kids)
    nadults = np.where((htype == HH_SINGLE) | (htype == HH_SINGLE_PARENT), 1, 2)
    size = nadults + nkids
    cum = np.cumsum(size)
    last = int(np.searchsorted(cum, n))
    htype, nadults, nkids, size = (
        htype[: last + 1],
        nadults[: last + 1],
        nkids[: last + 1],
        size[: last + 1],
    )
    size[-1] -= int(cum[last] - n)
    nadults[-1] = min(nadults[-1], size[-1])
    nkids[-1] = size[-1] - nadults[-1]
    if nkids[-1] == 0 and htype[-1] >= HH_COUPLE_KIDS:
        htype[-1] = HH_COUPLE if nadults[-1] == 2 else HH_SINGLE
    if nadults[-1] == 1 and htype[-1] == HH_COUPLE:
        htype[-1] = HH_SINGLE
    htype = np.r_[htype, np.zeros(ghosts, dtype=htype.dtype)]
    nadults = np.r_[nadults, np.ones(ghosts, dtype=nadults.dtype)]
    nkids = np.r_[nkids, np.zeros(ghosts, dtype=nkids.dtype)]
    size = nadults + nkids
    return Households(htype, size, np.cumsum(size) - size, nadults, nkids)


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


def household_ages(rng: np.random.Generator, hhs: Households, ghosts: int) -> np.ndarray:
    """Ages (fractional years) per person, consistent within households."""
    H = len(hhs.size)
    t = hhs.htype
    head = np.select(
        [t == HH_SINGLE, t == HH_COUPLE, t == HH_COUPLE_KIDS],
        [
            18 + rng.beta(1.1, 1.6, H) * 77,
            21 + rng.beta(1.6, 1.3, H) * 72,
            24 + rng.beta(2.2, 2.2, H) * 32,
        ],
        default=21 + rng.beta(2.0, 2.4, H) * 34,
    )
    if ghosts:
        head[-ghosts:] = 19 + rng.random(ghosts) * 36
    partner = np.clip(head + rng.normal(0, 3.5, H), 18, 99)
    youngest_parent = np.where(hhs.nadults == 2, np.minimum(head, partner), head)
    max_oldest = np.clip(youngest_parent - 19, 0, 25)
    oldest = np.maximum(rng.random(H) * max_oldest, np.minimum(max_oldest, (hhs.nkids - 1) * 2.5))
    hh = np.repeat(np.arange(H), hhs.size)
    pos = np.arange(hh.size) - hhs.start[hh]
    kid = pos >= hhs.nadults[hh]
    gaps = np.where(kid & (pos > hhs.nadults[hh]), rng.uniform(1.0, 4.5, hh.size), 0.0)
    cum = np.cumsum(gaps)
    cum -= cum[hhs.start[hh]]
    kid_age = oldest[hh] - cum
    kid_age = np.where(kid_age < 0, rng.random(hh.size) * 0.9, kid_age)
    return np.where(pos == 0, head[hh], np.where(kid, kid_age, partner[hh]))


def draw_given_names(
    rng: np.random.Generator, origin: np.ndarray, sex: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """First given name and further given names (' Johannes Maria' or '') per person."""
    n = origin.size
    roep, rest = obj("", n), obj("", n)
    count = np.where(
        origin == 0,
        rng.choice([1, 2, 3], n, p=[0.4, 0.4, 0.2]),
        rng.choice([1, 2], n, p=[0.7, 0.3]),
    )
    for gi, g in enumerate(ORIGINS):
        for s in ("M", "V"):
            m = (origin == gi) & (np.where(sex == "X", "M", sex) == s)
            k = int(m.sum())
            if not k:
                continue
            names = obj(split_list(FIRST_NAMES[(g, s)]))
            p = zipf_p(len(names), 4.0)
            draws = [names[rng.choice(len(names), k, p=p)] for _ in range(3)]
            roep[m] = draws[0]
            c = count[m]
            second = np.where(c >= 2, " " + draws[1], "")
            third = np.where((c >= 3) & (draws[2] != draws[1]), " " + draws[2], "")
            second = np.where(draws[1] == draws[0], "", second)
            rest[m] = second + third
    return roep, rest


def surname_table(origin: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tussenvoegsel, surname, probability) for one origin: a Zipf head plus a rare tail."""
    head = split_list(SURNAMES[origin])
    tail: list[str] = []
    if origin in SURNAME_TAILS:
        pre, suf = SURNAME_TAILS[origin]
        for a in [x for x in pre.split(",") if x.strip()]:
            a = a.lstrip()
            for b in split_list(suf):
                name = a + b if a.endswith(" ") else a + b.lower()
                if b.lower() not in a.lower() and name not in head and name not in tail:
                    tail.append(name)
    names = head + tail
    p = np.r_[
        zipf_p(len(head), {"dutch": 8.0, "turkish": 3.0, "moroccan": 4.0}.get(origin, 6.0))
        * (0.8 if tail else 1.0),
        np.full(len(tail), 0.2 / max(len(tail), 1)),
    ]
    tvs, sns = [], []
    for name in names:
        tv = next((t for t in TUSSENVOEGSELS if name.startswith(t + " ")), "")
        tvs.append(tv)
        sns.append(name[len(tv) + 1 :] if tv else name)
    return obj(tvs), obj(sns), p / p.sum()


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


def feminise(sn: np.ndarray, sex: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """Polish -ski/-cki and Bulgarian -ov/-ev surnames take the female form for women."""
    out = sn.copy()
    women = (sex == "V") & (
        (origin == ORIGINS.index("polish")) | (origin == ORIGINS.index("other"))
    )
    s = pd.Series(sn[women], dtype=str)
    ski = s.str.endswith("ski") | s.str.endswith("cki")
    ov = s.str.endswith("ov") | s.str.endswith("ev")
    s = s.where(~ski, s.str[:-1] + "a").where(~ov, s + "a")
    out[women] = s.to_numpy(dtype=object)
    return out


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


def valid_bsns(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct 9-digit BSNs passing the 11-proef; about one in seven starts with 0."""
    out = np.empty(0, dtype=np.int64)
    weights = np.array([9, 8, 7, 6, 5, 4, 3, 2])
    while out.size < n:
        prefix = unique_ints(rng, int((n - out.size) * 1.15) + 32, 0, 70_000_000)
        digits = (prefix[:, None] // 10 ** np.arange(7, -1, -1)) % 10
        s = digits @ weights
        check = s % 11
        ok = (check < 10) & (s - check != 0)
        out = np.unique(np.concatenate([out, prefix[ok] * 10 + check[ok]]))
    return zfill(rng.permutation(out)[:n], 9)


def ex_partners(
    rng: np.random.Generator, sex: np.ndarray, dob: np.ndarray, hh: np.ndarray, eligible: np.ndarray
) -> np.ndarray:
    """A plausible (former) partner for every adult: opposite sex, similar age, other household."""
    n = sex.size
    ex = np.full(n, -1, dtype=np.int64)
    for s, other in (("M", "V"), ("V", "M")):
        cand = np.flatnonzero(eligible & (sex == other))
        me = np.flatnonzero(eligible & (sex == s))
        if cand.size == 0 or me.size == 0:
            continue
        cand = cand[np.argsort(dob[cand], kind="stable")]
        shift = np.where(s == "M", 2.0, -2.0) * YEAR
        target = dob[me] + shift + rng.normal(0, 3 * YEAR, me.size)
        at = np.searchsorted(dob[cand], target) + rng.integers(-3, 4, me.size)
        at = np.clip(at, 0, cand.size - 1)
        pick_ = cand[at]
        same = hh[pick_] == hh[me]
        pick_[same] = cand[np.clip(at[same] + 5, 0, cand.size - 1)]
        ex[me] = np.where(hh[pick_] == hh[me], -1, pick_)
    return ex


def build_population(
    seed: int, n: int, ghosts: int, ref: int
) -> tuple[Population, Households, Addresses]:
    """The synthetic population with households, names, dates, identifiers and addresses."""
    rng = stage_rng(seed, "population")
    hhs = draw_households(rng, n, ghosts)
    H, total = len(hhs.size), n + ghosts
    hh = np.repeat(np.arange(H), hhs.size)
    pos = np.arange(total) - hhs.start[hh]
    kid = pos >= hhs.nadults[hh]
    ghost = np.arange(total) >= n

    age = household_ages(rng, hhs, ghosts)
    dob = ref - np.floor(age * YEAR).astype(np.int64) - 1

    hh_origin = rng.choice(len(ORIGINS), H, p=ORIGIN_P)
    origin = hh_origin[hh]
    mixed = (pos == 1) & ~kid & (rng.random(total) < 0.15)
    origin = np.where(mixed, rng.choice(len(ORIGINS), total, p=ORIGIN_P), origin)

    sex = sexes(rng, hhs, hh, pos, kid)
    roep, rest = draw_given_names(rng, origin, sex)
    dedupe_sibling_names(rng, roep, rest, origin, sex, hh, kid)
    tv, sn = draw_surnames(rng, origin)
    # children take the surname of the first adult or, with single parents, sometimes the
    # absent father's (the surname drawn for the first child, shared by the siblings)
    fathers = (hhs.htype == HH_SINGLE_PARENT) & (rng.random(H) < 0.45)
    giver = np.where(fathers, hhs.start + hhs.nadults, hhs.start)[hh]
    inherit = kid & (giver != np.arange(total))
    tv = np.where(inherit, tv[giver], tv)
    sn = np.where(inherit, sn[giver], sn)
    origin = np.where(inherit, origin[giver], origin)
    sn = feminise(sn, sex, origin)

    partner = np.full(total, -1, dtype=np.int64)
    couple = (hhs.nadults[hh] == 2) & ~kid
    partner[couple] = np.where(
        pos[couple] == 0, np.arange(total)[couple] + 1, np.arange(total)[couple] - 1
    )
    registered = couple & np.repeat(rng.random(H) < 0.72, hhs.size)
    parent1 = np.where(kid, hhs.start[hh], -1)
    parent2 = np.where(kid & (hhs.nadults[hh] == 2), hhs.start[hh] + 1, -1)

    style, mtv, msn = married_names(rng, sex, origin, age, partner, tv, sn)
    birthplace = draw_birthplaces(rng, origin, dob, ref)
    dob_unknown = unknown_dates(rng, birthplace, age, origin)
    y, m, _ = ymd(dob)
    dob = np.where(
        dob_unknown == 2,
        from_ymd(y, np.ones_like(m), np.ones_like(m)),
        np.where(dob_unknown == 1, from_ymd(y, m, np.ones_like(m)), dob),
    )

    in_region = np.repeat(rng.random(H) < 0.9, hhs.size) & ~ghost
    hh_region = in_region[hhs.start]
    n_reg, n_out = int(hh_region.sum()), int((~hh_region).sum())
    region_addr = draw_addresses(rng, n_reg, REGION_TOWNS, True)
    outside_addr = draw_addresses(rng, n_out + max(16, total // 20), OUTSIDE_TOWNS, False)
    addrs = concat_addresses(region_addr, outside_addr)
    hh_addr = np.empty(H, dtype=np.int64)
    hh_addr[hh_region] = np.arange(n_reg)
    hh_addr[~hh_region] = n_reg + np.arange(n_out)
    addr = hh_addr[hh]
    n_addr = len(addrs.town)
    prev_addr = np.where(
        rng.random(total) < 0.85,
        rng.integers(0, max(n_reg, 1), total),
        rng.integers(n_reg, n_addr, total),
    )
    pop = Population(
        n=n,
        key="P" + zfill(np.arange(1, total + 1), 7),
        sex=sex,
        origin=origin,
        roep=roep,
        rest=rest,
        tv=tv,
        sn=sn,
        style=style,
        mtv=mtv,
        msn=msn,
        dob=dob,
        dob_unknown=dob_unknown,
        birthplace=birthplace,
        bsn=valid_bsns(rng, total),
        anr=zfill(unique_ints(rng, total, 1_000_000_000, 10_000_000_000), 10),
        hh=hh,
        pos=pos,
        partner=partner,
        registered=registered,
        parent1=parent1,
        parent2=parent2,
        ex=np.full(total, -1),
        addr=addr,
        prev_addr=prev_addr,
        in_region=in_region,
        ghost=ghost,
        inschrijving=registration_dates(rng, hhs, hh, pos, kid, dob, ref),
    )
    add_hard_cases(rng, pop, hhs)
    adult = (ref - pop.dob > 16 * YEAR) & ~ghost
    pop.ex = ex_partners(rng, pop.sex, pop.dob, hh, adult)
    return pop, hhs, addrs


def dedupe_sibling_names(
    rng: np.random.Generator,
    roep: np.ndarray,
    rest: np.ndarray,
    origin: np.ndarray,
    sex: np.ndarray,
    hh: np.ndarray,
    kid: np.ndarray,
) -> None:
    """Redraw the given names of a child whose first name an older sibling already has."""
    n = roep.size
    at = np.arange(n)
    for _ in range(8):
        clash = np.zeros(n, dtype=bool)
        for off in range(1, 7):
            prev = np.maximum(at - off, 0)
            clash |= (at >= off) & kid & kid[prev] & (hh[prev] == hh) & (roep[prev] == roep)
        if not clash.any():
            return
        roep[clash], rest[clash] = draw_given_names(rng, origin[clash], sex[clash])


def sexes(
    rng: np.random.Generator, hhs: Households, hh: np.ndarray, pos: np.ndarray, kid: np.ndarray
) -> np.ndarray:
    """Sex per person: mostly mixed-sex couples, single parents mostly mothers, a few 'X'."""
    total = hh.size
    t = hhs.htype[hh]
    p_male_head = np.select(
        [t == HH_COUPLE_KIDS, t == HH_COUPLE, t == HH_SINGLE_PARENT], [0.92, 0.6, 0.15], 0.5
    )
    head_male = np.repeat(rng.random(len(hhs.size)), hhs.size) < p_male_head
    male = np.where(pos == 0, head_male, rng.random(total) < 0.51)
    partner_pos = (pos == 1) & ~kid
    same_sex = rng.random(total) < 0.03
    male = np.where(partner_pos, np.where(same_sex, head_male, ~head_male), male)
    sex = np.where(male, "M", "V").astype(object)
    sex[(rng.random(total) < 0.001) & ~kid] = "X"
    return sex


def married_names(
    rng: np.random.Generator,
    sex: np.ndarray,
    origin: np.ndarray,
    age: np.ndarray,
    partner: np.ndarray,
    tv: np.ndarray,
    sn: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Married women may use the partner's surname (1) or a double name 'Partner-Own' (2)."""
    n = sex.size
    has_m_partner = (partner >= 0) & (sex == "V")
    has_m_partner &= np.where(partner >= 0, sex[np.maximum(partner, 0)] == "M", False) & (age >= 23)
    p_dutch = rng.choice(3, n, p=[0.55, 0.15, 0.30])
    p_other = rng.choice(3, n, p=[0.85, 0.05, 0.10])
    style = np.where(has_m_partner, np.where(origin == 0, p_dutch, p_other), 0)
    pp = np.maximum(partner, 0)
    own_full = np.where(tv != "", tv + " " + sn, sn)
    mtv = np.where(style > 0, tv[pp], tv)
    msn = np.where(style == 1, sn[pp], np.where(style == 2, sn[pp] + "-" + own_full, sn))
    return style.astype(np.int8), mtv, msn


def unknown_dates(
    rng: np.random.Generator, birthplace: np.ndarray, age: np.ndarray, origin: np.ndarray
) -> np.ndarray:
    """Foreign-born adults sometimes have an unknown birth day or day and month (BRP '00')."""
    nl = set(split_list(BIRTHPLACES["NL"][0]))
    abroad = (origin > 0) & ~np.isin(birthplace, list(nl)) & (age > 25)
    u = rng.random(birthplace.size)
    return np.where(abroad & (u < 0.02), 2, np.where(abroad & (u < 0.03), 1, 0)).astype(np.int8)


def registration_dates(
    rng: np.random.Generator,
    hhs: Households,
    hh: np.ndarray,
    pos: np.ndarray,
    kid: np.ndarray,
    dob: np.ndarray,
    ref: int,
) -> np.ndarray:
    """BRP datum_inschrijving: the household moved in together; later partners and births."""
    adult_18 = np.where(kid, -(10**9), dob + np.floor(18 * YEAR).astype(np.int64))
    lo = np.maximum.reduceat(adult_18, hhs.start) if hh.size else np.empty(0, dtype=np.int64)
    lo = np.maximum(lo, ref - np.floor(30 * YEAR).astype(np.int64))
    lo = np.minimum(lo, ref - 2)
    moved = lo + np.floor(rng.random(len(hhs.size)) * (ref - 1 - lo)).astype(np.int64)
    date = moved[hh]
    later = (pos == 1) & ~kid & (rng.random(hh.size) < 0.25)
    date = np.where(
        later, date + np.floor(rng.random(hh.size) * (ref - 1 - date)).astype(np.int64), date
    )
    return np.where(kid, np.maximum(date, dob), date)


def add_hard_cases(rng: np.random.Generator, pop: Population, hhs: Households) -> None:
    """Twins, fathers and sons with the same name, and look-alikes with close birth dates."""
    total = pop.key.size
    real = ~pop.ghost[hhs.start]
    # twins: the second child gets the first child's birth date (and a different first name)
    twins = np.flatnonzero(real & (hhs.nkids >= 2))
    chosen = select_some(rng, twins, 0.015, 3)
    a = hhs.start[chosen] + hhs.nadults[chosen]
    b = a + 1
    pop.dob[b] = pop.dob[a]
    pop.inschrijving[b] = pop.inschrijving[a]
    same = pop.roep[a] == pop.roep[b]
    if same.any():
        pop.roep[b[same]] = np.where(pop.sex[b[same]] == "V", "Sanne", "Daan")
    # father and son with the same given names at one address
    first_kid = hhs.start + hhs.nadults
    fk = np.minimum(first_kid, total - 1)
    ok = real & (hhs.htype == HH_COUPLE_KIDS) & (pop.sex[hhs.start] == "M") & (pop.sex[fk] == "M")
    chosen = select_some(rng, np.flatnonzero(ok), 0.04, 3)
    pop.roep[first_kid[chosen]] = pop.roep[hhs.start[chosen]]
    pop.rest[first_kid[chosen]] = pop.rest[hhs.start[chosen]]
    # look-alikes: a single person gets someone else's name and a birth date a few days off
    singles = hhs.start[real & (hhs.htype == HH_SINGLE)]
    for s in ("M", "V"):
        pool_b = singles[pop.sex[singles] == s]
        pool_a = np.flatnonzero(
            (pop.sex == s) & ~pop.ghost & (pop.pos < 2) & (pop.dob < pop.dob.max() - 20 * YEAR)
        )
        k = min(max(3, total // 2000), pool_b.size // 2)
        if k <= 0:
            continue
        b = rng.choice(pool_b, k, replace=False)
        pool_a = np.setdiff1d(pool_a, b)
        k = min(k, pool_a.size)
        b, a = b[:k], rng.choice(pool_a, k, replace=False)
        for f in ("roep", "rest", "tv", "sn", "origin", "birthplace"):
            getattr(pop, f)[b] = getattr(pop, f)[a]
        pop.mtv[b], pop.msn[b], pop.style[b] = pop.tv[b], pop.sn[b], 0
        delta = rng.integers(1, 21, k) * rng.choice([-1, 1], k)
        pop.dob[b] = pop.dob[a] + delta
        pop.dob_unknown[b] = 0
        pop.inschrijving[b] = np.maximum(pop.inschrijving[b], pop.dob[b] + 1)


def select_some(
    rng: np.random.Generator, candidates: np.ndarray, share: float, minimum: int
) -> np.ndarray:
    """A random share of the candidates, but at least ``minimum`` when there are that many."""
    k = min(candidates.size, max(minimum, int(round(candidates.size * share))))
    return rng.choice(candidates, k, replace=False) if k else candidates[:0]


# --------------------------------------------------------------------------------------------
# Rendering shared by the sources
# --------------------------------------------------------------------------------------------


@dataclass
class NameNoise:
    """How a source records names."""

    married: float  # share of married-name users recorded under the married name
    first_only: float
    initials: float
    translit: float
    typo: float
    fold: float


def noisy_names(
    rng: np.random.Generator, pop: Population, idx: np.ndarray, nz: NameNoise
) -> dict[str, np.ndarray]:
    """Recorded name parts per row: tv, sn, roep, given (as recorded), full given names."""
    k = idx.size
    use_m = (pop.style[idx] > 0) & (rng.random(k) < nz.married)
    tv = np.where(use_m, pop.mtv[idx], pop.tv[idx])
    sn = np.where(use_m, pop.msn[idx], pop.sn[idx])
    roep = apply_translit(rng, pop.roep[idx], nz.translit)
    roep = apply_typos(rng, roep, rng.random(k) < nz.typo / 2)
    sn = apply_typos(rng, sn, rng.random(k) < nz.typo)
    full = roep + pop.rest[idx]
    u = rng.random(k)
    given = np.where(
        u < nz.first_only,
        roep,
        np.where(u < nz.first_only + nz.initials, map_unique(full, initials), full),
    )
    fold = rng.random(k) < nz.fold
    if fold.any():
        for arr in (sn, roep, given, full):
            arr[fold] = map_unique(arr[fold], ascii_fold)
    return {"tv": tv, "sn": sn, "roep": roep, "given": given, "full": full}


def noisy_bsn(
    rng: np.random.Generator,
    bsn: np.ndarray,
    present: float,
    p_drop0: float,
    p_space: float,
    p_dot: float,
    p_invalid: float,
) -> np.ndarray:
    """BSN as a source records it: empty, leading zero dropped, spaced, dotted or invalid."""
    k = bsn.size
    out = bsn.copy()
    u = rng.random(k)
    invalid = u < p_invalid
    if invalid.any():
        s = pd.Series(out[invalid], dtype=str)
        last = (s.str[8].astype(int) + rng.integers(1, 10, int(invalid.sum()))) % 10
        out[invalid] = (s.str[:8] + last.astype(str)).to_numpy(dtype=object)
    s = pd.Series(out, dtype=str)
    spaced = (s.str[0:3] + " " + s.str[3:6] + " " + s.str[6:9]).to_numpy(dtype=object)
    dotted = (s.str[0:3] + "." + s.str[3:6] + "." + s.str[6:9]).to_numpy(dtype=object)
    v = rng.random(k)
    out = np.where(v < p_space, spaced, np.where(v < p_space + p_dot, dotted, out))
    drop = (
        (rng.random(k) < p_drop0) & (bsn.astype("U9").astype("U1") == "0") & (v >= p_space + p_dot)
    )
    out = np.where(drop, pd.Series(out, dtype=str).str[1:].to_numpy(dtype=object), out)
    return np.where(rng.random(k) < present, out, "")


def noisy_dob(
    rng: np.random.Generator, dob: np.ndarray, p_swap: float, p_year: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(y, m, d) with clerk errors: day and month swapped, one year digit off."""
    y, m, d = ymd(dob)
    swap = (rng.random(dob.size) < p_swap) & (d <= 12) & (d != m)
    m, d = np.where(swap, d, m), np.where(swap, m, d)
    off = rng.random(dob.size) < p_year
    step = rng.choice([-1, 1], dob.size)
    tens = rng.random(dob.size) < 0.3
    digit = np.where(tens, (y // 10) % 10, y % 10)
    new_digit = (digit + step) % 10
    y2 = np.where(tens, y - digit * 10 + new_digit * 10, y - digit + new_digit)
    y2 = np.where(y2 > ymd(np.array([dob.max()]))[0][0], y - 1, y2)
    y = np.where(off, y2, y)
    d = np.where((m == 2) & (d == 29) & ~is_leap(y), 28, d)
    return y, m, d


def address_text(
    rng: np.random.Generator, addrs: Addresses, a: np.ndarray
) -> dict[str, np.ndarray]:
    """Address parts as a clerk types them: house number with letter/toevoeging, postcode style."""
    k = a.size
    ok = a >= 0
    ai = np.maximum(a, 0)
    letter = addrs.letter[ai]
    letter = np.where(rng.random(k) < 0.6, map_unique(letter, str.lower), letter)
    toev = addrs.toev[ai]
    sep = pick(rng, ("-", " ", "-"), k)
    alpha = ~pd.Series(toev, dtype=str).str.isdigit().to_numpy()
    sep = np.where(alpha & (rng.random(k) < 0.3), "", sep)  # '12hs', never '121' for 12-1
    num = zfill(addrs.number[ai], 1) + letter + np.where(toev != "", sep + toev, "")
    pc = addrs.postcode[ai]
    u = rng.random(k)
    pcs = pd.Series(pc, dtype=str)
    spaced = (pcs.str[0:4] + " " + pcs.str[4:6]).to_numpy(dtype=object)
    pc = np.where(u < 0.5, spaced, np.where(u < 0.9, pc, map_unique(pc, str.lower)))
    street = addrs.street[ai]
    short = (rng.random(k) < 0.05) & pd.Series(street, dtype=str).str.endswith("straat").to_numpy()
    street = np.where(
        short, pd.Series(street, dtype=str).str[:-3].to_numpy(dtype=object) + ".", street
    )
    empty = obj("", k)
    return {
        "straat": np.where(ok, street, empty),
        "huisnummer": np.where(ok, num, empty),
        "postcode": np.where(ok, pc, empty),
        "woonplaats": np.where(ok, addrs.town[ai], empty),
    }


def choose_address(
    rng: np.random.Generator, pop: Population, idx: np.ndarray, current: float, stale: float
) -> np.ndarray:
    """Address index per row: current, stale (an earlier address) or -1 (not recorded)."""
    u = rng.random(idx.size)
    return np.where(
        u < current, pop.addr[idx], np.where(u < current + stale, pop.prev_addr[idx], -1)
    )


# --------------------------------------------------------------------------------------------
# Police
# --------------------------------------------------------------------------------------------


@dataclass
class PoliceRows:
    """Police rows before rendering: person, registration, role, flags."""

    person: np.ndarray
    reg: np.ndarray
    nn: np.ndarray
    role: np.ndarray
    reg_date: np.ndarray
    regnum: np.ndarray
    feit: np.ndarray
    hg: np.ndarray
    arrested: np.ndarray


def weighted_pool(
    rng: np.random.Generator, mask: np.ndarray, weight: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Members of a pool with heavy-tailed (Pareto) propensities: a few repeat a lot."""
    members = np.flatnonzero(mask)
    w = weight[members] * np.minimum(rng.pareto(alpha, members.size) + 1, 20)
    return members, w / w.sum()


def draw_from(rng: np.random.Generator, pool: tuple[np.ndarray, np.ndarray], k: int) -> np.ndarray:
    """``k`` draws with replacement from a weighted pool."""
    members, p = pool
    if members.size == 0 or k == 0:
        return np.full(k, -1, dtype=np.int64)
    return members[rng.choice(members.size, k, p=p)]


def random_member(rng: np.random.Generator, mask: np.ndarray, k: int) -> np.ndarray:
    """``k`` uniform draws from the persons in ``mask``."""
    members = np.flatnonzero(mask)
    if members.size == 0:
        return np.full(k, -1, dtype=np.int64)
    return members[rng.integers(0, members.size, k)]


def police_pools(rng: np.random.Generator, pop: Population, ref: int) -> dict:
    """Suspect pools (general and domestic violence) and victim/witness populations."""
    age = (ref - pop.dob) / YEAR
    real = ~pop.ghost
    male = pop.sex == "M"
    young = (age >= 15) & (age <= 40)
    p_pool = np.select([male & young, male, young], [0.16, 0.06, 0.05], 0.02)
    in_pool = real & (age >= 15) & (age <= 78) & (rng.random(pop.sex.size) < p_pool)
    hg_w = np.where(male, 3.0, 1.0)
    in_hg = real & (age >= 20) & (age <= 75) & (rng.random(pop.sex.size) < 0.08) & (pop.ex >= 0)
    return {
        "suspect": weighted_pool(rng, in_pool, np.ones(pop.sex.size), 1.2),
        "hg": weighted_pool(rng, in_hg, hg_w, 1.3),
        "victim": real & (age >= 8),
        "witness": real & (age >= 16),
    }


def household_kid(
    rng: np.random.Generator,
    pop: Population,
    hhs: Households,
    person: np.ndarray,
    before: np.ndarray,
) -> np.ndarray:
    """A random child of the person's household born before ``before``, else -1."""
    h = pop.hh[np.maximum(person, 0)]
    nk = hhs.nkids[h]
    kid = (
        hhs.start[h]
        + hhs.nadults[h]
        + np.floor(rng.random(person.size) * np.maximum(nk, 1)).astype(np.int64)
    )
    kid = np.minimum(kid, pop.sex.size - 1)
    return np.where((person >= 0) & (nk > 0) & (pop.dob[kid] < before), kid, -1)


def registration_numbers(rng: np.random.Generator, dates: np.ndarray, high: int) -> np.ndarray:
    """'<year><6 digits>' numbers, increasing with the date within a year, unique."""
    y = ymd(dates)[0]
    seq = np.zeros(dates.size, dtype=np.int64)
    for year in np.unique(y):
        m = np.flatnonzero(y == year)
        order = m[np.argsort(dates[m], kind="stable")]
        seq[order] = np.sort(unique_ints(rng, m.size, 1, high))
    return zfill(y, 4) + zfill(seq, 6)


def build_police(
    seed: int, pop: Population, hhs: Households, ref: int, target_rows: int
) -> PoliceRows:
    """Registrations with 1-3 persons each: domestic violence, ordinary, victim-only."""
    rng = stage_rng(seed, "police")
    pools = police_pools(rng, pop, ref)
    R = max(8, int(round(target_rows / 1.86)))
    cat = rng.choice(3, R, p=[0.28, 0.57, 0.15])
    reg_date = ref - 1 - rng.integers(0, 3 * 365, R)
    p = np.full((3, R), -1, dtype=np.int64)
    role = np.full((3, R), 2, dtype=np.int64)
    feit = obj("", R)
    # domestic violence: suspect, partner/ex-partner/household member, maybe a child or witness
    hg = np.flatnonzero(cat == 0)
    s = draw_from(rng, pools["hg"], hg.size)
    u = rng.random(hg.size)
    prt, ex = pop.partner[s], pop.ex[s]
    victim = np.where((u < 0.55) & (prt >= 0), prt, ex)
    h = pop.hh[s]
    other = (
        hhs.start[h]
        + (pop.pos[s] + 1 + rng.integers(0, np.maximum(hhs.size[h] - 1, 1))) % hhs.size[h]
    )
    victim = np.where(
        (u >= 0.9) & (hhs.size[h] > 1) & (pop.dob[other] < reg_date[hg] - 8 * YEAR), other, victim
    )
    third_kid = household_kid(rng, pop, hhs, victim, reg_date[hg])
    third_kid = np.where((rng.random(hg.size) < 0.45) & (third_kid != victim), third_kid, -1)
    witness = np.where(rng.random(hg.size) < 0.2, random_member(rng, pools["witness"], hg.size), -1)
    p[0, hg], p[1, hg] = s, victim
    p[2, hg] = np.where(third_kid >= 0, third_kid, witness)
    role[0, hg], role[1, hg] = 0, 1
    role[2, hg] = np.where(third_kid >= 0, 3, 2)
    feit[hg] = pick(rng, POLICE_FEIT_HG, hg.size, POLICE_FEIT_HG_P)
    # ordinary: suspect, maybe a victim, maybe a co-suspect or a witness
    rg = np.flatnonzero(cat == 1)
    fi = rng.choice(
        len(POLICE_FEIT_REG), rg.size, p=np.array(POLICE_FEIT_REG_P) / sum(POLICE_FEIT_REG_P)
    )
    feit[rg] = obj(POLICE_FEIT_REG)[fi]
    p[0, rg], role[0, rg] = draw_from(rng, pools["suspect"], rg.size), 0
    has_v = rng.random(rg.size) < np.array(REG_VICTIM_P)[fi]
    p[1, rg] = np.where(has_v, random_member(rng, pools["victim"], rg.size), -1)
    role[1, rg] = 1
    co = rng.random(rg.size) < np.array(REG_COSUSPECT_P)[fi]
    wit = rng.random(rg.size) < 0.25
    p[2, rg] = np.where(
        co,
        draw_from(rng, pools["suspect"], rg.size),
        np.where(wit, random_member(rng, pools["witness"], rg.size), -1),
    )
    role[2, rg] = np.where(co, 0, 2)
    # victim only (suspect unknown)
    vo = np.flatnonzero(cat == 2)
    feit[vo] = pick(rng, POLICE_FEIT_VICT, vo.size, (0.35, 0.25, 0.2, 0.1, 0.1))
    p[0, vo], role[0, vo] = random_member(rng, pools["victim"], vo.size), 1
    p[1, vo] = np.where(
        rng.random(vo.size) < 0.25, random_member(rng, pools["witness"], vo.size), -1
    )
    p[1, vo] = np.where(p[1, vo] == p[0, vo], -1, p[1, vo])
    # no person twice in one registration
    p[1] = np.where(p[1] == p[0], -1, p[1])
    p[2] = np.where((p[2] == p[0]) | (p[2] == p[1]), -1, p[2])
    return flatten_registrations(rng, p, role, reg_date, feit, cat == 0)


def flatten_registrations(
    rng: np.random.Generator,
    p: np.ndarray,
    role: np.ndarray,
    reg_date: np.ndarray,
    feit: np.ndarray,
    hg: np.ndarray,
) -> PoliceRows:
    """One row per person per registration, numbered 01, 02, 03 within the registration."""
    R = reg_date.size
    regnum = registration_numbers(rng, reg_date, 900_000)
    present = p >= 0
    nn = np.cumsum(present, axis=0)
    slot_reg = np.broadcast_to(np.arange(R), p.shape)
    m = present.T.ravel()  # registration-major order
    reg = slot_reg.T.ravel()[m]
    rows_role = role.T.ravel()[m]
    arrested = (rows_role == 0) & (rng.random(reg.size) < np.where(hg[reg], 0.6, 0.4))
    return PoliceRows(
        person=p.T.ravel()[m],
        reg=reg,
        nn=nn.T.ravel()[m],
        role=rows_role,
        reg_date=reg_date[reg],
        regnum=regnum[reg],
        feit=feit[reg],
        hg=hg[reg],
        arrested=arrested,
    )


def render_police_person(
    rng: np.random.Generator, pop: Population, addrs: Addresses, idx: np.ndarray
) -> dict[str, np.ndarray]:
    """Name, birth, identity and address columns as the police records them."""
    k = idx.size
    nm = noisy_names(
        rng,
        pop,
        idx,
        NameNoise(married=0.5, first_only=0.22, initials=0.15, translit=0.4, typo=0.03, fold=0.3),
    )
    merge = (nm["tv"] != "") & (rng.random(k) < 0.5)
    achternaam = np.where(merge, nm["tv"] + " " + nm["sn"], nm["sn"])
    capital = merge & (rng.random(k) < 0.1)
    achternaam = np.where(
        capital, map_unique(achternaam, lambda s: s[:1].upper() + s[1:]), achternaam
    )
    upper = rng.random(k) < 0.02
    achternaam = np.where(upper, map_unique(achternaam, str.upper), achternaam)
    y, m, d = noisy_dob(rng, pop.dob[idx], 0.02, 0.015)
    dob = np.where(rng.random(k) < 0.05, "", fmt_dmy(y, m, d))
    place = pop.birthplace[idx]
    variant = map_unique(place, lambda s: BIRTHPLACE_VARIANTS.get(s, s))
    place = np.where(rng.random(k) < 0.4, variant, place)
    place = np.where(rng.random(k) < 0.35, "", place)
    sex = np.where(rng.random(k) < 0.05, "", pop.sex[idx])
    bsn = noisy_bsn(
        rng, pop.bsn[idx], present=0.5, p_drop0=0.4, p_space=0.05, p_dot=0.04, p_invalid=0.03
    )
    cols = {
        "achternaam": achternaam,
        "voorvoegsel": np.where(merge, "", nm["tv"]),
        "voornamen": nm["given"],
        "geboortedatum": dob,
        "geboorteplaats": place,
        "geslacht": sex,
        "bsn": bsn,
    }
    cols.update(address_text(rng, addrs, choose_address(rng, pop, idx, 0.65, 0.15)))
    return cols


def render_police(seed: int, pop: Population, addrs: Addresses, rows: PoliceRows) -> pd.DataFrame:
    """The police_persons.csv table, sorted by record_id."""
    rng = stage_rng(seed, "police-render")
    y, m, d = ymd(rows.reg_date)
    person = render_police_person(rng, pop, addrs, rows.person)
    df = pd.DataFrame(
        {
            "record_id": "PL-" + rows.regnum + "-" + zfill(rows.nn, 2),
            "registratie_datum": fmt_dmy(y, m, d),
            "rol": obj(ROLES)[rows.role],
            "feit": rows.feit,
            "huiselijk_geweld": np.where(rows.hg, "J", "N"),
            **person,
            "aangehouden": np.where(rows.arrested, "J", "N"),
        },
        columns=list(POLICE_COLUMNS),
    )
    df["_person"] = rows.person
    return df.sort_values("record_id", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Justice
# --------------------------------------------------------------------------------------------


def build_justice(
    seed: int, pop: Population, rows: PoliceRows, ref: int, target: int
) -> pd.DataFrame:
    """One row per suspect per case: mostly police suspects, some persons only known to OM."""
    rng = stage_rng(seed, "justice")
    sus = np.flatnonzero(rows.role == 0)
    want_police = int(target * 0.9)
    boost = np.where(rows.hg[sus], 1.3, 1.0)
    p_take = min(1.0, want_police / max(boost.sum(), 1)) * boost
    take = sus[rng.random(sus.size) < p_take]
    person = rows.person[take]
    case_date = np.minimum(rows.reg_date[take] + rng.integers(0, 61, take.size), ref - 1)
    feit = obj([JUSTICE_FEIT[f] for f in rows.feit[take]]) if take.size else obj([])
    feit = np.where(rows.hg[take], feit + ", huiselijke kring", feit)
    is_hg = rows.hg[take] | (rows.feit[take] == "stalking")
    # others: adults not (necessarily) known to the police, more often from outside the region
    n_other = max(1, target - take.size)
    age = (ref - pop.dob) / YEAR
    w = np.where(pop.ghost | (age < 18) | (age > 80), 0.0, np.where(pop.in_region, 1.0, 4.0))
    others = rng.choice(pop.sex.size, n_other, p=w / w.sum())
    person = np.r_[person, others]
    case_date = np.r_[case_date, ref - 1 - rng.integers(0, 4 * 365, n_other)]
    feit = np.r_[feit, pick(rng, JUSTICE_FEIT_OTHER, n_other)]
    is_hg = np.r_[is_hg, np.zeros(n_other, dtype=bool)]
    return render_justice(rng, pop, person, case_date, feit, is_hg, ref)


def parketnummers(rng: np.random.Generator, dates: np.ndarray) -> np.ndarray:
    """'10/123456-26': arrondissement 10 (Rotterdam), a number unique within the year, yy."""
    y = ymd(dates)[0]
    seq = np.zeros(dates.size, dtype=np.int64)
    for year in np.unique(y):
        m = np.flatnonzero(y == year)
        order = m[np.argsort(dates[m], kind="stable")]
        seq[order] = np.sort(unique_ints(rng, m.size, 100_000, 999_999))
    return "10/" + zfill(seq, 6) + "-" + zfill(y % 100, 2)


def render_justice(
    rng: np.random.Generator,
    pop: Population,
    person: np.ndarray,
    case_date: np.ndarray,
    feit: np.ndarray,
    is_hg: np.ndarray,
    ref: int,
) -> pd.DataFrame:
    """The justice_cases table with status, supervision and contact orders."""
    k = person.size
    nm = noisy_names(
        rng,
        pop,
        person,
        NameNoise(married=0.2, first_only=0.0, initials=0.0, translit=0.1, typo=0.01, fold=0.05),
    )
    naam = (
        nm["sn"]
        + ", "
        + map_unique(nm["full"], initials)
        + np.where(nm["tv"] != "", " " + nm["tv"], "")
    )
    y, m, d = noisy_dob(rng, pop.dob[person], 0.005, 0.005)
    dob = from_ymd(y, m, d).astype("datetime64[D]")
    status = pick(rng, ZAAK_STATUS, k, ZAAK_STATUS_P)
    status_date = case_date + np.floor(rng.random(k) * (ref - case_date)).astype(np.int64)
    p_sup = np.select([status == "veroordeeld", status == "vervolging"], [0.35, 0.12], 0.0)
    sup = rng.random(k) < p_sup
    end = np.maximum(status_date + rng.integers(180, 1096, k), ref + rng.integers(14, 400, k))
    active = np.isin(status, ["vervolging", "veroordeeld"])
    contact = rng.random(k) < np.where(is_hg & active, 0.45, np.where(is_hg, 0.05, 0.02))
    bsn = noisy_bsn(
        rng, pop.bsn[person], present=0.9, p_drop0=0.3, p_space=0.01, p_dot=0.01, p_invalid=0.01
    )
    df = pd.DataFrame(
        {
            "record_id": parketnummers(rng, case_date),
            "verdachte_naam": naam,
            "geboortedatum": np.where(rng.random(k) < 0.02, np.datetime64("NaT"), dob),
            "bsn": np.where(bsn == "", None, bsn),
            "feit": feit,
            "zaak_status": status,
            "status_datum": status_date.astype("datetime64[D]"),
            "toezicht_reclassering": sup,
            "toezicht_einddatum": np.where(sup, end.astype("datetime64[D]"), np.datetime64("NaT")),
            "contactverbod": contact,
        }
    )
    df["_person"] = person
    return df.sort_values("record_id", kind="stable").reset_index(drop=True)


def justice_table(df: pd.DataFrame) -> pa.Table:
    """The justice frame as a pyarrow table with the contract's types."""
    arrays = []
    for field in JUSTICE_SCHEMA:
        col = df[field.name]
        if pa.types.is_date32(field.type):
            arrays.append(
                pa.array(col.to_numpy(dtype="datetime64[D]"), type=pa.date32(), from_pandas=True)
            )
        elif pa.types.is_boolean(field.type):
            arrays.append(pa.array(col.to_numpy(dtype=bool), type=pa.bool_()))
        else:
            arrays.append(pa.array(col.to_numpy(dtype=object), type=pa.string(), from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=JUSTICE_SCHEMA)


# --------------------------------------------------------------------------------------------
# Care
# --------------------------------------------------------------------------------------------


def build_care(
    seed: int,
    pop: Population,
    hhs: Households,
    addrs: Addresses,
    rows: PoliceRows,
    ref: int,
    reports: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reports and their betrokkenen (pleger, slachtoffer, kind, melder) before rendering."""
    rng = stage_rng(seed, "care")
    M = max(4, reports)
    typ = rng.choice(len(CARE_TYPES), M, p=CARE_TYPES_P)
    day = ref - 1 - rng.integers(0, 730, M)
    age = (ref - pop.dob) / YEAR
    real = ~pop.ghost
    adult = real & (age >= 18)
    pleger, victim = np.full(M, -1), np.full(M, -1)
    hg_sus = np.unique(rows.person[(rows.role == 0) & rows.hg])
    # huiselijk geweld: pleger often known to the police, victim the partner or an ex
    t = np.flatnonzero(typ == 0)
    couples = adult & (pop.partner >= 0)
    from_police = (rng.random(t.size) < 0.4) & (hg_sus.size > 0)
    cand = np.where(
        from_police,
        hg_sus[rng.integers(0, max(hg_sus.size, 1), t.size)] if hg_sus.size else -1,
        random_member(rng, couples, t.size),
    )
    pleger[t] = cand
    victim[t] = np.where(pop.partner[cand] >= 0, pop.partner[cand], pop.ex[cand])
    # kindermishandeling: a parent and one of the children
    t = np.flatnonzero(typ == 1)
    parents = adult & (pop.pos < hhs.nadults[pop.hh]) & (hhs.nkids[pop.hh] > 0)
    pleger[t] = random_member(rng, parents, t.size)
    victim[t] = household_kid(rng, pop, hhs, pleger[t], day[t])
    # stalking by an ex-partner
    t = np.flatnonzero(typ == 2)
    stalkers = np.unique(rows.person[(rows.role == 0) & ((rows.feit == "stalking") | rows.hg)])
    from_police = (rng.random(t.size) < 0.5) & (stalkers.size > 0)
    cand = np.where(
        from_police,
        stalkers[rng.integers(0, max(stalkers.size, 1), t.size)] if stalkers.size else -1,
        random_member(rng, adult & (pop.ex >= 0), t.size),
    )
    pleger[t], victim[t] = cand, pop.ex[cand]
    # zorgen om persoon: one person of concern (often elderly), no pleger
    t = np.flatnonzero(typ == 3)
    w = np.where(adult, np.where(age > 70, 3.0, 1.0), 0.0)
    victim[t] = rng.choice(pop.sex.size, t.size, p=w / w.sum())
    report_df = pd.DataFrame({"typ": typ, "day": day})
    return report_df, care_people(rng, pop, hhs, typ, day, pleger, victim)


def care_people(
    rng: np.random.Generator,
    pop: Population,
    hhs: Households,
    typ: np.ndarray,
    day: np.ndarray,
    pleger: np.ndarray,
    victim: np.ndarray,
) -> pd.DataFrame:
    """Long table of betrokkenen: report, order, person, rol."""
    M = typ.size
    parts = [
        pd.DataFrame({"rep": np.arange(M), "ord": 0, "person": pleger, "rol": "pleger"}),
        pd.DataFrame({"rep": np.arange(M), "ord": 1, "person": victim, "rol": "slachtoffer"}),
    ]
    # children of the victim's household (and the pleger's, for kindermishandeling) as 'kind'
    with_kids = (typ <= 1) & (victim >= 0)
    base = np.where(typ == 1, pleger, victim)
    h = pop.hh[np.maximum(base, 0)]
    counts = np.where(with_kids & (base >= 0), np.minimum(hhs.nkids[h], 4), 0)
    rep, kid = expand_ranges(hhs.start[h] + hhs.nadults[h], counts)
    keep = (pop.dob[kid] < day[rep]) & (kid != victim[rep]) & (kid != pleger[rep])
    parts.append(
        pd.DataFrame(
            {
                "rep": rep[keep],
                "ord": 2 + rank_within(rep)[keep],
                "person": kid[keep],
                "rol": "kind",
            }
        )
    )
    # a melder in most reports: a neighbour, teacher, relative or professional (a person too)
    has_melder = rng.random(M) < 0.92
    age = (day.max() - pop.dob) / YEAR
    melder = random_member(rng, ~pop.ghost & (age >= 18), M)
    clash = (
        (melder == pleger) | (melder == victim) | (pop.hh[melder] == pop.hh[np.maximum(victim, 0)])
    )
    has_melder &= ~clash
    parts.append(
        pd.DataFrame(
            {
                "rep": np.arange(M)[has_melder],
                "ord": 9,
                "person": melder[has_melder],
                "rol": "melder",
            }
        )
    )
    people = pd.concat(parts, ignore_index=True)
    people = (
        people[people["person"] >= 0]
        .sort_values(["rep", "ord"], kind="stable")
        .reset_index(drop=True)
    )
    people["n"] = rank_within(people["rep"].to_numpy()) + 1
    return people


def json_str(values: np.ndarray) -> np.ndarray:
    """JSON literals for an object array of strings; None becomes null."""
    isnull = pd.isna(pd.Series(values, dtype=object)).to_numpy()
    out = obj("null", values.size)
    if (~isnull).any():
        out[~isnull] = map_unique(values[~isnull], lambda s: json.dumps(s, ensure_ascii=False))
    return out


def render_care(
    seed: int, pop: Population, addrs: Addresses, reports: pd.DataFrame, people: pd.DataFrame
) -> tuple[list[str], pd.DataFrame, np.ndarray]:
    """JSON lines (one per report), the betrokkenen with ids, and the melding ids."""
    rng = stage_rng(seed, "care-render")
    M = len(reports)
    day = reports["day"].to_numpy()
    minutes = np.clip(rng.normal(13 * 60, 3 * 60, M), 0, 24 * 60 - 1).astype(np.int64)
    year = ymd(day)[0]
    order = np.lexsort((minutes, day))
    seq = np.zeros(M, dtype=np.int64)
    for y in np.unique(year):
        m = order[year[order] == y]
        seq[m] = np.sort(unique_ints(rng, m.size, 1, 999_999))
    melding = "VT-" + zfill(year, 4) + "-" + zfill(seq, 6)
    typ = reports["typ"].to_numpy()
    s = rng.choice(4, M, p=[0.30, 0.35, 0.30, 0.05])
    h = rng.choice(4, M, p=[0.05, 0.06, 0.04, 0.85])
    sash = np.where(
        typ == 2, obj(SASH + (None,))[s], np.where(typ == 0, obj(SASH + (None,))[h], None)
    )
    recent = day > day.max() - 90
    status = np.where(rng.random(M) < np.where(recent, 0.7, 0.1), "open", "gesloten")
    head = (
        '{"melding_id": '
        + json_str(melding)
        + ', "ontvangen_op": '
        + json_str(fmt_datetime(day, minutes))
        + ', "type": '
        + json_str(obj(CARE_TYPES)[typ])
        + ', "sash_risico": '
        + json_str(sash)
        + ', "status": '
        + json_str(status)
        + ', "betrokkenen": ['
    )
    people = people.copy()
    people["betrokkene_id"] = (
        melding[people["rep"].to_numpy()] + "-" + zfill(people["n"].to_numpy(), 1)
    )
    items = render_betrokkenen(rng, pop, addrs, people)
    grouped = pd.Series(items).groupby(people["rep"].to_numpy(), sort=True).agg(", ".join)
    body = obj("", M)
    body[grouped.index.to_numpy()] = grouped.to_numpy(dtype=object)
    lines = head + body + "]}"
    return list(lines), people, melding


def render_betrokkenen(
    rng: np.random.Generator, pop: Population, addrs: Addresses, people: pd.DataFrame
) -> np.ndarray:
    """One JSON object string per betrokkene."""
    idx = people["person"].to_numpy()
    rol = people["rol"].to_numpy(dtype=object)
    k = idx.size
    kid, melder = rol == "kind", rol == "melder"
    nm = noisy_names(
        rng,
        pop,
        idx,
        NameNoise(married=0.5, first_only=0.0, initials=0.0, translit=0.3, typo=0.02, fold=0.1),
    )
    surname = np.where(nm["tv"] != "", nm["tv"] + " " + nm["sn"], nm["sn"])
    u = rng.random(k)
    first_only = np.where(kid, u < 0.5, u < 0.1)
    naam = np.where(
        first_only,
        nm["roep"],
        np.where(
            u < 0.3,
            map_unique(nm["roep"], initials) + " " + surname,
            np.where(u < 0.4, nm["full"] + " " + surname, nm["roep"] + " " + surname),
        ),
    )
    iso = fmt_iso(pop.dob[idx])
    yr = zfill(ymd(pop.dob[idx])[0], 4)
    v = rng.random(k)
    dob = np.where(
        kid,
        np.where(v < 0.8, iso, None),
        np.where(
            melder,
            np.where(v < 0.1, iso, np.where(v < 0.15, yr, None)),
            np.where(v < 0.55, iso, np.where(v < 0.7, yr, None)),
        ),
    )
    a = np.where(
        melder,
        np.where(rng.random(k) < 0.15, pop.addr[idx], -1),
        choose_address(rng, pop, idx, 0.65, 0.10),
    )
    parts = address_text(rng, addrs, a)
    no_pc = rng.random(k) < 0.1
    adres = (
        parts["straat"]
        + " "
        + parts["huisnummer"]
        + ", "
        + np.where(no_pc, "", parts["postcode"] + " ")
        + parts["woonplaats"]
    )
    adres = np.where(a >= 0, adres, None)
    return (
        '{"betrokkene_id": '
        + json_str(people["betrokkene_id"].to_numpy(dtype=object))
        + ', "rol": '
        + json_str(rol)
        + ', "naam": '
        + json_str(naam)
        + ', "geboortedatum": '
        + json_str(dob)
        + ', "adres": '
        + json_str(adres)
        + "}"
    )


# --------------------------------------------------------------------------------------------
# Municipal (BRP)
# --------------------------------------------------------------------------------------------


def render_brp(pop: Population, addrs: Addresses) -> pd.DataFrame:
    """One row per resident of the region, sorted by A-nummer."""
    idx = np.flatnonzero(pop.in_region)
    y, m, d = ymd(pop.dob[idx])
    unk = pop.dob_unknown[idx]
    m = np.where(unk == 2, 0, m)
    d = np.where(unk >= 1, 0, d)
    a = pop.addr[idx]

    def bsn_of(ref_idx: np.ndarray, ok: np.ndarray) -> np.ndarray:
        return np.where(ok, pop.bsn[np.maximum(ref_idx, 0)], "")

    iy, im, iday = ymd(pop.inschrijving[idx])
    df = pd.DataFrame(
        {
            "record_id": pop.anr[idx],
            "bsn": pop.bsn[idx],
            "geslachtsnaam": pop.sn[idx],
            "voorvoegsel": pop.tv[idx],
            "voornamen": pop.voornamen[idx],
            "geboortedatum": fmt_compact(y, m, d),
            "geslacht": np.where(pop.sex[idx] == "X", "O", pop.sex[idx]),
            "straatnaam": addrs.street[a],
            "huisnummer": zfill(addrs.number[a], 1),
            "huisletter": addrs.letter[a],
            "huisnummertoevoeging": addrs.toev[a],
            "postcode": addrs.postcode[a],
            "woonplaats": addrs.town[a],
            "adres_id": addrs.adres_id[a],
            "ouder1_bsn": bsn_of(pop.parent1[idx], pop.parent1[idx] >= 0),
            "ouder2_bsn": bsn_of(pop.parent2[idx], pop.parent2[idx] >= 0),
            "partner_bsn": bsn_of(pop.partner[idx], pop.registered[idx]),
            "datum_inschrijving": fmt_compact(iy, im, iday),
        },
        columns=list(BRP_COLUMNS),
    )
    df["_person"] = idx
    return df.sort_values("record_id", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Arrests
# --------------------------------------------------------------------------------------------


def build_arrests(
    seed: int,
    pop: Population,
    addrs: Addresses,
    rows: PoliceRows,
    brp_persons: np.ndarray,
    ref: int,
    count: int,
) -> tuple[list[dict], np.ndarray]:
    """On-arrest feed objects: mostly known persons, the ghosts unknown to every source."""
    rng = stage_rng(seed, "arrests")
    if count <= 0:
        return [], np.empty(0, dtype=np.int64)
    ghosts = np.flatnonzero(pop.ghost)[:count]
    known = count - ghosts.size
    suspects = np.unique(rows.person[rows.role == 0])
    residents = brp_persons if brp_persons.size else suspects
    suspects = suspects if suspects.size else residents
    from_police = rng.random(known) < 0.7
    persons = np.where(
        from_police,
        suspects[rng.integers(0, suspects.size, known)],
        residents[rng.integers(0, residents.size, known)],
    )
    persons = np.r_[persons, ghosts]
    persons = rng.permutation(persons)
    cols = render_police_person(rng, pop, addrs, persons)
    y, m, d = ymd(pop.dob[persons])
    cols["geboortedatum"] = np.where(
        cols["geboortedatum"] == "", fmt_dmy(y, m, d), cols["geboortedatum"]
    )
    minutes = rng.integers(0, 24 * 60, count)
    when = fmt_datetime(np.full(count, ref), minutes)
    year = ymd(np.array([ref]))[0][0]
    seq = np.sort(unique_ints(rng, count, 900_000, 1_000_000))
    hg = rng.random(count) < 0.4
    feit = np.where(
        hg,
        pick(rng, POLICE_FEIT_HG, count, POLICE_FEIT_HG_P),
        pick(rng, POLICE_FEIT_REG, count, POLICE_FEIT_REG_P),
    )
    objs = []
    for i in range(count):
        objs.append(
            {
                "arrest_id": f"AH-{year}-{seq[i]:06d}",
                "aangehouden_op": when[i],
                "record_id": f"PL-{year}{seq[i]:06d}-01",
                "feit": feit[i],
                "huiselijk_geweld": bool(hg[i]),
                "achternaam": cols["achternaam"][i],
                "voorvoegsel": cols["voorvoegsel"][i],
                "voornamen": cols["voornamen"][i],
                "geboortedatum": cols["geboortedatum"][i],
                "bsn": cols["bsn"][i].replace(" ", "").replace(".", "") or None,
                "straat": cols["straat"][i],
                "huisnummer": cols["huisnummer"][i],
                "postcode": cols["postcode"][i],
                "woonplaats": cols["woonplaats"][i],
            }
        )
    return objs, persons


# --------------------------------------------------------------------------------------------
# Defects
# --------------------------------------------------------------------------------------------


def defect_rows(rng: np.random.Generator, n_rows: int, kinds: int, rate: float) -> list[np.ndarray]:
    """Distinct row indices per defect kind: each kind at least once when rate > 0."""
    if rate <= 0 or n_rows == 0:
        return [np.empty(0, dtype=np.int64) for _ in range(kinds)]
    total = min(n_rows, max(kinds, int(round(rate * n_rows))))
    rows = rng.choice(n_rows, total, replace=False)
    return [rows[i::kinds] for i in range(kinds)]


def police_defects(rng: np.random.Generator, df: pd.DataFrame, rate: float) -> None:
    """Impossible dates, non-J/N flags and unknown roles in police rows (in place)."""
    bad_dob, bad_reg, bad_flag, bad_rol = defect_rows(rng, len(df), 4, rate)
    years = df["registratie_datum"].str[-4:].to_numpy(dtype=object)
    df.loc[bad_dob, "geboortedatum"] = pick(
        rng, ("31-02-", "30-02-", "00-13-"), bad_dob.size
    ) + pick(rng, ("1985", "1979", "1992"), bad_dob.size)
    df.loc[bad_reg, "registratie_datum"] = (
        pick(rng, ("31-04-", "31-06-", "31-09-"), bad_reg.size) + years[bad_reg]
    )
    for col, rows in (("huiselijk_geweld", bad_flag[::2]), ("aangehouden", bad_flag[1::2])):
        df.loc[rows, col] = pick(rng, ("Ja", "?", "1", "n.v.t."), rows.size)
    df.loc[bad_rol, "rol"] = pick(rng, ("dader", "aangever", "onbekend"), bad_rol.size)


def care_defects(
    rng: np.random.Generator, lines: list[str], people: pd.DataFrame, rate: float
) -> None:
    """A cut-off line (invalid JSON, ids still readable) and an unknown rol of a non-melder."""
    bad_json, bad_rol = defect_rows(rng, len(lines), 2, rate)
    for i in bad_json:
        lines[i] = lines[i][:-2]
    subjects = people.index[(people["rol"] != "melder").to_numpy()].to_numpy()
    reps = people["rep"].to_numpy()
    for i in bad_rol:
        cand = subjects[reps[subjects] == i]
        if cand.size == 0 or i in set(bad_json):
            continue
        j = int(cand[0])
        rol = people.at[j, "rol"]
        old = (
            '"betrokkene_id": '
            + json.dumps(people.at[j, "betrokkene_id"])
            + ', "rol": "'
            + rol
            + '"'
        )
        lines[i] = lines[i].replace(
            old,
            old.replace(
                '"' + rol + '"', '"' + ("buurvrouw" if rol != "kind" else "pleegkind") + '"'
            ),
        )


def brp_defects(rng: np.random.Generator, df: pd.DataFrame, rate: float) -> None:
    """Non-numeric and impossible birth dates in BRP rows (in place)."""
    non_numeric, impossible = defect_rows(rng, len(df), 2, rate)
    dob = df["geboortedatum"].to_numpy(dtype=object)
    iso = pd.Series(dob[non_numeric], dtype=str)
    df.loc[non_numeric, "geboortedatum"] = np.where(
        rng.random(non_numeric.size) < 0.5,
        "onbekend",
        (iso.str[0:4] + "-" + iso.str[4:6] + "-" + iso.str[6:8]).to_numpy(dtype=object),
    )
    df.loc[impossible, "geboortedatum"] = (
        pd.Series(dob[impossible], dtype=str).str[0:4].to_numpy(dtype=object) + "0231"
    )


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def write_police(df: pd.DataFrame, path: Path) -> None:
    """Semicolon CSV in Windows-1252 with CRLF, as a Windows export would be."""
    out = df[list(POLICE_COLUMNS)].copy()
    for col in ("achternaam", "voorvoegsel", "voornamen", "geboorteplaats", "straat", "woonplaats"):
        out[col] = map_unique(out[col].to_numpy(dtype=object), cp1252_safe)
    out.to_csv(path, sep=";", index=False, encoding="cp1252", lineterminator="\r\n")


def write_truth(
    path: Path, parts: list[tuple[str, np.ndarray, np.ndarray]], keys: np.ndarray
) -> int:
    """truth.parquet with one row per written person record."""
    source = np.concatenate([obj(src, ids.size) for src, ids, _ in parts])
    record = np.concatenate([np.asarray(ids, dtype=object) for _, ids, _ in parts])
    person = np.concatenate([keys[np.asarray(p, dtype=np.int64)] for _, _, p in parts])
    table = pa.Table.from_arrays(
        [
            pa.array(source, pa.string()),
            pa.array(record, pa.string()),
            pa.array(person, pa.string()),
        ],
        schema=TRUTH_SCHEMA,
    )
    pq.write_table(table, path)
    return table.num_rows


def write_arrests(folder: Path, objs: list[dict]) -> None:
    """One JSON file per arrest; earlier generated AH-*.json files in the folder are replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("AH-*.json"):
        old.unlink()
    for o in objs:
        (folder / f"{o['arrest_id']}.json").write_text(
            json.dumps(o, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


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

    inbox = out / "inbox" / date
    inbox.mkdir(parents=True, exist_ok=True)
    write_police(police, inbox / "police_persons.csv")
    pq.write_table(justice_table(justice), inbox / "justice_cases.parquet")
    (inbox / "care_reports.jsonl").write_text(
        "".join(lines[i] + "\n" for i in np.argsort(melding, kind="stable")), encoding="utf-8"
    )
    brp[list(BRP_COLUMNS)].to_csv(
        inbox / "municipal_brp.csv", sep=",", index=False, encoding="utf-8", lineterminator="\n"
    )
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
        "care_reports.jsonl": len(lines),
        "care_betrokkenen": len(people),
        "municipal_brp.csv": len(brp),
        "arrests": len(arrest_objs),
        "truth.parquet": truth_rows,
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: generate a delivery and print the counts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, required=True, help="number of synthetic persons")
    parser.add_argument(
        "--seed", type=int, required=True, help="random seed (same seed, same bytes)"
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="output folder (inbox/ and truth.parquet)"
    )
    parser.add_argument("--date", default="2026-11-27", help="delivery date YYYY-MM-DD")
    parser.add_argument("--arrests", type=int, default=8, help="number of on-arrest feed files")
    parser.add_argument(
        "--defects", type=float, default=0.001, help="share of malformed rows (0 disables)"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    counts = generate(args.persons, args.seed, args.out, args.date, args.arrests, args.defects)
    for name, value in counts.items():
        print(f"{name:24s} {value:>10,d}")
    print(f"done in {time.perf_counter() - start:.1f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
