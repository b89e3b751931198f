"""English and Swedish rules (company releases): phrase patterns over a clause, roles by word order.

Both languages are SVO: the agent is the company before the verb, the object the company after it;
``to``/``till`` marks a buyer after "sells", ``from``/``från`` a seller, ``by``/``av`` the agent of a
passive ("is acquired by"), ``in``/``i`` the company invested in. Decision-maker changes need a
position (:mod:`.positions`) in the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from triggerwatch.core.contracts import EventKind
from triggerwatch.text.triggers.cues import cue
from triggerwatch.text.triggers.frames import Arg, AttrValue, Candidate, ClauseView, Hedges
from triggerwatch.text.triggers.gazetteer import words
from triggerwatch.text.triggers.names import Span
from triggerwatch.text.triggers.positions import text_positions

K = EventKind


@dataclass(frozen=True)
class Frame:
    kind: EventKind
    rule: str
    pattern: re.Pattern[str]
    shape: str  # agent_object | passive_by | sell | merge | subject | invest_in | appoint | leave | buyer


@dataclass(frozen=True)
class Lexicon:
    hedges: Hedges
    openers: frozenset[str]
    speech: frozenset[str]
    anaphors: frozenset[str]
    frames: tuple[Frame, ...]
    to: frozenset[str]  # "to", "till"
    by: frozenset[str]
    source: frozenset[str]
    into: frozenset[str]
    at: frozenset[str]
    business: re.Pattern[str]


def _f(kind: EventKind, rule: str, pattern: str, shape: str) -> Frame:
    return Frame(kind, rule, re.compile(pattern, re.IGNORECASE), shape)


_MONEY_EN = (
    r"(?:[€$£]\s?\d[\d.,]*\s?(?:million|m|bn|billion|k)?|\d[\d.,]*\s?(?:million|m|bn|billion|"
    r"mn)\s?(?:euros?|eur|dollars?|usd|sek|€|\$))"
)
EN = Lexicon(
    hedges=Hedges(
        negations=words(
            "not no never n't neither nor cannot won't doesn't didn't isn't aren't wasn't don't denies denied"
        ),
        hedge=cue(
            "consider",
            None,
            (
                r"(?:consider|plans?$|planning|planned|may$|might$|could$|would$|should$|rumou?r|reportedly|"
                r"speculat|"
                r"potential|possibl|if$|whether|talks$|explor|evaluat|seek|seeks|seeking|propos|intend|mull|"
                r"weigh)"
            ),
        ),
        rumour=cue("rumour", None, r"(?:rumou?r|reportedly|speculat|unnamed|anonymous)"),
        past_time=cue("previously", None, r"(?:previously|formerly|earlier|ago$)"),
        statistics=cue("statistics", None, r"(?:statistic|survey|average|barometer|index$)"),
        year_words=frozenset({"in", "during"}),
    ),
    openers=words("that which who whom whose where when if because although while whereas"),
    speech=words("says said comments commented adds added notes noted explains explained"),
    anaphors=frozenset({"company", "group", "it"}),
    frames=(
        _f(
            K.MERGER,
            "passive_by",
            (
                r"\b(?:(?:is|was|has been|have been|will be|to be|being) (?:acquired|bought|taken over|"
                r"purchased)|acquisition of|takeover of|purchase of)\b"
            ),
            "passive_by",
        ),
        _f(
            K.MERGER,
            "buy",
            (
                r"\b(?:acquires?|acquired|acquiring|to acquire|buys|bought|to buy|purchases|purchased|"
                r"takes? over|took over|completes? (?:the |its )?acquisition of|completed (?:the |"
                r"its )?acquisition of|agree[sd]? to (?:buy|acquire)|signed an agreement to acquire)\b"
            ),
            "agent_object",
        ),
        _f(
            K.MERGER,
            "sell",
            (
                r"\b(?:sells?|sold|to sell|divests?|divested|agree[sd]? to sell|completes? the sale of|"
                r"completed the sale of)\b"
            ),
            "sell",
        ),
        _f(
            K.MERGER,
            "merge",
            r"\b(?:merges?|merged|to merge|merger (?:of|between|with)|combine (?:their|its) businesses)\b",
            "merge",
        ),
        _f(
            K.BANKRUPTCY,
            "bankruptcy",
            (
                r"\b(?:files? for bankruptcy|filed for bankruptcy|declared bankrupt|"
                r"bankruptcy (?:proceedings|filing|petition|protection)|goes? bankrupt|went bankrupt|"
                r"insolvency proceedings|is insolvent|receivership|into administration|"
                r"enters? administration|chapter 11|into liquidation|restructuring proceedings|"
                r"corporate restructuring proceedings)\b"
            ),
            "subject",
        ),
        _f(
            K.FUNDING,
            "raise",
            (
                r"\b(?:raises?|raised|secures?|secured|closes?|closed|lands?|landed|receives?|received|"
                r"gets?|got)\b[^.]{0,60}?(?:funding|financing|investment|round|seed|series [a-e]\b|"
            )
            + _MONEY_EN
            + ")",
            "subject",
        ),
        _f(
            K.FUNDING,
            "round",
            (
                r"\b(?:funding round|financing round|seed round|series [a-e] (?:round|funding|financing)|"
                r"initial public offering|\bipo\b|share issue|rights issue|directed issue|"
                r"listing on (?:nasdaq|the)|to list its shares)\b"
            ),
            "subject",
        ),
        _f(K.FUNDING, "invest_in", r"\b(?:invests?|invested|investment)\b[^.]{0,40}?\bin\b", "invest_in"),
        _f(
            K.RECRUITMENT,
            "hire",
            (
                r"\b(?:hires?|hired|to hire|recruits?|recruited|to recruit|will employ|is recruiting|"
                r"is hiring|are hiring|we are hiring|we're hiring)\b[^.]{0,40}?(?:\d+|dozens|hundreds|new|"
                r"more|additional)\b|\b(?:is|are|we're|we are) hiring\b|\b\d+ new (?:jobs|employees|"
                r"positions|roles|hires)\b|\bcreate (?:up to |some |about )?\d+ (?:new )?jobs\b|"
                r"\bjob openings\b"
            ),
            "subject",
        ),
        _f(
            K.RECRUITMENT,
            "seek",
            (
                r"\b(?:we are looking for|we're looking for|is looking for|are looking for|seeks?|"
                r"seeking)\b[^.]{0,40}?\b(?:developers?|engineers?|employees|professionals|experts?|"
                r"sales ?(?:people|persons|managers?)|consultants?|designers?|specialists?)\b"
            ),
            "subject",
        ),
        _f(
            K.DECISION_MAKER_CHANGE,
            "appoint",
            (
                r"\b(?:appoints?|appointed|names?|named|has named|elects?|elected|promotes?|promoted|hires?|"
                r"hired|welcomes?|joins?|joined|will join|to join|to succeed|succeeds|succeeded|new (?:ceo|"
                r"cfo|cto|cio|chief|managing director|president|chair\w*|head))\b"
            ),
            "appoint",
        ),
        _f(
            K.DECISION_MAKER_CHANGE,
            "leave",
            (
                r"\b(?:steps? down|stepped down|stepping down|to step down|resigns?|resigned|resignation|"
                r"leaves?|to leave|left|departs?|departure|retires?|retired|retirement|to retire|fired|"
                r"dismissed|ousted|is replaced|was replaced)\b"
            ),
            "leave",
        ),
        _f(
            K.EXPANSION,
            "open_site",
            (
                r"\b(?:opens?|opened|opening|to open|establish(?:es|ed)?|to establish|builds?|built|"
                r"to build|sets? up|set up)\b[^.]{0,40}?\b(?:office|factory|plant|facility|site|"
                r"data cent(?:er|re)|hub|subsidiary|branch|store|warehouse|production line|r&d cent(?:er|"
                r"re)|development cent(?:er|re))s?\b"
            ),
            "subject",
        ),
        _f(
            K.EXPANSION,
            "expand",
            (
                r"\b(?:expands?|expanded|expanding|to expand)\b[^.]{0,40}?\b(?:into|to|its|production|"
                r"capacity|operations|presence|market|business)\b|\bexpansion (?:of|into|to) (?:its|the|"
                r"\w+ market)"
            ),
            "subject",
        ),
        _f(
            K.EXPANSION,
            "invest",
            r"\b(?:invests?|invested|to invest|investment of)\b[^.]{0,30}?" + _MONEY_EN,
            "subject",
        ),
        _f(
            K.EXPANSION,
            "enter_market",
            r"\b(?:enters?|entered|to enter) the [\w -]{0,25}markets?\b",
            "subject",
        ),
        _f(
            K.LAYOFFS,
            "talks",
            (
                r"\b(?:change negotiations|co-?operation negotiations|codetermination negotiations|"
                r"employee negotiations|statutory negotiations)\b"
            ),
            "subject",
        ),
        _f(
            K.LAYOFFS,
            "lay_off",
            (
                r"\b(?:lay(?:s|ing)? off|laid off|layoffs?|lay-offs?|redundanc(?:y|ies)|job cuts|cut(?:s|"
                r"ting)? (?:up to |about |some |around )?\d[\d,]* (?:jobs|positions|employees)|"
                r"reduce (?:its |the )?(?:workforce|headcount|staff|personnel)|reduction of (?:up to |"
                r"about )?\d+ (?:jobs|positions|employees)|temporary lay-?offs)\b"
            ),
            "subject",
        ),
        _f(
            K.LAYOFFS,
            "close_site",
            (
                r"\b(?:closes?|closed|to close|shut(?:s|ting)? down|closure of)\b[^.]{0,30}?\b(?:factory|"
                r"plant|office|site|mill|unit)\b"
            ),
            "subject",
        ),
        _f(
            K.PROCUREMENT_OPEN,
            "tender",
            (
                r"\b(?:call for tenders?|invitation to tender|invites? tenders|request for (?:proposals?|"
                r"tenders?|quotations?)|issued? a tender|tender notice|launch(?:es|ed)? a (?:tender|"
                r"procurement)|is tendering|public procurement (?:for|of))\b"
            ),
            "buyer",
        ),
    ),
    to=frozenset({"to"}),
    by=frozenset({"by"}),
    source=frozenset({"from"}),
    into=frozenset({"in", "into"}),
    at=frozenset({"at", "in", "of", "for"}),
    business=re.compile(r"\b(?:business|unit|division|stake|subsidiary|operations|shares|majority)\b", re.I),
)

_MONEY_SV = (
    r"(?:\d[\d.,]*\s?(?:miljoner|miljon|mkr|msek|meur|miljarder|mdr)\s?(?:kronor|euro|sek|eur|dollar)?)"
)
SV = Lexicon(
    hedges=Hedges(
        negations=words("inte ej aldrig ingen inga icke"),
        hedge=cue(
            "överväger",
            None,
            r"(?:överväg|planer|kan$|kunde|skulle|eventuell|möjlig|rykt|spekul|förhandl|diskuter|undersök|"
            r"utred|avser|funderar|om$)",
        ),
        rumour=cue("rykte", None, r"(?:rykt|spekul|anonyma|källor)"),
        past_time=cue("tidigare", None, r"(?:tidigare|fjol|sedan$|förra)"),
        statistics=cue("statistik", None, r"(?:statistik|antalet|undersökning|genomsnitt|barometer)"),
        year_words=frozenset({"år", "i"}),
    ),
    openers=words("att som vilket vilka där när om eftersom medan fast men"),
    speech=words("säger sa sade berättar berättade kommenterar konstaterar"),
    anaphors=frozenset({"bolaget", "företaget", "koncernen"}),
    frames=(
        _f(
            K.MERGER,
            "passive_by",
            r"\b(?:förvärvas|köps|köptes|förvärvades|har förvärvats|uppköpt|förvärvet av|köpet av)\b",
            "passive_by",
        ),
        _f(
            K.MERGER,
            "buy",
            (
                r"\b(?:förvärvar|förvärvade|har förvärvat|köper|köpte|har köpt|tar över|tog över|"
                r"slutför förvärvet av|avtal om att förvärva)\b"
            ),
            "agent_object",
        ),
        _f(K.MERGER, "sell", r"\b(?:säljer|sålde|har sålt|avyttrar|avyttrade)\b", "sell"),
        _f(
            K.MERGER,
            "merge",
            (
                r"\b(?:går samman|gick samman|slås samman|fusioneras|fusion mellan|fusionen mellan|"
                r"sammanslagning)\b"
            ),
            "merge",
        ),
        _f(
            K.BANKRUPTCY,
            "bankruptcy",
            (
                r"\b(?:försatts? i konkurs|försattes i konkurs|ansöker om konkurs|ansökt om konkurs|"
                r"begär (?:sig )?i konkurs|gått i konkurs|går i konkurs|konkursansökan|"
                r"företagsrekonstruktion|i likvidation|träder i likvidation)\b"
            ),
            "subject",
        ),
        _f(
            K.FUNDING,
            "raise",
            (
                r"\b(?:tar in|tog in|har tagit in|reser|reste|säkrar|säkrade|får|fick|erhåller|"
                r"erhöll)\b[^.]{0,60}?(?:finansiering|kapital|investering|runda|"
            )
            + _MONEY_SV
            + ")",
            "subject",
        ),
        _f(
            K.FUNDING,
            "round",
            (
                r"\b(?:finansieringsrund\w*|nyemission\w*|riktad emission|företrädesemission|"
                r"börsnotering\w*|noteras på|kapitalanskaffning|såddfinansiering)\b"
            ),
            "subject",
        ),
        _f(K.FUNDING, "invest_in", r"\b(?:investerar|investerade)\b[^.]{0,40}?\bi\b", "invest_in"),
        _f(
            K.RECRUITMENT,
            "hire",
            (
                r"\b(?:rekryterar|anställer|anställde|nyanställer|kommer att anställa)\b[^.]{0,30}?(?:\d+|"
                r"nya|fler|ytterligare)\b|\b\d+ nya (?:jobb|tjänster|medarbetare|arbetstillfällen)\b"
            ),
            "subject",
        ),
        _f(
            K.RECRUITMENT,
            "seek",
            (
                r"\b(?:vi söker|söker nu|söker)\b[^.]{0,30}?\b(?:utvecklare|ingenjörer?|medarbetare|säljare|"
                r"konsulter?|specialister?)\b"
            ),
            "subject",
        ),
        _f(
            K.DECISION_MAKER_CHANGE,
            "appoint",
            (
                r"\b(?:utses|utsedd|utsetts|utnämns|utnämnd|har utsett|utser|utsåg|tillträder|blir ny|"
                r"ny (?:vd|verkställande direktör|finanschef|ekonomichef|styrelseordförande)|efterträder|"
                r"väljs|valdes|rekryterar|anställer)\b"
            ),
            "appoint",
        ),
        _f(
            K.DECISION_MAKER_CHANGE,
            "leave",
            (
                r"\b(?:lämnar|lämnade|avgår|avgick|slutar|slutade|går i pension|avsätts|avsattes|sparkas|"
                r"sparkades|entledigas|entledigades)\b"
            ),
            "leave",
        ),
        _f(
            K.EXPANSION,
            "open_site",
            (
                r"\b(?:öppnar|öppnade|etablerar|etablerade|bygger|byggde|startar)\b[^.]{0,40}?\b(?:kontor|"
                r"fabrik|anläggning|enhet|dotterbolag|butik|lager|datacenter|produktion)\w*"
            ),
            "subject",
        ),
        _f(
            K.EXPANSION,
            "expand",
            (
                r"\b(?:expanderar|expanderade|utvidgar|utvidgade|utökar)\b[^.]{0,40}?\b(?:till|i|sin|sitt|"
                r"sina|verksamhet\w*|produktion\w*|kapacitet\w*)\b"
            ),
            "subject",
        ),
        _f(K.EXPANSION, "invest", r"\b(?:investerar|investerade)\b[^.]{0,30}?" + _MONEY_SV, "subject"),
        _f(
            K.LAYOFFS,
            "talks",
            r"\b(?:samarbetsförhandling\w*|omställningsförhandling\w*|förhandlingar enligt samarbetslagen)\b",
            "subject",
        ),
        _f(
            K.LAYOFFS,
            "lay_off",
            (
                r"\b(?:varslar|varslade|varsel|säger upp|sade upp|sa upp|permitterar|permitterade|"
                r"permittering\w*|uppsägning\w*|nedskärning\w*|personalminskning\w*|minskar personalen)\b"
            ),
            "subject",
        ),
        _f(
            K.LAYOFFS,
            "close_site",
            (
                r"\b(?:stänger|stängde|lägger ner|lägger ned|lade ner)\b[^.]{0,30}?\b(?:fabrik|kontor|enhet|"
                r"anläggning|bruk)\w*"
            ),
            "subject",
        ),
        _f(
            K.PROCUREMENT_OPEN,
            "tender",
            (
                r"\b(?:upphandl\w*|anbudsförfrågan|anbudsinbjudan|begär in anbud|konkurrensutsätt\w*|"
                r"inbjudan att lämna anbud)\b"
            ),
            "buyer",
        ),
    ),
    to=frozenset({"till"}),
    by=frozenset({"av"}),
    source=frozenset({"från"}),
    into=frozenset({"i"}),
    at=frozenset({"på", "hos", "vid", "i", "för"}),
    business=re.compile(
        r"\b(?:verksamhet\w*|affärsområde\w*|dotterbolag\w*|andel\w*|aktier\w*|majoritet\w*|enhet\w*)\b", re.I
    ),
)
LEXICONS = {"en": EN, "sv": SV}


def _after(view: ClauseView, i: int, words: frozenset[str]) -> Span | None:
    """The first company right after one of ``words`` that follows token ``i``."""
    for j in range(i, view.hi - 1):
        if view.tokens[j].low in words:
            span = view.span_at(j + 1) or (
                view.span_at(j + 2) if view.tokens[j + 1].low in ("the", "its") else None
            )
            if span is not None and span.kind in ("company", "anaphor"):
                return span
    return None


def _agent(view: ClauseView, i: int) -> Span | None:
    before = view.companies(hi=i)
    return before[-1] if before else None


def _object(view: ClauseView, i: int, lex: Lexicon) -> Span | None:
    stop = {*lex.to, *lex.by, *lex.source}
    for j in range(i + 1, view.hi):
        if view.tokens[j].low in stop:
            return None
        span = view.span_at(j)
        if span is not None and span.kind == "company" and span.first >= i + 1:
            return span
    return None


def _people(view: ClauseView, i: int) -> tuple[str | None, Span | None]:
    text = view.sentence.text
    found = text_positions(text, view.language)
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
    for m in frame.pattern.finditer(text):
        start = base + lo_char + m.start()
        i = next((k for k in range(view.lo, view.hi) if toks[k].end > start), view.lo)
        end_tok = next(
            (k for k in range(view.lo, view.hi) if toks[k].end >= base + lo_char + m.end()), view.hi - 1
        )
        args = _args(view, frame, lex, i, end_tok, m.group(0))
        if args is None:
            continue
        attrs: dict[str, AttrValue] = {}
        if frame.kind is K.DECISION_MAKER_CHANGE:
            role, person = _people(view, i)
            if role is None:
                continue
            attrs = {"change": "appointed" if frame.shape == "appoint" else "leaving", "role": role}
            if person is not None:
                attrs["person_name"] = person.name
        rule = f"{frame.kind.value}/{frame.rule}@{view.language}"
        out.append(Candidate(frame.kind, rule, args, view.sentence, view.clause, i, attrs))
    return out


def _args(view: ClauseView, frame: Frame, lex: Lexicon, i: int, j: int, matched: str) -> list[Arg] | None:
    shape = frame.shape
    agent = _agent(view, i)
    if shape == "agent_object":
        obj = _object(view, j, lex)
        seller = _after(view, j, lex.source)
        business = bool(lex.business.search(" ".join(t.text for t in view.tokens[j : view.hi])))
        if agent is None or not (obj or seller or business):
            return None
        args = [Arg(agent, "acquirer")]
        if obj is not None:
            args.append(Arg(obj, "target"))
        if seller is not None and seller is not obj:
            args.append(Arg(seller, "seller"))
        return args
    if shape == "passive_by":
        buyer = _after(view, j, lex.by)
        target = (
            agent
            if agent is not None
            and not matched.lower().startswith(("acquisition", "takeover", "purchase", "förvärvet", "köpet"))
            else _object(view, j, lex)
        )
        if buyer is None or target is None:
            return None
        return [Arg(buyer, "acquirer"), Arg(target, "target")]
    if shape == "sell":
        if agent is None:
            return None
        buyer = _after(view, j, lex.to)
        obj = _object(view, j, lex)
        business = bool(lex.business.search(" ".join(t.text for t in view.tokens[j : view.hi])))
        if not (obj or (buyer and business)):
            return None
        args = [Arg(agent, "seller")]
        if obj is not None:
            args.append(Arg(obj, "target"))
        if buyer is not None:
            args.append(Arg(buyer, "acquirer"))
        return args
    if shape == "merge":
        parties = [s for s in view.companies(kinds=("company",))]
        return [Arg(s, "subject") for s in parties] if len(parties) >= 2 else None
    if shape == "invest_in":
        funded = _after(view, i, lex.into)
        if funded is None:
            return None
        args = [Arg(funded, "subject")]
        if agent is not None and agent is not funded:
            args.append(Arg(agent, "investor"))
        return args
    if shape in ("appoint", "leave"):
        company = agent or _after(view, j, lex.at) or _after(view, j, lex.source)
        role = "appointed" if shape == "appoint" else "leaving"
        if company is None:
            company = Span("anaphor", i, i + 1, view.tokens[i].start, view.tokens[i].end, "", "", frozenset())
        return [Arg(company, role)]
    company = agent or _after(view, j, lex.at) or next(iter(view.companies(kinds=("company",))), None)
    if company is None:
        return None
    return [Arg(company, "buyer" if shape == "buyer" else "subject")]


def rules_for(language: str) -> tuple[Callable[[ClauseView], list[Candidate]], ...]:
    lex = LEXICONS[language]

    def frames(view: ClauseView) -> list[Candidate]:
        out: list[Candidate] = []
        for frame in lex.frames:
            out += _frame_candidates(view, frame, lex)
        # a DMC "hires a new CEO" is not recruitment
        if any(c.kind is K.DECISION_MAKER_CHANGE for c in out):
            out = [c for c in out if c.kind is not K.RECRUITMENT]
        # "acquisition of X by Y" also matches "buy"-less frames: keep one merger per cue
        return out

    return (frames,)
