"""Every trigger a news item reports, each with its companies and their roles.

:func:`find_triggers` reads the title and the body sentence by sentence and clause by clause,
lets each language's rules propose candidates (a kind, a rule, the companies with roles, the cue),
drops the blocked ones (negated, hypothetical, rumoured, past background, statistics, quotes
without a company), resolves "yhtiö"/"se"/"the company" to the company the article is about (the
first company of the title, else the most named one of the lead), and keeps per kind the candidate
with the highest calibrated confidence (:mod:`.calibration`) at or above the threshold. A trigger
found only deep in the body, about a company the title and lead do not name, is a mention in passing
and stays out.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from triggerwatch.core.contracts import EventKind
from triggerwatch.text.linker import CompanyLinker, LinkResult
from triggerwatch.text.normalise import normalise_name
from triggerwatch.text.triggers import calibration, genres
from triggerwatch.text.triggers.frames import Arg, AttrValue, Candidate, ClauseView, Hedges, blocked
from triggerwatch.text.triggers.gazetteer import is_public_buyer
from triggerwatch.text.triggers.language import language_of
from triggerwatch.text.triggers.names import Span, find_spans, name_support
from triggerwatch.text.triggers.tokens import Sentence, split_clauses, split_sentences, tokenise

DEFAULT_THRESHOLD = 0.5
LEAD_SENTENCES = 2
#: kinds in a fixed order (ties, output order)
KIND_ORDER = (
    EventKind.MERGER,
    EventKind.BANKRUPTCY,
    EventKind.LAYOFFS,
    EventKind.DECISION_MAKER_CHANGE,
    EventKind.FUNDING,
    EventKind.EXPANSION,
    EventKind.RECRUITMENT,
    EventKind.PROCUREMENT_OPEN,
)


@dataclass(frozen=True)
class Subject:
    """A company a trigger is about, with its role (acquirer, target, seller, appointed, leaving, ...)."""

    name: str
    role: str
    company_id: str | None = None  # the linker's id (a business ID for the company table)
    surface: str = ""
    start: int = -1  # offsets into ``title + "\n\n" + body``; -1 when not in the text
    end: int = -1
    confidence: float = 0.5  # the linker's confidence, or 0.5 for a capitalised-name span

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "role": self.role,
            "company_id": self.company_id,
            "surface": self.surface,
            "start": self.start,
            "end": self.end,
            "link_confidence": self.confidence,
        }


@dataclass(frozen=True)
class Trigger:
    kind: EventKind
    subjects: tuple[Subject, ...]
    attributes: dict[str, AttrValue] = field(default_factory=dict)
    evidence_sentence: str = ""
    confidence: float = 0.0
    rule: str = ""
    position: str = "title"  # where the evidence is: title, lead or body


@dataclass(frozen=True)
class LanguageRules:
    rules: Sequence[Callable[[ClauseView], list[Candidate]]]
    hedges: Hedges
    openers: frozenset[str]
    speech: frozenset[str]
    anaphors: frozenset[str]


_RULES: dict[str, LanguageRules] = {}


def _rules(language: str) -> LanguageRules:
    if not _RULES:
        from triggerwatch.text.triggers import (
            en_sv,
            fi_deals,
            fi_operations,
            fi_people,
            fi_recruitment,
            fi_succession,
        )
        from triggerwatch.text.triggers import lexicon_fi as L

        _RULES["fi"] = LanguageRules(
            (
                *fi_deals.RULES,
                *fi_operations.RULES,
                *fi_people.RULES,
                *fi_recruitment.RULES,
                *fi_succession.RULES,
            ),
            Hedges(
                L.NEGATIONS, L.HEDGE, L.RUMOUR, L.PAST_TIME, L.STATISTICS, frozenset({"vuonna", "vuoden"})
            ),
            L.OPENERS,
            L.SPEECH,
            L.ANAPHORS,
        )
        for lang in ("en", "sv"):
            lex = en_sv.LEXICONS[lang]
            _RULES[lang] = LanguageRules(
                en_sv.rules_for(lang), lex.hedges, lex.openers, lex.speech, lex.anaphors
            )
    return _RULES[language]


def _sentences(
    title: str, body: str | None, language: str, linked: LinkResult | None, rules: LanguageRules
) -> list[tuple[Sentence, list[Span]]]:
    text = title if not body else f"{title}\n\n{body}"
    out: list[tuple[Sentence, list[Span]]] = []
    support = _capitalised_mid_sentence(text)
    n_body = 0
    for start, end in split_sentences(text):
        if start < len(title):
            position = "title"
        else:
            position = "lead" if n_body < LEAD_SENTENCES else "body"
            n_body += 1
        tokens = tokenise(text[start:end], start, language)
        sentence = Sentence(text[start:end], start, end, tokens, position=position, index=len(out))
        sentence.clauses = split_clauses(tokens, rules.openers, rules.speech, headline=position == "title")
        spans = find_spans(tokens, language, linked, rules.anaphors, position == "title", support)
        out.append((sentence, spans))
    return _people_by_surname(out)


def _people_by_surname(
    sentences: list[tuple[Sentence, list[Span]]],
) -> list[tuple[Sentence, list[Span]]]:
    """A one-word "company" that is the surname of a person the article names ("Korhonen
    aloittaa") is that person."""
    surnames = {s.name.split()[-1].casefold() for _, spans in sentences for s in spans if s.kind == "person"}
    if not surnames:
        return sentences
    out = []
    for sentence, spans in sentences:
        fixed = [
            replace(s, kind="person")
            if s.kind == "company" and not s.linked and s.name.casefold() in surnames
            else s
            for s in spans
        ]
        out.append((sentence, fixed))
    return out


_MID_CAPITAL = re.compile(r"(?<=[\w,)] )([A-ZÅÄÖ][\w&-]+)")


def _capitalised_mid_sentence(text: str) -> frozenset[str]:
    """Words written capitalised after another word (not at a sentence start): names."""
    return frozenset(name_support(m.group(1).casefold()) for m in _MID_CAPITAL.finditer(text))


def _main_company(sentences: list[tuple[Sentence, list[Span]]]) -> Span | None:
    for sentence, spans in sentences:
        if sentence.position == "title":
            named = [s for s in spans if s.kind == "company"]
            if named:
                return named[0]
    counts: Counter[str] = Counter()
    first: dict[str, Span] = {}
    for sentence, spans in sentences:
        if sentence.position == "lead":
            for s in spans:
                if s.kind == "company":
                    counts[s.key] += 1
                    first.setdefault(s.key, s)
    if counts:
        return first[counts.most_common(1)[0][0]]
    return None


def _resolve(candidate: Candidate, main: Span | None) -> list[Arg]:
    """The candidate's companies with anaphors replaced by the article's company (dropped if none)."""
    args: list[Arg] = []
    for a in candidate.args:
        span = a.span
        if span.kind == "anaphor":
            if main is None:
                continue
            span = main
        if any(x.span.key == span.key and x.role == a.role for x in args):
            continue
        args.append(Arg(span, a.role))
    return args


def find_triggers(
    title: str,
    body: str | None = None,
    language: str | None = None,
    *,
    linker: CompanyLinker | None = None,
    published_year: int | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    explain: list[Candidate] | None = None,
) -> list[Trigger]:
    """The triggers an item reports (an empty list for ordinary news), strongest first.

    ``linker``: companies are linked to the registry (their ``company_id``) when given; otherwise
    capitalised-name spans stand for them. ``published_year`` lets a year in a clause ("vuonna 2014")
    count as the present. ``explain`` receives every candidate with its block reason (debugging).
    """
    text = title if not body else f"{title}\n\n{body}"
    lang = language_of(text, language)
    rules = _rules(lang)
    linked = linker.analyse(text) if linker is not None and len(linker) else None
    sentences = _sentences(title, body, lang, linked, rules)
    main = _main_company(sentences)
    pool: dict[EventKind, list[list[Arg]]] = {}
    best = _best_candidates(title, sentences, lang, rules, main, published_year, explain, pool)
    triggers = []
    for kind in KIND_ORDER:
        if kind not in best:
            continue
        conf, cand, args = best[kind]
        if conf < threshold:
            continue
        subjects = tuple(_subject(a) for a in _completed(kind, args, pool.get(kind, [])))
        attributes = dict(cand.attributes)
        if kind is EventKind.MERGER and subjects:
            # not "role": consumers read attributes.role as a decision-maker position
            attributes["deal_role"] = subjects[0].role
            others = [s.name for s in subjects[1:] if s.name != subjects[0].name]
            if others:
                attributes["counterparty"] = others[0]
        triggers.append(
            Trigger(kind, subjects, attributes, cand.sentence.text, conf, cand.rule, cand.sentence.position)
        )
    triggers += _genre_triggers(title, body or "", {t.kind for t in triggers}, main, threshold)
    triggers.sort(key=lambda t: (-t.confidence, KIND_ORDER.index(t.kind)))
    return triggers


def _best_candidates(
    title: str,
    sentences: list[tuple[Sentence, list[Span]]],
    lang: str,
    rules: LanguageRules,
    main: Span | None,
    published_year: int | None,
    explain: list[Candidate] | None,
    pool: dict[EventKind, list[list[Arg]]],
) -> dict[EventKind, tuple[float, Candidate, list[Arg]]]:
    """Per kind, the unblocked candidate with the highest calibrated confidence; ``pool`` receives
    the companies of every unblocked candidate (and of the supporting ones), per kind."""
    headline_keys = {
        s.key
        for sentence, spans in sentences
        if sentence.position in ("title", "lead")
        for s in spans
        if s.kind == "company"
    }
    best: dict[EventKind, tuple[float, Candidate, list[Arg]]] = {}
    for sentence, spans in sentences:
        views = [ClauseView(sentence, clause, spans, lang) for clause in sentence.clauses]
        _carry_subjects(views)
        for view in views:
            for rule in rules.rules:
                for cand in rule(view):
                    args = _resolve(cand, main)
                    cand.blocked = _block(
                        title, cand, view, views, args, rules, published_year, headline_keys
                    )
                    if explain is not None:
                        explain.append(cand)
                    if cand.support:
                        # the other side of a change is told as history ("on toiminut X:n
                        # johtajana") about a company the headline does not name
                        if cand.blocked in (None, "background", "in passing"):
                            pool.setdefault(cand.kind, []).append(args)
                        continue
                    if cand.blocked is not None:
                        continue
                    pool.setdefault(cand.kind, []).append(args)
                    named = any(a.span.kind == "company" for a in cand.args)
                    conf = calibration.confidence(cand.rule, sentence.position, not named)
                    current = best.get(cand.kind)
                    if current is None or conf > current[0]:
                        best[cand.kind] = (conf, cand, args)
    return best


_NO_LAYOFFS = re.compile(
    r"\b(?:inga uppsägningar|inga permitteringar|ei irtisanomisia|ei lomautuksia|ilman irtisanomisia|"
    r"no (?:layoffs|redundancies|job cuts)|without (?:layoffs|redundancies))\b",
    re.IGNORECASE,
)


def _block(
    title: str,
    cand: Candidate,
    view: ClauseView,
    views: list[ClauseView],
    args: list[Arg],
    rules: LanguageRules,
    published_year: int | None,
    headline_keys: set[str],
) -> str | None:
    reason = blocked(view, cand.cue, rules.hedges, views, published_year)
    if reason is not None:
        return reason
    if cand.kind is EventKind.LAYOFFS and (
        _NO_LAYOFFS.search(view.sentence.text) or _NO_LAYOFFS.search(title)
    ):
        return "negated"  # "Omställningsförhandlingarna avslutade – inga uppsägningar"
    named = [a for a in cand.args if a.span.kind == "company"]
    if view.clause.quoted and not named:
        return "quote"
    if not args and not any(a.span.kind == "anaphor" and a.span.name for a in cand.args):
        return "no company"  # only "the company" of an article that names none
    if view.sentence.position == "body" and not any(a.span.key in headline_keys for a in args):
        return "in passing"
    if cand.kind is EventKind.PROCUREMENT_OPEN and not any(is_public_buyer(a.span.name) for a in args):
        return "private buyer"  # a company choosing a supplier: no public call for tenders
    return None


#: kinds whose trigger gathers the roles its other candidates found in the article: both sides of
#: a deal ("CapMan ostaa enemmistön" + "kaupan kohde on Lahden Ovitehdas"), of a change of management
#: (appointed at one company, leaving another; the predecessor leaving)
_GATHER = {
    EventKind.MERGER: frozenset({"acquirer", "target", "seller"}),
    EventKind.DECISION_MAKER_CHANGE: frozenset({"appointed", "leaving"}),
}


def _completed(kind: EventKind, args: list[Arg], pool: list[list[Arg]]) -> list[Arg]:
    """``args`` with the roles it lacks, from the kind's other candidates in text order: a deal's
    missing acquirer, target or seller (one each); a change's company joined (one) and every
    company left. A company is not repeated in a role (nor, in a deal, in two roles)."""
    roles = _GATHER.get(kind)
    if roles is None:
        return args
    out = list(args)
    for other in pool:
        for a in other:
            if a.role not in roles or a.span.kind != "company":
                continue
            same = [x for x in out if _same_name(x.span, a.span)]
            vague = [x for x in same if x.role == "subject"]
            if kind is EventKind.MERGER and vague and not any(x.role == a.role for x in out):
                out[out.index(vague[0])] = Arg(
                    vague[0].span, a.role
                )  # "X ja Y yhdistyvät" + "Y sulautuu X:ään"
                continue
            if any(x.role == a.role for x in same) or (kind is EventKind.MERGER and same):
                continue
            if a.role != "leaving" and any(x.role == a.role for x in out):
                continue  # one acquirer, target, seller or company joined
            out.append(a)
    return out


def _same_name(a: Span, b: Span) -> bool:
    """The same company written two ways: "Fennia IT Oy" / "Fennia IT", "Aktia" / "Aktias"."""
    if a.key == b.key:
        return True
    x, y = (normalise_name(s.name).replace(" ", "") for s in (a, b))
    short, long_ = sorted((x, y), key=len)
    return len(short) >= 3 and long_.startswith(short) and len(long_) - len(short) <= 3


def _genre_triggers(
    title: str, body: str, found: set[EventKind], main: Span | None, threshold: float
) -> list[Trigger]:
    """A job ad or a procurement notice that the clause rules did not already report."""
    out = []
    for hit in (genres.job_ad(title, body), genres.procurement_notice(title, body)):
        if hit is None or hit.kind in found:
            continue
        conf = calibration.confidence(hit.rule, "title", hit.company is None and main is None)
        if conf < threshold:
            continue
        name = hit.company or (main.name if main is not None else None)
        subjects = (Subject(name, hit.role),) if name else ()
        out.append(Trigger(hit.kind, subjects, {}, hit.evidence, conf, hit.rule, "title"))
    return out


_RELATIVE = frozenset({"joka", "jotka", "which", "who", "som", "vilket", "vilka"})


def _carry_subjects(views: list[ClauseView]) -> None:
    """Give each clause after the first the subject it may inherit (see ``ClauseView.carry``)."""
    for prev, view in itertools.pairwise(views):
        companies = [s for s in prev.spans if s.kind in ("company", "anaphor")]
        if not companies:
            view.carry = prev.carry
            continue
        if view.clause.opener in _RELATIVE:
            view.carry = companies[-1]
        else:
            nominative = [s for s in companies if "nom" in s.cases or not s.cases]
            view.carry = nominative[0] if nominative else prev.carry


def _subject(arg: Arg) -> Subject:
    s = arg.span
    return Subject(s.name, arg.role, s.company_id, s.surface, s.start, s.end, s.confidence)
