"""Company linking: find the companies a text mentions, with character offsets and a confidence.

Order of evidence (precision first — a wrong confident link is worse than none):

1. identifiers in the text: business ID (Y-tunnus), ISIN, LEI → the company that has it (1.0);
2. an Aho-Corasick automaton (pyahocorasick) over the normalised names (legal forms stripped), former
   names and derived short forms (:mod:`triggerwatch.text.aliases`: "Alibaba Group Holding Limited"
   → "Alibaba"), scanned over the casefolded text. A hit counts only at a word start, written with a
   capital (or digit), and when the rest of the token is a valid Finnish case ending
   (:func:`triggerwatch.text.finnish.is_case_ending`, or Voikko confirms the lemma);
   consonant-gradation and ``-nen`` stems are indexed as variants;
3. the longest match wins over names nested in it ("Kata Tala" over "Tala");
4. names shared by several companies: rapidfuzz compares the written name (with its legal form)
   against only those candidates (the shortlist) and picks one only with a clear margin; a short
   form shared by several companies is ambiguous and waits for the document (step 7);
5. a name used as a product or service ("Twitter-tili", "YouTubessa julkaistu video") links only
   when its sentence is about the company (:mod:`triggerwatch.text.context`);
6. one-word names that are also a common word in the language of the text, a person's name or a
   place (:mod:`triggerwatch.text.lexicon`: Kone, Elisa, Posti; "Apple" only in English text) need a
   legal form next to them, the company's ID in the text or company context in their sentence
   (a common word written with a capital in the middle of a sentence is a name);
7. one sense per discourse (:mod:`triggerwatch.text.discourse`): a hit its own sentence could not
   settle links when the same text links exactly one of its candidates on its own evidence.

Whatever stays ambiguous is returned as :class:`Unlinked` (with the reason and the candidates) —
never guessed.
"""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from triggerwatch.text import context, finnish, lexicon
from triggerwatch.text.aliases import CAPITALS, FORMER, GENERIC_TAILS, LEVEL_NAMES, SHORT
from triggerwatch.text.context import EN_PRODUCT_NOUNS
from triggerwatch.text.discourse import DISCOURSE_CONFIDENCE, Document, Pending, settle
from triggerwatch.text.index import NameIndex
from triggerwatch.text.normalise import LEGAL_FORMS, fold
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
    identifier_kind,
    is_legal_token,
    latin1,
    lower_same_length,
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
    #: the evidence: "identifier", "name", "former name", "short name", "context" (a name that is
    #: also a common word or a person's name, linked by its sentence) or "discourse" (by the text)
    via: str = "name"


@dataclass(frozen=True)
class Unlinked:
    """A name hit that was not linked, with why and which companies it could have been."""

    start: int
    end: int
    surface: str
    reason: str
    candidates: tuple[str, ...]

    @property
    def ambiguous(self) -> bool:
        """Several companies could be meant: the name resolves to none of them on its own."""
        return len(self.candidates) > 1


@dataclass
class LinkResult:
    mentions: list[Mention] = field(default_factory=list)
    unlinked: list[Unlinked] = field(default_factory=list)


# the case endings of a service where something is published ("YouTubessa"), in either case
_LOCATIVES = tuple(
    e for x in ("ssa", "ssä", "sta", "stä", "ssaan", "ssään", "staan", "stään") for e in (x, x.upper())
)

# how a legal form written in lower case starts ("oy", "ab", "ltd", "osakeyhtiö")
_LOWER_LEGAL = tuple(sorted({f[:2] for f in LEGAL_FORMS if f[:1].isalpha()}))

# prepositions before a service ("on YouTube", "på Facebook"), as the text ends before the space
# ("on" only in English text: in Finnish it is "is")
_PREPOSITIONS = (" on", " On", "\non", " via", " Via", " på", " På")

# what a one-word key also is (bits of CompanyLinker._kind)
_SHORT, _PERSON, _PLACE = 1, 2, 4
_COMMON = {"fi": 8, "en": 16, "sv": 32}

