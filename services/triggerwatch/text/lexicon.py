"""What a one-word company name also is, in the language of the text: a common word, a person's name,
a place, or nothing but a name.

- Finnish: Voikko's word classes (``nimisana`` … common; ``etunimi``/``sukunimi`` person; ``paikannimi``
  place; ``nimi`` an organisation or brand Voikko knows: Apple, Wärtsilä, Kesko), plus the fixed
  lists below, which are all there is without Voikko.
- English and Swedish: the system word lists (Debian ``wamerican`` / ``wswedish``:
  ``/usr/share/dict/american-english``, ``/usr/share/dict/swedish``); a word listed in lower case is a
  common word ("apple", "target", "shell"), one listed only capitalised is a name. Without them a
  short fixed list of English and Swedish words that are also company names stands in.
- :func:`guess_language`: fi / sv / en by function words (a few dozen per language), enough to tell
  which language a news text is in.

A word is "common" only in its own language: "Apple" in Finnish text is not a Finnish word, so it is
a name; at the start of an English sentence it is a common word until context says otherwise.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from triggerwatch.text import finnish

log = logging.getLogger(__name__)

COMMON, PERSON, PLACE, NAME, FIRST = "common", "person", "place", "name", "first name"

#: Finnish common words that are also company names (without Voikko, the only ones known)
FI_COMMON: frozenset[str] = frozenset(
    {
        "kone", "neste", "posti", "tieto", "talo", "koti", "apu", "raksa", "rakennus", "kuljetus",
        "palvelu", "huolto", "varma", "aina", "kela", "data", "sanoma", "metso", "keskus", "kauppa",
        "voima", "verkko", "energia", "lämpö", "vesi", "sähkö", "puu", "metsä", "maa", "meri", "tuli",
        "valo", "kivi", "rauta", "teräs", "lasi", "kulta", "hopea", "media", "uutiset", "pankki",
        "vakuutus", "turva", "terveys", "hoiva", "ruoka", "leipä", "maito", "liha", "kala", "marja",
        "kahvi", "olut", "viini", "ravintola", "hotelli", "matka", "auto", "logistiikka",
        "tekniikka", "teknologia", "ohjelmisto", "konsultointi", "suunnittelu", "mainos", "viestintä",
        "kirja", "lehti", "radio", "televisio", "peli", "musiikki", "taide", "design", "muoti",
        "tuote", "tuotanto", "tehdas", "paja", "konepaja", "metalli", "muovi", "paperi", "sellu",
        "kemia", "lääke", "apteekki", "optiikka", "siivous", "turvallisuus", "vartiointi", "kiinteistö",
        "asunto", "laatu", "tulos", "taito", "osaaja", "nova", "uusi", "vanha", "iso", "pieni",
        "hyvä", "paras", "suuri", "pohjoinen", "etelä", "itä", "länsi",
    }
)
#: first names and surnames that are also company names (Voikko knows many more)
PERSON_NAMES: frozenset[str] = frozenset(
    {
        "elisa", "alma", "aina", "anna", "helmi", "kari", "matti", "pekka", "sampo", "visa", "varma",
        "aino", "eero", "elina", "emma", "ilona", "jussi", "kalle", "laura", "lassi", "leena", "liisa",
        "maija", "mikko", "minna", "noora", "oskari", "otto", "paula", "pirkko", "riikka", "sara",
        "sari", "tiina", "timo", "tuomas", "veikko", "ville", "ilmarinen", "lassila", "virtanen",
        "korhonen", "nieminen", "mäkinen", "hämäläinen", "laine", "koskinen", "heikkinen", "järvinen",
        "posti", "metso", "tim", "elon", "jeff", "mark", "bill", "steve", "sundar",
    }
)
#: places that are also company names
PLACES: frozenset[str] = frozenset(
    {
        "suomi", "finland", "pohjola", "helsinki", "espoo", "vantaa", "tampere", "turku", "oulu",
        "lahti", "kuopio", "jyväskylä", "pori", "vaasa", "kotka", "nokia", "fiskars", "amazon",
        "ruotsi", "sverige", "norja", "tanska", "viro", "saksa", "kiina", "japani", "intia",
        "lappi", "karjala", "savo", "häme", "uusimaa", "pohjanmaa", "kainuu", "europe", "eurooppa",
        "nordic", "baltic", "america", "amerikka", "asia", "aasia", "africa", "afrikka",
        # Finnish places in Swedish and English, and the neighbours
        "helsingfors", "esbo", "vanda", "åbo", "tammerfors", "uleåborg", "vasa", "borgå", "lovisa",
        "jakobstad", "karleby", "kristinestad", "ekenäs", "raseborg", "kyrkslätt", "sibbo", "pargas",
        "nådendal", "björneborg", "tavastehus", "lahtis", "villmanstrand", "fredrikshamn", "kajana",
        "torneå", "mariehamn", "åland", "nyland", "birkaland", "österbotten", "lappland", "karelen",
        "savolax", "tavastland", "sweden", "norge", "norway", "danmark", "denmark",
        "island", "iceland", "estland", "estonia", "tyskland", "germany", "europa", "stockholm",
        "göteborg", "malmö", "oslo", "köpenhamn", "copenhagen", "tallinn", "riga", "london",
        "paris", "berlin", "finnland", "suomen", "norden", "scandinavia", "skandinavien",
    }
)
#: English and Swedish common words that are company names, when the system word lists are absent
_EN_FALLBACK = frozenset(
    {
        "apple", "target", "shell", "visa", "orange", "wind", "sun", "here", "amazon", "meta",
        "oracle", "twitter", "square", "block", "snap", "uber", "gap", "next", "boots", "mango",
        "puma", "jaguar", "seat", "total", "ford", "subway", "delta", "united", "alphabet", "google",
        "windows", "office", "kindle", "slack", "zoom", "signal", "tesla", "nvidia", "intel",
        "sony", "dell", "canon", "sharp", "casio", "nike", "adidas", "diesel", "monster", "coach",
        "glass", "stone", "bank", "group", "capital", "energy", "power", "data", "cloud", "media",
    }
)
_SV_FALLBACK = frozenset({"bolaget", "kraft", "sten", "skog", "hus", "bygg", "vatten", "ljus", "handel"})
_DICTS = {"en": ("american-english", "british-english", "words"), "sv": ("swedish", "svenska")}
_DICT_DIR = Path("/usr/share/dict")


def _split(words: str) -> frozenset[str]:
    return frozenset(words.split())


_FI_WORDS = _split(
    "ja on että ei se hän ovat oli olivat ovat mutta myös kun jos tai sekä joka jotka mikä kuin "
    "yhtiö yhtiön mukaan vuonna vuoden nyt vielä jo uusi uuden kertoo kertoi tiedotteessa noin "
    "euroa miljoonaa prosenttia sen sitä hänen heidän tämä tämän"
)
_SV_WORDS = _split(
    "och är att som för med har till av på en ett det den de inte om vid från nya också enligt "
    "bolaget bolagets miljoner kronor under efter sina sin var kommer"
)
_EN_WORDS = _split(
    "the and is of to has as for with new a its are was were be been by from that this it on at "
    "which said will would company million billion percent an have"
)
_PUNCT_TABLE = str.maketrans({c: " " for c in ".,;:!?\"'()[]«»“”–—-"})
_FI_ENDINGS = frozenset({"ssa", "ssä", "lle", "sta", "stä", "lla", "llä", "ksi"})


def guess_language(text: str, default: str = "fi") -> str:
    """'fi', 'sv' or 'en': the language whose function words the text (first 800 characters) has most."""
    tokens = text[:800].casefold().translate(_PUNCT_TABLE).split()
    if not tokens:
        return default
    fi = sum(map(_FI_WORDS.__contains__, tokens)) + 0.3 * sum(t[-3:] in _FI_ENDINGS for t in tokens)
    sv = sum(map(_SV_WORDS.__contains__, tokens))
    en = sum(map(_EN_WORDS.__contains__, tokens))
    best = max((fi, "fi"), (sv, "sv"), (en, "en"))
    return best[1] if best[0] > 0 else default


@lru_cache(maxsize=4)
def _word_list(language: str) -> frozenset[str]:
    """The lower-case entries of the system word list of a language (common words, not names)."""
    for name in _DICTS.get(language, ()):
        path = _DICT_DIR / name
        try:
            with path.open(encoding="utf-8", errors="replace") as fh:
                lines = (line.strip() for line in fh)
                words = frozenset(w for w in lines if w and w.islower() and "'" not in w)
        except OSError:
            continue
        if len(words) > 1000:
            return words
    log.info("no %s word list in %s: a short built-in list stands in", language, _DICT_DIR)
    return _EN_FALLBACK if language == "en" else _SV_FALLBACK if language == "sv" else frozenset()


@lru_cache(maxsize=100_000)
def finnish_classes(word: str) -> frozenset[str]:
    """What a (casefolded) one-word name is in Finnish: a subset of {common, person, first name,
    place, name}."""
    out: set[str] = set()
    if word in FI_COMMON:
        out.add(COMMON)
    if word in PERSON_NAMES:
        out.add(PERSON)
    if word in PLACES:
        out.add(PLACE)
    classes = {c for _, c in finnish.analyse(word.capitalize())} | {c for _, c in finnish.analyse(word)}
    if classes & {"etunimi", "sukunimi"}:
        out.add(PERSON)
    if "etunimi" in classes:
        out.add(FIRST)
    if "paikannimi" in classes:
        out.add(PLACE)
    if "nimi" in classes:
        out.add(NAME)
    if finnish.is_common_word(word) and "etunimi" not in classes:
        out.add(COMMON)
    return frozenset(out)


def is_first_name(word: str) -> bool:
    """A first name (Voikko ``etunimi``; without Voikko the fixed list of :data:`PERSON_NAMES`)."""
    return FIRST in finnish_classes(word) or (word in PERSON_NAMES and not finnish.voikko_available())


@lru_cache(maxsize=100_000)
def common_languages(word: str) -> frozenset[str]:
    """The languages (fi, en, sv) in which a casefolded word is a common word."""
    out = {"fi"} if COMMON in finnish_classes(word) else set()
    if word in _word_list("en") or word in _EN_FALLBACK:
        out.add("en")
    if word in _word_list("sv"):
        out.add("sv")
    return frozenset(out)


def word_classes(word: str, language: str) -> frozenset[str]:
    """What a casefolded one-word name is in a text in ``language`` (fi, sv or en).

    Person names, places and known organisation names count in every language; "common" only in the
    language of the text: Finnish by Voikko and :data:`FI_COMMON`, English and Swedish by the system
    word lists.
    """
    out = finnish_classes(word) - {COMMON}
    return out | {COMMON} if language in common_languages(word) else out
