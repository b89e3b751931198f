"""What every rule works with: a clause with its name spans, the candidates rules propose, and
the checks that block a candidate (negation, hypotheticals, rumours, past background, statistics).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from triggerwatch.core.contracts import EventKind
from triggerwatch.text.triggers.cues import Cue
from triggerwatch.text.triggers.gazetteer import words
from triggerwatch.text.triggers.names import Span
from triggerwatch.text.triggers.tokens import Clause, Sentence, Token

AttrValue = str | int | float

#: words after a genitive name that it does not modify
FUNCTION_WORDS = words(
    "ja sekä tai eli mutta että kun jos kuin myös vielä jo nyt sitten noin yli alle mukaan kanssa"
)
QUANTIFIERS = frozenset({"koko", "kaikki", "kaikkien", "kaiken", "enemmistön", "puolet"})
NOUNISH = frozenset(
    {"nimisana", "laatusana", "nimisana_laatusana", "lyhenne", "lukusana", "nimi", "paikannimi"}
)


def is_common_compound(tok: Token) -> bool:
    """A capitalised hyphen compound with a common-noun head: "Suomen-yksikön", "Nokia-kaupan"."""
    return "-" in tok.text and tok.text.rsplit("-", 1)[1][:1].islower()


_YEAR = re.compile(r"^(19[5-9]\d|20\d\d)$")


@dataclass(frozen=True)
class Arg:
    """A company (or an anaphor standing for one) with its role in a trigger."""

    span: Span
    role: str  # acquirer target seller subject appointed leaving investor buyer employer


@dataclass
class Candidate:
    kind: EventKind
    rule: str  # "<kind>/<rule>", the unit confidence is calibrated on
    args: list[Arg]
    sentence: Sentence
    clause: Clause
    cue: int  # token index of the cue in the sentence
    attributes: dict[str, AttrValue] = field(default_factory=dict)
    blocked: str | None = None  # negated, hypothetical, rumour, background, statistics, quote
    #: only completes the subjects of a trigger of its kind found elsewhere in the article (the
    #: predecessor who leaves, the company a newcomer comes from); never a trigger of its own
    support: bool = False

    @property
    def named(self) -> list[Arg]:
        return [a for a in self.args if a.span.kind == "company"]


@dataclass(frozen=True)
class Hedges:
    """A language's blocking words."""

    negations: frozenset[str]
    hedge: Cue
    rumour: Cue
    past_time: Cue
    statistics: Cue
    year_words: frozenset[str]  # "vuonna", "in", "år"


class ClauseView:
    """One clause of a sentence, with the sentence's spans; token indexes are the sentence's."""

    def __init__(self, sentence: Sentence, clause: Clause, spans: list[Span], language: str) -> None:
        self.sentence = sentence
        self.clause = clause
        self.language = language
        self.all_spans = spans
        self.spans = [s for s in spans if clause.lo <= s.first < clause.hi]
        self.lo, self.hi = clause.lo, clause.hi
        #: the subject a clause without its own inherits: the previous clause's subject, or for a
        #: relative clause ("..., joka ostaa") the company it follows
        self.carry: Span | None = None
        self._hits: dict[str, list[int]] = {}  # cue name -> token indexes (cue names are unique)
        self._words: list[tuple[int, Token]] | None = None  # the clause's words, for the cue scans

    @property
    def tokens(self) -> list[Token]:
        return self.sentence.tokens

    def words(self) -> Iterable[tuple[int, Token]]:
        for i in range(self.lo, self.hi):
            if self.tokens[i].word:
                yield i, self.tokens[i]

    def hits(self, cue: Cue, lo: int | None = None, hi: int | None = None) -> list[int]:
        """Token indexes of the cue's words in the clause (between ``lo`` and ``hi``)."""
        found = self._hits.get(cue.name)
        if found is None:
            if self._words is None:
                tokens = self.sentence.tokens
                self._words = [(i, tokens[i]) for i in range(self.lo, self.hi) if tokens[i].text[0].isalnum()]
            hit = cue.hit
            found = [i for i, tok in self._words if hit(tok)]
            self._hits[cue.name] = found
        if lo is None and hi is None:
            return found
        lo = self.lo if lo is None else lo
        hi = self.hi if hi is None else hi
        return [i for i in found if lo <= i < hi]

    def has(self, cue: Cue, lo: int | None = None, hi: int | None = None) -> bool:
        return bool(self.hits(cue, lo, hi))

    def span_at(self, i: int) -> Span | None:
        for s in self.all_spans:
            if s.first <= i < s.last:
                return s
        return None

    def companies(
        self,
        cases: Iterable[str] | None = None,
        lo: int | None = None,
        hi: int | None = None,
        kinds: tuple[str, ...] = ("company", "anaphor"),
    ) -> list[Span]:
        wanted = frozenset(cases) if cases is not None else None
        lo = self.lo if lo is None else max(lo, self.lo)
        hi = self.hi if hi is None else min(hi, self.hi)
        return [
            s
            for s in self.spans
            if s.kind in kinds and lo <= s.first < hi and (wanted is None or s.cases & wanted)
        ]

    def persons(self, lo: int | None = None, hi: int | None = None) -> list[Span]:
        return self.companies(None, lo, hi, kinds=("person",))

    def next_word(self, i: int) -> Token | None:
        for j in range(i + 1, self.hi):
            if self.tokens[j].word:
                return self.tokens[j]
            if self.tokens[j].text not in ("-",):
                return None
        return None

    def next_word_is(self, span: Span, word: str) -> bool:
        return span.last < self.hi and self.tokens[span.last].low == word

    def modifies_noun(self, span: Span) -> Token | None:
        """The noun a genitive span directly modifies ("Nokian liiketoiminnan", "Nokian koko
        osakekannan", "Microsoftin Suomen-yksikön"), if any; not a conjunction or adverb after it."""
        j = span.last
        while j < self.hi:
            nxt = self.tokens[j]
            if not nxt.word or nxt.text[0].isdigit() or "verb" in nxt.flags or nxt.low in FUNCTION_WORDS:
                return None
            if nxt.capital and not is_common_compound(nxt):
                return None
            if nxt.known and not nxt.classes & NOUNISH:
                return None  # an adverb, a pronoun
            if nxt.low in QUANTIFIERS and j + 1 < self.hi:
                j += 1  # "Fennia IT:n koko osakekannan": the noun after the quantifier
                continue
            return nxt
        return None


