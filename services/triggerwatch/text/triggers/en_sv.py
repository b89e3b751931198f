"""English and Swedish rules (company releases): phrase patterns over a clause, roles by word order.

Both languages are SVO: the agent is the company before the phrase, the object the company after it;
``to``/``till`` marks a buyer after "sells", ``from``/``från`` a seller, ``by``/``av`` the agent of a
passive ("is acquired by"), ``in``/``i`` the company invested in. Decision-maker changes need a
position (:mod:`.positions`) in the sentence. The phrases are in :mod:`.lexicon_en` and
:mod:`.lexicon_sv`.
"""

from __future__ import annotations

from collections.abc import Callable

from triggerwatch.core.contracts import EventKind
from triggerwatch.text.triggers.frames import Arg, AttrValue, Candidate, ClauseView
from triggerwatch.text.triggers.lexicon_en import EN
from triggerwatch.text.triggers.lexicon_sv import SV
from triggerwatch.text.triggers.names import Span, find_public_body
from triggerwatch.text.triggers.phrases import Frame, Lexicon
from triggerwatch.text.triggers.positions import text_positions

LEXICONS = {"en": EN, "sv": SV}
#: frames that only complete a decision-maker change found elsewhere (see ``Candidate.support``)
_SUPPORT = frozenset({"from"})
_CONNECTIVES = frozenset({"and", "och", "for", "för", "with", "med", "at", "on", "from", "to"})
_PASSIVE_NOUNS = ("acquisition", "takeover", "purchase", "förvärvet", "köpet")


class _Match:
    """One phrase match in a clause: token range and the spans the phrase itself covers."""

    def __init__(self, view: ClauseView, lex: Lexicon, first: int, last: int, text: str) -> None:
        self.view, self.lex, self.first, self.last, self.text = view, lex, first, last, text

    def _free(self, span: Span) -> bool:
        return span.last <= self.first or span.first > self.last  # not a word of the phrase itself

    def agent(self) -> Span | None:
        before = [s for s in self.view.companies(hi=self.first) if self._free(s)]
        return before[-1] if before else None

    def after(self, marker_words: frozenset[str], start: int | None = None) -> Span | None:
        """The first company right after one of ``marker_words`` (following the phrase)."""
        view = self.view
        for j in range(self.first if start is None else start, view.hi - 1):
            if view.tokens[j].low in marker_words:
                k = j + 2 if view.tokens[j + 1].low in ("the", "its", "sitt", "sin") else j + 1
                span = view.span_at(k) if k < view.hi else None
                if span is not None and span.kind in ("company", "anaphor") and self._free(span):
                    return span
        return None

    def object(self) -> Span | None:
        """The first company after the phrase, unless it only modifies a noun ("Nokia shares")."""
        view, lex = self.view, self.lex
        stop = {*lex.to, *lex.by, *lex.source}
        for j in range(self.last + 1, view.hi):
            if view.tokens[j].low in stop:
                return None
            span = view.span_at(j)
            if span is not None and span.kind == "company" and span.first > self.last:
                nxt = view.tokens[span.last] if span.last < view.hi else None
                markers = lex.to | lex.by | lex.source | lex.into | lex.at | _CONNECTIVES
                if (
                    nxt is not None
                    and nxt.word
                    and not nxt.capital
                    and not lex.business.match(nxt.text)
                    and nxt.low not in markers
                ):
                    return None  # "Nokia shares": a company that only modifies a noun
                return span
        return None

    def business(self) -> bool:
        """What follows the phrase (a few words) is a business, a stake or a company."""
        rest = " ".join(t.text for t in self.view.tokens[self.last + 1 : min(self.view.hi, self.last + 6)])
        return bool(self.lex.business.search(rest))

    def main(self) -> Span:
        tok = self.view.tokens[self.first]
        return Span("anaphor", self.first, self.first + 1, tok.start, tok.end, "", "", frozenset())


def _merger_args(m: _Match, shape: str) -> list[Arg] | None:
    agent = m.agent()
    if shape == "agent_object":
        obj, seller = m.object(), m.after(m.lex.source, m.last)
        if agent is None or not (obj or seller or m.business()):
            return None
        args = [Arg(agent, "acquirer")]
        args += [Arg(obj, "target")] if obj is not None else []
        args += [Arg(seller, "seller")] if seller is not None and seller is not obj else []
        return args
    if shape == "passive_by":
        buyer = m.after(m.lex.by, m.last)
        target = m.object() if m.text.lower().startswith(_PASSIVE_NOUNS) else agent
        if buyer is None or target is None:
            return None
        return [Arg(buyer, "acquirer"), Arg(target, "target")]
    if shape == "sell":
        buyer, obj = m.after(m.lex.to, m.last), m.object()
        if obj is None and buyer is not None:
            # "säljer Akademiska bokhandeln till Bonnier": a name before "till" is what is sold
            between = [s for s in m.view.companies(kinds=("company",), lo=m.last + 1, hi=buyer.first)]
            obj = next((s for s in between if m._free(s)), None)
        if agent is None or not (obj or (buyer and m.business())):
            return None
        args = [Arg(agent, "seller")]
        args += [Arg(obj, "target")] if obj is not None else []
        args += [Arg(buyer, "acquirer")] if buyer is not None else []
        return args
    if shape == "tender_offer":
        if agent is None:
            return None
        target = m.object()
        return [Arg(agent, "acquirer"), Arg(target or m.main(), "target")]
    parties = [s for s in m.view.companies(kinds=("company",)) if m._free(s)]  # merge
    return [Arg(s, "subject") for s in parties] if len(parties) >= 2 else None


