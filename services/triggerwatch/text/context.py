"""What the words around a name say about it: a company, a product or service, or a person.

All tests look at one sentence, in the text and in the linker's scan string (``spaced``: lowercased,
separators as spaces, one space in front):

- :func:`company_context`: the sentence talks business — a company noun, a trigger or a financial
  word (yhtiö, konserni, osake, liikevaihto, tulos, toimitusjohtaja, ostaa/osti, julkisti, investoi,
  irtisanoo, … and their Swedish and English counterparts), or an amount of money; ``near=n``: within
  n words of the name only (for names that are also common words or people's names).
- :func:`product_use`: the name is used as a product or service — a hyphenated compound with a
  product head ("Twitter-tili", "Facebook-sivu", "Kone-hissi"; not "Nokia-yhtiö"), or a locative of a
  service within four words of publishing ("YouTubessa julkaistu video", "posted on Twitter").
- :func:`person_use`: a role title right before the name ("toimitusjohtaja Pekka", "CEO Tim").
"""

from __future__ import annotations

import re
from collections.abc import Callable

import ahocorasick  # type: ignore[import-untyped]

from triggerwatch.text.lexicon import PLACES as PLACE_WORDS

#: word starts (casefolded) that make a sentence about a company
COMPANY_WORDS: tuple[str, ...] = (
    # Finnish: the company itself, its people, its money, its moves
    "yhtiö", "yritys", "yrityks", "konserni", "pörssi", "osake", "osakkee", "osakkai", "liikevaihto",
    "liiketoimin", "liikevoit", "tulos", "tulokse", "voitto", "voitot", "tappio", "osinko", "osingo",
    "markkina-arvo", "neljännes", "vuosineljännek", "kvartaali", "toimitusjohtaj", "hallitu",
    "talousjohtaj", "johtaja", "johtoryhm", "omista", "sijoittaj", "rahoitu", "rahoittaj",
    "rekrytoi", "palkkaa", "palkkas", "nimitt", "nimite", "muutosneuvottel", "yt-", "irtisano",
    "lomaut", "investoi", "tilau", "tilaukse", "tilasi", "kauppa", "kaupa", "kaupan", "ostaa",
    "osti", "ostanut", "ostaneen", "ostoa", "yritysost", "myy", "myi", "myyn", "myyd", "julkist",
    "tiedott", "lanseera", "valmista", "tehdas", "tehtaa", "tuotanto", "tuotantoa", "asiakkai",
    "asiakas", "sopimu", "sopimukse", "kilpailija", "markkinaosuu", "brändi", "tytäryhtiö",
    "emoyhtiö", "startup", "kasvuyhtiö", "konkurss", "yrityssaneera", "fuusio", "sulautu",
    "työntekijä", "työntekij", "henkilöstö", "palveluksess", "työnantaja", "työskentel", "sijoitta",
    # Swedish
    "bolag", "koncern", "vd", "aktie", "omsättning", "resultat", "vinst", "förlust", "förvärv",
    "köper", "köpte", "säljer", "sålde", "anställ", "utnämn", "lanserar", "lanserade", "varsel",
    # English (word starts long enough not to start names: "stock" would start "Stockmann")
    "compan", "revenue", "profit", "earnings", "quarter", "acquir", "acquisition", "merger",
    "announc", "launch", "appoint", "layoff", "invest", "customers", "employees", "subsidiar",
    "manufactur", "supplier",
)
#: English words that count only whole (a name may start with them: "Stockmann", "Dealmaker")
COMPANY_WORDS_EN: frozenset[str] = frozenset(
    {"group", "ceo", "cfo", "chief", "shares", "share", "stock", "stocks", "loss", "hires", "hired",
     "lays", "deal", "deals", "firm", "sales", "results"}
)
#: verbs of saying that only an organisation or a person does: a common noun before them is a name
#: ("Neste kertoi", "Posti ilmoitti"); not for people's names, who say things too
AGENT_VERBS: frozenset[str] = frozenset(
    {
        "kertoi", "kertoo", "kertovat", "ilmoitti", "ilmoittaa", "tiedotti", "tiedottaa", "vahvisti",
        "vahvistaa", "arvioi", "ennustaa", "ennusti", "tavoittelee", "kommentoi", "totesi", "toteaa",
        "julkisti", "julkistaa", "kasvatti", "kasvattaa", "paransi", "investoi", "investoivat", "ostaa",
        "osti", "myy", "myi", "palkkaa", "irtisanoo", "lomauttaa", "laajentaa", "laajensi", "sulkee",
        "lanseeraa", "lanseerasi", "aikoo", "suunnittelee", "odottaa", "luisuu", "nousi", "laski",
        "uppger", "meddelar", "meddelade", "säger", "köper", "säljer", "lanserar", "planerar",
        "rapporterar", "said", "says", "announced", "reported", "reports", "plans", "to", "will",
        "agrees", "agreed", "buys", "bought", "sells", "sold", "cuts", "launches", "launched",
        "unveils", "unveiled", "sues", "hires", "posts", "posted", "wins", "raises", "expects",
    }
)
#: stems that make any word containing them a business word ("työeläkeyhtiöt", "puheenjohtaja",
#: "tulosvaroitus", "verkkoliiketoiminnan"): Finnish writes compounds
CORE_STEMS: tuple[str, ...] = (
    "yhtiö", "johtaj", "konserni", "liikevaihto", "liikevoit", "liiketoimin", "pörssi", "osake",
    "osakk", "tulos", "ohjeistu", "tilauskant", "arvostu", "markkinaosuu", "bolag", "koncern",
)
#: what the word before a name ends with when it says what kind of company it is ("operaattori
#: Elisa", "huonekaluketju Ikea", "drinks maker Hartwall", "konkurrenten Ericsson")
APPOSITIVES: tuple[str, ...] = (
    "yhtiö", "yhtiöt", "konserni", "ketju", "operaattori", "meijeri", "valmistaja", "jätti",
    "pankki", "firma", "yritys", "kilpailija", "kilpailijat", "toimija", "panimo", "kustantamo",
    "maker", "giant", "firm", "retailer", "carrier", "operator", "insurer", "airline", "brewer",
    "producer", "group", "bank", "company", "rival", "bolaget", "koncernen", "kedjan",
    "tillverkaren", "operatören", "konkurrenten", "banken", "rederiet", "bryggeriet",
)
#: words near a company's name in a locative that make it the workplace ("Nokiassa työskentelevä")
EMPLOYMENT_WORDS: tuple[str, ...] = (
    "työskentel", "töissä", "palveluksess", "työsuhtee", "johtaj", "uransa", "nimity", "nimitt",
)
_MONEY_PATTERN = (
    r"\d[\d,. ]*\s*(?:milj|mrd|miljoona|miljardi|million|billion|bn\b|mn\b|kronor|euro|€|\$|dollar)"
    r"|(?:€|\$)\s*\d"
)
#: hyphenated compounds that are about the company itself ("Nokia-yhtiö", "Kone-konserni")
COMPANY_HEADS: tuple[str, ...] = (
    "yhtiö", "yritys", "yrityks", "konserni", "johto", "johtaj", "toimitusjohtaj", "pomo", "omistei",
    "ryhmä", "yhtymä", "kaupat", "osto", "johtoinen", "vetoinen",
    "omistuks", "kauppa", "kaupa", "osake", "osakkee", "tehdas", "tehtaa", "työntekijä", "organisaati",
    "yksikö", "koncern", "bolag", "company", "group",
)
#: hyphenated compounds that are a product or service, or an attitude to it, not the company
PRODUCT_HEADS: tuple[str, ...] = (
    "tili", "sivu", "sivusto", "sovellu", "päivity", "viesti", "video", "kanava", "käyttäj",
    "profiili", "ryhmä", "puhelin", "puhelim", "älypuhelin", "laite", "laitte", "tabletti", "tabletin",
    "tietokone", "kone", "selain", "selaime", "hakukone", "haku", "kartta", "kartat", "mainos",
    "tuote", "tuottei", "hissi", "auto", "autoja", "kortti", "kortin", "liittymä", "lasku", "palvelu",
    "pelikonsoli", "konsoli", "kello", "ohjelmisto", "käyttöjärjestelm", "järjestelm", "kauppapaikka",
    "verkkokauppa", "postaus", "twiitti", "julkaisu", "kampanja", "live", "striimi", "vastai",
    "vastaisuu", "kriittin", "myöntei", "mieli", "fani", "liiketoimin", "yksikkö", "brändi",
    "account", "page", "app", "video", "konto", "sida",
)
#: words in a sentence that make a service's locative a place where something was published
SERVICE_WORDS: tuple[str, ...] = (
    "julkais", "julkaist", "video", "kirjoitt", "twiitt", "tviitt", "päivity", "päivitti", "viesti",
    "postau", "postas", "kommentoi", "seuraaj", "tykkä", "käyttäj", "tili", "sivu", "kanava",
    "jakoi", "jaettu", "jakama", "katsottu", "katsoja", "ladattu", "lataa", "suoratoist", "striim",
    "mainosta", "profiili", "ryhmä", "somessa", "sosiaalise",
    "posted", "tweet", "wrote", "video", "followers", "page", "account", "skrev", "publicerade",
)
_SERVICE_LOCATIVES = ("ssa", "ssä", "sta", "stä", "ssaan", "ssään", "staan", "stään")
_SERVICE_PREPOSITIONS = ("on", "via", "på")
#: English nouns after a name that make it a product ("Samsung phones", "the Orion spacecraft")
EN_PRODUCT_NOUNS: frozenset[str] = frozenset(
    {
        "phone", "phones", "smartphone", "smartphones", "device", "devices", "app", "apps", "account",
        "accounts", "page", "pages", "user", "users", "video", "videos", "tablet", "tablets", "laptop",
        "laptops", "spacecraft", "software", "browser", "search", "feed", "post", "posts",
    }
)
#: words before a place name that make it the place ("i Vasa", "in Espoo", "sijaitsee Raisiossa")
PLACE_BEFORE: frozenset[str] = frozenset(
    {"i", "in", "från", "from", "near", "vid", "sijaitsee", "sijaitseva", "staden", "kaupunki",
     "kaupungissa", "kunnassa", "town", "city", "region"}
)
#: the case endings of a place name where it is the place: in, from, to, at (Helsingissä, Nokialla)
#: (the inner locatives: a company is more often "Nokialle", "Nokialla" — for, at — than "Nokiassa")
PLACE_CASES: tuple[str, ...] = (
    "ssa", "ssä", "sta", "stä", "aan", "ään", "een", "iin", "oon", "uun", "yyn", "ssakin", "ssäkin",
)
#: words after a place name in a locative that make it the place ("Helsingissä toimiva yhtiö")
PLACE_FOLLOWERS: tuple[str, ...] = (
    "toimiv", "sijaitsev", "asuv", "asui", "asuu", "kotipaik", "pääkonttor", "perustet", "syntyn",
    "järjestet", "järjestettäv", "pidet", "pidettäv", "avatt", "avattav", "rakennet", "rakennettav",
    "valmistuv", "kaupung", "keskust", "seudu", "seutu", "alue", "oleva", "olevan", "sijaitse",
    "kupee", "kylä", "kunta", "kunna", "ruukki", "ruuki", "bruk", "kaivoskaupun", "tehta", "tehdas",
    "toimipist", "satama", "sairaala", "uimahalli",
)
#: titles right before a name that make it a person ("toimitusjohtaja Pekka")
PERSON_TITLES: tuple[str, ...] = (
    "toimitusjohtaja", "johtaja", "puheenjohtaja", "päällikkö", "ministeri", "pääministeri", "herra",
    "rouva", "professori", "tutkija", "analyytikko", "asiantuntija", "myyntijohtaja", "talousjohtaja",
    "perustaja", "sijoittaja", "kansanedustaja", "ceo", "cfo", "mr", "mrs", "ms", "dr", "founder",
    "vd", "chef", "direktör",
)
_SENTENCE_END = re.compile(r"[.!?]\s|\n")
_WINDOW = 300
_MONEY = re.compile(_MONEY_PATTERN, re.IGNORECASE)
_PREPOSITION_BEFORE = re.compile(r"\b(?:on|via|på) \Z", re.IGNORECASE)
_LOCATIVES_ANY_CASE = (
    *_SERVICE_LOCATIVES,
    *(e.upper() for e in _SERVICE_LOCATIVES),
    *(":" + e for e in _SERVICE_LOCATIVES),
)


