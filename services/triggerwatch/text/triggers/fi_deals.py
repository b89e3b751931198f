"""Finnish rules for deals and money: merger (acquisitions, mergers, divestments), bankruptcy and
funding. Each rule needs its cue and the company it is about in one clause."""

from __future__ import annotations

from triggerwatch.core.contracts import EventKind
from triggerwatch.text.triggers import lexicon_fi as L
from triggerwatch.text.triggers.fi_args import (
    DESTINATION,
    GEN,
    NOM,
    SOURCE,
    about,
    agent,
    compound_targets,
    first_company,
    genitive_objects,
    main_stand_in,
    make,
    modifier_of,
    money,
    object_noun,
    partitive_object,
    passive,
)
from triggerwatch.text.triggers.frames import Arg, AttrValue, Candidate, ClauseView
from triggerwatch.text.triggers.tokens import Token

M = EventKind.MERGER


def _counted(view: ClauseView, i: int) -> bool:
    """A partitive after a numeral: "kahdeksan paikallislehteä", "3 tehdasta" (whole units)."""
    prev = view.tokens[i - 1] if i > view.lo else None
    return prev is not None and (prev.text[0].isdigit() or "lukusana" in prev.classes)


def _deal_value(view: ClauseView) -> dict[str, AttrValue]:
    found = money(view)
    return {"deal_value": found} if found else {}


def _own(tok: Token) -> bool:
    """A noun with the 3rd person possessive suffix: "liiketoimintansa", "yksikkönsä"."""
    return tok.low.endswith(("nsa", "nsä", "ensa", "ensä")) or (
        tok.low.endswith(("an", "än")) and not tok.low.endswith(("aan", "ään", "ean"))
    )


#: partitive endings of a word Voikko does not know (or without Voikko): "mainosaikaa", "sähköä"
_PARTITIVE_GUESS = ("aa", "ää", "ea", "eä", "ia", "iä", "oa", "ua", "yä", "öä", "ta", "tä", "ja", "jä")


def _goods(view: ClauseView, i: int) -> bool:
    """The verb's object is goods or a service in the partitive, not a company or a stake: "osti
    mainosaikaa", "ostaa muistipiirejä Toshibalta", "ostaa omia osakkeitaan" (a buyback)."""
    for j in range(i + 1, min(view.hi, i + 5)):
        tok = view.tokens[j]
        if not tok.word or tok.capital or tok.text[0].isdigit():
            return False
        if tok.low.startswith(("omia", "omien", "omat")):
            return True  # own shares
        if tok.low in ("lisää", "myös", "jo", "nyt", "vielä", "uusia", "uutta") or tok.classes & {
            "laatusana",
            "lukusana",
        } - {"nimisana"}:
            continue
        partitive = tok.cases == frozenset({"par"}) or (not tok.known and tok.low.endswith(_PARTITIVE_GUESS))
        if not partitive or _counted(view, j):
            return False
        return not (L.SHARES.hit(tok) or L.BUSINESS.hit(tok) or L.MAJORITY.hit(tok))
    return False


def _buy(view: ClauseView, i: int) -> Candidate | None:
    """ "Elisa ostaa Fennia IT:n", "Microsoft ostaa Nokian puhelinliiketoiminnan", "hankkii omistukseensa"."""
    if _goods(view, i):
        return None
    buyer = None if passive(view, i) else agent(view, i)
    args: list[Arg] = []
    business = False
    for span, _ in genitive_objects(view, i):
        noun = view.modifies_noun(span)
        if noun is None or L.SHARES.hit(noun) or L.MAJORITY.hit(noun):
            args.append(Arg(span, "target"))  # "ostaa Fennia IT:n (koko osakekannan)"
            business = business or noun is not None
        elif L.BUSINESS.hit(noun):
            args.append(Arg(span, "seller"))  # "ostaa Nokian puhelinliiketoiminnan"
            business = True
    for span in view.companies(SOURCE, lo=i + 1, kinds=("company",)):
        if span.cases & {"abl"}:
            args.append(Arg(span, "seller"))
        elif view.has(L.BUSINESS, lo=i + 1, hi=span.first) or view.has(L.SHARES, lo=i + 1, hi=span.first):
            args.append(Arg(span, "target"))  # "ostaa enemmistön Fennia IT:stä"
    args += [Arg(s, "target") for s in compound_targets(view, i + 1)]
    obj = object_noun(view, i, L.BUSINESS, 5)
    if obj is not None and view.tokens[obj].cases & {"gen", "nom"}:
        business = True
    if L.ACQUIRE.hit(view.tokens[i]) and not (args or view.has(L.OWNERSHIP, lo=i + 1)):
        return None
    if passive(view, i):
        passive_target = [s for s in view.companies(NOM, kinds=("company",)) if s.cases == NOM]
        args += [Arg(s, "target") for s in passive_target[:1]]
        buyer = next(iter(view.companies(DESTINATION, lo=i + 1, kinds=("company",))), None)
    if partitive_object(view, i) and not args:
        return None
    if buyer is not None:
        args.insert(0, Arg(buyer, "acquirer"))
    named = [a for a in args if a.role != "acquirer"]
    if (buyer is not None and (named or business)) or len([a for a in args if a.span.kind == "company"]) >= 2:
        return make(view, M, "buy", i, args, **_deal_value(view))
    return None


