"""End to end on the embedded broker: collector → outbox → relay → Kafka → Faust worker → alerts →
Faust notifier → stub Slack, a real SMTP server and a stub CRM that verifies signatures."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import RECORDINGS, package_file
from tests.integration.conftest import HttpStub, Services, SmtpCollector, wait_for
from triggerwatch.collectors.registry import load_sources
from triggerwatch.collectors.runner import run_once
from triggerwatch.core.broker import EmbeddedBroker
from triggerwatch.core.businessid import check_digit
from triggerwatch.core.contracts import CompanyRef, CompanyRole, EventKind, TriggerEventV1, topic_names
from triggerwatch.core.db import Alert, Database, DeadLetter, Delivery, Event
from triggerwatch.core.kafka import KafkaEventPublisher, Message
from triggerwatch.core.outbox import store_events
from triggerwatch.core.settings import CONFIG_DIR
from triggerwatch.core.targets import (
    CompanyIn,
    ScoreIn,
    TargetFile,
    TargetGroupIn,
    load_targets,
    read_target_file,
)

pytestmark = pytest.mark.integration

SINKS = ("console", "slack", "email", "crm")
DEMO_TARGETS = package_file("triggerwatch.demo", "targets.yaml")


def count(db: Database, stmt: object) -> int:
    with db.session() as s:
        return int(s.scalar(stmt) or 0)  # type: ignore[call-overload]


def delivered(db: Database) -> int:
    return count(db, select(func.count()).select_from(Delivery).where(Delivery.status == "delivered"))


def assert_exactly_once(db: Database, slack: HttpStub, smtp: SmtpCollector, crm: HttpStub) -> int:
    with db.session() as s:
        alerts = s.scalars(select(Alert)).all()
        keys = Counter(d.idempotency_key for d in s.scalars(select(Delivery)))
        statuses = Counter(d.status for d in s.scalars(select(Delivery)))
    assert alerts
    assert statuses == {"delivered": len(alerts) * len(SINKS)}
    assert all(n == 1 for n in keys.values())
    alert_ids = {a.alert_id for a in alerts}
    # what the outside world saw: one message per alert per sink, no more
    crm_ids = Counter(b["alert_id"] for b in crm.json_bodies())
    assert set(crm_ids) == alert_ids and set(crm_ids.values()) == {1}
    assert len(slack.requests) == len(alerts)
    with smtp.lock:
        mail_ids = Counter(m["X-Triggerwatch-Alert-Id"] for m in smtp.messages)
    assert set(mail_ids) == alert_ids and set(mail_ids.values()) == {1}
    return len(alerts)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_recorded_feed_to_every_sink(
    backend: str,
    request: pytest.FixtureRequest,
    services: Services,
    embedded_broker: EmbeddedBroker,
    slack_stub: HttpStub,
    crm_stub: HttpStub,
    smtp_server: tuple[SmtpCollector, int],
) -> None:
    db: Database = request.getfixturevalue("sqlite_db" if backend == "sqlite" else "pg_db")
    services.env["TRIGGERWATCH_DATABASE__URL"] = db.url
    load_targets(db, read_target_file(DEMO_TARGETS))
    sources = load_sources(CONFIG_DIR / "sources.yaml", replay=True)  # the sources the demo replays
    # the real parse path over every enabled source's recording
    for source in sources.values():
        assert run_once(source, db, None, replay_dir=RECORDINGS).error is None
    n_events = count(db, select(func.count()).select_from(Event))
    assert n_events == 70  # 17 jobs, 50 news, 1 TED contract award, 2 PRH trade-register notices

    for name in ("relay", "worker", "notifier"):
        services.start(name)

    # bad input straight onto the events topic: it must be dead-lettered, and the stream goes on
    pub = KafkaEventPublisher(embedded_broker.bootstrap)
    events_topic = topic_names()["events"]
    results = pub.publish(
        [
            Message(events_topic, "x", b"{not json"),
            Message(events_topic, "x", json.dumps({"schema_version": 2, "event_id": "e"}).encode()),
        ]
    )
    pub.close()
    assert all(r.ok for r in results)

    try:
        wait_for(
            lambda: (
                count(db, select(func.count()).select_from(Event).where(Event.processed_at.is_not(None)))
                == n_events
            ),
            90,
            "every event processed",
        )
        n_alerts = count(db, select(func.count()).select_from(Alert))
        # Kela (it-services), Digia Oyj (recruitment-services: a job ad and the PRH board change),
        # Matka-Rengas Niemelä Oy (fleet-services, the TED award's winner); the rest cooled down
        assert n_alerts == 4
        wait_for(lambda: delivered(db) == n_alerts * len(SINKS), 60, "every delivery")
        wait_for(
            lambda: (
                count(db, select(func.count()).select_from(DeadLetter).where(DeadLetter.stage == "worker"))
                == 2
            ),
            30,
            "two dead letters",
        )
    except AssertionError:
        print(services.logs())
        raise
    assert assert_exactly_once(db, slack_stub, smtp_server[0], crm_stub) == 4
    # the worker's and the notifier's own health and metrics pages
    for service, metric in (
        ("WORKER", "triggerwatch_alerts_total"),
        ("NOTIFIER", "triggerwatch_deliveries_total"),
    ):
        base = f"http://127.0.0.1:{services.env[f'TRIGGERWATCH_{service}_PORT']}"
        ready = httpx.get(f"{base}/ready", timeout=5)
        assert ready.status_code == 200, ready.text
        assert ready.json()["assignment"]
        assert httpx.get(f"{base}/health", timeout=5).json()["status"] == "ok"
        assert metric in httpx.get(f"{base}/metrics", timeout=5).text
    with db.session() as s:
        reasons = {d.error_type: d.reason for d in s.scalars(select(DeadLetter))}
    assert set(reasons) == {"malformed_json", "unknown_schema_version"}
    assert "schema_version 2" in reasons["unknown_schema_version"]
    # the Block Kit message says who, what, why and what to offer
    blocks_text = json.dumps(slack_stub.json_bodies())
    assert "Kela" in blocks_text and "it-services" in blocks_text and "0246246-0" in blocks_text


def synthetic_targets(n: int) -> tuple[TargetFile, list[str]]:
    ids: list[str] = []
    body = 2_000_000
    while len(ids) < n:
        digits = f"{body:07d}"
        digit = check_digit(digits)
        if digit is not None:
            ids.append(f"{digits}-{digit}")
        body += 1
    data = TargetFile(
        companies=[
            CompanyIn(business_id=b, name=f"Testi {i} Oy", region="Uusimaa") for i, b in enumerate(ids)
        ],
        target_groups=[
            TargetGroupIn(target_group_id="tg", product_group="pg", rule="TOL J (62) and Uusimaa")
        ],
        scores=[ScoreIn(business_id=b, product_group="pg", target_group_id="tg", score=0.9) for b in ids],
    )
    return data, ids


def recruitment(business_id: str, i: int) -> TriggerEventV1:
    now = datetime.now(UTC)
    return TriggerEventV1.create(
        source="fault-test",
        source_item_id=f"job-{i}",
        kind=EventKind.RECRUITMENT,
        occurred_at=now - timedelta(minutes=5),
        observed_at=now,
        companies=[CompanyRef(business_id=business_id, role=CompanyRole.EMPLOYER)],
        title=f"Ohjelmistokehittäjä #{i}",
    )


def test_sigkill_worker_and_broker_lose_and_duplicate_nothing(
    services: Services,
    sqlite_db: Database,
    embedded_broker: EmbeddedBroker,
    slack_stub: HttpStub,
    crm_stub: HttpStub,
    smtp_server: tuple[SmtpCollector, int],
) -> None:
    db = sqlite_db
    services.env["TRIGGERWATCH_DATABASE__URL"] = db.url
    n = 240
    data, ids = synthetic_targets(n)
    load_targets(db, data)
    for name in ("relay", "worker", "notifier"):
        services.start(name)

    stop = threading.Event()
    written = [0]

    def collector() -> None:  # a steady stream of new events, as a collector would write them
        while written[0] < n and not stop.is_set():
            with db.session() as s:
                store_events(s, [recruitment(ids[written[0] + k], written[0] + k) for k in range(4)])
            written[0] += 4
            stop.wait(0.05)

    feeder = threading.Thread(target=collector, daemon=True)
    feeder.start()
    try:
        wait_for(lambda: delivered(db) > 0, 60, "first delivery")
        wait_for(lambda: written[0] >= n // 3, 30, "a third of the stream written")
        services.kill("worker")  # mid-stream: events keep arriving
        services.start("worker")
        wait_for(lambda: written[0] >= 2 * n // 3, 30, "two thirds written")
        embedded_broker.kill()  # memory only: topics, offsets and groups are gone
        embedded_broker.start()
        feeder.join(60)
        assert written[0] == n
        wait_for(lambda: count(db, select(func.count()).select_from(Alert)) == n, 120, "an alert per event")
        wait_for(lambda: delivered(db) == n * len(SINKS), 120, "every delivery")
    except AssertionError:
        print(services.logs())
        raise
    finally:
        stop.set()
    assert assert_exactly_once(db, slack_stub, smtp_server[0], crm_stub) == n
    with db.session() as s:
        per_event = Counter(a.event_id for a in s.scalars(select(Alert)))
    assert len(per_event) == n and set(per_event.values()) == {1}
