"""Finnish argument finding: which company in a clause is the agent, the object, the destination.

Finnish marks roles with cases rather than word order: the agent is nominative, a total object
genitive-looking (``ostaa Fennia IT:n``), a destination allative or illative (``Microsoftille``,
``Nokiaan``), a source elative or ablative (``Nokiasta``, ``Nokialta``). A genitive directly before
a noun modifies it instead (``Nokian liiketoiminnan``: Nokia's business).
"""

from __future__ import annotations

from triggerwatch.core.contracts import EventKind
from triggerwatch.text.triggers import lexicon_fi as L
from triggerwatch.text.triggers.cues import Cue
from triggerwatch.text.triggers.frames import Arg, AttrValue, Candidate, ClauseView, is_common_compound
from triggerwatch.text.triggers.gazetteer import place_of
from triggerwatch.text.triggers.names import Span

NOM = frozenset({"nom"})
GEN = frozenset({"gen"})
TOTAL_OBJECT = frozenset({"gen", "nom"})
DESTINATION = frozenset({"all", "ill"})
SOURCE = frozenset({"ela", "abl"})
LOCATION = frozenset({"ine", "ade"})


def agent(view: ClauseView, i: int) -> Span | None:
    """The nominative company before the verb at ``i`` (the nearest), or right after it (inverted)."""
    before = [
        s
        for s in view.companies(hi=i)
        if "nom" in s.cases and not s.head and not ("gen" in s.cases and view.modifies_noun(s) is not None)
    ]
    if before:
        return before[-1]
    after = [s for s in view.companies(lo=i + 1, hi=i + 3) if s.cases == NOM and not s.head]
    if after:
        return after[0]
    own_subject = any(
        t.word and t.cases & NOM and t.low != view.clause.opener and not t.capital
        for t in view.tokens[view.lo : i]
        if "verb" not in t.flags
    )
    if view.clause.opener and not own_subject:
        return view.carry  # "..., joka ostaa", "..., aloittaa muutosneuvottelut"
    return None


def genitive_objects(view: ClauseView, i: int) -> list[tuple[Span, int | None]]:
    """Genitive-looking companies after ``i``: (span, index of the noun it modifies or None)."""
    out: list[tuple[Span, int | None]] = []
    for s in view.companies(GEN, lo=i + 1, kinds=("company",)):
        if s.head:
            continue
        noun = view.modifies_noun(s)
        out.append((s, s.last if noun is not None else None))
    return out


def compound_targets(view: ClauseView, lo: int, hi: int | None = None) -> list[Span]:
    """Companies named as the first part of a hyphen compound ("Nokia-kaupan", "Here-karttapalvelu")."""
    return [s for s in view.companies(None, lo=lo, hi=hi, kinds=("company",)) if s.head]


def modifier_of(view: ClauseView, i: int) -> Span | None:
    """The genitive company directly before token ``i`` (adjectives between allowed): "Nokian (uusi) X"."""
    j = i - 1
    while (
        j >= view.lo
        and view.tokens[j].word
        and (not view.tokens[j].capital or is_common_compound(view.tokens[j]))
        and j >= i - 3
    ):
        span = view.span_at(j)
        if span is not None:
            break
        tok = view.tokens[j]
        if "verb" in tok.flags or tok.low in ("ja", "sekä", "tai"):
            return None
        j -= 1
    span = view.span_at(j) if j >= view.lo else None
    if span is not None and span.kind in ("company", "anaphor") and span.cases & GEN and span.last <= i:
        return span
    return None


def object_noun(view: ClauseView, i: int, noun: Cue, window: int = 6) -> int | None:
    """The first token after ``i`` (within ``window`` words) that matches ``noun``."""
    for j in view.hits(noun, lo=i + 1, hi=i + 1 + window):
        return j
    return None


def partitive_object(view: ClauseView, i: int) -> bool:
    """The first noun after the verb is partitive and no company follows: "ostaa osakkeita"."""
    for j in range(i + 1, min(view.hi, i + 4)):
        tok = view.tokens[j]
        if not tok.word or tok.capital:
            return False
        if tok.cases == frozenset({"par"}):
            return True
    return False


def modifies_next_noun(view: ClauseView, j: int) -> bool:
    """Token ``j`` is a genitive modifier of the common noun after it ("Suomen-toimistonsa ovet",
    "tiiminsä osaamista"), not the object itself."""
    nxt = view.next_word(j)
    return (
        nxt is not None
        and not nxt.capital
        and "nimisana" in nxt.classes  # also a verbal noun: "osaamista"
        and bool(nxt.cases & {"gen", "nom", "par"})
    )


def place_destination(view: ClauseView, i: int, places: frozenset[str]) -> bool:
    """A place in the illative or allative after ``i`` ("Ruotsiin", "Aasiaan", "ulkomaille")."""
    for j in range(i + 1, view.hi):
        tok = view.tokens[j]
        if not tok.word:
            continue
        if tok.cases & DESTINATION and (
            set(tok.lemmas) & places
            or "maa" in tok.lemmas
            or tok.low.startswith(("ulkomaille", "ulkomaihin", "maahan", "maihin"))
            or place_of(tok.text) is not None
        ):
            return True
        if tok.capital and tok.cases & DESTINATION and not tok.known:
            return False
    return False


# --- shared by the rule modules -----------------------------------------------------------------
def make(
    view: ClauseView, kind: EventKind, rule: str, cue: int, args: list[Arg], **attrs: AttrValue
) -> Candidate:
    unique: list[Arg] = []
    for a in args:
        if not any(u.span is a.span for u in unique):
            unique.append(a)
    return Candidate(kind, f"{kind.value}/{rule}", unique, view.sentence, view.clause, cue, dict(attrs))


def passive(view: ClauseView, i: int) -> bool:
    return "passive" in view.tokens[i].flags or "participle_past_passive" in view.tokens[i].flags


def clause_text(view: ClauseView) -> str:
    return " ".join(t.text for t in view.tokens[view.lo : view.hi])


def money(view: ClauseView) -> str | None:
    m = L.MONEY.search(clause_text(view))
    return m.group(0).strip() if m else None


def headcount(view: ClauseView) -> int | None:
    m = L.HEADCOUNT.search(clause_text(view))
    if not m:
        return None
    try:
        return int(m.group(1).replace(" ", ""))
    except ValueError:
        return None


def located(view: ClauseView) -> Span | None:
    """A company in the inessive/adessive: "Nokiassa alkaa yt", "Nokialla irtisanotaan"."""
    found = [s for s in view.companies(LOCATION, kinds=("company",)) if s.cases & LOCATION]
    return found[0] if found else None


def about(view: ClauseView, i: int) -> Span | None:
    """The company a noun cue at ``i`` is about: its genitive modifier, the clause's agent, or a
    company in the inessive/adessive."""
    return modifier_of(view, i) or agent(view, i) or located(view)


def main_stand_in(view: ClauseView, i: int) -> Span:
    """A stand-in for the company the article is about (resolved by the article)."""
    tok = view.tokens[i]
    return Span("anaphor", i, i + 1, tok.start, tok.end, tok.text, "", NOM)


def first_company(view: ClauseView) -> Span | None:
    """The first company of the clause that can be what the clause is about: not a source of speech
    ("Liiton mukaan"), not only a destination or a source ("hakemus tehdään Kelaan")."""
    return next(
        (
            s
            for s in view.companies(kinds=("company",))
            if not view.next_word_is(s, "mukaan") and not (s.cases and s.cases <= DESTINATION | SOURCE)
        ),
        None,
    )
