"""The relay: publishes the transactional outbox to Kafka, and replays it after a broker loss.

It publishes unpublished outbox rows in id order with an ``EventPublisher`` and marks each one
published only after its acknowledgement. When the broker's epoch changes (the memory-only embedded
broker restarted and forgot everything) it re-creates the topics and re-publishes every row
published within ``replay_window_s``: consumers are idempotent, so a replayed event never alerts or
delivers twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from prometheus_client import Counter, Gauge
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from triggerwatch.core.contracts import topic_names
from triggerwatch.core.db import BrokerEpoch, Database, Outbox, utcnow
from triggerwatch.core.kafka import EventPublisher, Message
from triggerwatch.core.settings import RelaySettings

log = logging.getLogger(__name__)

OUTBOX_PUBLISHED = Counter("triggerwatch_outbox_published_total", "Outbox rows published", ["topic"])
OUTBOX_FAILED = Counter("triggerwatch_outbox_publish_failures_total", "Outbox publish failures", ["topic"])
OUTBOX_REPLAYED = Counter("triggerwatch_outbox_replayed_total", "Outbox rows re-queued after a broker loss")
OUTBOX_PENDING = Gauge("triggerwatch_outbox_pending", "Outbox rows waiting to be published")


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
            self.publisher.reset()
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
        while not stop.is_set():
            try:
                if time.monotonic() >= next_epoch_check:
                    self.check_epoch()
                    next_epoch_check = time.monotonic() + self.settings.epoch_check_interval_s
                published = self.run_once()
            except Exception:  # broker away, database busy: log, wait, go on
                log.warning("relay iteration failed; retrying", exc_info=True)
                self.publisher.reset()
                published = 0
                self.current_epoch = None if self.epoch_probe else self.current_epoch
                stop.wait(1.0)
            if published == 0:
                stop.wait(self.settings.poll_interval_s)