def _sell(view: ClauseView, i: int) -> Candidate | None:
    """ "Nokia myy Here-karttapalvelunsa", "Fennia IT myydään Elisalle", "myy liiketoimintansa"."""
    if passive(view, i):
        targets = [s for s in view.companies(NOM, kinds=("company",)) if s.cases == NOM]
        buyers = view.companies(DESTINATION, lo=i + 1, kinds=("company",))
        if targets and buyers:
            args = [Arg(buyers[0], "acquirer"), Arg(targets[0], "target")]
            return make(view, M, "sell_passive", i, args, **_deal_value(view))
        return None
    seller = agent(view, i)
    if seller is None:
        return None
    targets = [s for s, noun in genitive_objects(view, i) if noun is None]
    targets += [
        s for s, noun in genitive_objects(view, i) if noun is not None and L.BUSINESS.hit(view.tokens[noun])
    ]
    targets += compound_targets(view, i + 1)
    args = [Arg(seller, "seller")]
    args += [Arg(s, "target") for s in targets if s is not seller]
    args += [Arg(s, "acquirer") for s in view.companies(DESTINATION, lo=i + 1, kinds=("company",))]
    obj = object_noun(view, i, L.BUSINESS, 4)
    business = obj is not None and (not view.tokens[obj].cases <= {"par"} or _counted(view, obj))
    if not targets and not business:
        return None  # "myy tuotteitaan Kiinaan": selling goods, not a company
    if len(args) >= 2:
        return make(view, M, "sell", i, args, **_deal_value(view))
    if obj is not None and _own(view.tokens[obj]):
        return make(view, M, "sell_business", i, args, **_deal_value(view))  # "myy liiketoimintansa"
    return None


def _merge(view: ClauseView, i: int) -> Candidate | None:
    """ "X ja Y yhdistyvät", "X sulautuu Y:hyn", "X yhdistää toimintansa Y:n kanssa"."""
    parties = [s for s in view.companies(NOM, hi=i) if "nom" in s.cases]
    if not parties and view.carry is not None:
        parties = [view.carry]
    into = [s for s in view.companies(DESTINATION, lo=i + 1, kinds=("company",)) if s.cases & {"ill"}]
    partner = [s for s in view.companies(GEN, lo=i + 1, kinds=("company",)) if view.next_word_is(s, "kanssa")]
    if into and parties:
        return make(view, M, "merge_into", i, [Arg(into[0], "acquirer"), Arg(parties[-1], "target")])
    if len(parties) >= 2 or (parties and partner):
        return make(view, M, "merge", i, [Arg(s, "subject") for s in (*parties, *partner)])
    return None


def _deal_noun(view: ClauseView, i: int) -> Candidate | None:
    """ "yrityskauppa", "fuusio", "kauppahinta", "ostotarjous" with a company in the clause."""
    tok = view.tokens[i]
    owner = modifier_of(view, i)
    if "plural" in tok.flags and owner is None:
        return None  # "yrityskaupat piristyivät": an overview
    if any("ostotarjous" in lemma for lemma in tok.lemmas) or "ostotarjou" in tok.low:
        bidder = owner or agent(view, i)
        if bidder is None:
            return None
        targets = view.companies(SOURCE, lo=i + 1, kinds=("company",))
        target = targets[0] if targets else main_stand_in(view, i)
        return make(view, M, "tender_offer", i, [Arg(bidder, "acquirer"), Arg(target, "target")])
    args = [Arg(owner, "subject")] if owner is not None else []
    args += [Arg(s, "target") for s in compound_targets(view, view.lo, i + 1) if s.last >= i]
    args += [
        Arg(s, "subject") for s in view.companies(kinds=("company",)) if not any(a.span is s for a in args)
    ]
    if any(a.span.kind == "company" for a in args):
        return make(view, M, "deal_noun", i, args, **_deal_value(view))
    return None


#: the case of a deal noun that reports the deal itself (its subject or object), not something about it
_DEAL_ITSELF = frozenset({"nom", "gen", "par"})


