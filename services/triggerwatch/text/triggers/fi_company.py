"""Finnish rules for what a company does or undergoes: merger, bankruptcy, layoffs, funding,
expansion, procurement. Each rule needs its cue and the company it is about in one clause."""

from __future__ import annotations

from triggerwatch.core.contracts import EventKind
from triggerwatch.text.triggers import lexicon_fi as L
from triggerwatch.text.triggers.fi_args import (
    DESTINATION,
    GEN,
    LOCATION,
    NOM,
    SOURCE,
    agent,
    compound_targets,
    genitive_objects,
    modifier_of,
    object_noun,
    partitive_object,
    place_destination,
)
from triggerwatch.text.triggers.frames import Arg, AttrValue, Candidate, ClauseView
from triggerwatch.text.triggers.gazetteer import PLACES, PUBLIC_BODY_HEADS
from triggerwatch.text.triggers.names import Span

M = EventKind.MERGER


def _make(
    view: ClauseView, kind: EventKind, rule: str, cue: int, args: list[Arg], **attrs: AttrValue
) -> Candidate:
    unique: list[Arg] = []
    for a in args:
        if not any(u.span is a.span for u in unique):
            unique.append(a)
    return Candidate(kind, f"{kind.value}/{rule}", unique, view.sentence, view.clause, cue, dict(attrs))


def _passive(view: ClauseView, i: int) -> bool:
    return "passive" in view.tokens[i].flags or "participle_past_passive" in view.tokens[i].flags


def _money(view: ClauseView) -> str | None:
    text = " ".join(t.text for t in view.tokens[view.lo : view.hi])
    m = L.MONEY.search(text)
    return m.group(0).strip() if m else None


def _headcount(view: ClauseView) -> int | None:
    text = " ".join(t.text for t in view.tokens[view.lo : view.hi])
    m = L.HEADCOUNT.search(text)
    if not m:
        return None
    try:
        return int(m.group(1).replace(" ", ""))
    except ValueError:
        return None


def _located(view: ClauseView) -> Span | None:
    """A company in the inessive/adessive: "Nokiassa alkaa yt", "Nokialla irtisanotaan"."""
    found = [s for s in view.companies(LOCATION, kinds=("company",)) if s.cases & LOCATION]
    return found[0] if found else None


def _about(view: ClauseView, i: int) -> Span | None:
    """The company a noun cue at ``i`` is about: its genitive modifier, the clause's agent, a company
    in the inessive/adessive, or a compound ("Nokia-yt")."""
    return modifier_of(view, i) or agent(view, i) or _located(view)


