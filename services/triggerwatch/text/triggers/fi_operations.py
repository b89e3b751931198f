"""Finnish rules for what a company does with its operations: layoffs, expansion and procurement.
Each rule needs its cue and the company it is about in one clause."""

from __future__ import annotations

from triggerwatch.core.contracts import EventKind
from triggerwatch.text.triggers import lexicon_fi as L
from triggerwatch.text.triggers.fi_args import (
    DESTINATION,
    about,
    agent,
    first_company,
    headcount,
    located,
    main_stand_in,
    make,
    modifier_of,
    modifies_next_noun,
    money,
    object_noun,
    passive,
    place_destination,
)
from triggerwatch.text.triggers.frames import Arg, AttrValue, Candidate, ClauseView
from triggerwatch.text.triggers.gazetteer import PLACES
from triggerwatch.text.triggers.names import Span, find_public_body
from triggerwatch.text.triggers.positions import fi_positions

LAYOFFS, EXPANSION, PROCUREMENT = EventKind.LAYOFFS, EventKind.EXPANSION, EventKind.PROCUREMENT_OPEN
OBJECT = frozenset({"gen", "nom", "par"})


# --- layoffs ----------------------------------------------------------------------------------
def _fires_a_person(view: ClauseView, i: int) -> bool:
    """The object (or, in the passive, the subject) is a person or a position: a dismissal."""
    if view.persons(lo=i + 1) or fi_positions(view.tokens, i + 1, min(view.hi, i + 4)):
        return True
    if passive(view, i):
        return bool(view.persons(hi=i) or fi_positions(view.tokens, view.lo, i))
    return False


_SHARE_OF = frozenset(
    {"koko", "kaikki", "osan", "osa", "puolet", "enemmistön", "noin", "jopa", "lähes", "yli"}
)


def _ends_a_contract(view: ClauseView, i: int) -> bool:
    """The object is a thing, not staff: "irtisanoi sopimuksen", "irtisanoo vuokrasopimuksensa"."""
    for j in range(i + 1, min(view.hi, i + 4)):
        tok = view.tokens[j]
        if not tok.word or tok.capital or tok.text[0].isdigit():
            return False
        if tok.low in _SHARE_OF:
            continue  # "lomauttaa koko henkilöstön", "irtisanoo osan työntekijöistä"
        if tok.known and "nimisana" in tok.classes and tok.cases & OBJECT:
            return not (L.STAFF.hit(tok) or L.JOBS.hit(tok))
    return False


def layoffs(view: ClauseView) -> list[Candidate]:
    out: list[Candidate] = []
    count = headcount(view)
    attrs: dict[str, AttrValue] = {"affected": count} if count else {}
    for i in view.hits(L.LAYOFF_TALKS):  # "Wärtsilä aloittaa muutosneuvottelut", "Nokian yt-neuvottelut"
        if "plural" in view.tokens[i].flags and view.has(L.STATISTICS) and modifier_of(view, i) is None:
            continue
        if L.ABOUT_LAYOFFS.hit(view.tokens[i]):
            continue  # "lomautuspäivä", "irtisanomisaika", "muutosturva": words about layoffs in general
        company = about(view, i) or first_company(view)
        if company is not None:
            out.append(make(view, LAYOFFS, "talks", i, [Arg(company, "subject")], **attrs))
    for i in view.hits(L.LAYOFF):  # "Rovio irtisanoo 130", "Nokialla lomautetaan"
        if (
            "participle_agent" in view.tokens[i].flags
            or _fires_a_person(view, i)
            or _ends_a_contract(view, i)
        ):
            continue
        company = located(view) or modifier_of(view, i) if passive(view, i) else agent(view, i)
        if company is not None:
            out.append(make(view, LAYOFFS, "lay_off", i, [Arg(company, "subject")], **attrs))
    for i in view.hits(L.CUT):  # "vähentää 200 työpaikkaa"
        if object_noun(view, i, L.STAFF, 5) is None:
            continue
        company = agent(view, i) or located(view)
        if company is not None:
            out.append(make(view, LAYOFFS, "cut_jobs", i, [Arg(company, "subject")], **attrs))
    for i in view.hits(L.CLOSE):  # "sulkee tehtaansa"
        if object_noun(view, i, L.SITE, 5) is None:
            continue
        company = agent(view, i)
        if company is not None:
            out.append(make(view, LAYOFFS, "close_site", i, [Arg(company, "subject")], **attrs))
    for i in view.hits(L.STOPS):  # "tuotanto Outokummussa loppuu"
        sites = [
            j
            for j in view.hits(L.OPERATIONS, hi=i) + view.hits(L.SITE, hi=i)
            if "nom" in view.tokens[j].cases
        ]
        if sites:
            company = modifier_of(view, sites[0]) or view.carry or main_stand_in(view, i)
            out.append(make(view, LAYOFFS, "site_ends", i, [Arg(company, "subject")], **attrs))
    return out


