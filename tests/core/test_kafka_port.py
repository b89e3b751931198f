"""The same behaviour tests for both EventPublisher implementations (in-memory and Kafka)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaConsumer

from tests.conftest import broker_settings
from triggerwatch.core.broker import EmbeddedBroker
from triggerwatch.core.contracts import topic_names
from triggerwatch.core.kafka import (
    EventPublisher,
    InMemoryEventPublisher,
    KafkaEventPublisher,
    Message,
    admin_client,
    broker_epoch,
    ensure_topics,
)

TOPIC = topic_names()["events"]


def read_all(bootstrap: str, topic: str, expected: int) -> list[tuple[bytes, bytes]]:
    """Read a topic from the start with a group-less consumer (groups join slowly on Tansu)."""

    async def run() -> list[tuple[bytes, bytes]]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
        )
        await consumer.start()
        try:
            from aiokafka import TopicPartition

            parts = consumer.partitions_for_topic(topic) or set()
            consumer.assign([TopicPartition(topic, p) for p in parts])
            await consumer.seek_to_beginning()
            got: list[tuple[bytes, bytes]] = []
            async with asyncio.timeout(20):
                while len(got) < expected:
                    batch = await consumer.getmany(timeout_ms=500)
                    for records in batch.values():
                        got.extend((r.key, r.value) for r in records)
            return got
        finally:
            await consumer.stop()

    return asyncio.run(run())


@pytest.fixture(params=["memory", "kafka"])
def publisher(request: pytest.FixtureRequest) -> Iterator[tuple[EventPublisher, EmbeddedBroker | None]]:
    if request.param == "memory":
        pub: EventPublisher = InMemoryEventPublisher()
        yield pub, None
    else:
        broker: EmbeddedBroker = request.getfixturevalue("embedded_broker")
        kpub = KafkaEventPublisher(broker.bootstrap)
        yield kpub, broker
        kpub.close()


def test_publish_acknowledges_each_message_in_order(
    publisher: tuple[EventPublisher, EmbeddedBroker | None],
) -> None:
    pub, broker = publisher
    msgs = [Message(TOPIC, f"k{i % 3}", f"v{i}".encode()) for i in range(25)]
    results = pub.publish(msgs)
    assert [r.message for r in results] == msgs
    assert all(r.ok and r.offset is not None for r in results)
    if broker is None:
        assert isinstance(pub, InMemoryEventPublisher)
        stored = [(m.key.encode(), m.value) for m in pub.topics[TOPIC]]
    else:
        stored = read_all(broker.bootstrap, TOPIC, 25)
    assert sorted(v for _, v in stored) == sorted(m.value for m in msgs)
    # keyed by company: one key always lands in one partition
    if broker is not None:
        by_key: dict[str, set[int]] = {}
        for r in results:
            by_key.setdefault(r.message.key, set()).add(r.partition or 0)
        assert all(len(parts) == 1 for parts in by_key.values())


def test_failures_are_reported_per_message_not_raised(
    publisher: tuple[EventPublisher, EmbeddedBroker | None],
) -> None:
    pub, broker = publisher
    if broker is None:
        assert isinstance(pub, InMemoryEventPublisher)
        pub.fail_next = 1
    else:
        broker.kill()  # the broker is gone: sends must fail, visibly
        assert isinstance(pub, KafkaEventPublisher)
        pub._config.update(
            max_block_ms=1500, delivery_timeout_ms=3000, request_timeout_ms=1000, bootstrap_timeout_ms=1500
        )
        pub.reset()
    results = pub.publish([Message(TOPIC, "k", b"v")], timeout_s=5)
    assert len(results) == 1
    assert not results[0].ok
    assert results[0].error


def test_kafka_publisher_recovers_after_broker_restart(embedded_broker: EmbeddedBroker) -> None:
    pub = KafkaEventPublisher(embedded_broker.bootstrap)
    try:
        assert all(r.ok for r in pub.publish([Message(TOPIC, "a", b"before")]))
        embedded_broker.kill()
        embedded_broker.start()  # memory only: everything is gone, topics re-created
        results = pub.publish([Message(TOPIC, "a", b"after-1")], timeout_s=15)
        if not results[0].ok:  # the idempotent producer is broken for good: a fresh one takes over
            results = pub.publish([Message(TOPIC, "a", b"after-1")], timeout_s=15)
        assert results[0].ok, results[0].error
        assert [v for _, v in read_all(embedded_broker.bootstrap, TOPIC, 1)] == [b"after-1"]
    finally:
        pub.close()


def test_topics_created_explicitly_with_partitions_and_compaction(embedded_broker: EmbeddedBroker) -> None:
    settings = broker_settings(embedded_broker.port)
    admin = admin_client(embedded_broker.bootstrap)
    try:
        names = topic_names()
        described = {t["name"]: t for t in admin.describe_topics(list(names.values()))}
        for name in names.values():
            assert len(described[name]["partitions"]) == settings.kafka.partitions
        configs = admin.describe_configs(
            config_resources=[
                __import__("kafka.admin", fromlist=["ConfigResource"]).ConfigResource(
                    "TOPIC", names["targets"]
                )
            ],
            config_filter="all",
        )
        assert "compact" in repr(configs)
        assert ensure_topics(settings, admin=admin) == []  # idempotent
        first = broker_epoch(settings, admin=admin)
        assert first
    finally:
        admin.close()
    embedded_broker.kill()
    embedded_broker.start()
    admin = admin_client(embedded_broker.bootstrap)
    try:
        assert broker_epoch(settings, admin=admin) not in (None, first)  # a new incarnation is visible
    finally:
        admin.close()