# --- merger -----------------------------------------------------------------------------------
def merger(view: ClauseView) -> list[Candidate]:
    out: list[Candidate] = []
    for i in view.hits(L.BUY) + view.hits(L.ACQUIRE):
        buyer = None if _passive(view, i) else agent(view, i)
        args: list[Arg] = []
        business = False
        for span, noun in genitive_objects(view, i):
            if noun is None:
                args.append(Arg(span, "target"))
            elif L.BUSINESS.hit(view.tokens[noun]) or L.SHARES.hit(view.tokens[noun]):
                args.append(Arg(span, "seller"))
                business = True
        for span in view.companies(SOURCE, lo=i + 1, kinds=("company",)):
            if span.cases & {"abl"}:
                args.append(Arg(span, "seller"))
            elif view.has(L.BUSINESS, lo=i + 1, hi=span.first) or view.has(L.SHARES, lo=i + 1, hi=span.first):
                args.append(Arg(span, "target"))  # "ostaa enemmistön Fennia IT:stä"
        args += [Arg(s, "target") for s in compound_targets(view, i + 1)]
        obj = object_noun(view, i, L.BUSINESS, 5)
        if obj is not None and view.tokens[obj].cases & {"gen", "nom", "par"} - {"par"}:
            business = True
        if L.ACQUIRE.hit(view.tokens[i]) and not (args or view.has(L.OWNERSHIP, lo=i + 1)):
            continue
        if _passive(view, i):
            passive_target = [s for s in view.companies(NOM, kinds=("company",)) if s.cases == NOM]
            args += [Arg(s, "target") for s in passive_target[:1]]
            buyer = next(iter(view.companies(DESTINATION, lo=i + 1, kinds=("company",))), None)
        if partitive_object(view, i) and not args:
            continue
        if buyer is not None:
            args.insert(0, Arg(buyer, "acquirer"))
        named = [a for a in args if a.role != "acquirer"]
        if (buyer is not None and (named or business)) or len(
            [a for a in args if a.span.kind == "company"]
        ) >= 2:
            out.append(_make(view, M, "buy", i, args, **_deal_value(view)))
    for i in view.hits(L.SELL):
        if _passive(view, i):
            targets = [s for s in view.companies(NOM, kinds=("company",)) if s.cases == NOM]
            buyers = view.companies(DESTINATION, lo=i + 1, kinds=("company",))
            if targets and buyers:
                args = [Arg(buyers[0], "acquirer"), Arg(targets[0], "target")]
                out.append(_make(view, M, "sell_passive", i, args, **_deal_value(view)))
            continue
        seller = agent(view, i)
        if seller is None:
            continue
        args = [Arg(seller, "seller")]
        targets = [s for s, noun in genitive_objects(view, i) if noun is None]
        targets += [
            s
            for s, noun in genitive_objects(view, i)
            if noun is not None and L.BUSINESS.hit(view.tokens[noun])
        ]
        targets += compound_targets(view, i + 1)
        args += [Arg(s, "target") for s in targets if s is not seller]
        args += [Arg(s, "acquirer") for s in view.companies(DESTINATION, lo=i + 1, kinds=("company",))]
        obj = object_noun(view, i, L.BUSINESS, 4)
        business = obj is not None and not view.tokens[obj].cases <= {"par"}
        if len(args) >= 2 and (targets or business or any(a.role == "acquirer" for a in args)):
            if not targets and not business:
                continue  # "myy tuotteitaan Kiinaan": selling goods, not a company
            out.append(_make(view, M, "sell", i, args, **_deal_value(view)))
    for i in view.hits(L.MERGE):
        parties = [s for s in view.companies(NOM, hi=i, kinds=("company", "anaphor")) if "nom" in s.cases]
        into = [s for s in view.companies(DESTINATION, lo=i + 1, kinds=("company",)) if s.cases & {"ill"}]
        partner = [
            s for s in view.companies(GEN, lo=i + 1, kinds=("company",)) if view.next_word_is(s, "kanssa")
        ]
        if into and parties:
            out.append(
                _make(view, M, "merge_into", i, [Arg(into[0], "acquirer"), Arg(parties[-1], "target")])
            )
        elif len(parties) >= 2 or (parties and partner):
            out.append(_make(view, M, "merge", i, [Arg(s, "subject") for s in (*parties, *partner)]))
    for i in view.hits(L.DEAL):
        tok = view.tokens[i]
        about = modifier_of(view, i)
        companies = [s for s in view.companies(kinds=("company",))]
        if "plural" in tok.flags and about is None:
            continue  # "yrityskaupat piristyivät": an overview
        if tok.low.startswith("ostotarjou"):
            targets = [s for s in view.companies(SOURCE, lo=i + 1, kinds=("company",))]
            bidder = about or agent(view, i)
            if bidder is not None and targets:
                out.append(
                    _make(view, M, "tender_offer", i, [Arg(bidder, "acquirer"), Arg(targets[0], "target")])
                )
            continue
        args = []
        if about is not None:
            args.append(Arg(about, "subject"))
        args += [Arg(s, "target") for s in compound_targets(view, view.lo, i + 1) if s.last >= i]
        args += [Arg(s, "subject") for s in companies if not any(a.span is s for a in args)]
        if any(a.span.kind == "company" for a in args):
            out.append(_make(view, M, "deal_noun", i, args, **_deal_value(view)))
    for i in view.hits(L.OWNERSHIP):
        if not view.tokens[i].cases & {"ill"}:
            continue
        owner = modifier_of(view, i)
        moved = agent(view, i)
        if owner is not None and moved is not None and owner is not moved:
            out.append(_make(view, M, "ownership", i, [Arg(owner, "acquirer"), Arg(moved, "target")]))
    # compound deal nouns: "Microsoftin Nokia-kauppa", "Nokia-kauppa"
    for span in compound_targets(view, view.lo):
        if span.head.endswith(("kauppa", "kaupan", "kaupa", "osto", "oston", "fuusio", "yrityskau")):
            args = [Arg(span, "target")]
            buyer = modifier_of(view, span.first)
            if buyer is not None:
                args.insert(0, Arg(buyer, "acquirer"))
            out.append(_make(view, M, "compound", span.first, args))
    return out


def _deal_value(view: ClauseView) -> dict[str, AttrValue]:
    money = _money(view)
    return {"deal_value": money} if money else {}