def merger(view: ClauseView) -> list[Candidate]:
    found: list[Candidate | None] = []
    found += [_buy(view, i) for i in view.hits(L.BUY) + view.hits(L.ACQUIRE)]
    found += [_sell(view, i) for i in view.hits(L.SELL)]
    found += [_merge(view, i) for i in view.hits(L.MERGE)]
    found += [_deal_noun(view, i) for i in view.hits(L.DEAL)]
    for i in view.hits(L.OWNERSHIP):  # "siirtyy Elisan omistukseen"
        if not view.tokens[i].cases & {"ill"}:
            continue
        owner, moved = modifier_of(view, i), agent(view, i)
        if owner is not None and moved is not None and owner is not moved:
            found.append(make(view, M, "ownership", i, [Arg(owner, "acquirer"), Arg(moved, "target")]))
    # compound deal nouns: "Microsoftin Nokia-kauppa"
    for span in compound_targets(view, view.lo):
        if not span.cases & _DEAL_ITSELF:
            continue  # "odottaa Alcatel-kaupasta säästöjä", "Uzbekistan-kauppoihin liittyvä": about a deal
        if span.head.startswith(("kaup", "osto", "fuusio", "yrityskau", "yritysost")):
            args = [Arg(span, "target")]
            buyer = modifier_of(view, span.first)
            if buyer is not None:
                args.insert(0, Arg(buyer, "acquirer"))
            found.append(make(view, M, "compound", span.first, args))
    out = [c for c in found if c is not None]
    if out and view.has(L.CALLED_OFF):
        return []  # "yhdistyminen kaatui": a deal called off
    return out


# --- bankruptcy -------------------------------------------------------------------------------
def bankruptcy(view: ClauseView) -> list[Candidate]:
    out: list[Candidate] = []
    if view.has(L.BANKRUPT_THREAT) or view.has(L.STATISTICS) or view.has(L.STOPS):
        return out  # a threat, a count, or a restructuring that ended
    for i in view.hits(L.BANKRUPTCY):
        tok = view.tokens[i]
        nxt = view.next_word(i)
        if nxt is not None and nxt.low.startswith(("jälkeen", "jälkei")):
            continue  # "konkurssin jälkeen": what followed an earlier bankruptcy
        if "ela" in tok.cases and view.has(L.RECOVER):
            continue  # "saneerauksesta selvinnyt": out of it
        company = modifier_of(view, i) or agent(view, i)
        if company is None and any("passive" in t.flags for t in view.tokens[view.lo : view.hi]):
            nominative = [s for s in view.companies(NOM) if s.cases == NOM]
            company = nominative[0] if nominative else None
        if company is None:
            continue
        if "plural" in tok.flags and modifier_of(view, i) is None:
            continue  # "konkurssit lisääntyivät": statistics
        out.append(make(view, EventKind.BANKRUPTCY, "bankruptcy", i, [Arg(company, "subject")]))
    return out


# --- funding ----------------------------------------------------------------------------------
def funding(view: ClauseView) -> list[Candidate]:
    out: list[Candidate] = []
    if view.has(L.NOT_FUNDING):
        return out
    seeking = view.has(L.SEEK)  # "hakee rahoitusta": not yet (a listing application still counts)
    amount = money(view)
    attrs: dict[str, AttrValue] = {"amount": amount} if amount else {}
    F = EventKind.FUNDING
    for i in [] if seeking else view.hits(L.RAISE):
        company = agent(view, i)
        if company is not None and (amount or view.has(L.FUNDING, lo=i + 1)):
            out.append(make(view, F, "raise", i, [Arg(company, "subject")], **attrs))
    for i in [] if seeking else view.hits(L.GET):
        company = agent(view, i)
        if company is not None and view.has(L.FUNDING, lo=i + 1):
            out.append(make(view, F, "receive", i, [Arg(company, "subject")], **attrs))
    for i in view.hits(L.INVEST):
        funded = [s for s in view.companies(DESTINATION, lo=i + 1, kinds=("company",)) if s.cases & {"ill"}]
        if not funded:
            continue
        args = [Arg(funded[0], "subject")]
        investor = agent(view, i)
        if investor is not None:
            args.append(Arg(investor, "investor"))
        out.append(make(view, F, "invest_in", i, args, **attrs))
    for i in view.hits(L.GRANT):
        funded = [s for s in view.companies(DESTINATION, lo=i + 1, kinds=("company",)) if s.cases & {"all"}]
        if funded and view.has(L.FUNDING):
            args = [Arg(funded[0], "subject")]
            investor = agent(view, i)
            if investor is not None:
                args.append(Arg(investor, "investor"))
            out.append(make(view, F, "grant", i, args, **attrs))
    deal = any(L.DEAL.hit(t) or L.BUY.hit(t) for t in view.tokens if t.word)
    for i in [] if seeking or deal else view.hits(L.ROUND):
        company = about(view, i) or first_company(view)
        if company is not None:
            out.append(make(view, F, "round", i, [Arg(company, "subject")], **attrs))
    for i in view.hits(L.IPO):
        company = about(view, i) or first_company(view)
        if company is not None:
            out.append(make(view, F, "ipo", i, [Arg(company, "subject")], **attrs))
    if amount and not out and not seeking:
        # headline style: "Kasvuyritykselle 5 miljoonaa euroa rahoitusta"
        for i in view.hits(L.FUNDING):
            allative = [s for s in view.companies(DESTINATION, kinds=("company",)) if s.cases & {"all"}]
            if allative:
                out.append(make(view, F, "to_company", i, [Arg(allative[0], "subject")], **attrs))
                break
    return out


RULES = (merger, bankruptcy, funding)
