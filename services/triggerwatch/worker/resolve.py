"""Company resolution by name: a small pluggable interface.

The worker resolves an event's company by business ID first; names (or, for events that name no
company, the title) go to a :class:`NameResolver`. The default, :class:`ExactNameResolver`, is an
exact name-key match against the company table (an ambiguous name never resolves);
:class:`LinkingResolver` adds the Finnish-aware text linker (``triggerwatch.text.linker``). Anything
with the three methods of :class:`NameResolver` fits.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triggerwatch.core.db import Company, Database
from triggerwatch.core.names import name_key

if TYPE_CHECKING:
    from triggerwatch.text.linker import CompanyLinker


@runtime_checkable
class Resolution(Protocol):
    """A company a name resolved to (structural: a linker's mention fits)."""

    @property
    def company_id(self) -> str: ...  # the business ID

    @property
    def name(self) -> str: ...

    @property
    def confidence(self) -> float: ...


@runtime_checkable
class NameResolver(Protocol):
    def prepare(self, session: Session, texts: Iterable[str]) -> None:
        """Before a batch: load what resolving ``texts`` needs, in the batch's read transaction."""

    def forget(self) -> None:
        """Before a batch: drop cached answers (the company table may have changed)."""

    def resolve(self, text: str) -> Resolution | None: ...


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

    def resolve(self, text: str) -> Resolution | None:
        key = name_key(text)
        if key not in self._cache and self.db is not None:
            with self.db.session() as session:
                self.prepare(session, [text])
        matches = self._cache.get(key, [])
        if len(matches) != 1:  # an ambiguous name never resolves: precision over recall
            return None
        bid, name = matches[0]
        return NameMatch(company_id=bid, name=name, confidence=1.0)


class LinkingResolver:
    """Exact name match first, then the Finnish-aware text linker over names and aliases.

    The linker's index is built from the company table and rebuilt when the table has changed
    (row count or newest ``updated_at``), checked at most every ``refresh_s`` seconds, so a
    ``registry load`` reaches a running worker without a restart.
    """

    def __init__(
        self,
        db: Database,
        *,
        refresh_s: float = 900.0,
        monotonic: Callable[[], float] = time.monotonic,
        freeze_gc: bool = False,
    ) -> None:
        self.db = db
        self.freeze_gc = freeze_gc  # a long-running worker: keep the built index out of every GC pass
        self.exact = ExactNameResolver(db)
        self.refresh_s = refresh_s
        self.monotonic = monotonic
        self._linker: CompanyLinker | None = None
        self._version: tuple[int, object] | None = None
        self._checked_at: float | None = None

    def _table_version(self, session: Session) -> tuple[int, object]:
        count, newest = session.execute(select(func.count(), func.max(Company.updated_at))).one()
        return int(count), newest

    def prepare(self, session: Session, texts: Iterable[str]) -> None:
        self.exact.prepare(session, texts)
        now = self.monotonic()
        if self._checked_at is not None and now - self._checked_at < self.refresh_s:
            return
        self._checked_at = now
        version = self._table_version(session)
        if self._linker is None or version != self._version:
            from triggerwatch.text.linker import CompanyLinker

            self._linker = CompanyLinker.from_database(self.db)
            self._version = version
            if self.freeze_gc:  # hundreds of thousands of long-lived objects: never scan them again
                gc.collect()
                gc.freeze()

    def forget(self) -> None:
        self.exact.forget()

    def resolve(self, text: str) -> Resolution | None:
        exact = self.exact.resolve(text)
        if exact is not None:
            return exact
        if self._linker is None:
            with self.db.session() as session:
                self.prepare(session, [text])
        assert self._linker is not None
        return self._linker.resolve(text)
