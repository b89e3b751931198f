"""SQL Server: every statement the code issues compiles for the ``mssql`` dialect (no server needed).

A representative run on SQLite (collector storage, dead letters, the worker on every example event,
the noise gate, deliveries, objections, the silent-source watchdog) records every statement it
executes; each is then compiled for ``mssql``. The upserts, which SQLite runs as ``ON CONFLICT``,
are compiled as the ``MERGE`` SQL Server gets. The migrations are rendered for ``mssql`` offline.
What was *not* done: running any of it against a real SQL Server (see docs/analytics.md).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.dialects import mssql
from sqlalchemy.dialects.sqlite.dml import Insert as SqliteInsert
from sqlalchemy.sql.elements import ClauseElement

from tests.conftest import package_file
from tests.notifier.conftest import sample_alert
from triggerwatch.core import upsert as upsert_module
from triggerwatch.core.contracts import DeadLetterV1, decode_event, example_payloads
from triggerwatch.core.db import Base, CollectorState, Database, Delivery, alembic_config, upsert
from triggerwatch.core.objections import add_objection, is_objected
from triggerwatch.core.outbox import store_dead_letter, store_events
from triggerwatch.core.rules import DeliveryRules, load_rules
from triggerwatch.core.settings import CONFIG_DIR, NotifierSettings
from triggerwatch.core.targets import load_targets, read_target_file
from triggerwatch.notifier.dispatcher import Dispatcher
from triggerwatch.notifier.noise import NoiseGate
from triggerwatch.notifier.sinks.console import ConsoleSink
from triggerwatch.worker.processing import Processor

MSSQL = mssql.dialect()
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def compile_mssql(stmt: Any) -> str:
    return str(stmt.compile(dialect=MSSQL))


@pytest.fixture
def recorded(sqlite_db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[ClauseElement]]:
    """Every statement executed on ``sqlite_db``; each upsert is also built for mssql and recorded."""
    seen: list[ClauseElement] = []

    def spy(builder: Any) -> Any:
        def build(dialect: str, *args: Any, **kwargs: Any) -> Any:
            seen.append(builder("mssql", *args, **kwargs))
            return builder(dialect, *args, **kwargs)

        return build

    monkeypatch.setattr(upsert_module, "insert_ignore_statement", spy(upsert_module.insert_ignore_statement))
    monkeypatch.setattr(upsert_module, "upsert_statement", spy(upsert_module.upsert_statement))

    @event.listens_for(sqlite_db.engine, "before_execute")
    def record(conn: Any, clause: Any, multiparams: Any, params: Any, options: Any) -> None:
        if isinstance(clause, ClauseElement) and not isinstance(clause, SqliteInsert):
            seen.append(clause)  # SQLite's ON CONFLICT inserts: their mssql twins are recorded above

    yield seen
    event.remove(sqlite_db.engine, "before_execute", record)


async def test_every_statement_of_a_representative_run_compiles_for_mssql(
    sqlite_db: Database, recorded: list[ClauseElement]
) -> None:
    db = sqlite_db
    load_targets(db, read_target_file(package_file("triggerwatch.demo", "targets.yaml")))
    events = [decode_event(raw) for raw in example_payloads("events").values()]
    with db.session() as s:
        store_events(s, events)
        store_dead_letter(
            s, DeadLetterV1.from_raw(stage="collect", reason="bad", raw=b"x", error_type="t", source="s")
        )
        add_objection(s, "person", "Maija Meikäläinen")
    processor = Processor(db, load_rules(CONFIG_DIR / "rules.yaml"), clock=lambda: NOW)
    processor.process_batch(list(example_payloads("events").values()))
    alert = sample_alert()
    gate = NoiseGate(db, DeliveryRules(daily_cap=1), clock=lambda: NOW)
    gate.decide(alert)
    gate.decide(alert.model_copy(update={"alert_id": "00000000-0000-5000-8000-000000000001"}))
    dispatcher = Dispatcher(db, [ConsoleSink(stream=io.StringIO())], NotifierSettings())
    await dispatcher.deliver(alert)
    await dispatcher.deliver(alert)  # skipped: a read of the delivered row
    blocked = alert.model_copy(update={"alert_id": "00000000-0000-5000-8000-000000000002"})
    await dispatcher.block(blocked, "objection: a test")  # the upsert that never downgrades a delivery
    with db.session() as s:
        is_objected(s, alert)

    from triggerwatch.web.watchdog import check_silent_sources  # the watchdog's own upsert

    with db.session() as s:
        s.add(CollectorState(source="s", last_success_at=datetime(2026, 11, 1, tzinfo=UTC)))
    assert check_silent_sources(db, {"s": 60.0}, NOW)

    assert len(recorded) > 30
    failures = []
    for clause in recorded:
        try:
            compile_mssql(clause)
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}\n  {clause}")
    assert failures == []
    merges = [compile_mssql(c) for c in recorded if isinstance(c, upsert_module.Merge)]
    assert any(m.startswith("MERGE INTO events WITH (HOLDLOCK)") for m in merges)
    assert any("MERGE INTO deliveries" in m and "WHEN MATCHED AND deliveries.status !=" in m for m in merges)


def test_upsert_statements_for_each_dialect() -> None:
    table = Delivery.__table__
    columns = ["alert_id", "sink", "idempotency_key", "status", "attempts"]

    def set_(new: Any) -> dict[str, Any]:
        return {"status": new.status, "attempts": Delivery.attempts + new.attempts}

    merge = compile_mssql(
        upsert_module.upsert_statement(
            "mssql", table, columns, ["idempotency_key"], set_=set_, where=Delivery.status != "delivered"
        )
    )
    assert merge == (
        "MERGE INTO deliveries WITH (HOLDLOCK) USING (VALUES (:alert_id, :sink, :idempotency_key, :status, "
        ":attempts)) AS src (alert_id, sink, idempotency_key, status, attempts) "
        "ON deliveries.idempotency_key = src.idempotency_key "
        "WHEN MATCHED AND deliveries.status != :status_1 THEN UPDATE SET status = src.status, "
        "attempts = deliveries.attempts + src.attempts "
        "WHEN NOT MATCHED THEN INSERT (alert_id, sink, idempotency_key, status, attempts) "
        "VALUES (src.alert_id, src.sink, src.idempotency_key, src.status, src.attempts);"
    )
    ignore = compile_mssql(
        upsert_module.insert_ignore_statement("mssql", table, columns, ["idempotency_key"], returning=True)
    )
    assert "WHEN MATCHED" not in ignore and ignore.endswith("OUTPUT inserted.idempotency_key;")
    for dialect in ("postgresql", "sqlite"):
        from sqlalchemy.dialects import postgresql, sqlite

        d = postgresql.dialect() if dialect == "postgresql" else sqlite.dialect()
        sql = str(
            upsert_module.upsert_statement(dialect, table, columns, ["idempotency_key"], set_=set_).compile(
                dialect=d
            )
        )
        assert "ON CONFLICT (idempotency_key) DO UPDATE" in sql
    with pytest.raises(NotImplementedError, match="oracle"):
        upsert_module.insert_ignore_statement("oracle", table, columns, ["idempotency_key"])
    with pytest.raises(ValueError, match="key columns"):
        upsert_module.Merge(table, ["alert_id"], ["idempotency_key"])


def test_upsert_updates_only_where_allowed(db: Database) -> None:
    """The same upsert on SQLite and PostgreSQL: insert, update, and no update where ``where`` fails."""
    row = {
        "alert_id": "a",
        "sink": "crm",
        "idempotency_key": "a:crm",
        "status": "failed",
        "attempts": 1,
        "created_at": NOW,
    }

    def write(status: str, attempts: int) -> None:
        with db.session() as s:
            upsert(
                s,
                Delivery,
                [row | {"status": status, "attempts": attempts}],
                ["idempotency_key"],
                set_=lambda new: {"status": new.status, "attempts": Delivery.attempts + new.attempts},
                where=Delivery.status != "delivered",
            )

    write("failed", 1)
    write("delivered", 2)
    write("failed", 5)  # a delivered row is never downgraded
    with db.session() as s:
        [(status, attempts)] = s.execute(select(Delivery.status, Delivery.attempts)).tuples().all()
    assert (status, attempts) == ("delivered", 3)


def test_schema_and_migrations_render_for_mssql() -> None:
    from alembic import command
    from sqlalchemy.schema import CreateTable

    for table in Base.metadata.sorted_tables:
        assert compile_mssql(CreateTable(table)).startswith("\nCREATE TABLE")
    cfg = alembic_config()
    cfg.set_main_option("sqlalchemy.url", "mssql+pyodbc://")
    buf = io.StringIO()
    cfg.output_buffer = buf
    command.upgrade(cfg, "heads", sql=True)  # offline: every migration rendered as T-SQL
    sql = buf.getvalue()
    assert "CREATE TABLE deliveries" in sql
    assert "CREATE VIEW v_alerts" in sql
