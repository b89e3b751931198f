"""FROZEN BASELINE — the trigger classifier as it was before issue 16, kept ONLY as the baseline of
``make eval`` (bench/eval_triggers.py). Do not fix or tune it: its figures are the "before" column.
The product uses :mod:`triggerwatch.text.triggers` (and :func:`triggerwatch.text.classify.classify`).

Original docstring:

Rules over lemmas: Finnish words are lemmatised with Voikko when it is installed (``nimitettiin`` →
``nimittää``), and every pattern also matches the word's stem prefix in the raw text so that the
classifier degrades to stem matching without Voikko. Swedish and English use lowercase stems.

One sentence is the evidence: the first sentence (title first) with the strongest rule hit. Only
unambiguous signals classify — an appointment needs an appointment verb and a role, an expansion
investment needs an amount — otherwise the item stays ``news`` (``classify`` returns None).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from triggerwatch.core.contracts import EventKind
from triggerwatch.text import finnish

AttrValue = str | int | float


@dataclass(frozen=True)
class Classification:
    kind: EventKind
    attributes: dict[str, AttrValue] = field(default_factory=dict)
    evidence_sentence: str = ""
    confidence: float = 0.0


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(?:" + "|".join(patterns) + ")", re.IGNORECASE)


# --- roles (checked in order: the most specific first) ------------------------------------------
ROLES: dict[str, list[tuple[str, re.Pattern[str]]]] = {
    "fi": [
        ("board_chair", _rx(r"hallitu\w* puheenjohtaj")),
        ("board_member", _rx(r"hallitu\w* jäsen", r"hallitukseen")),
        ("cfo", _rx(r"talousjohtaj", r"finanssijohtaj")),
        ("cto", _rx(r"teknologiajohtaj", r"teknolog\w* johtaj")),
        ("cio", _rx(r"tietohallintojohtaj")),
        ("sales_director", _rx(r"myyntijohtaj")),
        ("marketing_director", _rx(r"markkinointijohtaj")),
        ("hr_director", _rx(r"henkilöstöjohtaj")),
        ("managing_director", _rx(r"toimitusjohtaj")),
        ("ceo", _rx(r"pääjohtaj", r"konsernijohtaj")),
        ("auditor", _rx(r"tilintarkastaj")),
        ("signatory", _rx(r"prokuri", r"nimenkirjoit")),
        ("other", _rx(r"\w*johtaj")),
    ],
    "sv": [
        ("board_chair", _rx(r"styrelseordförande", r"ordförande för styrelsen")),
        ("board_member", _rx(r"styrelseledamot", r"styrelsemedlem", r"ledamot i styrelsen")),
        ("cfo", _rx(r"ekonomidirektör", r"finansdirektör", r"finanschef", r"cfo")),
        ("cto", _rx(r"teknikdirektör", r"teknisk direktör", r"cto")),
        ("cio", _rx(r"it-direktör", r"it-chef", r"cio")),
        ("sales_director", _rx(r"försäljningsdirektör", r"försäljningschef")),
        ("marketing_director", _rx(r"marknadsdirektör", r"marknadschef")),
        ("hr_director", _rx(r"hr-direktör", r"personaldirektör", r"hr-chef")),
        ("ceo", _rx(r"verkställande direktör", r"vd", r"koncernchef")),
        ("auditor", _rx(r"revisor")),
        ("other", _rx(r"\w*direktör", r"\w*chef")),
    ],
    "en": [
        ("board_chair", _rx(r"chair(?:man|woman|person)? of the board", r"board chair")),
        ("board_member", _rx(r"board member", r"member of the board", r"to the board")),
        ("cfo", _rx(r"chief financial officer", r"cfo")),
        ("cto", _rx(r"chief technology officer", r"cto")),
        ("cio", _rx(r"chief information officer", r"cio")),
        (
            "sales_director",
            _rx(r"sales director", r"director of sales", r"head of sales", r"chief sales officer"),
        ),
        ("marketing_director", _rx(r"marketing director", r"chief marketing officer", r"cmo")),
        ("hr_director", _rx(r"hr director", r"chief people officer", r"chief human resources officer")),
        ("ceo", _rx(r"chief executive officer", r"ceo", r"president and ceo")),
        ("managing_director", _rx(r"managing director")),
        ("auditor", _rx(r"auditor")),
        ("other", _rx(r"director", r"head of", r"chief \w+ officer")),
    ],
}

# appointment verbs / nouns
APPOINT = {
    "fi": _rx(
        r"nimit",
        r"nimeä",
        r"valit\w*",
        r"valinn",
        r"aloittaa",
        r"aloitti",
        r"siirty",
        r"uude\w* \w*johtaj",
        r"uusi \w*johtaj",
    ),
    "sv": _rx(
        r"utnämn",
        r"utses",
        r"utsetts",
        r"utsedd",
        r"tillträder",
        r"ny vd",
        r"rekryter\w* \w+ som",
        r"blir ny",
    ),
    "en": _rx(
        r"appoint", r"named", r"names", r"joins as", r"promoted", r"to succeed", r"new ceo", r"new chief"
    ),
}
NEGATION = {
    "fi": _rx(r"ei", r"eikä", r"ole lähdössä", r"eroaa", r"jättää", r"jättävänsä"),
    "sv": _rx(r"inte", r"lämnar"),
    "en": _rx(r"not", r"steps down", r"resigns", r"leaves"),
}

KIND_PATTERNS: dict[str, list[tuple[EventKind, float, re.Pattern[str]]]] = {
    "fi": [
        (
            EventKind.LAYOFFS,
            0.9,
            _rx(
                r"muutosneuvottel",
                r"yt-neuvottel",
                r"yhteistoimintaneuvottel",
                r"irtisano",
                r"lomaut",
                r"vähentää \w*\s?\d+ \w*työpaik",
            ),
        ),
        (
            EventKind.FUNDING,
            0.85,
            _rx(
                r"rahoituskierro",
                r"pääomasijoitu",
                r"joukkorahoitu",
                r"ker\w+ \w*\s?\d[\d,.]* (?:milj|miljoonaa) euro\w* rahoitu",
                r"sai \w*\s?\d[\d,.]* (?:milj\w*) euro\w* rahoitu",
                r"rahoitu\w* \d",
            ),
        ),
        (
            EventKind.PROCUREMENT_OPEN,
            0.85,
            _rx(r"tarjouspyyn", r"kilpailutt", r"kilpailutu", r"hankintailmoitu"),
        ),
        (
            EventKind.RECRUITMENT,
            0.85,
            _rx(
                r"rekrytoi",
                r"palkkaa",
                r"palkkaamassa",
                r"palkata",
                r"hakee \w*\s?(?:työntekij|osaaj|asiantuntij|myyj|kehittäj|insinöör)",
                r"etsii \w*\s?(?:työntekij|osaaj|asiantuntij)",
                r"\d+ uutta työpaikka",
                r"avoi\w* työpaik",
                r"uusia työntekijöitä",
            ),
        ),
        (
            EventKind.EXPANSION,
            0.8,
            _rx(
                r"laajent",
                r"laajennu",
                r"uude\w* tehta",
                r"uusi tehdas",
                r"avaa uude\w*",
                r"investoi\w* \w*\s?\d[\d,.]* (?:milj|miljoonaa|miljardi)",
                r"\d[\d,.]* (?:milj\w*|miljardi\w*) euro\w* investoin",
            ),
        ),
    ],
    "sv": [
        (
            EventKind.LAYOFFS,
            0.9,
            _rx(
                r"samarbetsförhandling",
                r"omställningsförhandling",
                r"varsla",
                r"säger upp",
                r"permitter",
                r"uppsägning",
            ),
        ),
        (
            EventKind.FUNDING,
            0.85,
            _rx(r"finansieringsrund", r"riskkapital", r"tar in \d", r"reser \d", r"kapitalanskaffning"),
        ),
        (EventKind.PROCUREMENT_OPEN, 0.85, _rx(r"upphandl", r"anbudsförfrågan")),
        (
            EventKind.RECRUITMENT,
            0.85,
            _rx(
                r"rekryterar",
                r"anställer",
                r"söker \w*\s?(?:medarbetare|säljare|utvecklare|ingenjör)",
                r"\d+ nya jobb",
                r"lediga tjänster",
            ),
        ),
        (
            EventKind.EXPANSION,
            0.8,
            _rx(
                r"utvidgar",
                r"expander",
                r"ny fabrik",
                r"öppnar \w*\s?(?:ny|nytt|kontor|fabrik)",
                r"investerar \d",
            ),
        ),
    ],
    "en": [
        (
            EventKind.LAYOFFS,
            0.9,
            _rx(
                r"layoffs?",
                r"lay off",
                r"laid off",
                r"redundanc",
                r"job cuts",
                r"cut \d+ jobs",
                r"change negotiations",
            ),
        ),
        (
            EventKind.FUNDING,
            0.85,
            _rx(
                r"funding round",
                r"raises? [$€£]?\d",
                r"raised [$€£]?\d",
                r"series [abc] ",
                r"seed round",
                r"venture capital",
            ),
        ),
        (
            EventKind.PROCUREMENT_OPEN,
            0.85,
            _rx(r"call for tenders?", r"invitation to tender", r"request for proposals?", r"tender notice"),
        ),
        (
            EventKind.RECRUITMENT,
            0.85,
            _rx(r"is hiring", r"hiring", r"hires? \d+", r"to hire", r"recruit", r"job openings", r"new jobs"),
        ),
        (
            EventKind.EXPANSION,
            0.8,
            _rx(
                r"expands",
                r"expansion",
                r"new (?:factory|plant|office|site)",
                r"opens a new",
                r"invests? [$€£]?\d",
            ),
        ),
    ],
}

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9\"'])|\n+")
_PERSON = re.compile(
    r"\b([A-ZÅÄÖ][a-zåäöéü]+(?:-[A-ZÅÄÖ][a-zåäöéü]+)?) ([A-ZÅÄÖ][a-zåäöéü]+(?:-[A-ZÅÄÖ][a-zåäöéü]+)?)\b"
)
_OPENINGS = re.compile(
    r"(\d+) (?:uutta |uuden |new |nya )?"
    r"(?:työntekij|työpaik|henkilö|osaaj|employees|people|jobs|medarbetare|nya jobb)",
    re.IGNORECASE,
)

_SV_WORDS = frozenset(
    {"och", "är", "att", "som", "för", "med", "har", "till", "av", "på", "en", "ett", "det", "ny"}
)
_EN_WORDS = frozenset({"the", "and", "is", "of", "to", "has", "as", "for", "with", "new", "a", "its"})
_FI_WORDS = frozenset({"ja", "on", "että", "ei", "hän", "yhtiö", "uusi", "oy", "oyj", "myös", "kun", "se"})


def detect_language(text: str) -> str:
    tokens = re.findall(r"\w+", text.casefold())
    scores = {
        "fi": sum(t in _FI_WORDS for t in tokens)
        + sum(t.endswith(("ssa", "ssä", "lle", "sta", "stä")) for t in tokens) * 0.5,
        "sv": sum(t in _SV_WORDS for t in tokens) + 0.1 * any(c in text for c in "å"),
        "en": sum(t in _EN_WORDS for t in tokens),
    }
    return max(scores, key=lambda k: scores[k]) if any(scores.values()) else "fi"


def _lemma_text(sentence: str, language: str) -> str:
    """The sentence with each Finnish word replaced by its Voikko lemma (the raw text without Voikko)."""
    if language != "fi" or not finnish.voikko_available():
        return sentence
    out = []
    for token in re.findall(r"[\w-]+|[^\w\s]", sentence):
        lemma = finnish.lemmas(token)[0] if token[0].isalpha() else token
        out.append(lemma)
    return " ".join(out)


def _person(sentence: str, role_start: int) -> str | None:
    """The 'Firstname Lastname' nearest to the role word (preferring one before it), or None."""
    best: tuple[int, str] | None = None
    names = {"etunimi", "sukunimi", "nimi"}
    for m in _PERSON.finditer(sentence):
        first, last = m.group(1), m.group(2)
        classes = {c for _, c in finnish.analyse(first.split("-")[0])}
        if classes and not classes & names:
            continue  # a common word written with a capital (sentence start)
        if finnish.voikko_available() and not (classes | {c for _, c in finnish.analyse(last)}) & names:
            continue  # Voikko knows neither word as a name: more likely a company or product
        distance = abs(m.start() - role_start) + (50 if m.start() > role_start else 0)
        if best is None or distance < best[0]:
            surnames = [b for b, c in finnish.analyse(last) if c == "sukunimi" and b]
            best = (distance, f"{first} {surnames[0] if surnames else last}")
    return best[1] if best else None


def _appointment(sentence: str, lemma: str, language: str) -> Classification | None:
    views = (sentence, lemma)
    verb = APPOINT[language].search(sentence)
    if verb is None and not APPOINT[language].search(lemma):
        return None
    anchor = verb.start() if verb else 0
    # the role nearest to the appointment verb (ties: the more specific role, listed first)
    matches = [
        (abs(m.start() - anchor), i, role, m)
        for i, (role, pattern) in enumerate(ROLES[language])
        for m in pattern.finditer(sentence)
    ]
    if not matches:
        lemma_roles = [
            (0, i, role, m) for i, (role, p) in enumerate(ROLES[language]) if (m := p.search(lemma))
        ]
        matches = lemma_roles[:1]
    for _, _, role, m in sorted(matches, key=lambda t: (t[0], t[1]))[:1]:
        if m:
            attributes: dict[str, AttrValue] = {"role": role}
            negated = any(NEGATION[language].search(v) for v in views)
            if negated:
                return None
            person = _person(sentence, m.start()) if m.string is sentence else None
            if person:
                attributes["person_name"] = person
            confidence = 0.9 if role != "other" else 0.75
            return Classification(EventKind.DECISION_MAKER_CHANGE, attributes, sentence, confidence)
    return None


def classify(title: str, body: str | None = None, language: str | None = None) -> Classification | None:
    """The trigger an item reports, or None when it is ordinary news."""
    text = title if not body else f"{title}\n{body}"
    lang = (language or detect_language(text)).split("-")[0].lower()
    if lang not in KIND_PATTERNS:
        lang = detect_language(text)
    sentences = [s.strip() for part in (title, body or "") for s in _SENTENCE.split(part) if s and s.strip()]
    best: Classification | None = None
    for sentence in sentences:
        lemma = _lemma_text(sentence, lang)
        found = _appointment(sentence, lemma, lang)
        if found is None:
            for kind, confidence, pattern in KIND_PATTERNS[lang]:
                if pattern.search(sentence) or pattern.search(lemma):
                    attributes: dict[str, AttrValue] = {}
                    if kind in (EventKind.RECRUITMENT, EventKind.LAYOFFS):
                        openings = _OPENINGS.search(sentence)
                        if openings:
                            attributes["openings" if kind is EventKind.RECRUITMENT else "affected"] = int(
                                openings.group(1)
                            )
                    found = Classification(kind, attributes, sentence, confidence)
                    break
        if found and (best is None or found.confidence > best.confidence):
            best = found
    if best is None:
        return None
    attributes = {
        **best.attributes,
        "evidence_sentence": best.evidence_sentence[:1000],
        "classifier_confidence": best.confidence,
    }
    return Classification(best.kind, attributes, best.evidence_sentence, best.confidence)
