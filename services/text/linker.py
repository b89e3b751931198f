"""Company linking: find the companies a text mentions, with character offsets and a confidence.

Order of evidence (precision first — a wrong confident link is worse than none):

1. identifiers in the text: business ID (Y-tunnus), ISIN, LEI → the company that has it (1.0);
2. an Aho-Corasick automaton (pyahocorasick) over the normalised names and aliases (legal forms
   stripped), scanned over the casefolded text. A hit counts only at a word start, written with a
   capital (or digit), and when the rest of the token is a valid Finnish case ending
   (:func:`triggerwatch.text.finnish.is_case_ending`, or Voikko confirms the lemma);
   consonant-gradation and ``-nen`` stems are indexed as variants;
3. the longest match wins over names nested in it ("Kata Tala" over "Tala");
4. names shared by several companies: rapidfuzz compares the written name (with its legal form)
   against only those candidates (the shortlist) and picks one only with a clear margin;
5. names that are common words or first names (a fixed list plus Voikko's word classes: Kone,
   Neste, Elisa, Posti, ...) need a legal form next to them, the company's ID in the text or
   company/trigger context right next to them.

Whatever stays ambiguous is returned as :class:`Unlinked` (with the reason and the candidates) —
never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import ahocorasick  # type: ignore[import-untyped]
from rapidfuzz import fuzz
from stdnum import isin as stdnum_isin
from stdnum import lei as stdnum_lei

from triggerwatch.core.businessid import normalise_business_id
from triggerwatch.text import finnish
from triggerwatch.text.normalise import fold, is_legal_form, normalise_name

if TYPE_CHECKING:
    from triggerwatch.core.db import Database

#: company names that are also common words, first names or places: linked only with support
AMBIGUOUS_NAMES: frozenset[str] = frozenset(
    {
        "kone",
        "neste",
        "elisa",
        "posti",
        "tieto",
        "sampo",
        "fiskars",
        "orion",
        "kesko",
        "metso",
        "aktia",
        "alma",
        "lassila",
        "aina",
        "anna",
        "helmi",
        "kari",
        "matti",
        "pekka",
        "ilmarinen",
        "varma",
        "pohjola",
        "talo",
        "koti",
        "apu",
        "raksa",
        "nordic",
        "finland",
        "suomi",
        "here",
        "sun",
        "apple",
        "amazon",
        "target",
        "shell",
        "visa",
        "orange",
        "wind",
        "rakennus",
        "kuljetus",
        "palvelu",
        "huolto",
    }
)

#: words (prefixes, casefolded) that make a company reading of an ambiguous name plausible
CONTEXT_PREFIXES: tuple[str, ...] = (
    "yhtiö",
    "yritys",
    "yrityks",
    "konserni",
    "pörssi",
    "osake",
    "liikevaihto",
    "tulos",
    "toimitusjohtaj",
    "hallitu",
    "johtaj",
    "rekrytoi",
    "palkkaa",
    "palkkas",
    "nimitt",
    "nimite",
    "muutosneuvottel",
    "yt-",
    "irtisano",
    "lomaut",
    "investoi",
    "tilau",
    "kauppa",
    "company",
    "group",
    "ceo",
    "shares",
    "hires",
    "appoint",
    "bolag",
    "koncern",
    "vd",
    "anställ",
    "utnämn",
)

MIN_CONFIDENCE = 0.7

_BUSINESS_ID = re.compile(r"(?<![\w-])(\d{7}-\d)(?![\w-])")
_ISIN = re.compile(r"(?<![A-Z0-9])([A-Z]{2}[A-Z0-9]{9}\d)(?![A-Z0-9])")
_LEI = re.compile(r"(?<![A-Z0-9])([A-Z0-9]{18}\d{2})(?![A-Z0-9])")
# the rest of a token after a name: letters and digits, and ':' before more of them (UPM:n)
_TOKEN_REST = re.compile(r"(?:[^\W_]|:(?=[^\W_]))*")
_DIGIT = re.compile(r"\d")
_ID_PATTERNS = (("business_id", _BUSINESS_ID), ("isin", _ISIN), ("lei", _LEI))
# separators that may precede a name, mapped to a space (a name after any other non-word character
# is not found); the unicode ones: no-break space, en/em dash, quotes, guillemets, ellipsis, bullets
_SEPARATOR_TABLE = str.maketrans(
    {c: " " for c in "\t\n\r\x0b\x0c.,;:!?()[]{}\"'*+=<>|#%$@~^`\\"}
    | {
        chr(c): " "
        for c in (
            0xA0,
            0x2013,
            0x2014,
            0x201C,
            0x201D,
            0x201E,
            0x2018,
            0x2019,
            0xAB,
            0xBB,
            0x2026,
            0x2022,
            0xB7,
            0xA7,
            0xB0,
        )
    }
)
_WORD = re.compile(r"[\w&/:.\-]+")


@dataclass(frozen=True)
class Mention:
    """A linked company mention: ``text[start:end] == surface``."""

    start: int
    end: int
    surface: str
    company_id: str
    name: str
    confidence: float


@dataclass(frozen=True)
class Unlinked:
    """A name hit that was not linked, with why and which companies it could have been."""

    start: int
    end: int
    surface: str
    reason: str
    candidates: tuple[str, ...]


@dataclass
class LinkResult:
    mentions: list[Mention] = field(default_factory=list)
    unlinked: list[Unlinked] = field(default_factory=list)


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int  # end of the token (name + case ending)
    key: str  # the base key (not the gradation variant)
    inflected: bool
    voikko: bool
    weak: bool


def identifier_kind(value: str) -> str | None:
    """'business_id', 'isin' or 'lei' when ``value`` is a valid identifier of that kind."""
    v = value.strip()
    if normalise_business_id(v) == v:
        return "business_id"
    if len(v) == 12 and stdnum_isin.is_valid(v):
        return "isin"
    if len(v) == 20 and stdnum_lei.is_valid(v):
        return "lei"
    return None


def _lower_same_length(text: str) -> str:
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters grow when lowercased (İ): keep offsets exact
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return lowered


class CompanyLinker:
    """An index of company names and identifiers; :meth:`link` finds them in text."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}  # company id → display name (its first name)
        self._aliases: dict[str, list[str]] = {}  # company id → further names (only those with aliases)
        self._by_key: dict[str, str | tuple[str, ...]] = {}  # normalised key → company id(s)
        # while building: automaton key → base key (itself) or [(base key, weak grade)]
        self._variants: dict[str, list[tuple[str, bool]]] = {}
        self._ids: dict[str, str] = {}  # identifier → company id
        self._id_kinds: set[str] = set()
        self._automaton = ahocorasick.Automaton()
        self._built = False

    # --- building -------------------------------------------------------------------------------

    @classmethod
    def from_names(cls, rows: Iterable[tuple[str, str]]) -> CompanyLinker:
        """(company id, name) rows; rows sharing an id are aliases of one company."""
        linker = cls()
        for company_id, name in rows:
            linker.add(company_id, name)
        linker.build()
        return linker

    @classmethod
    def from_database(cls, db: Database) -> CompanyLinker:
        from sqlalchemy import select

        from triggerwatch.core.db import Company

        linker = cls()
        with db.session() as session:
            for company in session.scalars(select(Company)):
                linker.add(company.business_id, company.name)
                for alias in company.aliases or []:
                    if isinstance(alias, str):
                        linker.add(company.business_id, alias)
        linker.build()
        return linker

    def add(self, company_id: str, name: str) -> None:
        if self._built:
            raise RuntimeError("the index is built; create a new CompanyLinker to add names")
        company_id, name = company_id.strip(), name.strip()
        if not company_id or not name:
            return
        if company_id not in self._names and _has_digit(company_id):
            kind = identifier_kind(company_id)
            if kind is not None:
                self._ids[company_id] = company_id
                self._id_kinds.add(kind)
        if _has_digit(name):
            kind = identifier_kind(name)
            if kind is not None:
                self._ids[name] = company_id
                self._id_kinds.add(kind)
                return
        if company_id in self._names:
            self._aliases.setdefault(company_id, []).append(name)
        else:
            self._names[company_id] = name
        key = normalise_name(name)
        if not key:
            return
        known = self._by_key.get(key)
        if known is None:
            self._by_key[key] = company_id
        elif isinstance(known, str):
            if known != company_id:
                self._by_key[key] = (known, company_id)
        elif company_id not in known:
            self._by_key[key] = (*known, company_id)
        self._variants.setdefault(key, []).append((key, False))
        head, _, last = key.rpartition(" ")
        for variant in finnish.stem_variants(last):
            vkey = f"{head} {variant}" if head else variant
            self._variants.setdefault(vkey, []).append((key, True))

    def build(self) -> None:
        # keys start with a space: the scan reports only hits at a word start
        for vkey, payloads in self._variants.items():
            self._automaton.add_word(" " + vkey, (vkey, tuple(dict.fromkeys(payloads))))
        self._size = len(self._variants)
        self._variants = {}
        if self._size:
            self._automaton.make_automaton()
        self._built = True

    def __len__(self) -> int:
        return len(self._by_key)

    def names_of(self, company_id: str) -> list[str]:
        return [self._names.get(company_id, company_id), *self._aliases.get(company_id, [])]

    def name_of(self, company_id: str) -> str:
        return self._names.get(company_id, company_id)

    # --- linking --------------------------------------------------------------------------------

    def link(self, text: str) -> list[Mention]:
        """Confidently linked mentions, in text order."""
        return self.analyse(text).mentions

    def resolve(self, text: str) -> Mention | None:
        """The one company the text is about, or None when there is none or it is ambiguous."""
        mentions = self.link(text)
        if not mentions:
            return None
        best: dict[str, Mention] = {}
        for m in mentions:
            if m.company_id not in best or m.confidence > best[m.company_id].confidence:
                best[m.company_id] = m
        ranked = sorted(best.values(), key=lambda m: (-m.confidence, m.start))
        if len(ranked) > 1 and ranked[0].confidence - ranked[1].confidence < 0.1:
            return None
        return ranked[0]

    def analyse(self, text: str) -> LinkResult:
        text = unicodedata.normalize("NFC", text)
        result = LinkResult()
        id_companies = self._find_identifiers(text, result)
        if self._built and self._size:
            lowered = _lower_same_length(text)
            hits = self._scan(text, lowered)
            for hit in self._longest(hits):
                self._decide(text, lowered, hit, id_companies, result)
        result.mentions.sort(key=lambda m: (m.start, m.end))
        return result

    def _find_identifiers(self, text: str, result: LinkResult) -> set[str]:
        found: set[str] = set()
        patterns = [p for kind, p in _ID_PATTERNS if kind in self._id_kinds]
        for pattern in patterns:
            for m in pattern.finditer(text):
                value = m.group(1)
                company_id = self._ids.get(value)
                if company_id is None or identifier_kind(value) is None:
                    continue
                found.add(company_id)
                result.mentions.append(
                    Mention(m.start(1), m.end(1), value, company_id, self.name_of(company_id), 1.0)
                )
        return found

    def _scan(self, text: str, lowered: str) -> list[_Hit]:
        hits: list[_Hit] = []
        # one leading space and every separator as a space: the automaton's keys (" nokia") then
        # match only at word starts; offsets into `spaced` are offsets into `text` plus one
        spaced = " " + lowered.translate(_SEPARATOR_TABLE)
        for last_index, (vkey, payloads) in self._automaton.iter(spaced):
            last_index -= 1
            start = last_index - len(vkey) + 1
            first = text[start]
            if not (first.isupper() or first.isdigit()):
                continue  # proper names are written with a capital
            j = _TOKEN_REST.match(text, last_index + 1).end()  # type: ignore[union-attr]
            rest = lowered[last_index + 1 : j]
            last_word = vkey.rpartition(" ")[2]
            for base, weak in payloads:
                ok = finnish.is_case_ending(last_word, rest, weak_grade=weak)
                confirmed = False
                if (
                    not ok and rest and len(rest) <= 6 and not rest.startswith(":")
                ):  # Voikko decides what the rules do not
                    token_start = start + len(vkey) - len(last_word)
                    confirmed = finnish.lemma_matches(text[token_start:j], base.rpartition(" ")[2])
                if ok or confirmed:
                    hits.append(_Hit(start, j, base, bool(rest), confirmed, weak))
        return hits

    @staticmethod
    def _longest(hits: list[_Hit]) -> list[_Hit]:
        chosen: list[_Hit] = []
        taken: list[tuple[int, int]] = []
        for hit in sorted(hits, key=lambda h: (-(h.end - h.start), h.start, h.weak)):
            if any(hit.start < e and s < hit.end for s, e in taken):
                continue
            chosen.append(hit)
            taken.append((hit.start, hit.end))
        return chosen

    def _decide(self, text: str, lowered: str, hit: _Hit, id_companies: set[str], result: LinkResult) -> None:
        end = hit.end
        after = _WORD.match(text, _skip_spaces(text, end))
        legal = bool(after and _is_legal_token(after.group(0)))
        if after and legal:
            end = after.start() + len(after.group(0).rstrip(".,"))
        surface = text[hit.start : end]
        known = self._by_key[hit.key]
        candidates = [known] if isinstance(known, str) else list(known)
        if (
            after
            and not legal
            and not hit.inflected
            and after.start() in (hit.end, hit.end + 1)
            and (after.start() == hit.end + 1 or text[hit.end] == "-")
            and after.group(0).lstrip("-")[:1].isupper()
        ):
            # "Hans Vestberg", "Mozilla Blogin": Finnish inflects the last word of a name, so an
            # uninflected hit followed by a capitalised word is the start of a longer proper name
            result.unlinked.append(
                Unlinked(
                    hit.start,
                    after.end(),
                    text[hit.start : after.end()],
                    "part of a longer name",
                    tuple(candidates),
                )
            )
            return

        company_id: str | None
        if len(candidates) == 1:
            company_id = candidates[0]
        else:
            supported = [c for c in candidates if c in id_companies]
            company_id = supported[0] if len(supported) == 1 else self._shortlist(surface, candidates)
            if company_id is None:
                result.unlinked.append(
                    Unlinked(hit.start, end, surface, "several companies share this name", tuple(candidates))
                )
                return

        single_word = " " not in hit.key
        ambiguous = single_word and (
            hit.key in AMBIGUOUS_NAMES or len(hit.key) <= 2 or finnish.is_common_word(hit.key)
        )
        has_id = company_id in id_companies
        confidence = 0.9 if not single_word else 0.85
        if hit.inflected:
            confidence -= 0.03
        if hit.weak and not hit.voikko:
            confidence -= 0.05
        if legal:
            confidence += 0.07
        if ambiguous and not (legal or has_id):
            if _context_nearby(lowered, hit.start, end):
                confidence = min(confidence, 0.75)
            else:
                result.unlinked.append(
                    Unlinked(
                        hit.start,
                        end,
                        surface,
                        "common word or first name without a legal form, ID or company context",
                        (company_id,),
                    )
                )
                return
        if has_id:
            confidence = 0.99
        confidence = round(min(confidence, 0.99), 3)
        if confidence < MIN_CONFIDENCE:
            result.unlinked.append(Unlinked(hit.start, end, surface, "low confidence", (company_id,)))
            return
        result.mentions.append(
            Mention(hit.start, end, surface, company_id, self.name_of(company_id), confidence)
        )

    def _shortlist(self, surface: str, candidates: list[str]) -> str | None:
        """rapidfuzz over the few companies sharing a key: pick one only with a clear margin."""
        written = fold(surface)
        scored = sorted(
            ((max(fuzz.ratio(written, fold(full)) for full in self.names_of(c)), c) for c in candidates),
            reverse=True,
        )
        if scored[0][0] >= 90 and scored[0][0] - scored[1][0] >= 8:
            return scored[0][1]
        return None


