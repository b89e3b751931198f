"""A dead letter replayed through the web API flows again: outbox → relay → Kafka → Faust worker."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import package_file
from tests.integration.conftest import Services, wait_for
from tests.web.conftest import recorded_events
from triggerwatch.core.contracts import DeadLetterV1, encode
from triggerwatch.core.db import Alert, Database, Event
from triggerwatch.core.outbox import store_dead_letter
from triggerwatch.core.settings import WebSettings
from triggerwatch.core.targets import load_targets, read_target_file
from triggerwatch.web.app import create_app
from triggerwatch.web.auth import Role, create_token

pytestmark = pytest.mark.integration
DEMO_TARGETS = package_file("triggerwatch.demo", "targets.yaml")


def test_a_replayed_dead_letter_is_processed_by_the_worker(sqlite_db: Database, services: Services) -> None:
    db = sqlite_db
    services.env["TRIGGERWATCH_DATABASE__URL"] = db.url
    load_targets(db, read_target_file(DEMO_TARGETS))
    [kela] = [e for e in recorded_events(datetime.now(UTC)) if e.title == "IT asiantuntija, Kela, Jyväskylä"]
    dl = DeadLetterV1.from_raw(
        stage="worker",
        reason="database is locked",
        raw=encode(kela),
        error_type="operational_error",
        source=kela.source,
    )
    with db.session() as s:
        store_dead_letter(s, dl, publish=False)
        _row, token = create_token(s, role=Role.OPS, name="ops@example.fi")
    client = TestClient(create_app(WebSettings(), db, silence_watch=False))
    resp = client.post(
        f"/api/v1/dead-letters/{dl.dead_letter_id}/replay", headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status_code == 200 and resp.json()["event_id"] == kela.event_id

    services.start("relay")
    services.start("worker")

    def processed() -> bool:
        with db.session() as s:
            row = s.get(Event, kela.event_id)
            return row is not None and row.processed_at is not None

    try:
        wait_for(processed, 90, "the replayed event processed by the worker")
    except AssertionError:
        print(services.logs())
        raise
    with db.session() as s:
        [alert] = s.scalars(select(Alert).where(Alert.event_id == kela.event_id)).all()
    assert (alert.business_id, alert.product_group, alert.priority) == ("0246246-0", "it-services", "high")


def test_a_silent_source_ops_alert_is_delivered_by_the_notifier(
    sqlite_db: Database, services: Services
) -> None:
    from datetime import timedelta

    from triggerwatch.core.db import CollectorState, Delivery
    from triggerwatch.web.watchdog import check_silent_sources

    db = sqlite_db
    services.env["TRIGGERWATCH_DATABASE__URL"] = db.url
    now = datetime.now(UTC)
    with db.session() as s:
        s.add(
            CollectorState(
                source="te-jobs-jyvaskyla", last_run_at=now, last_success_at=now - timedelta(hours=3)
            )
        )
    [alert] = check_silent_sources(db, {"te-jobs-jyvaskyla": 7200.0}, now)
    services.start("relay")
    services.start("notifier")

    def delivered() -> set[str]:
        with db.session() as s:
            rows = s.scalars(select(Delivery).where(Delivery.alert_id == alert.alert_id)).all()
            return {r.sink for r in rows if r.status == "delivered"}

    try:
        wait_for(lambda: "console" in delivered(), 90, "the ops alert delivered")
    except AssertionError:
        print(services.logs())
        raise
    assert "te-jobs-jyvaskyla" in services.logs()
