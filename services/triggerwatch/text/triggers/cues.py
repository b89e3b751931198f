"""Cue words: a word matches by its Voikko lemma when Voikko knows it, else by its surface form.

``Cue(lemma=..., surface=...)``: ``lemma`` is a regular expression that must match a whole lemma
(including participle lemmas such as ``ostanut``, ``nimitetty``, which Voikko lists as their own
words); ``surface`` must match the start of the casefolded word (inflected forms, for words Voikko
does not know and for everything without Voikko). Swedish and English cues use ``surface`` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from triggerwatch.text.triggers.tokens import Token

_PARTICIPLES = ("va", "vä", "nut", "nyt", "neet")
#: (cue name, word, lemmas) -> hit: words repeat across clauses and articles (cue names are unique)
_HITS: dict[tuple[str, str, tuple[str, ...]], bool] = {}
_MAX_HITS = 500_000


@dataclass(frozen=True)
class Cue:
    name: str
    lemma: re.Pattern[str] | None
    surface: re.Pattern[str] | None

    def hit(self, tok: Token) -> bool:
        if not tok.known:
            return self.surface is not None and bool(self.surface.match(tok.low))  # one cheap match
        key = (self.name, tok.text, tok.lemmas)
        found = _HITS.get(key)
        if found is None:
            if len(_HITS) > _MAX_HITS:
                _HITS.clear()
            found = _HITS[key] = self._hit(tok)
        return found

    def _hit(self, tok: Token) -> bool:
        if tok.known and self.lemma is not None:
            if any(self.lemma.fullmatch(lemma) for lemma in tok.lemmas):
                return True
            # a participle is its own lemma ("ostavansa" → ostava, "vähentäneensä" → vähentänyt):
            # the verb's surface stems decide
            if not any(lemma.endswith(_PARTICIPLES) for lemma in tok.lemmas):
                return False
        return self.surface is not None and bool(self.surface.match(tok.low))


def clear_cache() -> None:
    """Forget the remembered cue hits (benchmarks of new text)."""
    _HITS.clear()


def cue(name: str, lemma: str | None = None, surface: str | None = None) -> Cue:
    return Cue(
        name,
        re.compile(lemma) if lemma else None,
        re.compile(surface) if surface else None,
    )


def first_hit(tokens: list[Token], c: Cue, start: int = 0, end: int | None = None) -> int | None:
    for i in range(start, len(tokens) if end is None else min(end, len(tokens))):
        if c.hit(tokens[i]):
            return i
    return None


def any_hit(tokens: list[Token], *cues: Cue) -> bool:
    return any(c.hit(t) for t in tokens for c in cues)
