"""Tokens, sentences and clauses of a news item, each Finnish word with its morphology.

Morphology comes from Voikko (:func:`triggerwatch.text.finnish.analyse_full`): lemmas, case
(``gen`` genitive, ``all`` allative, ``ela`` elative, ``tra`` translative, ...), number, mood,
tense, negation and participles. Words Voikko does not know — most company names — and every word
when Voikko is not installed get the same facts from suffix rules (:func:`guess_cases`), which are
coarser: a guess may hold several cases (``Googleen``: genitive or illative).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from triggerwatch.text import finnish
from triggerwatch.text.triggers.gazetteer import words

# Voikko's SIJAMUOTO → short case names
_CASES = {
    "nimento": "nom",
    "omanto": "gen",
    "osanto": "par",
    "sisaolento": "ine",
    "sisaeronto": "ela",
    "sisatulento": "ill",
    "ulkoolento": "ade",
    "ulkoeronto": "abl",
    "ulkotulento": "all",
    "olento": "ess",
    "tulento": "tra",
    "keinonto": "ins",
    "seuranto": "com",
    "vajanto": "abe",
    "kerrontosti": "adv",
}
PROPER_CLASSES = frozenset({"nimi", "sukunimi", "paikannimi", "etunimi"})

_TOKEN = re.compile(
    r"\d+[^\W\d_][\w]*(?:[-:]\w+)?"  # digits and letters: 4G, 3M, 5G-verkko
    r"|\d+(?:[.,:]\d+)*(?:-\w+)?"  # numbers (1,5; 2014; 3:n) and number compounds (10-vuotias)
    r"|[^\W\d_](?:[\w&+]|[-'\u2019:.](?=[^\W_]))*"  # words: inner hyphens, apostrophes, UPM:n, e.g.
    r"|[^\w\s]",  # one punctuation character
    re.UNICODE,
)
# sentence ends: .!? then space and a capital, digit, quote or dash; or a line break
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”»]?\s+(?=[A-ZÅÄÖÜÉ0-9\"'“”«–—-])|\s*\n+\s*")
# abbreviations that end with a dot without ending a sentence
_ABBREVIATIONS = words(
    "mm esim ns n noin milj mrd ml ks vrt yms jne tms ym eli ts puh klo s prof dos tri dr mr ms mrs st"
    " inc ltd corp co jr sr vs approx etc bl resp t.ex"
)
QUOTES = frozenset('"“”«»„')
DASHES = frozenset("–—")

# Finnish suffix rules (for words Voikko does not know, or everything without Voikko)
_FI_SUFFIX_CASES: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (suffix, frozenset(cases.split()))
    for suffix, cases in (
        ("ksi", "tra"),
        ("ssa", "ine"),
        ("ssä", "ine"),
        ("sta", "ela"),
        ("stä", "ela"),
        ("lla", "ade"),
        ("llä", "ade"),
        ("lta", "abl"),
        ("ltä", "abl"),
        ("lle", "all"),
        ("seen", "ill"),
        ("siin", "ill"),
        ("aan", "ill"),
        ("ään", "ill"),
        ("iin", "ill"),
        ("oon", "ill"),
        ("uun", "ill"),
        ("yyn", "ill"),
        ("öön", "ill"),
        ("een", "gen ill"),
        ("hin", "ill"),
        ("hon", "ill"),
        ("hun", "ill"),
        ("han", "ill"),
        ("hän", "ill"),
        ("hyn", "ill"),
        ("nsa", "nom gen"),
        ("nsä", "nom gen"),
        ("taan", "nom gen"),
        ("tään", "nom gen"),
        ("ineen", "com"),
        ("tta", "abe par"),
        ("ttä", "abe par"),
        ("na", "ess nom"),
        ("nä", "ess nom"),
        ("n", "gen"),
        ("t", "nom"),
    )
)
_ABBREV_CASES = {
    ":n": "gen",
    ":lle": "all",
    ":ään": "ill",
    ":aan": "ill",
    ":iin": "ill",
    ":hin": "ill",
    ":hon": "ill",
    ":hun": "ill",
    ":han": "ill",
    ":hän": "ill",
    ":hyn": "ill",
    ":hön": "ill",
    ":een": "ill",
    ":ssa": "ine",
    ":ssä": "ine",
    ":sta": "ela",
    ":stä": "ela",
    ":lla": "ade",
    ":llä": "ade",
    ":lta": "abl",
    ":ltä": "abl",
    ":ksi": "tra",
    ":na": "ess",
    ":nä": "ess",
    ":ta": "par",
    ":tä": "par",
    ":a": "par",
    ":ä": "par",
    ":t": "nom",
}


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int  # character offsets into the article text
    end: int
    low: str
    lemmas: tuple[str, ...]  # casefolded; (low,) when the word is unknown
    known: bool  # Voikko analysed the word
    cases: frozenset[str]
    classes: frozenset[str]
    flags: frozenset[str]  # conditional, negative, passive, past, participle_*, plural, person_1p, ...
    in_quote: bool = False

    @property
    def word(self) -> bool:
        return self.text[0].isalnum()

    @property
    def capital(self) -> bool:
        return self.text[0].isupper() or (self.text[0].isdigit() and any(c.isupper() for c in self.text))

    @property
    def proper(self) -> bool:
        return bool(self.classes & PROPER_CLASSES)

    @property
    def common(self) -> bool:
        """Voikko knows the word (lowercased) as a common word only."""
        return self.known and not self.proper


@dataclass
class Clause:
    lo: int  # token slice of the sentence: sentence.tokens[lo:hi]
    hi: int
    index: int  # position of the clause in its sentence
    opener: str = ""  # the subordinator or relative pronoun that opens it ("että", "joka"), or ""
    quoted: bool = False


@dataclass
class Sentence:
    text: str
    start: int
    end: int
    tokens: list[Token]
    clauses: list[Clause] = field(default_factory=list)
    position: str = "body"  # title | lead | body
    index: int = 0


_PARTITIVE = ("ia", "iä", "ita", "itä", "tta", "ttä", "jaa", "jää")


def guess_cases(low: str, common: bool = False) -> frozenset[str]:
    """Cases a Finnish word form may be in, from its ending alone (coarse; {'nom'} by default).

    ``common``: a lowercase word, which may also be a plural partitive ("yrityksiä", "tuotteita")."""
    if common and low.endswith(_PARTITIVE) and len(low) > 5:
        return frozenset({"par"})
    if ":" in low:
        suffix = low[low.index(":") :]
        case = _ABBREV_CASES.get(suffix)
        return frozenset({case}) if case else frozenset({"nom"})
    if low.endswith("nen"):
        return frozenset({"nom"})  # -nen names and words: the genitive is -sen (Onninen, Virtasen)
    for suffix, cases in _FI_SUFFIX_CASES:
        if low.endswith(suffix) and len(low) > len(suffix) + 2:
            if suffix in ("n", "t") and low[-2] not in "aeiouyäö":
                return frozenset({"nom"})  # a genitive -n follows a vowel (Ericsson is nominative)
            if suffix == "n" and low.endswith(("son", "ton", "zon")):
                return frozenset({"nom", "gen"})
            return cases
    return frozenset({"nom"})


_PAST_ENDINGS = ("asi", "äsi", "esi", "tti", "sivat", "sivät", "ttivat", "ttivät", "ttiin")
_NOT_PAST = frozenset({"vuosi", "uusi", "kuusi", "viisi", "kaksi", "yksi", "kesi", "vesi", "käsi", "mesi"})
_CONDITIONAL = re.compile(r"\w+isi(?:n|t|mme|tte|vat|vät)?(?:kin|kaan|kään|han|hän)?$")
_PASSIVE = re.compile(r"\w+(?:t|d)(?:aan|ään|iin)$|\w+(?:tt|t)(?:u|y|iin)$|\w+ttu\w*$|\w+tty\w*$")
_AGENT = re.compile(r"\w{2,}(?:ma|mä)(?:nsa|nsä|mme|n|t|a|ä|ssa|ssä|sta|stä|an|än)?$")
_FI_1P = re.compile(r"\w+(?:mme)$")


@lru_cache(maxsize=100_000)
def _analyse_fi(text: str) -> tuple[tuple[str, ...], bool, frozenset[str], frozenset[str], frozenset[str]]:
    """(lemmas, known, cases, classes, flags) of one Finnish word."""
    low = text.casefold()
    analyses = finnish.analyse_full(text) if text[0].isalpha() else ()
    if not analyses:
        flags = set()
        if _CONDITIONAL.match(low):
            flags.add("conditional")
        if _PASSIVE.match(low):
            flags.add("passive")
        if low.endswith(("ttu", "tty", "ttuja", "ttyjä", "hty", "htu")) and len(low) > 4:
            flags.add("participle_past_passive")  # "tehty", "ostettu"
        elif low.endswith(("nut", "nyt", "neet")) and len(low) > 5:
            flags.add("participle_past_active")
        if _AGENT.match(low):
            flags.add("participle_agent_maybe")
        if _FI_1P.match(low):
            flags.add("person_1p")
        conditional = "conditional" in flags
        if (
            text[0].islower()
            and low.endswith(_PAST_ENDINGS)
            and len(low) > 4
            and low not in _NOT_PAST
            and not conditional
        ):
            flags.add("past")  # "avasi", "aloitti", "ilmoittivat", "ostettiin": the past by its ending
        if low in ("ei", "eikä", "en", "et", "emme", "ette", "eivät", "eivätkä", "älä", "ei-"):
            flags.add("negative")
        if text[0].islower() and low.endswith(("t", "ien", "iden", "jen", "ten")) and len(low) > 5:
            flags.add("plural")
        return (low,), False, guess_cases(low, text[0].islower()), frozenset(), frozenset(flags)
    lemmas: list[str] = []
    cases: set[str] = set()
    classes: set[str] = set()
    flags = set()
    # a reading as a plain verb (finite or infinitive) makes participle and passive readings doubtful:
    # "nousemassa" (nousta), "myydä" (infinitive, or passive after "ei")
    plain_verb = any(
        dict(p).get("CLASS") == "teonsana" and "PARTICIPLE" not in dict(p) and dict(p).get("PERSON") != "4"
        for p in analyses
    )
    for pairs in analyses:
        a = dict(pairs)
        base = a.get("BASEFORM", "").casefold()
        if base and base not in lemmas:
            lemmas.append(base)
        cls = a.get("CLASS", "")
        classes.add(cls)
        if "SIJAMUOTO" in a:
            cases.add(_CASES.get(a["SIJAMUOTO"], a["SIJAMUOTO"]))
        if a.get("MOOD") == "conditional":
            flags.add("conditional")
        if a.get("MOOD") == "imperative":
            flags.add("imperative")
        if cls == "kieltosana":
            flags.add("negative")
        if a.get("PERSON") == "4" and not plain_verb:
            flags.add("passive")
        if a.get("PERSON") == "1" and a.get("NUMBER") == "plural":
            flags.add("person_1p")
        if a.get("TENSE") == "past_imperfective":
            flags.add("past")
        if "PARTICIPLE" in a and not plain_verb:
            flags.add("participle_" + a["PARTICIPLE"])
        if a.get("NUMBER") == "plural":
            flags.add("plural")
        if cls == "teonsana":
            flags.add("verb")
    if not cases and not flags & {"verb", "negative"}:
        cases = set(guess_cases(low)) if text[0].isupper() else set()
    return tuple(lemmas) or (low,), True, frozenset(cases), frozenset(classes), frozenset(flags)


def _shouting(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 12 and sum(c.isupper() for c in letters) > 0.8 * len(letters)


def _unshout(surface: str, language: str, first: bool, before_legal_form: bool) -> str:
    """A word of an all-capitals headline as it would be written in running text: common words in
    lower case (Voikko knows them; without Voikko, words longer than four letters), names, legal
    forms, short abbreviations and the word before a legal form kept capitalised."""
    if not surface[0].isalpha() or any(c.isdigit() for c in surface):
        return surface
    stem = surface.split(":")[0]
    if len(stem) <= 4 and not (language == "fi" and stem.casefold() in _COMMON_SHORT):
        return surface  # OKO, OYJ:N, UPM, ABB
    title = surface[0] + surface[1:].lower()
    if before_legal_form:
        return title
    common = True
    if language == "fi" and finnish.voikko_available():
        classes = {c for _, c in finnish.analyse(surface)}
        common = bool(classes - PROPER_CLASSES)  # "OSTAA": a verb (also a place name, Osta)
    if not common:
        return title
    low = surface.lower()
    return low[0].upper() + low[1:] if first else low


_COMMON_SHORT = words("ja on ei se sen ovat oli kun jos tai myös uusi yli alle noin")
_LEGAL = re.compile(r"^(?:oyj|oy|ab|abp|ky|ay|ltd|inc|plc|asa|corp|corporation|gmbh|ag|llc)(?::\w+)?$", re.I)


def tokenise(text: str, offset: int, language: str) -> list[Token]:
    """The tokens of ``text`` (which starts at ``offset`` in the article), analysed for ``language``.

    A sentence in capitals ("OYJ:N HALLITUKSEN LAUSUNTO") is read as if written in running text."""
    tokens: list[Token] = []
    quote = False
    shouting = _shouting(text)
    matches = list(_TOKEN.finditer(text))
    for n, m in enumerate(matches):
        surface = m.group()
        if shouting:
            legal_next = n + 1 < len(matches) and bool(_LEGAL.match(matches[n + 1].group()))
            surface = _unshout(surface, language, n == 0, legal_next)
        if surface in QUOTES:
            quote = not quote
        low = surface.casefold()
        if language == "fi" and surface[0].isalpha():
            lemmas, known, cases, classes, flags = _analyse_fi(surface)
        else:
            lemmas, known, cases, classes, flags = (low,), False, frozenset(), frozenset(), frozenset()
        tokens.append(
            Token(
                surface,
                offset + m.start(),
                offset + m.end(),
                low,
                lemmas,
                known,
                cases,
                classes,
                flags,
                quote,
            )
        )
    return tokens


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text`` (abbreviations such as "milj." do not end one)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        before = text[start : m.start()].rstrip()
        last = re.search(r"(?<![\w:])([\w.]+)\.$", before)
        if last and "\n" not in m.group() and last.group(1).casefold() in _ABBREVIATIONS:
            continue
        if before.strip():
            spans.append((start, m.start()))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    # trim surrounding white space
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def _short_brackets(tokens: list[Token], most: int = 6) -> set[int]:
    """Indexes of short asides in brackets, brackets included: "(ÅST)", "(publ)", '("ÅF")'."""
    found: set[int] = set()
    for i, tok in enumerate(tokens):
        if tok.text != "(":
            continue
        for j in range(i + 1, min(len(tokens), i + most + 2)):
            if tokens[j].text == ")":
                found |= set(range(i, j + 1))
                break
    return found


def split_clauses(
    tokens: list[Token], openers: frozenset[str], speech: frozenset[str], headline: bool = False
) -> list[Clause]:
    """Clauses of a sentence: split at ; : ( ) quotes and dashes, and at a comma before a
    subordinator, a relative pronoun or a verb of saying ("..., kertoo Virtanen")."""
    clauses: list[Clause] = []
    lo = 0
    opener = ""

    def close(hi: int, next_lo: int, next_opener: str) -> None:
        nonlocal lo, opener
        words = [t for t in tokens[lo:hi] if t.word]
        if words:
            quoted = sum(t.in_quote for t in words) > len(words) / 2
            clauses.append(Clause(lo, hi, len(clauses), opener, quoted))
        lo, opener = next_lo, next_opener

    short_brackets = _short_brackets(tokens)
    for i, tok in enumerate(tokens):
        t = tok.text
        if i in short_brackets:
            continue  # "Åbo Svenska Teater (ÅST) anställer": an aside, not a clause
        if t in (";", ":", "(", ")") or t in DASHES or t in QUOTES:
            close(i, i + 1, "")
            continue
        if t == ",":
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if nxt is not None and (
                nxt.low in openers or nxt.low in speech or any(lemma in speech for lemma in nxt.lemmas)
            ):
                close(i, i + 1, nxt.low if nxt.low in openers else "")
            elif nxt is not None and "verb" in nxt.flags and not nxt.capital:
                close(i, i + 1, ",")  # "X suunnittelee ..., aloittaa muutosneuvottelut": a second verb
            elif headline and nxt is not None and nxt.word and not nxt.capital:
                close(i, i + 1, ",")  # a headline's second statement: "..., yhtiö konkurssiin"
            continue
        if i == lo and tok.low in openers:
            opener = tok.low
    close(len(tokens), len(tokens), "")
    return clauses
