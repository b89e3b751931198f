from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from triggerwatch.core.db import Base, CollectorState, Database, Event


def test_migrations_match_models(db: Database) -> None:
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    tables = set(inspect(db.engine).get_table_names())
    for needed in (
        "companies",
        "target_groups",
        "company_scores",
        "events",
        "alerts",
        "deliveries",
        "collector_state",
        "dead_letters",
        "outbox",
        "alembic_version",
    ):
        assert needed in tables


def test_upgrade_is_idempotent(db: Database) -> None:
    db.upgrade()
    db.upgrade()


def test_datetimes_come_back_aware_and_utc(db: Database) -> None:
    helsinki = datetime.fromisoformat("2026-11-24T10:00:00+02:00")
    with db.session() as s:
        s.add(
            Event(
                event_id="e1",
                source="s",
                source_item_id="i",
                kind="news",
                occurred_at=helsinki,
                observed_at=helsinki,
                payload={},
            )
        )
    with db.session() as s:
        row = s.get(Event, "e1")
        assert row is not None
        assert row.occurred_at.tzinfo is not None
        assert row.occurred_at == helsinki
        assert row.occurred_at.utcoffset() == UTC.utcoffset(None)


def test_naive_datetimes_are_refused(sqlite_db: Database) -> None:
    with pytest.raises(Exception, match="naive"), sqlite_db.session() as s:
        s.add(CollectorState(source="x", last_run_at=datetime(2026, 1, 1)))  # noqa: DTZ001
        s.flush()
