"""One sense per discourse: what the rest of a document says about a name the linker left open.

A text is linked in two passes. The first decides every name hit on its own evidence; a hit that its
own sentence cannot settle — a name that is also a common word, a person's name or a place, with no
legal form, ID or company context; a short form or a name several companies share — waits as a
:class:`Pending`. The second pass (:func:`settle`) links a waiting hit when the document links
exactly one of its candidate companies on its own evidence elsewhere ("Apple Inc." … "Apple";
"Samsung Electronics" … "Samsungin"; "Koneen toimitusjohtaja" … "Kone toimitti"), or when it is
coordinated with a linked name ("Nordea, OP ja Danske Bank"). A hit used as a product or service, a
person or a place never waits: it stays rejected ("Elisa Virtanen", "Twitter-tili", "Nokian
kaupunki").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from triggerwatch.text.lexicon import guess_language

#: the confidence of a mention linked by the rest of the document
DISCOURSE_CONFIDENCE = 0.8


@dataclass(frozen=True)
class Pending:
    """A name hit its own sentence could not settle."""

    start: int
    end: int
    surface: str
    key: str
    candidates: tuple[str, ...]
    reason: str


class Document:
    """Per-text state of one :meth:`CompanyLinker.analyse` call (its language is guessed lazily)."""

    __slots__ = ("_language", "pending", "spaced", "text")

    def __init__(self, text: str, spaced: str) -> None:
        self.text = text
        #: the scan string: the text lowercased, separators as spaces, one space in front
        self.spaced = spaced
        self.pending: list[Pending] = []
        self._language: str | None = None

    @property
    def language(self) -> str:
        if self._language is None:
            self._language = guess_language(self.text)
        return self._language


def settle(
    doc: Document, linked: list[tuple[int, int, str]], *, reasons: bool = True
) -> tuple[list[tuple[Pending, str]], list[tuple[Pending, str]]]:
    """Decide the pending hits of ``doc`` given the mentions (start, end, company id) linked on
    their own evidence.

    A pending hit links to its one candidate that the text links elsewhere, or — with one candidate —
    when it is coordinated with a linked mention ("Nordea, OP ja Danske Bank", "Telia ja DNA",
    "SAS and KLM"). Returns (hit, company id) pairs to link and (hit, reason) pairs that stay unlinked.
    """
    companies = {c for _, _, c in linked}
    spans = sorted(linked)
    links: list[tuple[Pending, str]] = []
    waiting: list[Pending] = []
    for p in doc.pending:
        found = [c for c in p.candidates if c in companies]
        if len(found) == 1:
            links.append((p, found[0]))
        else:
            waiting.append(p)
    changed = any(len(p.candidates) == 1 for p in waiting)
    while changed and waiting:  # coordination spreads along a list: "Nordea, OP ja Danske Bank"
        changed = False
        spans = sorted([*spans, *((p.start, p.end, c) for p, c in links)])
        for p in list(waiting):
            if len(p.candidates) == 1 and _coordinated(doc.text, p, spans):
                links.append((p, p.candidates[0]))
                waiting.remove(p)
                changed = True
    if not reasons:
        return links, []
    several = "; the text links several of them"
    rest = [(p, p.reason + several if companies.intersection(p.candidates) else p.reason) for p in waiting]
    return links, rest


_Q = "[\\s\"'«»“”()]"  # white space, quotes and brackets around a coordinator
_AND = re.compile(rf"{_Q}*,{_Q}*|{_Q}+(?:ja|sekä|tai|eli|and|or|och|eller|&){_Q}+", re.IGNORECASE)


def _coordinated(text: str, p: Pending, spans: list[tuple[int, int, str]]) -> bool:
    """Another linked name right before or after the hit, joined by a comma or 'ja' / 'and' / 'och'."""
    for start, end, _ in spans:
        if end <= p.start and p.start - end <= 8 and _AND.fullmatch(text, end, p.start):
            return True
        if start >= p.end and start - p.end <= 8 and _AND.fullmatch(text, p.end, start):
            return True
    return False