# A hit is a plain tuple in the hot path, ordered so that sorting it gives the longest-match order
# (at the same span: the strong grade, then a key that is the whole token, then the scan order):
# (start - end, start, weak grade, inflected, sequence number, needs Voikko, end of the token, key
# id, start of the token's last word)
_Hit = tuple[int, int, bool, bool, int, bool, int, int, int]
# the cached decision for one index entry and one case ending: (length of the entry's last word,
# ((key id, weak grade, needs Voikko), ...) for the payloads the ending allows)
_Decision = tuple[int, tuple[tuple[int, bool, bool], ...]]


class CompanyLinker(NameIndex):
    """An index of company names and identifiers (:class:`NameIndex`); :meth:`link` finds them in text."""

    def __init__(self) -> None:
        super().__init__()
        # caches of decisions that depend only on the index and a few characters of text
        self._decisions: dict[tuple[int, str], _Decision] = {}
        self._confirmed: dict[tuple[str, int], bool] = {}  # (token, key id) → Voikko's lemma is the key
        self._legal_tokens: dict[str, bool] = {}
        self._shortlisted: dict[tuple[str, int], str | None] = {}
        self._folded: dict[str, tuple[str, ...]] = {}  # company id → its names folded (shortlist)
        self._kinds: dict[int, int] = {}  # key id → what a one-word key also is (_kind)

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
                doc = Document(text, spaced)
                for hit in self._longest(text, hits) if len(hits) > 1 else self._confirm_all(text, hits):
                    self._decide(doc, hit, id_companies, result, keep_unlinked)
                if doc.pending:
                    self._settle(doc, result, keep_unlinked)
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
                name = self.name_of(company_id)
                mention = Mention(m.start(1), m.end(1), value, company_id, name, 1.0, "identifier")
                result.mentions.append(mention)
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
        # the automaton's longest key at each word start (leftmost-longest, non-overlapping: a key
        # nested in a longer one that matches is not reported at all, as the longest-match rule
        # would drop it anyway); the key's last character is text[end - 1]; it starts at
        # text[end - length]: keep only hits at an upper-case letter or a digit (or where the
        # character itself must be looked at)
        mask = LEN_MASK
        found = [
            (end, value)
            for end, value in self._automaton.iter_long(spaced)
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
                    hits.append((start - j, start, False, False, len(hits), False, j, index, start))
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
                    hits.append((start - j, start, weak, inflected, len(hits), voikko, j, kid, token_start))
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
            start, end = hit[1], hit[6]
            if taken.find(1, start, end) >= 0:
                continue
            if hit[5] and not self._confirm(text[hit[8] : end], hit[7]):
                continue
            chosen.append(hit)
            taken[start:end] = b"\x01" * (end - start)
        return chosen

    def _confirm_all(self, text: str, hits: list[_Hit]) -> list[_Hit]:
        return [h for h in hits if not h[5] or self._confirm(text[h[8] : h[6]], h[7])]

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
        self, doc: Document, hit: _Hit, id_companies: set[str], result: LinkResult, keep_unlinked: bool
    ) -> None:
        text = doc.text
        _, start, weak, inflected, _, voikko, end, kid, _ = hit
        known = self._owners[kid]
        key = self._keys[kid]
        single_word = " " not in key
        # the word after the name, if any (a lower-case word after a space is not a name, and a legal
        # form only if it starts like one)
        lower_word = text[end : end + 1] == " " and text[end : end + 2].islower()
        after = None if lower_word and not text.startswith(_LOWER_LEGAL, end + 1) else AFTER.match(text, end)
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
                and token_start == end + 1
                and token[:1].isupper()
                and token.rstrip(".,").casefold() in GENERIC_TAILS
                and token.rstrip(".,").casefold() not in self._key_ids  # "Tech Services": two names
            ):
                end = token_start + len(token.rstrip(".,"))  # "Nasdaq Europe", "Cision Norden"
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
        nxt = text[end : end + 1]
        if nxt == "-" and text[end + 1 : end + 2] == " " and not legal:
            return  # "Verkkokauppa- ja pilvipalveluyhtiö": the first half of a compound, not a name
        surface = text[start:end]
        level = self._levels[kid]
        if level == CAPITALS and not text[start : start + len(key)].isupper():
            return  # "SOK", "IKEA" from the register's capitals: "Sok", "Ikea" may be anything

        company_id: str | None
        if isinstance(known, str):
            company_id = known
        else:
            supported = [c for c in known if c in id_companies] if id_companies else []
            if len(supported) == 1:
                company_id = supported[0]
            elif level == SHORT:
                doc.pending.append(
                    Pending(start, end, surface, key, known, "ambiguous: a short form of several names")
                )
                return
            else:
                company_id = self._shortlisted.get((surface, kid), "")
                if company_id == "":
                    company_id = self._shortlist(surface, list(known))
                    if len(self._shortlisted) >= _DECISION_CACHE_SIZE:
                        self._shortlisted.clear()
                    self._shortlisted[(surface, kid)] = company_id
            if company_id is None:
                reason = "several companies share this name"
                doc.pending.append(Pending(start, end, surface, key, known, reason))
                return

        has_id = company_id in id_companies
        via = "identifier" if has_id else LEVEL_NAMES[level]
        in_context = False
        if not (legal or has_id):
            spaced = doc.spaced
            product = None
            if (
                nxt == "-"
                or (nxt == " " and text[end + 1 : end + 2] == "-")
                # a service's locative: services are international brands (YouTube, Facebook)
                or (inflected and text.endswith(_LOCATIVES, start, end) and finnish.is_foreign_looking(key))
                or (
                    not inflected
                    and text.endswith(_PREPOSITIONS, 0, start - 1)
                    and text[start - 1] == " "
                    and (text[start - 3 : start - 1] != "on" or doc.language == "en")
                )
            ):
                product = context.product_use(text, spaced, start, end, inflected)
            elif nxt == " ":
                noun = spaced[end + 2 : end + 16].partition(" ")[0]
                if noun in EN_PRODUCT_NOUNS and doc.language == "en":
                    product = f"used as a product ('{noun}')"
            if product is not None:
                # a product or service is the company only where the words next to it are about the
                # company ("Twitter-tilien määrä nosti yhtiön liikevaihtoa")
                if not context.company_context(text, spaced, start, end, near=3, strict=True):
                    if keep_unlinked:
                        result.unlinked.append(Unlinked(start, end, surface, product, (company_id,)))
                    return
                in_context, via = True, "context"
            elif single_word and (self._kinds.get(kid) if kid in self._kinds else self._kind(kid)):
                rejected = self._reject(doc, kid, start, end, inflected)
                if rejected is not None:
                    if keep_unlinked:
                        result.unlinked.append(Unlinked(start, end, surface, rejected, (company_id,)))
                    return
                doubt = self._doubt(doc, kid, start, end, inflected)
                if doubt is not None:
                    if doubt.startswith("a place name in a locative"):
                        # "Outokummussa", "Raisiossa": the town, unless someone works there
                        if not context.employment(spaced, start, end):
                            if keep_unlinked:
                                result.unlinked.append(Unlinked(start, end, surface, doubt, (company_id,)))
                            return
                    else:
                        person = doubt.startswith("a person")
                        near = 2 if person else 3
                        if not context.company_context(text, spaced, start, end, near=near, agent=not person):
                            reason = f"{doubt} without a legal form, ID or company context"
                            doc.pending.append(Pending(start, end, surface, key, (company_id,), reason))
                            return
                    in_context, via = True, "context"
        confidence = (
            0.99 if has_id else _CONFIDENCE[single_word, inflected, weak and not voikko, legal, in_context]
        )
        if level == FORMER and not has_id:
            confidence = round(confidence - 0.05, 3)
            until = self._former_until.get((key, company_id))
            via = f"former name (until {until})" if until else "former name"
        if confidence < MIN_CONFIDENCE:
            if keep_unlinked:
                result.unlinked.append(Unlinked(start, end, surface, "low confidence", (company_id,)))
            return
        result.mentions.append(
            Mention(start, end, surface, company_id, self._names.get(company_id, company_id), confidence, via)
        )

    def _kind(self, kid: int) -> int:
        """What a one-word key also is (``_PERSON`` | ``_COMMON_*`` | ``_PLACE`` | ``_SHORT`` bits; 0:
        only a name), looked up once per key."""
        kind = self._kinds.get(kid)
        if kind is None:
            key = self._keys[kid]
            classes = lexicon.finnish_classes(key)
            common = lexicon.common_languages(key)
            kind = (
                (_SHORT if len(key) <= 2 else 0)
                | (_PERSON if lexicon.PERSON in classes else 0)
                | (_PLACE if lexicon.PLACE in classes and lexicon.NAME not in classes else 0)
                | sum(bit for language, bit in _COMMON.items() if language in common)
            )
            if len(self._kinds) >= _DECISION_CACHE_SIZE:
                self._kinds.clear()
            self._kinds[kid] = kind
        return kind

    def _reject(self, doc: Document, kid: int, start: int, end: int, inflected: bool) -> str | None:
        """Why a one-word name that is also a word, a person's name or a place is not the company
        here at all (the rest of the text does not overrule it), or None."""
        kind = self._kinds[kid]
        text = doc.text
        if kind & _PERSON:
            if context.person_use(doc.spaced, start):
                return "a person: a title before the name"
            if context.after_first_name(text, start, lexicon.is_first_name):
                return "a person: a first name before the name"
        if context.after_capitalised_word(text, start, inflected):
            return "part of a longer name (a capitalised word before it)"
        if kind & _PLACE and context.place_use(text, doc.spaced, start, end):
            return "a place: a place word next to the name"
        return None

    def _doubt(self, doc: Document, kid: int, start: int, end: int, inflected: bool) -> str | None:
        """Why a one-word name may not be the company ("a person's name too", …), or None."""
        kind = self._kinds[kid]
        if kind & _SHORT and not (
            self._keys[kid] in self._capital_keys and doc.text[start : start + len(self._keys[kid])].isupper()
        ):
            return "a name of one or two letters"
        if kind & _PERSON:
            return "a person's name too"
        if kind & _COMMON.get(doc.language, 0):
            # a common word written with a capital in the middle of a sentence is a name ("osti
            # Koneen"); at the start of a sentence, in a headline or in capitals it may be the word
            text = doc.text
            if (
                context.sentence_start(text, start)
                or text[start:end].isupper()
                or context.title_case_line(text, start)
            ):
                return f"common word in the text's language ({doc.language})"
            return None
        if kind & _PLACE:
            if inflected and doc.text[max(start, end - 6) : end].lower().endswith(context.PLACE_CASES):
                return "a place name in a locative case"
            return "a place name too"
        return None

    def _settle(self, doc: Document, result: LinkResult, keep_unlinked: bool) -> None:
        """One sense per discourse: decide the hits that waited, from the links of the whole text."""
        linked = [(m.start, m.end, m.company_id) for m in result.mentions]
        links, rest = settle(doc, linked, reasons=keep_unlinked)
        for p, company_id in links:
            result.mentions.append(
                Mention(
                    p.start,
                    p.end,
                    p.surface,
                    company_id,
                    self._names.get(company_id, company_id),
                    DISCOURSE_CONFIDENCE,
                    "discourse",
                )
            )
        if keep_unlinked:
            result.unlinked.extend(Unlinked(p.start, p.end, p.surface, why, p.candidates) for p, why in rest)
            if len(result.unlinked) > 1:
                result.unlinked.sort(key=lambda u: (u.start, u.end))

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