# --- bankruptcy -------------------------------------------------------------------------------
def bankruptcy(view: ClauseView) -> list[Candidate]:
    out: list[Candidate] = []
    if view.has(L.BANKRUPT_THREAT):
        return out
    for i in view.hits(L.BANKRUPTCY):
        tok = view.tokens[i]
        company = modifier_of(view, i) or agent(view, i)
        if company is None and "passive" in " ".join(
            f for t in view.tokens[view.lo : view.hi] for f in t.flags
        ):
            nominative = [s for s in view.companies(NOM) if s.cases == NOM]
            company = nominative[0] if nominative else None
        if company is None:
            company = next(iter(view.companies(kinds=("company",))), None)
        if company is None:
            continue
        if "plural" in tok.flags and modifier_of(view, i) is None:
            continue  # "konkurssit lisääntyivät": statistics
        out.append(_make(view, EventKind.BANKRUPTCY, "bankruptcy", i, [Arg(company, "subject")]))
    return out


# --- layoffs ----------------------------------------------------------------------------------
def layoffs(view: ClauseView) -> list[Candidate]:
    out: list[Candidate] = []
    count = _headcount(view)
    attrs: dict[str, AttrValue] = {"affected": count} if count else {}
    for i in view.hits(L.LAYOFF_TALKS):
        company = _about(view, i) or next(iter(view.companies(kinds=("company",))), None)
        if company is None:
            continue
        if "plural" in view.tokens[i].flags and view.has(L.STATISTICS) and modifier_of(view, i) is None:
            continue
        out.append(_make(view, EventKind.LAYOFFS, "talks", i, [Arg(company, "subject")], **attrs))
    for i in view.hits(L.LAYOFF):
        if "participle_agent" in view.tokens[i].flags:
            continue
        company = agent(view, i) if not _passive(view, i) else _located(view)
        if company is None and _passive(view, i):
            company = modifier_of(view, i)
        if company is None:
            continue
        if _fires_a_person(view, i):
            continue  # "Nokia irtisanoi toimitusjohtajansa": a decision-maker change
        out.append(_make(view, EventKind.LAYOFFS, "lay_off", i, [Arg(company, "subject")], **attrs))
    for i in view.hits(L.CUT):
        obj = object_noun(view, i, L.STAFF, 5)
        if obj is None and count is None:
            continue
        if obj is None and not view.has(L.STAFF):
            continue
        company = agent(view, i) or _located(view)
        if company is not None:
            out.append(_make(view, EventKind.LAYOFFS, "cut_jobs", i, [Arg(company, "subject")], **attrs))
    for i in view.hits(L.CLOSE):
        obj = object_noun(view, i, L.SITE, 5)
        if obj is None:
            continue
        company = agent(view, i)
        if company is not None:
            out.append(_make(view, EventKind.LAYOFFS, "close_site", i, [Arg(company, "subject")], **attrs))
    return out


def _fires_a_person(view: ClauseView, i: int) -> bool:
    from triggerwatch.text.triggers.positions import fi_positions

    return bool(view.persons(lo=i + 1) or fi_positions(view.tokens, i + 1, min(view.hi, i + 4)))


# --- funding ----------------------------------------------------------------------------------
def funding(view: ClauseView) -> list[Candidate]:
    out: list[Candidate] = []
    if view.has(L.NOT_FUNDING) or view.has(L.SEEK):
        return out
    money = _money(view)
    attrs: dict[str, AttrValue] = {"amount": money} if money else {}
    for i in view.hits(L.RAISE):
        company = agent(view, i)
        if company is not None and (money or view.has(L.FUNDING, lo=i + 1)):
            out.append(_make(view, EventKind.FUNDING, "raise", i, [Arg(company, "subject")], **attrs))
    for i in view.hits(L.GET):
        company = agent(view, i)
        if company is not None and view.has(L.FUNDING, lo=i + 1):
            out.append(_make(view, EventKind.FUNDING, "receive", i, [Arg(company, "subject")], **attrs))
    for i in view.hits(L.INVEST):
        funded = [s for s in view.companies(DESTINATION, lo=i + 1, kinds=("company",)) if s.cases & {"ill"}]
        if not funded:
            continue
        args = [Arg(funded[0], "subject")]
        investor = agent(view, i)
        if investor is not None:
            args.append(Arg(investor, "investor"))
        out.append(_make(view, EventKind.FUNDING, "invest_in", i, args, **attrs))
    for i in view.hits(L.GRANT):
        funded = [s for s in view.companies(DESTINATION, lo=i + 1, kinds=("company",)) if s.cases & {"all"}]
        if funded and view.has(L.FUNDING):
            args = [Arg(funded[0], "subject")]
            investor = agent(view, i)
            if investor is not None:
                args.append(Arg(investor, "investor"))
            out.append(_make(view, EventKind.FUNDING, "grant", i, args, **attrs))
    for i in view.hits(L.ROUND):
        company = _about(view, i)
        if company is None:
            allative = [s for s in view.companies(DESTINATION, kinds=("company",)) if s.cases & {"all"}]
            company = allative[0] if allative else None
        if company is not None:
            out.append(_make(view, EventKind.FUNDING, "round", i, [Arg(company, "subject")], **attrs))
    for i in view.hits(L.IPO):
        company = _about(view, i)
        if company is not None:
            out.append(_make(view, EventKind.FUNDING, "ipo", i, [Arg(company, "subject")], **attrs))
    if money and not out:
        # headline style: "Kasvuyritykselle 5 miljoonaa euroa rahoitusta", "Supercellille 1,5 miljardia"
        for i in view.hits(L.FUNDING):
            allative = [s for s in view.companies(DESTINATION, kinds=("company",)) if s.cases & {"all"}]
            if allative:
                out.append(
                    _make(view, EventKind.FUNDING, "to_company", i, [Arg(allative[0], "subject")], **attrs)
                )
                break
    return out


