"""Kafka behind a small port.

``EventPublisher`` is what the relay (and anything else that produces) depends on. Two
implementations run the same behaviour tests: ``KafkaEventPublisher`` (kafka-python, acks=all,
every future checked, re-created after a fatal error such as the embedded broker restarting) and
``InMemoryEventPublisher`` for unit tests.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from triggerwatch.core.contracts import topic_names
from triggerwatch.core.errors import TransientError
from triggerwatch.core.settings import BaseServiceSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    topic: str
    key: str
    value: bytes


@dataclass(frozen=True)
class PublishResult:
    message: Message
    ok: bool
    error: str | None = None
    partition: int | None = None
    offset: int | None = None


class EventPublisher(Protocol):
    def publish(self, messages: Sequence[Message], *, timeout_s: float = 30.0) -> list[PublishResult]:
        """Send all messages and wait for every acknowledgement; one result per message, in order."""
        ...

    def reset(self) -> None:
        """Drop the connection state after a broker loss; the next publish starts afresh."""
        ...

    def close(self) -> None: ...


@dataclass
class InMemoryEventPublisher:
    """Keeps messages per topic; ``fail_next`` makes the next N messages fail (for error paths)."""

    topics: dict[str, list[Message]] = field(default_factory=lambda: defaultdict(list))
    fail_next: int = 0
    closed: bool = False

    def publish(self, messages: Sequence[Message], *, timeout_s: float = 30.0) -> list[PublishResult]:
        results = []
        for msg in messages:
            if self.fail_next > 0:
                self.fail_next -= 1
                results.append(PublishResult(msg, ok=False, error="injected failure"))
                continue
            self.topics[msg.topic].append(msg)
            results.append(PublishResult(msg, ok=True, partition=0, offset=len(self.topics[msg.topic]) - 1))
        return results

    def reset(self) -> None:
        """Nothing to drop: the messages kept so far stay."""

    def close(self) -> None:
        self.closed = True


class KafkaEventPublisher:
    """kafka-python producer, idempotent, acks=all, keyed by company.

    ``send()`` never raises on Tansu after a restart; errors surface on the future. Every future
    is waited for; after a failure the producer is closed and a fresh one is made for the next
    call (an idempotent producer is broken for good once the broker has forgotten its id).
    """

    def __init__(self, bootstrap_servers: str, *, client_id: str = "triggerwatch", **overrides: Any) -> None:
        self._config: dict[str, Any] = {
            "bootstrap_servers": bootstrap_servers.split(","),
            "client_id": client_id,
            "acks": "all",
            "linger_ms": 5,
            "batch_size": 64 * 1024,
            "request_timeout_ms": 10_000,
            "delivery_timeout_ms": 30_000,
            "max_block_ms": 10_000,
            "bootstrap_timeout_ms": 10_000,
            "reconnect_backoff_max_ms": 1_000,
            **overrides,
        }
        self._producer: Any = None
        self._lock = threading.Lock()

    def _ensure(self) -> Any:
        if self._producer is None:
            from kafka import KafkaProducer

            try:
                self._producer = KafkaProducer(**self._config)
            except Exception as exc:  # NoBrokersAvailable, KafkaTimeoutError while bootstrapping
                raise TransientError(f"cannot connect producer: {exc!r}") from exc
        return self._producer

    def reset(self) -> None:
        with self._lock:
            self._reset_locked()

    def _reset_locked(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=2)
            except Exception:  # closing a broken producer may fail; it is discarded anyway
                log.debug("closing broken producer failed", exc_info=True)
            self._producer = None

    def publish(self, messages: Sequence[Message], *, timeout_s: float = 30.0) -> list[PublishResult]:
        with self._lock:
            try:
                producer = self._ensure()
            except TransientError as exc:
                return [PublishResult(msg, ok=False, error=str(exc)) for msg in messages]
            futures = []
            for msg in messages:
                try:
                    fut = producer.send(msg.topic, key=msg.key.encode(), value=msg.value)
                except Exception as exc:  # kafka-python raises KafkaTimeoutError etc. here
                    fut = exc
                futures.append((msg, fut))
            producer.flush(timeout=timeout_s)
            results: list[PublishResult] = []
            failed = False
            for msg, fut in futures:
                if isinstance(fut, Exception):
                    results.append(PublishResult(msg, ok=False, error=repr(fut)))
                    failed = True
                    continue
                try:
                    md = fut.get(timeout=timeout_s)
                    results.append(PublishResult(msg, ok=True, partition=md.partition, offset=md.offset))
                except Exception as exc:
                    results.append(PublishResult(msg, ok=False, error=repr(exc)))
                    failed = True
            if failed:
                log.warning("publish failed for some messages; re-creating the producer")
                self._reset_locked()
            return results

    def close(self) -> None:
        self.reset()


# ---------------------------------------------------------------------------------------------------
# topics


def topic_specs(settings: BaseServiceSettings) -> dict[str, dict[str, Any]]:
    """Every topic the app uses, with partitions and configs. The targets topic is compacted."""
    names = topic_names(settings.kafka.topic_prefix)
    specs: dict[str, dict[str, Any]] = {}
    for kind, name in names.items():
        configs = {"cleanup.policy": "compact"} if kind == "targets" else {}
        specs[name] = {
            "num_partitions": settings.kafka.partitions,
            "replication_factor": settings.kafka.replication_factor,
            "configs": configs,
        }
    return specs


def admin_client(bootstrap_servers: str, **kwargs: Any) -> Any:
    from kafka.admin import KafkaAdminClient

    return KafkaAdminClient(
        bootstrap_servers=bootstrap_servers.split(","),
        client_id="triggerwatch-admin",
        request_timeout_ms=10_000,
        **kwargs,
    )


def ensure_topics(settings: BaseServiceSettings, *, admin: Any = None) -> list[str]:
    """Create the missing topics; returns those created. Safe to call again at any time."""
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    own = admin is None
    admin = admin or admin_client(settings.bootstrap_servers)
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(name, spec["num_partitions"], spec["replication_factor"], topic_configs=spec["configs"])
            for name, spec in topic_specs(settings).items()
            if name not in existing
        ]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another process was quicker
                admin.create_topics(missing)
        return [t.name for t in missing]
    finally:
        if own:
            admin.close()


def broker_epoch(settings: BaseServiceSettings, *, admin: Any) -> str | None:
    """An id of the broker's incarnation: the events topic's topic id (KIP-516).

    On Apache Kafka it never changes. The memory-only embedded broker forgets every topic when it
    restarts: the recreated topic gets a new id, and that tells the relay to replay the outbox.
    None when the events topic does not exist (yet).
    """
    name = topic_names(settings.kafka.topic_prefix)["events"]
    for topic in admin.describe_topics([name]):
        if topic.get("name") == name and not topic.get("error_code"):
            topic_id = topic.get("topic_id")
            return str(topic_id) if topic_id else None
    return None
