from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from triggerwatch.core.contracts import DeadLetterV1, EventKind, TriggerEventV1
from triggerwatch.core.db import CollectorState, Database, Delivery
from triggerwatch.core.outbox import store_dead_letter, store_events
from triggerwatch.core.settings import WebSettings
from triggerwatch.web.app import create_app
from triggerwatch.web.auth import Role, create_token

T = datetime(2026, 11, 24, 12, tzinfo=UTC)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_health_ready_and_metrics_from_the_database(db: Database) -> None:
    with db.session() as s:
        store_events(
            s,
            [
                TriggerEventV1.create(
                    source="src-a",
                    source_item_id=str(i),
                    kind=EventKind.NEWS,
                    occurred_at=T,
                    observed_at=T,
                    title="t",
                )
                for i in range(3)
            ],
        )
        store_dead_letter(
            s, DeadLetterV1.from_raw(stage="collect", reason="bad", raw=b"x", error_type="e", source="src-a")
        )
        s.add(CollectorState(source="src-a", last_success_at=T, last_run_at=T))
        s.add(CollectorState(source="src-b", last_error_at=T, last_run_at=T, last_error="HTTP 503"))
        s.add(Delivery(alert_id="a", sink="slack", idempotency_key="a:slack", status="delivered", attempts=1))
        s.add(Delivery(alert_id="a", sink="crm", idempotency_key="a:crm", status="failed", attempts=5))
    with db.session() as s:
        _row, token = create_token(s, role=Role.OPS, name="prometheus")
    client = TestClient(create_app(WebSettings(), db, silence_watch=False))
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/ready").status_code == 200
    assert client.get("/metrics").status_code == 401
    resp = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200
    m = samples(resp.text)
    assert m[("triggerwatch_events_stored", (("kind", "news"), ("source", "src-a")))] == 3
    assert m[("triggerwatch_dead_letters_stored", (("source", "src-a"), ("stage", "collect")))] == 1
    assert m[("triggerwatch_deliveries_stored", (("sink", "slack"), ("status", "delivered")))] == 1
    assert m[("triggerwatch_deliveries_stored", (("sink", "crm"), ("status", "failed")))] == 1
    assert m[("triggerwatch_outbox_unpublished", ())] == 4  # 3 events + 1 dead letter
    assert m[("triggerwatch_source_last_success_timestamp_seconds", (("source", "src-a"),))] == T.timestamp()
    assert m[("triggerwatch_source_failing", (("source", "src-b"),))] == 1
    assert m[("triggerwatch_source_failing", (("source", "src-a"),))] == 0
    # the silent-source threshold of each configured source, from sources.yaml
    assert m[("triggerwatch_source_expected_interval_seconds", (("source", "ted-fi"),))] == 90000


def test_ready_fails_without_database(tmp_path: object) -> None:
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    client = TestClient(create_app(WebSettings(), db))
    assert client.get("/health").status_code == 200
    assert client.get("/ready").status_code == 503