def _args(m: _Match, frame: Frame) -> list[Arg] | None:
    shape = frame.shape
    if shape in ("agent_object", "passive_by", "sell", "tender_offer", "merge"):
        return _merger_args(m, shape)
    agent = m.agent()
    if shape == "invest_in":
        funded = m.after(m.lex.into)
        if funded is None:
            return None
        investor = [Arg(agent, "investor")] if agent is not None and agent is not funded else []
        return [Arg(funded, "subject"), *investor]
    if shape == "appoint":
        # "Lehto joins Kesko from Stora Enso": the company joined, and the one left
        source = m.after(m.lex.source, m.last)
        company = agent or m.after(m.lex.at, m.last) or _named(m.object(), source) or m.main()
        left = [Arg(source, "leaving")] if source is not None and source is not company else []
        return [Arg(company, "appointed"), *left]
    if shape == "leave":
        company = agent or m.after(m.lex.at, m.last) or m.after(m.lex.source, m.last) or m.main()
        return [Arg(company, "leaving")]
    if shape == "succeed":  # "He replaces Pekka Salonen", "Erkkilä efterträder Virolainen i X"
        company = agent or m.after(m.lex.at, m.last) or m.main()
        return [Arg(company, "appointed"), Arg(company, "leaving")]
    if shape == "from":  # "comes from Vattenfall", "kommer närmast från Vattenfall"
        source = m.after(m.lex.source, m.first)
        return [Arg(source, "leaving")] if source is not None and source.kind == "company" else None
    free = [s for s in m.view.companies(kinds=("company",)) if m._free(s)]
    public = find_public_body(m.view.tokens, m.view.lo, m.first)
    company = (
        public
        or agent
        or m.after(m.lex.at, m.last)
        or (free[0] if free else None)
        or m.view.carry
        or m.main()
    )
    role = "buyer" if shape == "buyer" else "employer" if frame.kind is EventKind.RECRUITMENT else "subject"
    return [Arg(company, role)]


def _named(obj: Span | None, source: Span | None) -> Span | None:
    return obj if obj is not None and obj is not source else None


def _people(view: ClauseView, i: int) -> tuple[str | None, Span | None]:
    found = text_positions(view.sentence.text, view.language)
    offset = view.tokens[i].start - view.sentence.start
    role = min(found, key=lambda rf: abs(rf[1] - offset))[0] if found else None
    persons = [s for s in view.all_spans if s.kind == "person"]
    person = min(persons, key=lambda s: abs(s.first - i)) if persons else None
    return role, person


def _frame_candidates(view: ClauseView, frame: Frame, lex: Lexicon) -> list[Candidate]:
    toks = view.tokens
    base = view.sentence.start
    lo_char = toks[view.lo].start - base
    hi_char = toks[view.hi - 1].end - base
    text = view.sentence.text[lo_char:hi_char]
    out: list[Candidate] = []
    for found in frame.pattern.finditer(text):
        start, end = base + lo_char + found.start(), base + lo_char + found.end()
        first = next((k for k in range(view.lo, view.hi) if toks[k].end > start), view.lo)
        last = next((k for k in range(view.lo, view.hi) if toks[k].end >= end), view.hi - 1)
        m = _Match(view, lex, first, last, found.group(0))
        args = _args(m, frame)
        if args is None:
            continue
        attrs: dict[str, AttrValue] = {}
        support = frame.shape in _SUPPORT
        if frame.kind is EventKind.DECISION_MAKER_CHANGE:
            role, person = _people(view, first)
            if lex.routine.search(view.sentence.text):
                continue
            if role is None:
                if frame.shape not in ("leave", "succeed"):
                    continue
                support = True  # "..., who is leaving the company": the predecessor, no position
            change = "appointed" if frame.shape in ("appoint", "succeed") else "leaving"
            attrs = {"change": change, "role": role or "other"}
            if person is not None:
                attrs["person_name"] = person.name
        rule = f"{frame.kind.value}/{frame.rule}@{view.language}"
        out.append(
            Candidate(frame.kind, rule, args, view.sentence, view.clause, first, attrs, support=support)
        )
    return out


def rules_for(language: str) -> tuple[Callable[[ClauseView], list[Candidate]], ...]:
    lex = LEXICONS[language]

    def frames(view: ClauseView) -> list[Candidate]:
        out: list[Candidate] = []
        for frame in lex.frames:
            out += _frame_candidates(view, frame, lex)
        if any(c.kind is EventKind.DECISION_MAKER_CHANGE for c in out):
            out = [c for c in out if c.kind is not EventKind.RECRUITMENT]  # "hires a new CEO"
        return out

    return (frames,)
