"""The worker's linking resolver: exact names first, the Finnish-aware linker after, fresh companies seen."""

from __future__ import annotations

from triggerwatch.core.db import Company, Database
from triggerwatch.core.names import name_key
from triggerwatch.worker.resolve import LinkingResolver


def add_company(db: Database, business_id: str, name: str, aliases: list[str] | None = None) -> None:
    with db.session() as s:
        s.add(Company(business_id=business_id, name=name, name_key=name_key(name), aliases=aliases or []))


def test_exact_names_then_inflected_mentions_and_new_companies(sqlite_db: Database) -> None:
    add_company(sqlite_db, "0112038-9", "Nokia Oyj", ["Nokia"])
    clock = [0.0]
    resolver = LinkingResolver(sqlite_db, refresh_s=60, monotonic=lambda: clock[0])
    with sqlite_db.session() as s:
        resolver.prepare(s, ["Nokia Oyj"])
    exact = resolver.resolve("Nokia Oyj")
    assert exact is not None and exact.company_id == "0112038-9" and exact.confidence == 1.0
    inflected = resolver.resolve("Nokialle uusi talousjohtaja")  # no exact match: the linker finds it
    assert inflected is not None and inflected.company_id == "0112038-9"
    assert resolver.resolve("Valmetin tilauskanta kasvoi") is None  # not in the company table yet

    add_company(sqlite_db, "2553019-8", "Valmet Oyj", ["Valmet"])
    with sqlite_db.session() as s:
        resolver.prepare(s, [])
    assert resolver.resolve("Valmetin tilauskanta kasvoi") is None  # checked at most every refresh_s
    clock[0] = 61.0
    with sqlite_db.session() as s:
        resolver.prepare(s, [])
    found = resolver.resolve("Valmetin tilauskanta kasvoi")
    assert found is not None and found.company_id == "2553019-8"