def _word_starts(words: tuple[str, ...], whole: frozenset[str] = frozenset()) -> ahocorasick.Automaton:
    """An automaton that finds the words at word starts in ``spaced`` text (see below), and the
    ``whole`` words only whole."""
    automaton = ahocorasick.Automaton()
    for word in words:
        automaton.add_word(" " + word, word)
    for word in whole:
        automaton.add_word(f" {word} ", word)
    automaton.make_automaton()
    return automaton


_COMPANY_AC = _word_starts(COMPANY_WORDS, COMPANY_WORDS_EN)
_CORE_RE = re.compile("|".join(map(re.escape, CORE_STEMS)))

# The functions below read ``spaced``: the text lowercased, every separator a space, with one space
# in front (the linker's scan string: ``spaced[i + 1]`` is ``text[i]`` lowercased), so that words
# are found at word starts by C-level scans and split without punctuation.


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around ``text[start:end]`` (at most 300 characters either side): it ends at
    '.', '!' or '?' before white space, or at a line break."""
    lo = max(0, start - _WINDOW)
    cut = max(text.rfind("\n", lo, start) + 1, lo)
    for stop in (". ", "! ", "? ", ".\n", "!\n", "?\n", ".\t"):
        i = text.rfind(stop, lo, start)
        if i >= 0 and i + 2 > cut:
            cut = i + 2
    m = _SENTENCE_END.search(text, end, min(len(text), end + _WINDOW))
    return cut, m.start() + 1 if m else min(len(text), end + _WINDOW)


def sentence_start(text: str, start: int) -> bool:
    """The name is the first word of its sentence (or of a line, a quotation, or a clause after a
    dash or colon: "Tulos parani – Osinko nousee")."""
    lo = max(0, start - 40)
    before = text[lo:start].rstrip(" \t\"'«»“”(*•")
    if not before or before[-1] in ".!?:\n–—":
        return True
    return before[-1] == "-" and (len(before) == 1 or before[-2] in " \t")


def title_case_line(text: str, start: int) -> bool:
    """The line around ``start`` is a headline (at most 200 characters) that capitalises most of its
    words: capitals say nothing there."""
    lo = text.rfind("\n", max(0, start - 200), start) + 1
    if lo == 0 and start > 200:
        return False
    hi = text.find("\n", start, start + 200)
    if hi < 0:
        if len(text) - lo > 200:
            return False
        hi = len(text)
    words = [w for w in text[lo:hi].split() if w[:1].isalpha()]
    if len(words) < 4:
        return False
    return sum(w[0].isupper() for w in words) >= 0.7 * len(words)


def _found(automaton: ahocorasick.Automaton, spaced: str, lo: int, hi: int) -> bool:
    """A word of the automaton starts in ``text[lo:hi]`` (offsets into the text, not ``spaced``)."""
    return hi > lo and next(automaton.iter(spaced, lo, hi + 1), None) is not None


def _compound_head(text: str, spaced: str, end: int) -> tuple[str, int] | None:
    """"Twitter-tili", "Tech Services -liiketoiminta": the word after the hyphen, lowercased, and
    where it ends."""
    if text[end : end + 1] == "-":
        at = end + 2
    elif text[end : end + 2] == " -" and text[end + 2 : end + 3].islower():
        at = end + 3
    else:
        return None
    stop = spaced.find(" ", at)
    stop = len(spaced) if stop < 0 else stop
    if at == end + 3 and not spaced.startswith(PRODUCT_HEADS, at):
        return None  # "The Decline and Fall of Nokia -kirja": a title, only products and units count
    return spaced[at:stop], stop - 1


_STOPS = re.compile(r"[.!?]\s|\n|\s[–—]\s|–\s|[:;]\s")


def _near_bounds(text: str, start: int, end: int, width: int) -> tuple[int, int]:
    """At most ``width`` characters either side of a name, cut at the ends of its sentence and clause
    (dashes, colons and semicolons end a clause: "Stora Enson tulos lähelle ennusteita – Osinko")."""
    lo, hi = max(0, start - width), min(len(text), end + width)
    for m in _STOPS.finditer(text, lo, start):
        lo = m.end()
    stop = _STOPS.search(text, end, hi)
    return lo, stop.start() if stop else hi


def company_context(
    text: str,
    spaced: str,
    start: int,
    end: int,
    *,
    near: int = 0,
    agent: bool = False,
    strict: bool = False,
) -> bool:
    """Business words in the name's sentence. ``near``: only within that many words either side in
    the same clause, where an amount of money counts too; ``agent``: a verb of saying or doing right
    after the name counts too (for names that are also common nouns); ``strict``: only words about a
    company itself (:data:`CORE_STEMS`: yhtiö, osake, liikevaihto, …), for products."""
    hi_name = end
    head = _compound_head(text, spaced, end)
    if head is not None:  # "Kone-yhtiö": the compound's head
        if head[0].startswith(COMPANY_HEADS):
            return True
        hi_name = head[1]
    if near:
        lo, hi = _near_bounds(text, start, hi_name, 25 * near)
        before = spaced[lo + 1 : start + 1].split()[-near:]
        after = spaced[hi_name + 1 : hi + 1].split()[:near]
        if strict:
            return bool(_CORE_RE.search(" ".join((*before, *after))))
        if agent and after and after[0] in AGENT_VERBS:
            return True
        if before and before[-1].endswith(APPOSITIVES):
            return True
        words = (*before, *after)
        if any(t.startswith(COMPANY_WORDS) or t in COMPANY_WORDS_EN for t in words) or _CORE_RE.search(
            " ".join(words)
        ):
            return True
        return bool(_MONEY.search(text, lo, hi))
    lo, hi = sentence_bounds(text, start, end)
    return (
        _found(_COMPANY_AC, spaced, lo, start)
        or _found(_COMPANY_AC, spaced, hi_name, hi)
        or bool(_MONEY.search(text, lo, hi))
    )


def product_hint(text: str, start: int, end: int, inflected: bool) -> bool:
    """A cheap test: could :func:`product_use` find a product or service here? (most names: no; the
    linker inlines the first two tests)"""
    if text[end : end + 1] == "-":
        return True
    if inflected:
        return text.endswith(_LOCATIVES_ANY_CASE, start, end)
    return text[start - 1 : start] == " " and bool(_PREPOSITION_BEFORE.search(text, max(0, start - 5), start))


def product_use(text: str, spaced: str, start: int, end: int, inflected: bool) -> str | None:
    """Why the name in the token ``text[start:end]`` reads as a product or service, or None.

    ``inflected``: the token has a case ending after the name.
    """
    head = _compound_head(text, spaced, end)
    if head is not None:
        word = head[0]
        if word.startswith(COMPANY_HEADS) or not word:
            return None  # "Nokia-yhtiö", "OP-ryhmän"
        return f"used as a product or service ('-{word}')"  # "Twitter-tili", "Netflix-sarjat"
    if inflected:
        if not spaced.endswith(_SERVICE_LOCATIVES, start + 1, end + 1):
            return None
    elif spaced[max(0, start - 4) : start].rpartition(" ")[2] not in _SERVICE_PREPOSITIONS:
        return None
    lo, hi = _near_bounds(text, start, end, 100)
    words = (*spaced[lo + 1 : start + 1].split()[-4:], *spaced[end + 1 : hi + 1].split()[:4])
    if any(w.startswith(SERVICE_WORDS) for w in words):
        return "used as a service (published in it)"
    return None


def place_use(text: str, spaced: str, start: int, end: int) -> bool:
    """The place, not the company: a where-word after the name ("Helsingissä toimiva", "Nokian
    kaupunki", "Oulun tehtaalla", "Turun kupeessa"), a preposition or place word before it ("i Vasa",
    "in Espoo", "sijaitsee Raisiossa", "town of Nokia"), or a place after a comma ("Salo, Finland")."""
    after = spaced[end + 1 : end + 40].split()
    if after and spaced[end + 1] == " " and after[0].startswith(PLACE_FOLLOWERS):
        return True
    before = spaced[max(0, start - 30) + 1 : start + 1].split()
    if (
        before
        and text[start - 1 : start] == " "
        and (before[-1] in PLACE_BEFORE or before[-2:] in (["town", "of"], ["city", "of"]))
    ):
        return True
    return text[end : end + 2] == ", " and bool(after) and after[0] in PLACE_WORDS


def employment(spaced: str, start: int, end: int) -> bool:
    """Words of working at the company within three words: "Nokiassa työskentelevä insinööri"."""
    before = spaced[max(0, start - 60) + 1 : start + 1].split()[-3:]
    words = (*before, *spaced[end + 1 : end + 60].split()[:3])
    return any(any(e in w for e in EMPLOYMENT_WORDS) for w in words)


def after_first_name(text: str, start: int, first_names: Callable[[str], bool]) -> bool:
    """A capitalised first name right before the name: "Petri Suominen", "Aino Piippo"."""
    if text[start - 1 : start] != " ":
        return False
    word = text[max(0, start - 30) : start - 1].rpartition(" ")[2]
    return len(word) > 1 and word[0].isupper() and word[1:].islower() and first_names(word.casefold())


def after_capitalised_word(text: str, start: int, inflected: bool) -> bool:
    """An uninflected name after a capitalised word in the middle of a sentence: it ends a longer
    name ("Cision PR Handbook Nordic", "Tech Services -liiketoiminta"); an inflected one may follow
    another name ("Stephen Elopia Nokian toimitusjohtajakisassa")."""
    if inflected or text[start - 1 : start] != " ":
        return False
    word = text[max(0, start - 40) : start - 1].rpartition(" ")[2]
    if not word[:1].isupper() or not word.isalpha():
        return False
    return not sentence_start(text, start - 1 - len(word))


def english_product(spaced: str, end: int) -> bool:
    """An English product noun right after the name: "Samsung phones", "Orion spacecraft"."""
    after = spaced[end + 1 : end + 30].split()
    return spaced[end + 1 : end + 2] == " " and bool(after) and after[0] in EN_PRODUCT_NOUNS


def person_use(spaced: str, start: int) -> bool:
    """A role title right before the name: "toimitusjohtaja Pekka", "CEO Tim"."""
    before = spaced[max(0, start - 40) + 1 : start + 1].split()
    return bool(before) and before[-1] in PERSON_TITLES
