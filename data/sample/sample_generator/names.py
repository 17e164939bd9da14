"""Name reference data (given names, tussenvoegsels, transliterations) and given-name draws.

Why: matching is only tested honestly on the heavy-tailed name distributions of the region
(Dutch, Turkish, Moroccan, Surinamese, Polish and other origins); the tables and the Zipf-shaped
draws over them live together so the distribution can be read and tuned in one place.
"""

import numpy as np
import pandas as pd

from .draws import obj, split_list, zipf_p

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
