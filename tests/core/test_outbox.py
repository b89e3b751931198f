from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tests.conftest import broker_settings
from tests.core.test_kafka_port import read_all
from triggerwatch.core.broker import EmbeddedBroker
from triggerwatch.core.contracts import EventKind, TriggerEventV1, decode_event, topic_names
from triggerwatch.core.db import BrokerEpoch, Database, Event, Outbox
from triggerwatch.core.kafka import InMemoryEventPublisher, KafkaEventPublisher, admin_client, broker_epoch
from triggerwatch.core.outbox import store_events
from triggerwatch.core.settings import RelaySettings
from triggerwatch.relay.relay import Relay

EVENTS = topic_names()["events"]
T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def make_events(n: int, source: str = "test") -> list[TriggerEventV1]:
    return [
        TriggerEventV1.create(
            source=source,
            source_item_id=f"item-{i}",
            kind=EventKind.NEWS,
            occurred_at=T0,
            observed_at=T0,
            title=f"title {i}",
        )
        for i in range(n)
    ]


def test_store_events_writes_event_and_outbox_once(db: Database) -> None:
    with db.session() as s:
        assert len(store_events(s, make_events(3))) == 3
    with db.session() as s:
        assert store_events(s, make_events(3)) == []  # deterministic ids: a re-poll stores nothing
        assert s.scalar(select(func.count()).select_from(Event)) == 3
        assert s.scalar(select(func.count()).select_from(Outbox)) == 3


def test_rollback_leaves_neither_event_nor_outbox_row(sqlite_db: Database) -> None:
    try:
        with sqlite_db.session() as s:
            store_events(s, make_events(2))
            raise RuntimeError("crash before commit")
    except RuntimeError:
        pass
    with sqlite_db.session() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 0
        assert s.scalar(select(func.count()).select_from(Outbox)) == 0


def test_relay_publishes_in_order_and_keeps_failures_for_later(db: Database) -> None:
    with db.session() as s:
        store_events(s, make_events(5))
    pub = InMemoryEventPublisher(fail_next=2)
    relay = Relay(db, pub, RelaySettings(), clock=lambda: T0)
    assert relay.run_once() == 3
    assert relay.pending() == 2
    with db.session() as s:
        failed = s.scalars(select(Outbox).where(Outbox.published_at.is_(None))).all()
        assert all(r.last_error == "injected failure" and r.attempts == 1 for r in failed)
    assert relay.run_once() == 2
    assert relay.pending() == 0
    titles = [decode_event(m.value).title for m in pub.topics[EVENTS]]
    assert sorted(titles) == [f"title {i}" for i in range(5)]


def test_new_broker_epoch_requeues_recent_rows_only(db: Database) -> None:
    now = [T0]
    epoch = ["epoch-1"]
    pub = InMemoryEventPublisher()
    relay = Relay(
        db, pub, RelaySettings(replay_window_s=3600), epoch_probe=lambda: epoch[0], clock=lambda: now[0]
    )
    with db.session() as s:
        store_events(s, make_events(2, source="old"))
    assert relay.check_epoch() == 0  # first epoch ever: nothing published yet
    assert relay.run_once() == 2
    now[0] = T0 + timedelta(hours=2)
    with db.session() as s:
        store_events(s, make_events(3, source="recent"))
    assert relay.run_once() == 3
    epoch[0] = "epoch-2"  # the broker restarted and forgot everything
    assert relay.check_epoch() == 3  # only the rows published within the last hour
    assert relay.check_epoch() == 0  # once per epoch
    assert relay.run_once() == 3
    with db.session() as s:
        assert {e.epoch_id for e in s.scalars(select(BrokerEpoch))} == {"epoch-1", "epoch-2"}
    # a relay restarted on the same epoch does not replay again
    fresh = Relay(
        db, pub, RelaySettings(replay_window_s=3600), epoch_probe=lambda: "epoch-2", clock=lambda: now[0]
    )
    assert fresh.check_epoch() == 0


def test_relay_replays_into_a_restarted_embedded_broker(
    sqlite_db: Database, embedded_broker: EmbeddedBroker
) -> None:
    settings = RelaySettings(
        kafka_bootstrap_servers=embedded_broker.bootstrap, kafka=broker_settings(embedded_broker.port).kafka
    )
    admin = admin_client(embedded_broker.bootstrap)
    pub = KafkaEventPublisher(embedded_broker.bootstrap)
    relay = Relay(sqlite_db, pub, settings, epoch_probe=lambda: broker_epoch(settings, admin=admin))
    try:
        with sqlite_db.session() as s:
            store_events(s, make_events(10))
        relay.check_epoch()
        assert relay.run_once() == 10
        assert len(read_all(embedded_broker.bootstrap, EVENTS, 10)) == 10

        embedded_broker.kill()
        embedded_broker.start()  # memory only: the 10 events are gone from Kafka
        admin.close()
        admin = admin_client(embedded_broker.bootstrap)
        relay.epoch_probe = lambda: broker_epoch(settings, admin=admin)
        assert relay.check_epoch() == 10
        published = 0
        for _ in range(5):  # the first send after a restart may fail once (stale producer), then succeeds
            published += relay.run_once()
            if relay.pending() == 0:
                break
        assert published == 10
        values = read_all(embedded_broker.bootstrap, EVENTS, 10)
        assert sorted(decode_event(v).title for _, v in values) == sorted(f"title {i}" for i in range(10))
    finally:
        pub.close()
        admin.close()
