"""What the words around a name say about it: a company, a product or service, or a person.

All tests look at one sentence of lowercased text (``lowered``, the same length as the text):

- :func:`company_context`: the sentence talks business — a company noun, a trigger or a financial
  word (yhtiö, konserni, osake, liikevaihto, tulos, toimitusjohtaja, ostaa/osti, julkisti, investoi,
  irtisanoo, … and their Swedish and English counterparts), or an amount of money; ``near=n``: within
  n words of the name only (for names that are also common words or people's names).
- :func:`product_use`: the name is used as a product or service — a hyphenated compound with a
  product head ("Twitter-tili", "Facebook-sivu", "Kone-hissi"; not "Nokia-yhtiö"), or a locative of a
  service in a sentence about publishing ("YouTubessa julkaistu video", "on Twitter").
- :func:`person_use`: a role title right before the name ("toimitusjohtaja Pekka", "CEO Tim").
"""

from __future__ import annotations

import re
from collections.abc import Callable

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
    "työntekijä", "henkilöstö", "palveluksess", "työnantaja", "työskentel",
    # Swedish
    "bolag", "koncern", "vd", "aktie", "omsättning", "resultat", "vinst", "förlust", "förvärv",
    "köper", "köpte", "säljer", "sålde", "anställ", "utnämn", "lanserar", "lanserade", "varsel",
    # English
    "company", "companies", "group", "ceo", "cfo", "chief", "shares", "stock", "revenue", "profit",
    "loss", "earnings", "quarter", "acquir", "acquisition", "merger", "announc", "launch", "hires",
    "hired", "appoint", "layoff", "lays", "invest", "customers", "employees", "subsidiary",
    "manufactur", "supplier", "deal",
)
#: verbs of saying that only an organisation or a person does: a common noun before them is a name
#: ("Neste kertoi", "Posti ilmoitti"); not for people's names, who say things too
AGENT_VERBS: tuple[str, ...] = (
    "kertoi", "kertoo", "kertovat", "ilmoitti", "ilmoittaa", "tiedotti", "tiedottaa", "vahvisti",
    "vahvistaa", "arvioi", "arvioi", "ennustaa", "ennusti", "tavoittelee", "kommentoi", "totesi",
    "toteaa", "uppger", "meddelar", "meddelade", "said", "says", "announced", "reported", "reports",
)
_MONEY = re.compile(
    r"\d[\d,. ]*\s*(?:milj|mrd|miljoona|miljardi|million|billion|bn\b|mn\b|kronor|euro|€|\$|dollar)"
    r"|(?:€|\$)\s*\d"
)
#: hyphenated compounds that are about the company itself ("Nokia-yhtiö", "Kone-konserni")
COMPANY_HEADS: tuple[str, ...] = (
    "yhtiö", "yritys", "yrityks", "konserni", "johto", "johtaj", "toimitusjohtaj", "pomo", "omistei",
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
#: the case endings of a place name where it is the place: in, from, to, at (Helsingissä, Nokialla)
PLACE_CASES: tuple[str, ...] = (
    "ssa", "ssä", "sta", "stä", "lla", "llä", "lta", "ltä", "lle", "aan", "ään", "een", "iin", "oon",
    "uun", "yyn", "ssakin", "ssäkin", "llakin", "lläkin",
)
#: words after a place name in a locative that make it the place ("Helsingissä toimiva yhtiö")
PLACE_FOLLOWERS: tuple[str, ...] = (
    "toimiv", "sijaitsev", "asuv", "asui", "asuu", "kotipaik", "pääkonttor", "perustet", "syntyn",
    "järjestet", "järjestettäv", "pidet", "pidettäv", "avatt", "avattav", "rakennet", "rakennettav",
    "valmistuv", "kaupung", "keskust", "seudu", "alueel", "oleva", "olevan", "sijaitse",
)
#: titles right before a name that make it a person ("toimitusjohtaja Pekka")
PERSON_TITLES: tuple[str, ...] = (
    "toimitusjohtaja", "johtaja", "puheenjohtaja", "päällikkö", "ministeri", "pääministeri", "herra",
    "rouva", "professori", "tutkija", "analyytikko", "asiantuntija", "myyntijohtaja", "talousjohtaja",
    "perustaja", "sijoittaja", "kansanedustaja", "ceo", "cfo", "mr", "mrs", "ms", "dr", "founder",
    "vd", "chef", "direktör",
)
_SENTENCE_END = re.compile(r"[.!?]\s|\n")
# a word that starts with one of the words: (?<!…) a letter before it
_COMPANY_RE = re.compile(r"(?<![^\W\d_])(?:" + "|".join(map(re.escape, COMPANY_WORDS)) + ")")
_SERVICE_RE = re.compile(r"(?<![^\W\d_])(?:" + "|".join(map(re.escape, SERVICE_WORDS)) + ")")
_WINDOW = 300
_TOKEN = re.compile(r"[^\s\"'()\[\],.;:!?«»“”]+")


def sentence_bounds(lowered: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around ``lowered[start:end]`` (at most 300 characters either side): it ends at
    '.', '!' or '?' before white space, or at a line break."""
    lo = max(0, start - _WINDOW)
    cut = max(lowered.rfind("\n", lo, start) + 1, lo)
    for stop in (". ", "! ", "? ", ".\n", "!\n", "?\n", ".\t"):
        i = lowered.rfind(stop, lo, start)
        if i >= 0 and i + 2 > cut:
            cut = i + 2
    m = _SENTENCE_END.search(lowered, end, min(len(lowered), end + _WINDOW))
    return cut, m.start() + 1 if m else min(len(lowered), end + _WINDOW)


def sentence_start(text: str, start: int) -> bool:
    """The name is the first word of its sentence (or of a line, or of a quotation)."""
    lo = max(0, start - 40)
    before = text[lo:start].rstrip(" \t\"'«»“”(-–—*•")
    return not before or before[-1] in ".!?:\n"


def title_case_line(text: str, start: int) -> bool:
    """The line around ``start`` capitalises most of its words (a headline): capitals say nothing."""
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", start)
    words = [w for w in text[lo : hi if hi >= 0 else len(text)].split() if w[:1].isalpha()]
    if len(words) < 4:
        return False
    return sum(w[0].isupper() for w in words) >= 0.7 * len(words)


def _tokens(lowered: str, lo: int, hi: int) -> list[str]:
    return _TOKEN.findall(lowered, lo, hi)


def company_context(lowered: str, start: int, end: int, *, near: int = 0, agent: bool = False) -> bool:
    """Business words in the name's sentence (``near``: only within that many words either side; an
    amount of money counts only in the whole sentence). ``agent``: a verb of saying right after the
    name counts too (for names that are also common nouns)."""
    lo, hi = sentence_bounds(lowered, start, end)
    hi_name = end
    if lowered[end : end + 1] == "-":  # "Kone-yhtiö": the compound's head
        head = _TOKEN.match(lowered, end + 1)
        if head is not None:
            if head.group(0).startswith(COMPANY_WORDS):
                return True
            hi_name = head.end()
    if near:
        before = _TOKEN.findall(lowered, max(lo, start - 25 * near), start)[-near:]
        after = _TOKEN.findall(lowered, hi_name, min(hi, hi_name + 25 * near))[:near]
        if agent and after and after[0] in AGENT_VERBS:
            return True
        return any(t.startswith(COMPANY_WORDS) for t in (*before, *after))
    search = _COMPANY_RE.search
    return bool(search(lowered, lo, start) or search(lowered, hi_name, hi) or _MONEY.search(lowered, lo, hi))


def product_use(text: str, start: int, end: int, inflected: bool, lowered: Callable[[], str]) -> str | None:
    """Why the name in the token ``text[start:end]`` reads as a product or service, or None.

    ``inflected``: the token has a case ending after the name; ``lowered()``: the whole text
    lowercased (asked for only when the sentence must be read).
    """
    if text[end : end + 1] == "-":
        head = _TOKEN.match(text[end + 1 : end + 40].lower())
        if head is not None:
            word = head.group(0)
            if word.startswith(COMPANY_HEADS):
                return None
            if word.startswith(PRODUCT_HEADS):
                return f"used as a product or service ('-{word}')"
        return None
    if inflected:
        if not text[max(start, end - 6) : end].lower().endswith(_SERVICE_LOCATIVES):
            return None
    elif text[max(0, start - 4) : start].lower().rstrip().rpartition(" ")[2] not in _SERVICE_PREPOSITIONS:
        return None
    low = lowered()
    lo, hi = sentence_bounds(low, start, end)
    if _SERVICE_RE.search(low, lo, start) or _SERVICE_RE.search(low, end, hi):
        return "used as a service (published in it)"
    return None


def place_use(lowered: str, end: int) -> bool:
    """A place name in a locative followed by where-words: "Helsingissä toimiva", "Nokialla sijaitseva"."""
    after = _TOKEN.match(lowered, end + 1) if lowered[end : end + 1] == " " else None
    return after is not None and after.group(0).startswith(PLACE_FOLLOWERS)


def person_use(lowered: str, start: int) -> bool:
    """A role title right before the name: "toimitusjohtaja Pekka", "CEO Tim"."""
    before = _tokens(lowered, max(0, start - 40), start)
    return bool(before) and before[-1] in PERSON_TITLES
