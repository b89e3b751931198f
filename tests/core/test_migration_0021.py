"""Migration 0021 on stored alerts: the owner and revision come out of the JSON payload (in SQL),
existing alerts are numbered in the order the old pull cursor followed, the counter goes on."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from triggerwatch.core.db import Database, make_engine, take_sequence, upgrade

T = datetime(2026, 11, 24, 12, tzinfo=UTC)


def _alert(n: int, owner: str | None, revision: int | None, at: datetime) -> dict[str, object]:
    payload: dict[str, object] = {"alert_id": f"a{n}", "routing": {"owner": owner, "channels": []}}
    if revision is not None:
        payload["revision"] = revision
    return {
        "alert_id": f"a{n}",
        "event_id": f"e{n}",
        "business_id": "0246246-0",
        "kind": "recruitment",
        "product_group": "it-services",
        "score": 0.8,
        "priority": "high",
        "payload": json.dumps(payload),
        "created_at": at,
    }


def check_backfill(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine, "0009_web")
    rows = [
        _alert(3, "rep-anna", 2, T),
        _alert(1, None, None, T - timedelta(hours=1)),
        _alert(2, "sales-team", 1, T),
    ]
    with engine.begin() as c:
        c.execute(
            sa.text(
                "INSERT INTO alerts (alert_id, event_id, business_id, kind, product_group, score, priority,"
                " payload, created_at) VALUES (:alert_id, :event_id, :business_id, :kind, :product_group,"
                " :score, :priority, :payload, :created_at)"
            ),
            rows,
        )
    upgrade(engine)
    with engine.connect() as c:
        got = c.execute(sa.text("SELECT alert_id, owner, revision, change_seq FROM alerts ORDER BY alert_id"))
        assert [tuple(r) for r in got] == [
            ("a1", None, 1, 1),
            ("a2", "sales-team", 1, 2),
            ("a3", "rep-anna", 2, 3),
        ]
    db = Database(url)
    with db.session() as s:
        assert take_sequence(s, "alerts", 2) == 4  # numbers go on after the backfill
    with db.session() as s:
        assert take_sequence(s, "alerts", 1) == 6
    db.dispose()
    engine.dispose()


def test_backfill_on_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    check_backfill(f"sqlite:///{tmp_path / 'm.db'}")


def test_backfill_on_postgresql(pg_url: str) -> None:
    check_backfill(pg_url)