# --- expansion --------------------------------------------------------------------------------
def expansion(view: ClauseView) -> list[Candidate]:
    out: list[Candidate] = []
    if view.has(L.CLOSE) or view.has(L.STOPS):
        return out
    amount = money(view)
    attrs: dict[str, AttrValue] = {"amount": amount} if amount else {}
    for cue, rule in ((L.OPEN, "open_site"), (L.FOUND, "found_site"), (L.BUILD, "build_site")):
        for i in view.hits(cue):  # "avaa uuden datakeskuksen", "rakentaa tehtaan"
            site = object_noun(view, i, L.SITE, 6)
            if site is None or not _site_object(view, site):
                continue  # "käynnistää neuvottelut tehtaalla": the site is where, not what
            company = agent(view, i)
            if company is not None:
                out.append(make(view, EXPANSION, rule, i, [Arg(company, "subject")], **attrs))
    for i in view.hits(L.EXPAND):  # "laajentaa tuotantoaan", "laajentaa Ruotsiin", "nostaa kapasiteettia"
        company = agent(view, i)
        if company is None:
            continue
        grows = view.tokens[i].low.startswith(("nost", "lisä"))
        capacity = object_noun(view, i, L.CAPACITY, 5) is not None
        by_people = any(view.tokens[j].cases & {"ade"} for j in view.hits(L.JOBS, lo=i + 1))
        if (grows and not capacity) or by_people:
            continue  # "kasvattaa keskustaan sadalla tutkijalla": growing by people is recruitment
        if (
            capacity
            or object_noun(view, i, L.SITE, 5) is not None
            or view.has(L.MARKET, lo=i + 1)
            or place_destination(view, i, PLACES)
        ):
            out.append(make(view, EXPANSION, "expand", i, [Arg(company, "subject")], **attrs))
    for i in view.hits(L.INVEST) + view.hits(L.INVESTMENT_N):  # "investoi 30 miljoonaa euroa"
        if not amount or not (_capacity_in_sentence(view) or place_destination(view, i, PLACES)):
            continue  # money for R&D, marketing or funds is no new site or capacity
        if view.has(L.FINANCIAL):
            continue  # "sijoittaa kasvurahastoihin": an investor's portfolio
        if [s for s in view.companies(DESTINATION, lo=i + 1, kinds=("company",)) if s.cases & {"ill"}] or any(
            view.tokens[j].cases & {"ill"} and not L.SITE.hit(view.tokens[j])
            for j in view.hits(L.BUSINESS, lo=i + 1)
        ):
            continue  # investing in a company ("sijoittaa vetyyhtiöön"): funding
        company = agent(view, i) or modifier_of(view, i)
        if company is not None:
            out.append(make(view, EXPANSION, "invest", i, [Arg(company, "subject")], **attrs))
    for i in view.hits(L.EXPANSION_N):
        company = about(view, i)
        if company is not None:
            out.append(make(view, EXPANSION, "expansion_noun", i, [Arg(company, "subject")], **attrs))
    for i in view.hits(L.BEGIN):  # "aloittaa toimintansa Portugalissa": a new market
        ops = object_noun(view, i, L.OPERATIONS, 2)
        company = agent(view, i)
        if ops is not None and company is not None and _place_in(view, ops):
            out.append(make(view, EXPANSION, "start_operations", i, [Arg(company, "subject")], **attrs))
    for i in view.hits(L.ENTER):  # "rantautuu Suomeen"
        company = agent(view, i)
        if company is not None and place_destination(view, i, PLACES):
            out.append(make(view, EXPANSION, "enter_market", i, [Arg(company, "subject")]))
    return out


