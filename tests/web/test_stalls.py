"""A stalled stage (issue 15) shows on ``/ready`` (503), on the ops page and in ``/metrics``: the
relay (outbox rows unpublished), the worker (events unprocessed), the notifier (deliveries due and not
attempted) — and a sink's outage (its retries due later) is not a stall."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from tests.web.conftest import make_web
from tests.web.test_ops import login
from triggerwatch.core.contracts import EventKind, TriggerEventV1
from triggerwatch.core.db import Database, Delivery, Event, Outbox
from triggerwatch.core.deliveries import enqueue
from triggerwatch.core.outbox import store_events
from triggerwatch.web.auth import Role

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_a_stalled_stage_shows_on_ready_the_ops_page_and_metrics(sqlite_db: Database) -> None:
    db = sqlite_db
    web = make_web(db, now=NOW)
    assert web.client.get("/ready").json() == {"status": "ready"}

    earlier = NOW - timedelta(minutes=10)
    event = TriggerEventV1.create(
        source="s",
        source_item_id="1",
        kind=EventKind.NEWS,
        occurred_at=earlier,
        observed_at=earlier,
        title="t",
    )
    with db.session() as s:
        store_events(s, [event])  # stored and queued, never published nor processed
        s.execute(update(Outbox).values(created_at=earlier))
        s.execute(update(Event).values(created_at=earlier))
        enqueue(s, "a1", "{}", {"crm": "a1:crm", "slack": "a1:slack"}, earlier)  # due, never attempted

    ready = web.client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["status"] == "stalled"
    assert set(ready.json()["stalled"]) == {"relay", "worker", "notifier"}
    assert "2 delivery(ies) due and not attempted" in ready.json()["stalled"]["notifier"]

    login(web, Role.OPS)
    page = web.client.get("/ui/ops").text
    stalled = re.findall(r'<li class="failing" data-stage="(\w+)">', page)
    assert stalled == ["relay", "worker", "notifier"]
    metrics = web.client.get("/metrics", headers=web.as_(Role.OPS)).text
    assert 'triggerwatch_stage_stalled{stage="notifier"} 1.0' in metrics

    # the relay and the worker caught up; the CRM is down and its delivery retries in an hour: that
    # is an outage (shown as pending deliveries), not a stalled notifier
    with db.session() as s:
        s.execute(update(Outbox).values(published_at=NOW))
        s.execute(update(Event).values(processed_at=NOW))
        s.execute(update(Delivery).where(Delivery.sink == "slack").values(status="delivered"))
        s.execute(
            update(Delivery)
            .where(Delivery.sink == "crm")
            .values(failing_since=earlier, next_attempt_at=NOW + timedelta(hours=1))
        )
    assert web.client.get("/ready").json() == {"status": "ready"}
    assert (
        'triggerwatch_stage_stalled{stage="notifier"} 0.0'
        in web.client.get("/metrics", headers=web.as_(Role.OPS)).text
    )
    web.client.close()
