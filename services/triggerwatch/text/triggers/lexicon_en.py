"""English trigger phrases (company releases), with hedges and role markers."""

from __future__ import annotations

import re

from triggerwatch.core.contracts import EventKind as K
from triggerwatch.text.triggers.cues import cue
from triggerwatch.text.triggers.frames import Hedges
from triggerwatch.text.triggers.gazetteer import words
from triggerwatch.text.triggers.phrases import Lexicon, alt, frame, near

_NUMBER = r"(?:\d[\d.,]*|one|two|three|four|five|six|seven|eight|nine|ten|twenty|fifty|hundred)"
MONEY = (
    rf"(?:[€$£]\s?\d[\d.,]*\s?(?:million|m|bn|billion|k)?|(?:eur|"
    rf"usd|sek|gbp)\s?{_NUMBER}\s?(?:million|m|bn|billion)?"
    rf"|{_NUMBER}\s?(?:million|m|bn|billion|mn)\s?(?:euros?|eur|dollars?|usd|sek|€|\$))"
)
_SITES = (
    r"(?:office|factory|plant|facility|site|data cent(?:er|re)|hub|subsidiary|branch|store|warehouse|"
    r"production line|r&d cent(?:er|re)|development cent(?:er|re)|service cent(?:er|re)|mill)s?"
)
_STAFF = r"(?:jobs|positions|employees|people|staff|roles)"

