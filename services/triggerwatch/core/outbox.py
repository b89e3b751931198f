"""Transactional outbox and its relay.

Writers (collectors, the scoring loader, dead-lettering) insert their rows *and* outbox rows in one
database transaction. The relay publishes unpublished rows in id order with an ``EventPublisher``
and marks each one published only after its acknowledgement. When the broker's epoch changes (the
memory-only embedded broker restarted and forgot everything) the relay re-creates the topics and
re-publishes every row published within ``replay_window_s``: consumers are idempotent, so a
replayed event never alerts or delivers twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter, Gauge
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from triggerwatch.core.contracts import DeadLetterV1, TriggerEventV1, encode, topic_names
from triggerwatch.core.db import (
    BrokerEpoch,
    Database,
    DeadLetter,
    Event,
    JSONText,
    Outbox,
    insert_ignore,
    utcnow,
)
from triggerwatch.core.kafka import EventPublisher, Message
from triggerwatch.core.settings import RelaySettings

log = logging.getLogger(__name__)

OUTBOX_PUBLISHED = Counter("triggerwatch_outbox_published_total", "Outbox rows published", ["topic"])
OUTBOX_FAILED = Counter("triggerwatch_outbox_publish_failures_total", "Outbox publish failures", ["topic"])
OUTBOX_REPLAYED = Counter("triggerwatch_outbox_replayed_total", "Outbox rows re-queued after a broker loss")
OUTBOX_PENDING = Gauge("triggerwatch_outbox_pending", "Outbox rows waiting to be published")


def enqueue(session: Session, topic_kind: str, key: str, payload: bytes, ref_id: str | None = None) -> None:
    session.add(Outbox(topic_kind=topic_kind, message_key=key, payload=payload.decode(), ref_id=ref_id))


def event_row(event: TriggerEventV1) -> dict[str, Any]:
    business_id = next((c.business_id for c in event.companies if c.business_id), None)
    return {
        "event_id": event.event_id,
        "source": event.source,
        "source_item_id": event.source_item_id,
        "kind": event.kind.value,
        "business_id": business_id,
        "occurred_at": event.occurred_at,
        "observed_at": event.observed_at,
        "payload": JSONText(event.model_dump_json()),
        "created_at": utcnow(),
    }


def store_events(session: Session, events: Iterable[TriggerEventV1]) -> list[TriggerEventV1]:
    """Insert events not seen before and queue them for publishing; returns the new ones.

    An event id is deterministic (source + item id), so re-polling a feed stores nothing twice.
    """
    new: list[TriggerEventV1] = []
    for event in events:
        if insert_ignore(session, Event, [event_row(event)], ["event_id"]):
            enqueue(session, "events", event.partition_key(), encode(event), event.event_id)
            new.append(event)
    return new


def store_dead_letter(session: Session, dl: DeadLetterV1, *, publish: bool = True) -> bool:
    """Record a dead letter (once per id) and queue it for the dead-letter topic."""
    row = {
        "dead_letter_id": dl.dead_letter_id,
        "stage": dl.stage,
        "source": dl.source,
        "reason": dl.reason,
        "error_type": dl.error_type,
        "raw": dl.raw_b64,
        "created_at": dl.created_at,
    }
    inserted = bool(insert_ignore(session, DeadLetter, [row], ["dead_letter_id"]))
    if inserted and publish:
        enqueue(session, "deadletter", dl.stage, encode(dl), dl.dead_letter_id)
    return inserted


class Relay:
    def __init__(
        self,
        db: Database,
        publisher: EventPublisher,
        settings: RelaySettings,
        *,
        epoch_probe: Callable[[], str | None] | None = None,
        ensure_topics: Callable[[], object] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.publisher = publisher
        self.settings = settings
        self.topics = topic_names(settings.kafka.topic_prefix)
        self.epoch_probe = epoch_probe
        self.ensure_topics = ensure_topics
        self.clock = clock
        self.current_epoch: str | None = None

    # -- epochs ------------------------------------------------------------------------------------
    def check_epoch(self) -> int:
        """Detect a new broker incarnation; re-queue recent rows. Returns the rows re-queued."""
        if self.epoch_probe is None:
            return 0
        epoch = self.epoch_probe()
        if epoch is None and self.ensure_topics is not None:
            self.ensure_topics()
            epoch = self.epoch_probe()
        if epoch is None or epoch == self.current_epoch:
            return 0
        with self.db.session() as session:
            known = session.get(BrokerEpoch, epoch)
            requeued = 0
            if known is None:
                requeued = self._requeue_recent(session)
                session.add(BrokerEpoch(epoch_id=epoch, seen_at=self.clock(), replayed_rows=requeued))
        if requeued:
            log.warning("new broker epoch %s: re-queued %d recent outbox rows", epoch, requeued)
            OUTBOX_REPLAYED.inc(requeued)
            reset = getattr(self.publisher, "reset", None)
            if reset:
                reset()
        self.current_epoch = epoch
        return requeued

    def _requeue_recent(self, session: Session) -> int:
        cutoff = self.clock() - timedelta(seconds=self.settings.replay_window_s)
        result = session.execute(
            update(Outbox)
            .where(Outbox.published_at.is_not(None))
            .where((Outbox.published_at >= cutoff) | (Outbox.topic_kind == "targets"))
            .values(published_at=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    # -- publishing --------------------------------------------------------------------------------
    def run_once(self) -> int:
        """Publish one batch of unpublished rows in id order; returns how many were published."""
        with self.db.session() as session:
            rows = session.scalars(
                select(Outbox)
                .where(Outbox.published_at.is_(None))
                .order_by(Outbox.id)
                .limit(self.settings.batch_size)
            ).all()
            if not rows:
                OUTBOX_PENDING.set(0)
                return 0
            messages = [Message(self.topics[r.topic_kind], r.message_key, r.payload.encode()) for r in rows]
            results = self.publisher.publish(messages)
            now = self.clock()
            published = 0
            for row, result in zip(rows, results, strict=True):
                row.attempts += 1
                if result.ok:
                    row.published_at = now
                    row.last_error = None
                    published += 1
                    OUTBOX_PUBLISHED.labels(row.topic_kind).inc()
                else:
                    row.last_error = result.error
                    OUTBOX_FAILED.labels(row.topic_kind).inc()
            pending = session.scalar(
                select(func.count()).select_from(Outbox).where(Outbox.published_at.is_(None))
            )
            OUTBOX_PENDING.set((pending or 0) - published)
            return published

    def pending(self) -> int:
        with self.db.session() as session:
            return int(
                session.scalar(select(func.count()).select_from(Outbox).where(Outbox.published_at.is_(None)))
                or 0
            )

    def run(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set: check the epoch now and then, publish whatever is pending."""
        next_epoch_check = 0.0
        import time

        while not stop.is_set():
            try:
                if time.monotonic() >= next_epoch_check:
                    self.check_epoch()
                    next_epoch_check = time.monotonic() + self.settings.epoch_check_interval_s
                published = self.run_once()
            except Exception:  # broker away, database busy: log, wait, go on
                log.warning("relay iteration failed; retrying", exc_info=True)
                reset = getattr(self.publisher, "reset", None)
                if reset:
                    reset()
                published = 0
                self.current_epoch = None if self.epoch_probe else self.current_epoch
                stop.wait(1.0)
            if published == 0:
                stop.wait(self.settings.poll_interval_s)
