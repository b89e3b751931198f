"""Company, person and anaphor spans of a sentence.

Companies come from the linker's mentions when an index is available (``CompanyLinker.analyse``),
and otherwise — or for companies the registry does not hold (foreign buyers, start-ups) — from
capitalised-name spans: runs of capitalised words that are not a person ("Matti Virtanen"), not a
place or public body (:mod:`.gazetteer`), and not a common word that is capitalised only because it
starts the sentence. The span's last word carries the case (``Fennia IT:n`` genitive,
``Microsoftille`` allative), which the rules read as the company's role.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from triggerwatch.text import finnish
from triggerwatch.text.linker import LinkResult
from triggerwatch.text.normalise import is_legal_form
from triggerwatch.text.triggers.gazetteer import (
    ABSTRACT_ENDINGS,
    AMBIGUOUS_NAMES,
    CONTEXT_PREFIXES,
    DESCRIPTORS,
    FIRST_NAMES,
    GENERIC_AGENTS,
    NOT_COMPANIES,
    PLACES,
    PUBLIC_BODY_HEADS,
    place_of,
    words,
)
from triggerwatch.text.triggers.positions import fi_position
from triggerwatch.text.triggers.tokens import DASHES, QUOTES, Token

# acronyms and words that are capitalised but never a company
_NOT_NAMES = words("""
    ceo cfo cto cio coo cmo cso evp svp vp vd hr it ict ai ipo esg b2b b2c saas api gdpr pr hq r&d rd
    eur usd sek gbp nok dkk
    tammikuu helmikuu maaliskuu huhtikuu toukokuu kesäkuu heinäkuu elokuu syyskuu lokakuu marraskuu
    joulukuu january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday mr mrs ms dr
    """)
# sentence-initial words that are not names, for the languages Voikko does not cover (and Finnish
# without Voikko)
_STARTERS = words("""
    the a an in on at for from with as by this that these those it its it's our we they he she his her
    after before during today yesterday also however meanwhile according following new last next
    current former outgoing nuvarande tidigare förre avgående
    according under over about while when if although since because both all some many most several
    det den de en ett i på för från med som av detta denna dessa vi han hon hans hennes efter enligt
    under idag igår också nya nytt ny nu när om så
    yhtiö yritys konserni se sen hän hänen he myös nyt lisäksi tämä tämän nämä uusi uuden uutta
    toimitusjohtaja johtaja hallitus valtio kaupunki kunta ministeri pääministeri suomessa suomen
    viime ensi vuonna vuoden kuluneen tänään eilen huomenna aiemmin kuten kun jos mutta ja sekä eli
    kaikki monet useat osa noin yli alle jo vielä vain mukaan kanssa
    """)
_CONNECTORS = frozenset({"&", "and", "och", "ja"})  # inside a name only between two capitalised words


@dataclass(frozen=True)
class Span:
    kind: str  # company | person | anaphor
    first: int  # token indexes in the sentence, end exclusive
    last: int
    start: int  # character offsets in the article
    end: int
    surface: str
    name: str  # base form ("Fennia IT" for "Fennia IT:n"), or the registry name when linked
    cases: frozenset[str]
    company_id: str | None = None
    linked: bool = False
    confidence: float = 0.6
    head: str = ""  # the common noun of a hyphen compound: "kauppa" in "Nokia-kaupan" (name "Nokia")

    @property
    def key(self) -> str:
        return self.company_id or self.name.casefold()


def base_word(token: Token) -> str:
    """A capitalised word without its case ending: "Microsoftille" → "Microsoft", "IT:n" → "IT"."""
    text = token.text
    if ":" in text:
        return text[: text.index(":")]
    analyses = [dict(pairs) for pairs in finnish.analyse_full(text)] if token.known else []
    for a in analyses:
        if a.get("CLASS") in ("nimi", "sukunimi", "paikannimi", "etunimi") and a.get("BASEFORM"):
            return a["BASEFORM"]
    if analyses and "nom" not in token.cases and analyses[0].get("BASEFORM"):
        base = analyses[0]["BASEFORM"]  # a common word as a name: "Keskisuomalaiselle" → "Keskisuomalainen"
        return base[:1].upper() + base[1:]
    if token.cases <= {"nom"} or not text[0].isupper():
        return text
    low = text.casefold()
    best = text
    for k in range(1, min(6, len(text) - 2)):
        stem, rest = text[:-k], low[-k:]
        if not finnish.is_case_ending(stem, rest):
            continue
        if stem[-1].casefold() in "aeiouyäö" and stem[-1].casefold() == stem[-2:-1].casefold():
            stem = stem[:-1]  # illative lengthening: Nokiaan → Nokia
        best = stem
        if stem[-1].casefold() not in "aeiouyäö":
            break  # a consonant-final stem with a linking vowel (Valmetin → Valmet): the longest
    if best.casefold().endswith("kse") and len(best) > 4:
        best = best[:-3] + "s"  # an s-stem: Oculuksen → Oculus
    return best


def _is_person_start(tokens: Sequence[Token], i: int) -> bool:
    tok = tokens[i]
    if not (tok.capital and tok.word) or i + 1 >= len(tokens):
        return False
    nxt = tokens[i + 1]
    if not (nxt.capital and nxt.word) or ("nimi" in nxt.classes and "sukunimi" not in nxt.classes):
        return False
    first = tok.low.split("-")[0]
    if "etunimi" in tok.classes or first in FIRST_NAMES:
        return "nom" in tok.cases or not tok.cases or tok.text.endswith(("a", "o", "i", "e", "u"))
    # a name Voikko knows (as a place, "Mari") before a surname only ("Laaksonen"): a person
    surname = nxt.known and "sukunimi" in nxt.classes and not nxt.classes & {"nimisana", "paikannimi"}
    return surname and tok.known and bool(tok.classes & {"paikannimi", "nimi"}) and "nom" in tok.cases


def _sentence_start(tokens: Sequence[Token], i: int) -> bool:
    return (
        i == 0 or tokens[i - 1].text in QUOTES or tokens[i - 1].text in DASHES or tokens[i - 1].text in ":("
    )


def name_support(low: str) -> str:
    """The key under which a capitalised word supports reading the same word as a name elsewhere."""
    return low[:5]


def _common_start_word(
    tokens: Sequence[Token], i: int, language: str, headline: bool, support: frozenset[str]
) -> bool:
    """A capitalised sentence-initial word that is an ordinary word, not a name.

    A name: a word the article also writes capitalised in mid-sentence; a genitive before a
    position or company word ("Rovion toimitusjohtaja"); the first word of a longer name
    ("Talvivaara Sotkamo"), unless it is a descriptor ("Metsäkonevalmistaja Ponsse"); a word Voikko
    knows as a proper name; and in a title, a Finnish common noun that is the singular subject of the
    verb right after it ("Rovio irtisanoo", "Talvivaara hakeutuu"): headlines start with the company.
    Without Voikko, other Finnish sentence-initial words are ordinary words.
    """
    tok = tokens[i]
    if tok.low in _STARTERS or tok.low in _NOT_NAMES:
        return True
    if language == "sv" and tok.low.endswith(_SV_DESCRIPTORS):
        return True  # "It-bolaget Digia", "Borgåföretaget Nylands Textil Ab": a description
    if name_support(tok.low) in support:
        return False
    if language != "fi":
        return False
    lemmas = set(tok.lemmas)
    if lemmas & AMBIGUOUS_NAMES or tok.proper:
        return False
    ordinary = bool(lemmas & GENERIC_AGENTS) or any(lemma.endswith(ABSTRACT_ENDINGS) for lemma in lemmas)
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    if nxt is None or not nxt.word:
        return True
    after = [j for j in range(i + 1, min(len(tokens), i + 3)) if tokens[j].word and not tokens[j].capital]
    context = any(tokens[j].low.startswith(CONTEXT_PREFIXES) or fi_position(list(tokens), j) for j in after)
    if "gen" in tok.cases and not ordinary and context:
        return False  # "Rovion (entinen) toimitusjohtaja", "Koneen osake": whose but a company's
    if nxt.capital and not lemmas & GENERIC_AGENTS:
        descriptor = any(lemma.endswith(DESCRIPTORS) for lemma in lemmas)
        return descriptor or bool(tok.classes & {"laatusana", "nimisana_laatusana"})
    if not tok.known:
        # Voikko knows the common words: a word it does not know is a name; without Voikko there is
        # no more evidence
        return not finnish.voikko_available()
    subject = (
        headline
        and "verb" in nxt.flags
        and "nom" in tok.cases
        and "plural" not in tok.flags
        and "teonsana" not in tok.classes
        and not tok.low.endswith("oikeus")
        and not ordinary
    )
    return not subject


_TECH = re.compile(r"^\d+[gk]$|^(?:lte|wifi|wlan|nfc|usb|hdmi|gps)$")


def _excluded(name: str) -> bool:
    low = name.casefold()
    if _TECH.match(low):
        return True  # "4G-verkkoonsa": a technology, not a company
    if " " not in low and place_of(low) is not None:
        return True  # a place in any case form ("Suomen", "Helsinkiin"), also without Voikko
    first = low.split()[0] if low.split() else low
    if "-" in low and low.rsplit("-", 1)[1] in PLACES:
        return True  # "Itä-Suomi", "Pohjois-Pohjanmaa"
    if _NATIONALITY.match(low):
        return True  # "Finnish", "Swedish"
    if any(w in NOT_COMPANIES for w in low.split()):
        return True
    return low in PLACES or low in NOT_COMPANIES or first in NOT_COMPANIES or low in _NOT_NAMES


# nationality words ("Finnish", "Swedish-based"): -ish and -ese always, -(i)an/-ean only when common
# (a name such as "Yousician" ends in -ian too)
_NATIONALITY = re.compile(
    r"^(?:[a-zäö]+(?:ish|ese)|american|canadian|indian|russian|estonian|norwegian|italian|australian|"
    r"asian|african|european|korean|german|latvian|lithuanian|hungarian|austrian|belgian|brazilian|"
    r"mexican|ukrainian|nigerian|egyptian|scandinavian)$"
)
# heads of hyphen compounds that name the company itself
_COMPANY_HEADS = ("konserni", "yhtiö", "yhtymä", "ryhmä", "group", "yritys", "talo", "kauppa-ketju")


def _plural(tok: Token, language: str) -> bool:
    if "plural" in tok.flags:
        return True
    return (
        language == "fi"
        and not tok.known
        and tok.low.endswith(("t", "iin", "ien", "issa", "issä", "ista", "istä"))
    )


def _same_case_name(a: Token, b: Token) -> bool:
    """Two capitalised words in the same oblique case: one inflected name ("Lakeuden Lämmön"), but
    not a name before a compound common noun ("Microsoftin Suomen-yksikön")."""
    common_head = "-" in b.text and b.text.rsplit("-", 1)[1][:1].islower()
    return b.word and b.capital and bool(b.cases) and b.cases == a.cases and not common_head


_COMPANY_NOUNS = ("yhtiö", "yritys", "konserni", "valmistaja", "startup")
_SV_DESCRIPTORS = ("bolaget", "företaget", "koncernen", "firman", "tillverkaren", "leverantören", "jätten")


def _descriptive_compound(tok: Token) -> bool:
    """A Finnish compound naming a kind of company ("Akkukennoyhtiö keräsi", "kuljetusyhtiön
    kuljettajat"): it stands for the company the article is about, like "yhtiö"."""
    return (
        tok.known
        and not tok.proper
        and any(
            lemma.endswith(_COMPANY_NOUNS) and len(lemma) > len("valmistaja") + 2 for lemma in tok.lemmas[:1]
        )
    )


def _genitive_name_head(genitive: Token, nxt: Token) -> bool:
    """A capitalised common noun after a genitive is the head of one name ("Hämeen Valimo",
    "Savon Kuidun", "Lakeuden Lämmölle", "Nokian Renkaat"): the genitive stays as written. Not a
    place ("Nokian Salon tehdas"), not a compound with a common head ("Microsoftin Suomen-yksikkö");
    without Voikko only after a place ("Keski-Suomen Kuljetus")."""
    if not (nxt.word and nxt.capital and "gen" in genitive.cases) or is_common_compound_token(nxt):
        return False
    if place_of(base_word(nxt)) is not None or nxt.low in _NOT_NAMES or nxt.low in _STARTERS:
        return False
    if nxt.known:
        return "nimisana" in nxt.classes and not nxt.classes & {"etunimi", "sukunimi"}
    return not finnish.voikko_available() and place_of(genitive.text) is not None


def is_common_compound_token(tok: Token) -> bool:
    return "-" in tok.text and tok.text.rsplit("-", 1)[1][:1].islower()


def _subject_not_genitive(last: Token, nxt: Token | None) -> bool:
    """An unknown name ending in -n right before a finite verb is its subject, not a genitive:
    "Yousician keräsi", "Zalando Chin avaa" (a genitive does not precede a finite verb)."""
    return (
        not last.known
        and ":" not in last.text
        and last.cases == frozenset({"gen"})
        and nxt is not None
        and "verb" in nxt.flags
        and not any(f.startswith("participle") for f in nxt.flags)
        and nxt.low not in ("on", "oli", "ovat")  # "X:n on määrä", "Jollan oli": necessive, possessive
    )


def find_public_body(tokens: Sequence[Token], lo: int, hi: int) -> Span | None:
    """A public body named between ``lo`` and ``hi`` by its kind ("Helsingin kaupunki",
    "Liikennevirasto", "Helsingfors stad"), with the capitalised word before it."""
    for j in range(lo, hi):
        tok = tokens[j]
        if not tok.word or (tok.cases and "nom" not in tok.cases):
            continue
        if any(lemma.endswith(PUBLIC_BODY_HEADS) for lemma in tok.lemmas):
            k = j - 1 if j > lo and tokens[j - 1].capital else j
            end = j + 1
            if end + 1 < len(tokens) and tokens[end].low == "of" and tokens[end + 1].capital:
                end += 2  # "City of Espoo"
            name = " ".join(t.text for t in tokens[k:end])
            last = tokens[end - 1]
            return Span("company", k, end, tokens[k].start, last.end, name, name, frozenset({"nom"}))
    return None


def find_spans(
    tokens: Sequence[Token],
    language: str,
    linked: LinkResult | None,
    anaphors: frozenset[str],
    headline: bool = False,
    support: frozenset[str] = frozenset(),
) -> list[Span]:
    """Company, person and anaphor spans of one sentence's tokens, in text order.

    ``headline``: the sentence is a title, where a sentence-initial common noun that is the
    subject of the next word's verb is read as a company name ("Rovio irtisanoo"). ``support``: the
    :func:`name_support` keys of words the article writes capitalised in mid-sentence.
    """
    spans: list[Span] = []
    taken = [False] * len(tokens)
    if linked is not None and tokens:
        lo, hi = tokens[0].start, tokens[-1].end
        for m in linked.mentions:
            if m.start < lo or m.start >= hi:
                continue
            idx = [i for i, t in enumerate(tokens) if t.end > m.start and t.start < m.end]
            if not idx:
                continue
            lo_i, hi_i = idx[0], idx[-1] + 1
            last_tok = tokens[hi_i - 1]
            name_words = {w.casefold() for w in m.name.replace(",", " ").split()}
            cases = frozenset({"nom"}) if last_tok.low in name_words else last_tok.cases or frozenset({"nom"})
            spans.append(
                Span(
                    "company",
                    lo_i,
                    hi_i,
                    tokens[lo_i].start,
                    last_tok.end,
                    " ".join(t.text for t in tokens[lo_i:hi_i]),
                    m.name,
                    cases,
                    m.company_id,
                    True,
                    float(m.confidence),
                )
            )
            for i in range(lo_i, hi_i):
                taken[i] = True
    unlinked: dict[int, str] = {}
    if linked is not None:
        for u in linked.unlinked:
            if len(u.candidates) == 1:
                unlinked[u.start] = u.candidates[0]
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        if taken[i]:
            i += 1
            continue
        if (
            (language == "fi" and (tok.lemmas[0] in anaphors or _descriptive_compound(tok)))
            or tok.low in anaphors
        ) and not _plural(tok, language):
            spans.append(Span("anaphor", i, i + 1, tok.start, tok.end, tok.text, tok.text, tok.cases, None))
            i += 1
            continue
        if _is_person_start(tokens, i):
            j = i + 2
            if j < n and tokens[j].capital and tokens[j].word and _is_person_start(tokens, i + 1):
                j += 1
            last = tokens[j - 1]
            name = " ".join([*(t.text for t in tokens[i : j - 1]), base_word(last)])
            spans.append(
                Span(
                    "person",
                    i,
                    j,
                    tok.start,
                    last.end,
                    " ".join(t.text for t in tokens[i:j]),
                    name,
                    last.cases,
                )
            )
            for k in range(i, j):
                taken[k] = True
            i = j
            continue
        if not (tok.word and tok.capital) or (
            _sentence_start(tokens, i)
            and _common_start_word(tokens, i, language, headline and i == 0, support)
        ):
            i += 1
            continue
        j = i
        while j < n and not taken[j]:
            t = tokens[j]
            if t.word and (t.capital or is_legal_form(t.low.split(":")[0])):
                if j > i and _is_person_start(tokens, j):
                    break
                j += 1
                if (
                    language == "fi"
                    and t.cases
                    and "nom" not in t.cases
                    and not (j < n and is_legal_form(tokens[j].low.split(":")[0]))
                    and not (j < n and _same_case_name(t, tokens[j]) and not _is_person_start(tokens, j))
                    and not (j < n and _genitive_name_head(t, tokens[j]) and not _is_person_start(tokens, j))
                ):
                    break  # an inflected word ends a Finnish name (Nokian | Rajeev Suri)
                continue
            if t.text in _CONNECTORS and j > i and j + 1 < n and tokens[j + 1].capital and t.text == "&":
                j += 1
                continue
            break
        if j == i:
            i += 1
            continue
        run = tokens[i:j]
        last = run[-1]
        name = " ".join([*(t.text for t in run[:-1]), base_word(last)])
        cases = last.cases or frozenset({"nom"})
        if _subject_not_genitive(last, tokens[j] if j < n else None):
            name, cases = " ".join(t.text for t in run), frozenset({"nom", "gen"})
        head = ""
        if (
            len(run) > 1
            and language == "fi"
            and all(t.cases == last.cases for t in run)
            and last.cases != {"nom"}
            and "gen" not in last.cases
        ):
            name = " ".join(base_word(t) for t in run)  # "Keskisuomalaiselle Osakeyhtiölle"
        if "-" in last.text and last.text.rsplit("-", 1)[1][:1].islower():
            prefix, head = last.text.rsplit("-", 1)
            name = " ".join([*(t.text for t in run[:-1]), prefix])
            head = head.casefold()
            if head.startswith(_COMPANY_HEADS):
                head = ""  # "Posti-konserni", "Oura-yhtiön": the company itself
        elif (
            j + 1 < n
            and tokens[j].text == "-"
            and tokens[j].start == tokens[j + 1].start - 1
            and (tokens[j + 1].word and not tokens[j + 1].capital and tokens[j].start > last.end)
        ):
            head = tokens[j + 1].low  # "Microsoft Mobile -kaupan"
        if (
            not _excluded(name)
            and (not _excluded(base_word(run[0])) or (len(run) > 1 and _genitive_name_head(run[0], run[1])))
            and not all(t.low in _NOT_NAMES for t in run)
        ):
            company_id = unlinked.get(run[0].start)
            spans.append(
                Span(
                    "company",
                    i,
                    j,
                    run[0].start,
                    last.end,
                    " ".join(t.text for t in run),
                    name,
                    cases,
                    company_id,
                    False,
                    0.6 if company_id else 0.5,
                    head,
                )
            )
        i = j
    spans.sort(key=lambda s: s.first)
    return spans
