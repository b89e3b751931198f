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

import gc
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import ahocorasick  # type: ignore[import-untyped]
from rapidfuzz import fuzz

from triggerwatch.text import finnish
from triggerwatch.text.normalise import fold, normalise_name
from triggerwatch.text.scan import (
    AFTER,
    ALNUM_TABLE,
    CLASS_TABLE,
    DIGIT_TABLE,
    ID_PATTERNS,
    LEN_BITS,
    LEN_MASK,
    RUN_TABLE,
    SCAN_TABLE,
    SEPARATOR_RE,
    TOKEN_REST,
    WIDE_SEPARATORS,
    has_digit,
    identifier_kind,
    is_legal_token,
    latin1,
    lower_same_length,
)

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

# the per-(index entry, case ending) decisions are cached; the cache is emptied when it is this large
_DECISION_CACHE_SIZE = 200_000


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


# A hit is a plain tuple in the hot path, ordered so that sorting it gives the longest-match order:
# (start - end, start, weak grade, sequence number, needs Voikko, end of the token, key id, start of
# the token's last word, inflected)
_Hit = tuple[int, int, bool, int, bool, int, int, int, bool]
# the cached decision for one index entry and one case ending: (length of the entry's last word,
# ((key id, weak grade, needs Voikko), ...) for the payloads the ending allows)
_Decision = tuple[int, tuple[tuple[int, bool, bool], ...]]