def blocked(
    view: ClauseView, cue: int, hedges: Hedges, clauses: list[ClauseView], published_year: int | None
) -> str | None:
    """Why the cue at ``cue`` does not report a trigger that happens now, or None."""
    tokens = view.tokens
    sentence_words = [t for t in tokens if t.word]
    if any(hedges.rumour.hit(t) for t in sentence_words):
        return "rumour"
    if view.sentence.text.rstrip().endswith("?"):
        return "question"
    own = [(i, t) for i, t in view.words() if i != cue]
    if any(t.low in hedges.negations or "negative" in t.flags for i, t in own if i < cue or i <= cue + 2):
        return "negated"
    if any(hedges.hedge.hit(t) for _, t in own) or "conditional" in tokens[cue].flags:
        return "hypothetical"
    if any("conditional" in t.flags and "verb" in t.flags for _, t in own):
        return "hypothetical"
    verbal = "verb" in tokens[cue].flags or any(f.startswith("participle") for f in tokens[cue].flags)
    if verbal and any(t.low in _LATER for _, t in own):
        return "hypothetical"  # "kilpailuttaa hankinnan uudelleen myöhemmin": some day, not now
    # a complement clause of a hedged or negated clause ("X harkitsee, että se ostaisi ...")
    if view.clause.opener in ("että", "jotta", "that", "att") and view.clause.index > 0:
        prev = clauses[view.clause.index - 1]
        if any(
            hedges.hedge.hit(t) or t.low in hedges.negations or "negative" in t.flags for _, t in prev.words()
        ):
            return "hypothetical"
    # past background: a year or a time word with a past verb ("vuonna 2012 tehty yrityskauppa")
    cue_tok = tokens[cue]
    past_flags = {"past", "participle_past_passive", "participle_agent", "participle_past_active"}
    pastish = bool(cue_tok.flags & past_flags)
    if "verb" not in cue_tok.flags and not pastish:  # a noun cue: the clause's verbs tell the time
        before = [t for t in tokens[max(view.lo, cue - 2) : cue] if t.word]
        participles = [t for t in before if t.flags & {"participle_past_passive", "participle_agent"}]
        if any(t.cases & cue_tok.cases for t in participles):
            return "background"  # an attributive participle: "vuonna 2012 tehty yrityskauppa"
        pastish = any(t.flags & past_flags for _, t in own)
    elif not pastish:  # reported in the past: "Nokia kertoi aiemmin irtisanovansa"
        pastish = any("past" in t.flags and "verb" in t.flags for _, t in own)
    if view.language != "fi":
        # no morphology: a past form by its ending, of the cue or (for a noun cue) of a verb of the clause
        if _foreign_past(cue_tok.low, view.language) and any(t.low in _MONTHS for _, t in own):
            return "background"  # "The company acquired Alcatel-Lucent in January"
        pastish = pastish or any(_foreign_past(t.low, view.language) for t in (cue_tok, *(t for _, t in own)))
    years = [int(t.text) for _, t in view.words() if _YEAR.match(t.text)]
    if pastish and years and (published_year is None or max(years) < published_year):
        return "background"
    if pastish and any(hedges.past_time.hit(t) for _, t in own):
        return "background"
    if _ago(view):
        return "background"  # "viisi vuotta sitten", "two years ago", "för tre år sedan"
    if pastish and view.clause.opener in _WHEN:
        return "background"  # "..., kun Microsoft osti Nokian puhelinliiketoiminnan": a time anchor
    nxt = view.next_word(cue)
    if view.language == "fi" and "gen" in cue_tok.cases and nxt is not None and nxt.low.startswith(_AFTER):
        return "background"  # "konkurssin jälkeen", "Nokia-kaupan jälkeen": what followed an event
    if view.language == "fi" and cue_tok.flags & {"participle_agent"}:
        return "background"  # "Nokian ostama Alcatel": an earlier deal named in passing
    if view.language == "fi" and cue_tok.flags & {"participle_past_passive", "participle_past_active"}:
        before = [t for t in tokens[max(view.lo, cue - 4) : cue] if t.word]
        if not any(t.low in _OLLA for t in before) and _participle_not_predicate(view, cue):
            return "background"  # "vuonna 2012 ostettu yhtiö", "kesällä nimitetty Terry Myerson"
    return None