# --- expansion --------------------------------------------------------------------------------
def expansion(view: ClauseView) -> list[Candidate]:
    out: list[Candidate] = []
    if view.has(L.CLOSE):
        return out
    money = _money(view)
    attrs: dict[str, AttrValue] = {"amount": money} if money else {}
    for cue, rule in ((L.OPEN, "open_site"), (L.FOUND, "found_site"), (L.BUILD, "build_site")):
        for i in view.hits(cue):
            if object_noun(view, i, L.SITE, 6) is None:
                continue
            company = agent(view, i)
            if company is not None:
                out.append(_make(view, EventKind.EXPANSION, rule, i, [Arg(company, "subject")], **attrs))
    for i in view.hits(L.EXPAND):
        company = agent(view, i)
        if company is None:
            continue
        if (
            object_noun(view, i, L.CAPACITY, 5) is not None
            or object_noun(view, i, L.SITE, 5) is not None
            or view.has(L.MARKET, lo=i + 1)
            or place_destination(view, i, PLACES)
        ):
            out.append(_make(view, EventKind.EXPANSION, "expand", i, [Arg(company, "subject")], **attrs))
    for i in view.hits(L.INVEST) + view.hits(L.INVESTMENT_N):
        if not money:
            continue
        if [s for s in view.companies(DESTINATION, lo=i + 1, kinds=("company",)) if s.cases & {"ill"}]:
            continue  # investing in a company: funding
        company = agent(view, i) or modifier_of(view, i)
        if company is not None:
            out.append(_make(view, EventKind.EXPANSION, "invest", i, [Arg(company, "subject")], **attrs))
    for i in view.hits(L.EXPANSION_N):
        company = _about(view, i)
        if company is not None:
            out.append(
                _make(view, EventKind.EXPANSION, "expansion_noun", i, [Arg(company, "subject")], **attrs)
            )
    for i in view.hits(L.ENTER):
        company = agent(view, i)
        if company is not None and place_destination(view, i, PLACES):
            out.append(_make(view, EventKind.EXPANSION, "enter_market", i, [Arg(company, "subject")]))
    return out


# --- procurement ------------------------------------------------------------------------------
def _buyer(view: ClauseView, i: int) -> Span | None:
    found = agent(view, i) or modifier_of(view, i)
    if found is not None:
        return found
    for j in range(view.lo, i):
        tok = view.tokens[j]
        if tok.word and "nom" in tok.cases and any(lemma.endswith(PUBLIC_BODY_HEADS) for lemma in tok.lemmas):
            k = j - 1 if j > view.lo and view.tokens[j - 1].capital else j
            name = " ".join(t.text for t in view.tokens[k : j + 1])
            return Span("company", k, j + 1, view.tokens[k].start, tok.end, name, name, NOM)
    return None


def procurement(view: ClauseView) -> list[Candidate]:
    out: list[Candidate] = []
    for i in view.hits(L.TENDER):
        buyer = _buyer(view, i)
        if buyer is not None:
            out.append(_make(view, EventKind.PROCUREMENT_OPEN, "tender", i, [Arg(buyer, "buyer")]))
    for i in view.hits(L.TENDER_N):
        buyer = _buyer(view, i)
        if buyer is not None:
            out.append(_make(view, EventKind.PROCUREMENT_OPEN, "tender_noun", i, [Arg(buyer, "buyer")]))
    for i in view.hits(L.PROCUREMENT_N):
        if not view.has(L.START, hi=i) and not view.has(L.START, lo=i + 1):
            continue
        buyer = _buyer(view, i)
        if buyer is not None:
            out.append(_make(view, EventKind.PROCUREMENT_OPEN, "procurement", i, [Arg(buyer, "buyer")]))
    return out


RULES = (merger, bankruptcy, layoffs, funding, expansion, procurement)
