"""Company resolution by name: a small pluggable interface.

The worker resolves an event's company by business ID first; names (or, for events that name no
company, the title) go to a :class:`NameResolver`. The default, :class:`ExactNameResolver`, is an
exact name-key match against the company table (an ambiguous name never resolves). A text linker
(e.g. ``triggerwatch.text.linker.CompanyLinker``) can be injected instead: anything with
``resolve(text) -> Mention | None`` fits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.orm import Session

from triggerwatch.core.db import Company, Database
from triggerwatch.core.names import name_key


@runtime_checkable
class Mention(Protocol):
    """A company found in a text (structural: any object with these attributes fits)."""

    @property
    def company_id(self) -> str: ...  # the business ID

    @property
    def name(self) -> str: ...

    @property
    def confidence(self) -> float: ...


@runtime_checkable
class NameResolver(Protocol):
    def resolve(self, text: str) -> Mention | None: ...


@dataclass(frozen=True)
class NameMatch:
    company_id: str
    name: str
    confidence: float = 1.0


class ExactNameResolver:
    """Exact (case- and form-folded) name match; unique matches only.

    ``prepare(session, texts)`` loads every candidate of a batch with one query (the processor calls
    it when a resolver has it); ``resolve`` then answers from that cache, falling back to one query.
    """

    def __init__(self, db: Database | None = None) -> None:
        self.db = db
        self._cache: dict[str, list[tuple[str, str]]] = {}

    def prepare(self, session: Session, texts: Iterable[str]) -> None:
        keys = {name_key(t) for t in texts if t} - set(self._cache)
        if not keys:
            return
        found: dict[str, list[tuple[str, str]]] = {k: [] for k in keys}
        for c in session.scalars(select(Company).where(Company.name_key.in_(keys))):
            found.setdefault(c.name_key, []).append((c.business_id, c.name))
        if len(self._cache) > 50_000:
            self._cache.clear()
        self._cache.update(found)

    def forget(self) -> None:
        self._cache.clear()

    def resolve(self, text: str) -> Mention | None:
        key = name_key(text)
        if key not in self._cache and self.db is not None:
            with self.db.session() as session:
                self.prepare(session, [text])
        matches = self._cache.get(key, [])
        if len(matches) != 1:  # an ambiguous name never resolves: precision over recall
            return None
        bid, name = matches[0]
        return NameMatch(company_id=bid, name=name, confidence=1.0)