def _is_legal_token(token: str) -> bool:
    """'Oy', 'Oyj:n', 'OY.', 'Corporationin' (a legal form, possibly inflected)."""
    token = token.rstrip(".,").partition(":")[0]
    if is_legal_form(token):
        return True
    folded = token.casefold()
    return any(
        folded.startswith(form) and finnish.is_case_ending(form, folded[len(form) :])
        for form in ("corporation", "osakeyhtiö", "aktiebolag", "company", "group")
    )


def _has_digit(value: str) -> bool:
    """Could ``value`` be an identifier? (cheap pre-check before :func:`identifier_kind`)"""
    return len(value) in (9, 10, 12, 20) and _DIGIT.search(value) is not None


def _skip_spaces(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t":
        i += 1
    return i


def _context_nearby(lowered: str, start: int, end: int, window_tokens: int = 2) -> bool:
    # the same sentence only
    before_text = re.split(r"[.!?]\s", lowered[max(0, start - 80) : start])[-1]
    after_text = re.split(r"[.!?](?:\s|$)", lowered[end : end + 80])[0]
    before = before_text.split()[-window_tokens:]
    after = after_text.split()[:window_tokens]
    tokens = [t.strip(".,;:!?()\"'") for t in before + after]
    if lowered[end : end + 1] == "-":  # "Kone-yhtiö"
        tokens.append(lowered[end + 1 : end + 40].split(" ")[0])
    return any(t.startswith(CONTEXT_PREFIXES) for t in tokens if t)