EN = Lexicon(
    hedges=Hedges(
        negations=words(
            "not no never n't neither nor cannot won't doesn't didn't isn't aren't wasn't don't denies"
            " unable failed"
        ),
        hedge=cue(
            "consider",
            None,
            r"(?:consider|plans?$|planning|planned|may$|might$|could$|would$|should$|rumou?r|reportedly|"
            r"speculat|potential|possibl|if$|whether|talks$|explor|evaluat|seek|seeks|seeking|propos|intend|"
            r"mull|weigh|denied|cancel|withdr[ae]w|postpone|suspend|halt)",
        ),
        rumour=cue("rumour", None, r"(?:rumou?r|reportedly|speculat|unnamed|anonymous)"),
        past_time=cue(
            "previously",
            None,
            r"(?:previously|formerly|earlier|ago$|newly|recently|last$)",
        ),
        statistics=cue("statistics", None, r"(?:statistic|survey|average|barometer|index$)"),
        year_words=frozenset({"in", "during"}),
    ),
    openers=words("that which who whom whose where when if because although while whereas and but"),
    speech=words("says said comments commented adds added notes noted explains explained"),
    anaphors=frozenset({"company", "group", "it"}),
    frames=(
        frame(
            K.MERGER,
            "passive_by",
            "passive_by",
            r"(?:is|was|has been|have been|will be|to be|being) (?:acquired|bought|taken over|purchased)",
            r"acquisition of",
            r"takeover of",
            r"purchase of",
        ),
        frame(
            K.MERGER,
            "buy",
            "agent_object",
            r"acquires?|acquired|acquiring|to acquire|buys|bought|to buy|purchases|purchased|to purchase",
            r"takes? over|took over|to take over",
            r"complete[sd]? (?:the |its )?acquisition of|agree[sd]? to (?:buy|acquire)",
            r"signed an agreement to acquire",
        ),
        frame(
            K.MERGER,
            "sell",
            "sell",
            r"sells?|sold|to sell|divests?|divested|agree[sd]? to sell|complete[sd]? the sale of",
        ),
        frame(
            K.MERGER,
            "merge",
            "merge",
            r"merges?|merged|to merge|merger (?:of|between|with)|combine (?:their|its) businesses",
        ),
        frame(
            K.MERGER,
            "tender_offer",
            "tender_offer",
            r"(?:public |voluntary |recommended |cash )*tender offer for",
            r"takeover (?:bid|offer) for",
        ),
        frame(
            K.BANKRUPTCY,
            "bankruptcy",
            "subject",
            r"files? for bankruptcy|filed for bankruptcy|declared bankrupt|goes? bankrupt|went bankrupt",
            r"bankruptcy (?:proceedings|filing|petition|protection)|insolvency proceedings|is insolvent",
            r"receivership|into administration|enters? administration|chapter 11|into liquidation",
            r"(?:corporate )?restructuring proceedings",
        ),
        frame(
            K.FUNDING,
            "raise",
            "subject",
            near(
                r"(?:raises?|raised|secures?|secured|closes?|closed|"
                r"lands?|landed|receives?|received|gets?|got)",
                rf"(?:funding|financing|investment|round|seed|series [a-e]\b|{MONEY})",
                60,
            ),
        ),
        frame(
            K.FUNDING,
            "round",
            "subject",
            r"funding round|financing round|seed round|series [a-e] (?:round|funding|financing)",
            r"initial public offering|ipo|share issue|rights issue|directed issue",
            r"listing on (?:nasdaq|the)|to list its shares",
        ),
        frame(K.FUNDING, "invest_in", "invest_in", near(r"(?:invests?|invested|investment)", r"\bin\b")),
        frame(
            K.RECRUITMENT,
            "hire",
            "subject",
            near(
                r"(?:hires?|hired|to hire|recruits?|recruited|recruiting|to recruit|will employ)",
                rf"(?:{_NUMBER}|dozens|hundreds|new|more|additional)",
            ),
            r"(?:is|are|we're|we are) hiring",
            r"(?:double|triple|grow|expand)s? (?:its|their|the) (?:\w+ ){0,2}"
            r"(?:team|staff|workforce|headcount)",
            rf"{_NUMBER} new (?:jobs|employees|positions|roles|hires)",
            rf"create (?:up to |some |about |over )?{_NUMBER} (?:new )?jobs",
            r"job openings",
        ),
        frame(
            K.RECRUITMENT,
            "seek",
            "subject",
            near(
                r"(?:we are looking for|we're looking for|is looking for|are looking for|seeks?|seeking)",
                r"(?:developers?|engineers?|programmers?|coders?|technicians?|analysts?|architects?|testers?|"
                r"employees|professionals|"
                r"experts?|sales ?(?:people|persons|managers?)"
                r"|consultants?|designers?|specialists?)",
            ),
        ),
        frame(
            K.DECISION_MAKER_CHANGE,
            "appoint",
            "appoint",
            r"appoints?|appointed|names?|named|has named|elects?|elected|promotes?|promoted|hires?|hired",
            r"welcomes?|joins?|joined|will join|to join",
            r"starts? as|will start as|takes? over as|took over as|assumes? the (?:role|position) of",
            r"new (?:ceo|cfo|cto|cio|chief|managing director|president|chair\w*|head)",
        ),
        frame(
            K.DECISION_MAKER_CHANGE,
            "succeed",
            "succeed",
            r"to succeed|succeeds|succeeded|replaces|replaced|will replace|to replace|takes over from",
        ),
        frame(
            K.DECISION_MAKER_CHANGE,
            "from",
            "from",
            r"comes? from|came from|joins? (?:\w+ )?from|joined (?:\w+ )?from",
            r"previously (?:served|worked) at",
        ),
        frame(
            K.DECISION_MAKER_CHANGE,
            "leave",
            "leave",
            r"steps? down|stepped down|stepping down|to step down|resigns?|resigned|resignation",
            r"leaves?|to leave|left|departs?|departure|retires?|retired|retirement|to retire",
            r"fired|dismissed|ousted|is replaced|was replaced",
        ),
        frame(
            K.EXPANSION,
            "open_site",
            "subject",
            near(
                r"(?:opens?|opened|opening|to open|establish(?:es|ed)?|to establish|builds?|built|to build"
                r"|sets? up|set up|starts?|started)",
                rf"(?:new |another |second |third )?{_SITES}\b",
            ),
        ),
        frame(
            K.EXPANSION,
            "expand",
            "subject",
            near(
                r"(?:expands?|expanded|expanding|to expand)",
                r"(?:into|to|its|production|capacity|operations|presence|market|business)\b",
            ),
            r"expansion (?:of|into|to) (?:its|the|\w+ market)",
            r"increases? (?:its |the )?(?:production )?capacity|capacity (?:increase|expansion)",
        ),
        frame(
            K.EXPANSION,
            "invest",
            "subject",
            near(r"(?:invests?|invested|to invest|investment of)", MONEY, 30),
        ),
        frame(
            K.EXPANSION, "enter_market", "subject", r"(?:enters?|entered|to enter) the [\w -]{0,25}markets?"
        ),
        frame(
            K.LAYOFFS,
            "talks",
            "subject",
            r"change negotiations|co-?operation negotiations|codetermination negotiations",
            r"employee negotiations|statutory negotiations|employer-employee (?:consultation|negotiation)s?",
        ),
        frame(
            K.LAYOFFS,
            "lay_off",
            "subject",
            r"lay(?:s|ing)? off|laid off|layoffs?|lay-offs?|redundanc(?:y|ies)|job cuts|temporary lay-?offs",
            rf"cut(?:s|ting)? (?:up to |about |some |around )?{_NUMBER} {_STAFF}",
            r"reduce (?:its |the )?(?:workforce|headcount|staff|personnel)",
            rf"reduction of (?:up to |about )?{_NUMBER} {_STAFF}",
        ),
        frame(
            K.LAYOFFS,
            "close_site",
            "subject",
            near(
                r"(?:closes?|closed|to close|shut(?:s|ting)? down|closure of)",
                r"(?:factory|plant|office|site|mill|unit)",
                30,
            ),
        ),
        frame(
            K.PROCUREMENT_OPEN,
            "tender",
            "buyer",
            r"call for (?:tenders?|bids)|invitation to tender|invit(?:es?|ed|ing) (?:tenders|bids|offers)|"
            r"request for (?:proposals?|tenders?|quotations?)",
            r"issued? a tender|tender notice|launch(?:es|ed)? an? (?:public |open )?(?:tender|procurement)|"
            r"is tendering",
            r"opens? (?:a |the )?tender|opened (?:a |the )?tender|public procurement (?:for|of)",
        ),
    ),
    to=frozenset({"to"}),
    by=frozenset({"by"}),
    source=frozenset({"from"}),
    into=frozenset({"in", "into"}),
    at=frozenset({"at", "in", "of", "for"}),
    business=re.compile(
        alt(
            r"business(?:es)?|unit|division|stake|subsidiary|"
            r"operations|majority|all (?:the )?(?:outstanding )?shares",
            r"(?<!the )company|firm|maker|provider|supplier|developer|"
            r"start-?up|manufacturer|operator|consultancy|agency",
        ),
        re.IGNORECASE,
    ),
    routine=re.compile(
        alt(
            r"of the year",
            r"awards?",
            r"prize",
            r"honou?red",
            r"annual general meeting",
            r"agm",
            r"re-?elect\w*",
        ),
        re.IGNORECASE,
    ),
)