class CompanyLinker:
    """An index of company names and identifiers; :meth:`link` finds them in text."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}  # company id → display name (its first name)
        self._aliases: dict[str, list[str]] = {}  # company id → further names (only those with aliases)
        self._key_ids: dict[str, int] = {}  # normalised key → key id
        # while adding names: key id → normalised key, key id → company id(s)
        self._adding_keys: list[str] = []
        self._adding_owners: list[str | tuple[str, ...]] = []
        # built: the same as tuples (which the cyclic GC stops scanning once it has seen them once;
        # big lists would be rescanned, element by element, at every full collection)
        self._keys: tuple[str, ...] = ()
        self._owners: tuple[str | tuple[str, ...], ...] = ()
        # index entries that are not simply one key: automaton value - len(keys) →
        # (automaton key, ((key id, weak grade), ...)); e.g. a gradation variant ("outokummu")
        self._entries: tuple[tuple[str, tuple[tuple[int, bool], ...]], ...] = ()
        self._ids: dict[str, str] = {}  # identifier → company id
        self._id_kinds: set[str] = set()
        self._automaton = ahocorasick.Automaton()
        self._size = 0
        self._built = False
        # caches of decisions that depend only on the index and a few characters of text
        self._decisions: dict[tuple[int, str], _Decision] = {}
        self._confirmed: dict[tuple[str, int], bool] = {}  # (token, key id) → Voikko's lemma is the key
        self._legal_tokens: dict[str, bool] = {}
        self._shortlisted: dict[tuple[str, int], str | None] = {}
        self._folded: dict[str, tuple[str, ...]] = {}  # company id → its names folded (shortlist)

    # --- building -------------------------------------------------------------------------------

    @classmethod
    def from_names(cls, rows: Iterable[tuple[str, str]]) -> CompanyLinker:
        """(company id, name) rows; rows sharing an id are aliases of one company."""
        linker = cls()
        with _gc_paused():
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
        with _gc_paused():
            linker.build()
        return linker

    def add(self, company_id: str, name: str) -> None:
        if self._built:
            raise RuntimeError("the index is built; create a new CompanyLinker to add names")
        company_id, name = company_id.strip(), name.strip()
        if not company_id or not name:
            return
        names = self._names
        if company_id not in names and has_digit(company_id):
            kind = identifier_kind(company_id)
            if kind is not None:
                self._ids[company_id] = company_id
                self._id_kinds.add(kind)
        if has_digit(name):
            kind = identifier_kind(name)
            if kind is not None:
                self._ids[name] = company_id
                self._id_kinds.add(kind)
                return
        if company_id in names:
            self._aliases.setdefault(company_id, []).append(name)
        else:
            names[company_id] = name
        key = normalise_name(name)
        if not key:
            return
        kid = self._key_ids.get(key)
        if kid is None:
            self._key_ids[key] = len(self._adding_keys)
            self._adding_keys.append(key)
            self._adding_owners.append(company_id)
            return
        owners = self._adding_owners
        known = owners[kid]
        if isinstance(known, str):
            if known != company_id:
                owners[kid] = (known, company_id)
        elif company_id not in known:
            owners[kid] = (*known, company_id)

    def build(self) -> None:
        """Index every key and its gradation / ``-nen`` stem variants (keys with a leading space).

        The automaton stores ints: (index << LEN_BITS) | length of the key, where the index is a key
        id for an automaton key that is just that key, else ``len(keys)`` + an index into
        ``_entries``.
        """
        keys = self._adding_keys
        n = len(keys)
        values: dict[str, int] = {}  # automaton key → value
        pending: list[list[tuple[int, bool]]] = []  # payloads of the entries
        entry_keys: list[str] = []
        variants = finnish.stem_variants
        for kid, key in enumerate(keys):
            # in key-id order, i.e. in the order the names were added: the payload order of old
            known = values.get(key)
            if known is None:
                values[key] = kid
            else:  # the key is already a variant of an earlier key (keys themselves are distinct)
                pending[known - n].append((kid, False))
            head, _, last = key.rpartition(" ")
            for variant in variants(last):
                vkey = f"{head} {variant}" if head else variant
                known = values.get(vkey)
                if known is None:
                    values[vkey] = n + len(pending)
                    pending.append([(kid, True)])
                    entry_keys.append(vkey)
                elif known < n:  # the variant is also a key: that key first, then this variant
                    values[vkey] = n + len(pending)
                    pending.append([(known, False), (kid, True)])
                    entry_keys.append(vkey)
                else:
                    payloads = pending[known - n]
                    if (kid, True) not in payloads:
                        payloads.append((kid, True))
        self._entries = tuple((k, tuple(p)) for k, p in zip(entry_keys, pending, strict=True))
        self._keys, self._owners = tuple(keys), tuple(self._adding_owners)
        self._adding_keys, self._adding_owners = [], []
        add_word = self._automaton.add_word
        for vkey, index in values.items():
            add_word(" " + vkey, index << LEN_BITS | min(len(vkey), LEN_MASK))
        self._size = len(values)
        if self._size:
            self._automaton.make_automaton()
        self._built = True

    def __len__(self) -> int:
        return len(self._key_ids)

    def names_of(self, company_id: str) -> list[str]:
        return [self._names.get(company_id, company_id), *self._aliases.get(company_id, [])]

    def name_of(self, company_id: str) -> str:
        return self._names.get(company_id, company_id)

    # --- linking --------------------------------------------------------------------------------

    def link(self, text: str) -> list[Mention]:
        """Confidently linked mentions, in text order."""
        return self._analyse(text, keep_unlinked=False).mentions

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
        return self._analyse(text, keep_unlinked=True)

    def _analyse(self, text: str, *, keep_unlinked: bool) -> LinkResult:
        raw = latin1(text)  # Latin-1 text is NFC already
        lowered: str | None = None  # only for text outside Latin-1 (lowercased as a whole)
        if raw is None:
            text = unicodedata.normalize("NFC", text)
            plain = text
            for ch in WIDE_SEPARATORS:
                if ch in plain:
                    plain = plain.replace(ch, " ")
            raw = latin1(plain)
            if raw is None:
                lowered = lower_same_length(text)
        result = LinkResult()
        id_companies = self._find_identifiers(text, raw if lowered is None else None, result)
        if self._built and self._size:
            if lowered is None:
                assert raw is not None
                spaced = " " + raw.translate(SCAN_TABLE).decode("latin-1")
            else:
                spaced = " " + SEPARATOR_RE.sub(" ", lowered)
                raw = text.encode("latin-1", "replace")  # outside Latin-1: '?', looked at one by one
            classes = raw.translate(CLASS_TABLE) + b" "
            runs = raw.translate(RUN_TABLE) + b" "
            hits = self._scan(text, spaced, classes, runs, lowered)
            if hits:
                for hit in self._longest(text, hits) if len(hits) > 1 else self._confirm_all(text, hits):
                    self._decide(text, lowered, hit, id_companies, result, keep_unlinked)
        if len(result.mentions) > 1:
            result.mentions.sort(key=lambda m: (m.start, m.end))
        return result

    def _find_identifiers(self, text: str, raw: bytes | None, result: LinkResult) -> set[str]:
        found: set[str] = set()
        if not self._id_kinds:
            return found
        for kind, pattern in ID_PATTERNS:
            if kind not in self._id_kinds:
                continue
            if raw is not None:  # Latin-1 text: \d is [0-9]; skip the regex when it cannot match
                if kind == "business_id":
                    if b"0000000-0" not in raw.translate(DIGIT_TABLE):
                        continue
                elif b"AAAAAAAAAAAA" not in raw.translate(ALNUM_TABLE):
                    continue
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

    def _scan(self, text: str, spaced: str, classes: bytes, runs: bytes, lowered: str | None) -> list[_Hit]:
        """Every name hit at a capitalised word start whose token rest is a case ending.

        ``spaced`` is the lowercased text with every separator as a space and one leading space:
        the automaton's keys (" nokia") then match only at word starts, and an offset into
        ``spaced`` is the offset into ``text`` plus one. ``classes`` and ``runs`` have the class of
        each character of ``text`` (``CLASS_TABLE``, ``RUN_TABLE``) and one space more. Hits that
        only Voikko could confirm are kept, marked, and confirmed later only if the longest-match
        rule would choose them.
        """
        # the key's last character is text[end - 1]; it starts at text[end - length]: keep only hits
        # at an upper-case letter or a digit (or where the character itself must be looked at)
        mask = LEN_MASK
        found = [
            (end, value)
            for end, value in self._automaton.iter(spaced)
            if classes[end - (value & mask)] in b"A?" or value & mask == mask
        ]
        hits: list[_Hit] = []
        if not found:
            return hits
        keys = self._keys
        n = len(keys)
        entries = self._entries
        decisions = self._decisions
        find = runs.find
        for end, value in found:
            index = value >> LEN_BITS
            length = value & mask
            if length == mask:
                length = len(keys[index] if index < n else entries[index - n][0])
            start = end - length
            if classes[start] != 65:  # not known to be upper case or a digit: look at it
                first = text[start]
                if not (first.isupper() or first.isdigit()):
                    continue  # proper names are written with a capital
            j = find(32, end)  # the token goes on with letters and digits
            if classes[j] in b":?":  # and perhaps ':' + more (UPM:n), or a character outside Latin-1
                j = TOKEN_REST.match(text, end).end()  # type: ignore[union-attr]
            if j == end:
                if index < n:  # the common case: the key itself, uninflected
                    hits.append((start - j, start, False, len(hits), False, j, index, start, False))
                    continue
                rest = ""
            else:
                rest = text[end:j].lower() if lowered is None else lowered[end:j]
            decision = decisions.get((value, rest))
            if decision is None:
                vkey = keys[index] if index < n else entries[index - n][0]
                decision = self._decision(vkey, index, rest)
                if len(decisions) >= _DECISION_CACHE_SIZE:
                    decisions.clear()
                decisions[(value, rest)] = decision
            last_length, allowed = decision
            if allowed:
                token_start = start + length - last_length
                inflected = j > end
                for kid, weak, voikko in allowed:
                    hits.append((start - j, start, weak, len(hits), voikko, j, kid, token_start, inflected))
        return hits

    def _decision(self, vkey: str, index: int, rest: str) -> _Decision:
        """Which payloads of an index entry a case ending allows: by the rules, or if Voikko agrees."""
        n = len(self._keys)
        payloads = ((index, False),) if index < n else self._entries[index - n][1]
        last_word = vkey.rpartition(" ")[2]
        out: list[tuple[int, bool, bool]] = []
        for kid, weak in payloads:
            if finnish.is_case_ending(last_word, rest, weak_grade=weak):
                out.append((kid, weak, False))
            elif rest and len(rest) <= 6 and not rest.startswith(":"):  # Voikko decides what the rules do not
                out.append((kid, weak, True))
        return len(last_word), tuple(out)

    def _longest(self, text: str, hits: list[_Hit]) -> list[_Hit]:
        """Longest match wins (then the earlier start, the strong grade, the scan order).

        A hit that needs Voikko is confirmed (by Voikko) only when it would be chosen.
        """
        hits.sort()
        chosen: list[_Hit] = []
        taken = bytearray(len(text))
        for hit in hits:
            start, end = hit[1], hit[5]
            if taken.find(1, start, end) >= 0:
                continue
            if hit[4] and not self._confirm(text[hit[7] : end], hit[6]):
                continue
            chosen.append(hit)
            taken[start:end] = b"\x01" * (end - start)
        return chosen

    def _confirm_all(self, text: str, hits: list[_Hit]) -> list[_Hit]:
        return [h for h in hits if not h[4] or self._confirm(text[h[7] : h[5]], h[6])]

    def _confirm(self, token: str, kid: int) -> bool:
        """Voikko: the token is an inflected form of the key's last word."""
        confirmed = self._confirmed.get((token, kid))
        if confirmed is None:
            confirmed = finnish.lemma_matches(token, self._keys[kid].rpartition(" ")[2])
            if len(self._confirmed) >= _DECISION_CACHE_SIZE:
                self._confirmed.clear()
            self._confirmed[(token, kid)] = confirmed
        return confirmed

    def _decide(
        self,
        text: str,
        lowered: str | None,
        hit: _Hit,
        id_companies: set[str],
        result: LinkResult,
        keep_unlinked: bool,
    ) -> None:
        _, start, weak, _, voikko, end, kid, _, inflected = hit
        known = self._owners[kid]
        after = AFTER.match(text, end)  # the word after the name, if any
        legal = False
        if after is not None:
            token = after.group(1)
            token_start = after.start(1)
            legal = self._legal_tokens.get(token)  # type: ignore[assignment]
            if legal is None:
                legal = is_legal_token(token)
                if len(self._legal_tokens) >= _DECISION_CACHE_SIZE:
                    self._legal_tokens.clear()
                self._legal_tokens[token] = legal
            if legal:
                end = token_start + len(token.rstrip(".,"))
            elif (
                not inflected
                and (token_start == end + 1 or (token_start == end and text[end] == "-"))
                and token.lstrip("-")[:1].isupper()
            ):
                # "Hans Vestberg", "Mozilla Blogin": Finnish inflects the last word of a name, so
                # an uninflected hit followed by a capitalised word is the start of a longer name
                if keep_unlinked:
                    result.unlinked.append(
                        Unlinked(
                            start,
                            after.end(1),
                            text[start : after.end(1)],
                            "part of a longer name",
                            (known,) if isinstance(known, str) else known,
                        )
                    )
                return
        surface = text[start:end]

        company_id: str | None
        if isinstance(known, str):
            company_id = known
        else:
            supported = [c for c in known if c in id_companies] if id_companies else []
            if len(supported) == 1:
                company_id = supported[0]
            else:
                company_id = self._shortlisted.get((surface, kid), "")
                if company_id == "":
                    company_id = self._shortlist(surface, list(known))
                    if len(self._shortlisted) >= _DECISION_CACHE_SIZE:
                        self._shortlisted.clear()
                    self._shortlisted[(surface, kid)] = company_id
            if company_id is None:
                if keep_unlinked:
                    result.unlinked.append(
                        Unlinked(start, end, surface, "several companies share this name", known)
                    )
                return

        key = self._keys[kid]
        single_word = " " not in key
        has_id = company_id in id_companies
        context = False
        if (
            single_word
            and not (legal or has_id)
            and (key in AMBIGUOUS_NAMES or len(key) <= 2 or finnish.is_common_word(key))
        ):
            if lowered is None:
                lowered = text.lower()  # Latin-1 (or only wide separators): lowercased per character
            context = _context_nearby(lowered, start, end)
            if not context:
                if keep_unlinked:
                    result.unlinked.append(
                        Unlinked(
                            start,
                            end,
                            surface,
                            "common word or first name without a legal form, ID or company context",
                            (company_id,),
                        )
                    )
                return
        confidence = (
            0.99 if has_id else _CONFIDENCE[single_word, inflected, weak and not voikko, legal, context]
        )
        if confidence < MIN_CONFIDENCE:
            if keep_unlinked:
                result.unlinked.append(Unlinked(start, end, surface, "low confidence", (company_id,)))
            return
        result.mentions.append(
            Mention(start, end, surface, company_id, self._names.get(company_id, company_id), confidence)
        )

    def _shortlist(self, surface: str, candidates: list[str]) -> str | None:
        """rapidfuzz over the few companies sharing a key: pick one only with a clear margin."""
        written = fold(surface)
        folded = self._folded
        scored: list[tuple[float, str]] = []
        for c in candidates:
            names = folded.get(c)
            if names is None:
                names = folded[c] = tuple(fold(full) for full in self.names_of(c))
            scored.append((max(fuzz.ratio(written, full) for full in names), c))
        scored.sort(reverse=True)
        if scored[0][0] >= 90 and scored[0][0] - scored[1][0] >= 8:
            return scored[0][1]
        return None


def _confidence(single_word: bool, inflected: bool, weak: bool, legal: bool, context: bool) -> float:
    """0.90 multi-word / 0.85 one-word name, -0.03 inflected, -0.05 gradation variant, +0.07 legal
    form, at most 0.75 for an ambiguous name with only context nearby (the company's ID: 0.99)."""
    confidence = 0.9 if not single_word else 0.85
    if inflected:
        confidence -= 0.03
    if weak:
        confidence -= 0.05
    if legal:
        confidence += 0.07
    if context:
        confidence = min(confidence, 0.75)
    return round(min(confidence, 0.99), 3)


_CONFIDENCE = {flags: _confidence(*flags) for flags in itertools.product((False, True), repeat=5)}


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Building allocates millions of small objects: the cyclic GC would rescan them over and over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