def _capacity_in_sentence(view: ClauseView) -> bool:
    """A site or capacity in the sentence (also the antecedent of "johon investoidaan")."""
    return any(L.SITE.hit(t) or L.CAPACITY.hit(t) for t in view.tokens if t.word and not t.capital)


def _site_object(view: ClauseView, site: int) -> bool:
    """The site noun is the verb's object itself: in an object case, not the first part of a
    truncated compound ("konesali- ja lähiverkkopalveluistaan": services) and not the modifier of
    another noun ("avaa Suomen-toimistonsa ovet")."""
    tokens = view.tokens
    tok = tokens[site]
    if site + 1 < view.hi and tokens[site + 1].text == "-" and tokens[site + 1].start == tok.end:
        return False
    return bool(tok.cases & OBJECT) and not modifies_next_noun(view, site)


def _place_in(view: ClauseView, after: int) -> bool:
    """A place in the inessive or adessive after token ``after``: "Portugalissa", "Aasiassa"."""
    return any(
        (view.tokens[j].cases & {"ine", "ade"} and set(view.tokens[j].lemmas) & PLACES)
        or (view.tokens[j].capital and view.tokens[j].cases & {"ine"} and view.span_at(j) is None)
        for j in range(after + 1, view.hi)
        if view.tokens[j].word
    )


# --- procurement ------------------------------------------------------------------------------
def _buyer(view: ClauseView, i: int) -> Span | None:
    return agent(view, i) or modifier_of(view, i) or public_body(view, i)


def public_body(view: ClauseView, i: int) -> Span | None:
    return find_public_body(view.tokens, view.lo, i)


def procurement(view: ClauseView) -> list[Candidate]:
    out: list[Candidate] = []
    if view.has(L.TENDER_DONE) or any("past" in view.tokens[j].flags for j in view.hits(L.CHOOSE)):
        return out  # won, chosen, appealed: a contract award or a dispute, not an open tender
    for i in view.hits(L.REQUEST):  # "pyytää tarjouksia", "pyytää osallistumishakemuksia"
        if object_noun(view, i, L.OFFERS, 4) is None:
            continue
        buyer = _buyer(view, i)
        if buyer is not None:
            out.append(make(view, PROCUREMENT, "request_tenders", i, [Arg(buyer, "buyer")]))
    for i in view.hits(L.SEEK):  # "etsii toimittajaa sähköbusseille"
        supplier = object_noun(view, i, L.SUPPLIER, 3)
        if supplier is not None and "par" in view.tokens[supplier].cases:
            buyer = _buyer(view, i)
            if buyer is not None:
                out.append(make(view, PROCUREMENT, "seek_supplier", i, [Arg(buyer, "buyer")]))
    for i in view.hits(L.TENDER):  # "Kela kilpailuttaa"
        buyer = _buyer(view, i)
        if buyer is not None:
            out.append(make(view, PROCUREMENT, "tender", i, [Arg(buyer, "buyer")]))
    for i in view.hits(L.TENDER_N):  # "julkaisi tarjouspyynnön"
        buyer = _buyer(view, i)
        if buyer is not None:
            out.append(make(view, PROCUREMENT, "tender_noun", i, [Arg(buyer, "buyer")]))
    for i in view.hits(L.PROCUREMENT_N):  # "käynnistää hankinnan"
        if not view.has(L.START, hi=i) and not view.has(L.START, lo=i + 1):
            continue
        buyer = _buyer(view, i)
        if buyer is not None:
            out.append(make(view, PROCUREMENT, "procurement", i, [Arg(buyer, "buyer")]))
    return out


RULES = (layoffs, expansion, procurement)
