"""One sense per discourse: what the rest of a document says about a name the linker left open.

A text is linked in two passes. The first decides every name hit on its own evidence; a hit that its
own sentence cannot settle — a name that is also a common word, a person's name or a place, with no
legal form, ID or company context; a short form or a name several companies share — waits as a
:class:`Pending`. The second pass (:func:`settle`) links a waiting hit when the document links
exactly one of its candidate companies on its own evidence elsewhere ("Apple Inc." … "Apple";
"Samsung Electronics" … "Samsungin"; "Koneen toimitusjohtaja" … "Kone toimitti"). A hit used as a
product or service never waits (it stays rejected), and neither does a name the document uses for a
person ("Elisa Virtanen" … "Elisa kertoi").
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass
class Document:
    """Per-text state of one :meth:`CompanyLinker.analyse` call (lowercased text and language lazily)."""

    text: str
    _lowered: str | None = None
    _language: str | None = None
    pending: list[Pending] = field(default_factory=list)
    persons: set[str] = field(default_factory=set)  # keys this text uses for a person

    @property
    def lowered(self) -> str:
        """The text lowercased, the same length (Latin-1 text is lowercased one character for one)."""
        if self._lowered is None:
            self._lowered = self.text.lower()
        return self._lowered

    def lower(self) -> str:
        return self.lowered

    @property
    def language(self) -> str:
        if self._language is None:
            self._language = guess_language(self.text)
        return self._language


def settle(doc: Document, linked: set[str]) -> tuple[list[tuple[Pending, str]], list[tuple[Pending, str]]]:
    """Decide the pending hits of ``doc`` given the companies ``linked`` on their own evidence.

    Returns (hit, company id) pairs to link and (hit, reason) pairs that stay unlinked.
    """
    links: list[tuple[Pending, str]] = []
    rest: list[tuple[Pending, str]] = []
    for p in doc.pending:
        if p.key in doc.persons:
            rest.append((p, f"{p.reason}; the text uses the name for a person"))
            continue
        found = [c for c in p.candidates if c in linked]
        if len(found) == 1:
            links.append((p, found[0]))
        elif len(found) > 1:
            rest.append((p, f"{p.reason}; the text links several of them"))
        else:
            rest.append((p, p.reason))
    return links, rest