_MONTHS = words("""
    january february march april june july august september october november december
    januari februari mars maj juni juli augusti oktober
    """)
_IRREGULAR_PAST = words("""
    sold bought cut took made began shut laid won raised closed left quit
    köpte sålde sade tog gjorde började stängde vann
    """)


_AGO = frozenset({"sitten", "ago", "sedan"})
_TIME_UNITS = (
    "vuo",
    "kuukau",
    "viikko",
    "päivä",
    "year",
    "month",
    "week",
    "day",
    "år",
    "månad",
    "vecko",
    "veck",
)


def _ago(view: ClauseView) -> bool:
    """A time span back from now: "viisi vuotta sitten", "two years ago", "tre år sedan"."""
    previous = None
    for _, tok in view.words():
        if tok.low in _AGO and previous is not None and previous.low.startswith(_TIME_UNITS):
            return True
        previous = tok
    return False


def _foreign_past(low: str, language: str) -> bool:
    if low in _IRREGULAR_PAST:
        return True
    if language == "en":
        return low.endswith("ed") and len(low) > 4
    return low.endswith(("ade", "dde", "tte")) and len(low) > 4


_OLLA = words("on ovat oli olivat ole olleet ollut olisi ollaan oltiin ei eivät olemme olen olet")
_LATER = frozenset({"myöhemmin", "tulevaisuudessa", "joskus", "later", "senare"})
_WHEN = frozenset({"kun", "jolloin", "when", "när", "då"})
_AFTER = ("jälkeen", "jälkei")


def _participle_not_predicate(view: ClauseView, cue: int) -> bool:
    """A past participle that modifies what follows it or is a noun itself, not the predicate:
    "ostettu yhtiö", "kesällä nimitetty Terry Myerson vieraili", "keväällä aloittanut Rovion
    johtaja", "Microsoftin irtisanotut tarvitsevat" (the ones laid off)."""
    tok = view.tokens[cue]
    nxt = view.next_word(cue)
    if nxt is None:
        return False
    if not nxt.capital and "verb" not in nxt.flags and nxt.cases & tok.cases:
        return True  # an adjective before its noun
    if "plural" in tok.flags and "verb" in nxt.flags and tok.cases & {"nom"}:
        before = view.tokens[cue - 1] if cue > view.lo else None
        counted = before is not None and (before.text[0].isdigit() or "lukusana" in before.classes)
        return not counted  # a plural participle as the subject: "irtisanotut tarvitsevat"
    if not nxt.capital:
        return False
    # before a name: the participle modifies the person or the position after the name's genitive
    j = cue + 1
    while j < view.hi and view.tokens[j].word and view.tokens[j].capital:
        j += 1
    head = view.tokens[j] if j < view.hi else None
    person = view.span_at(cue + 1)
    if person is not None and person.kind == "person" and person.cases & tok.cases:
        return any("verb" in t.flags for t in view.tokens[person.last : view.hi] if t.word)
    return (
        head is not None
        and head.word
        and "verb" not in head.flags
        and bool(head.cases & tok.cases)
        and "gen" in nxt.cases
        and any("verb" in t.flags for t in view.tokens[j + 1 : view.hi] if t.word)
    )


def statistics(view: ClauseView, hedges: Hedges) -> bool:
    """The clause counts events rather than reporting one ("konkurssien määrä kasvoi")."""
    return any(hedges.statistics.hit(t) for _, t in view.words())
