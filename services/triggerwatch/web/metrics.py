"""``/metrics`` of the web service: the pipeline's figures computed from the database at scrape time,
so they are right whichever process (collector, worker, notifier) did the work and however often
each restarted."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triggerwatch.core.db import (
    Alert,
    CollectorState,
    Database,
    DeadLetter,
    Delivery,
    Event,
    Feedback,
    Outbox,
    utcnow,
)
from triggerwatch.web.ops_queries import stalled_stages
from triggerwatch.web.watchdog import is_failing, is_silent


class DatabaseMetrics:
    """A Prometheus collector computing the pipeline's figures from the database at scrape time."""

    def __init__(
        self,
        db: Database,
        expected_intervals: dict[str, float] | None = None,
        clock: Callable[[], datetime] = utcnow,
        stall_after_s: float = 300.0,
    ) -> None:
        self.db = db
        self.expected_intervals = expected_intervals or {}
        self.clock = clock
        self.stall_after_s = stall_after_s

    def _latency(self, s: Session) -> HistogramMetricFamily:
        rows = s.execute(
            select(Alert.created_at, Event.observed_at).join(Event, Event.event_id == Alert.event_id)
        ).all()
        return _latency_family([max(0.0, (a - o).total_seconds()) for a, o in rows])

    def collect(self) -> Iterator[Metric]:
        with self.db.session() as s:
            events = GaugeMetricFamily(
                "triggerwatch_events_stored", "Events stored", labels=["source", "kind"]
            )
            for source, kind, n in s.execute(
                select(Event.source, Event.kind, func.count()).group_by(Event.source, Event.kind)
            ):
                events.add_metric([source, kind], n)
            yield events

            alerts = GaugeMetricFamily(
                "triggerwatch_alerts_stored", "Alerts stored", labels=["kind", "priority"]
            )
            for kind, prio, n in s.execute(
                select(Alert.kind, Alert.priority, func.count()).group_by(Alert.kind, Alert.priority)
            ):
                alerts.add_metric([kind, prio], n)
            yield alerts

            deliveries = GaugeMetricFamily(
                "triggerwatch_deliveries_stored", "Deliveries by sink and status", labels=["sink", "status"]
            )
            for sink, status, n in s.execute(
                select(Delivery.sink, Delivery.status, func.count()).group_by(Delivery.sink, Delivery.status)
            ):
                deliveries.add_metric([sink, status], n)
            yield deliveries

            attempts = GaugeMetricFamily(
                "triggerwatch_delivery_attempts_stored",
                "Delivery attempts per sink (sum over the deliveries table)",
                labels=["sink"],
            )
            failures = GaugeMetricFamily(
                "triggerwatch_delivery_failures_stored", "Failed deliveries per sink", labels=["sink"]
            )
            for sink, n_attempts, n_failed in s.execute(
                select(
                    Delivery.sink,
                    func.sum(Delivery.attempts),
                    func.count().filter(Delivery.status == "failed"),
                ).group_by(Delivery.sink)
            ):
                attempts.add_metric([sink], float(n_attempts or 0))
                failures.add_metric([sink], float(n_failed or 0))
            yield attempts
            yield failures
            in_doubt = GaugeMetricFamily(
                "triggerwatch_delivery_in_doubt_stored",
                "Attempts sent again because their notifier died mid-send (each a possible duplicate "
                "at a sink that does not deduplicate by key)",
                labels=["sink"],
            )
            for sink, n in s.execute(
                select(Delivery.sink, func.sum(Delivery.in_doubt)).group_by(Delivery.sink)
            ):
                in_doubt.add_metric([sink], float(n or 0))
            yield in_doubt
            stalled = stalled_stages(s, self.clock(), self.stall_after_s)
            stage_stalled = GaugeMetricFamily(
                "triggerwatch_stage_stalled",
                "1 when the stage's oldest waiting item has waited past TRIGGERWATCH_STALL_AFTER_S",
                labels=["stage"],
            )
            for stage in ("relay", "worker", "notifier"):
                stage_stalled.add_metric([stage], 1.0 if stage in stalled else 0.0)
            yield stage_stalled

            yield self._latency(s)

            dead = GaugeMetricFamily(
                "triggerwatch_dead_letters_stored", "Dead letters", labels=["stage", "source"]
            )
            for stage, dl_source, n in s.execute(
                select(DeadLetter.stage, DeadLetter.source, func.count()).group_by(
                    DeadLetter.stage, DeadLetter.source
                )
            ):
                dead.add_metric([stage, dl_source or ""], n)
            yield dead

            pending = s.scalar(select(func.count()).select_from(Outbox).where(Outbox.published_at.is_(None)))
            yield GaugeMetricFamily(
                "triggerwatch_outbox_unpublished", "Outbox rows not yet published", value=pending or 0
            )

            last = GaugeMetricFamily(
                "triggerwatch_source_last_success_timestamp_seconds",
                "Last successful poll per source",
                labels=["source"],
            )
            errors = GaugeMetricFamily(
                "triggerwatch_source_failing",
                "1 when the last poll failed, or dead-lettered new items while storing the rest",
                labels=["source"],
            )
            silent = GaugeMetricFamily(
                "triggerwatch_source_silent",
                "1 when now - last success > the source's expected interval",
                labels=["source"],
            )
            now = self.clock()
            for row in s.scalars(select(CollectorState)):
                if row.source in self.expected_intervals:
                    flag, _age = is_silent(row, self.expected_intervals[row.source], now)
                    silent.add_metric([row.source], 1.0 if flag else 0.0)
                if row.last_success_at:
                    last.add_metric([row.source], row.last_success_at.timestamp())
                errors.add_metric([row.source], 1.0 if is_failing(row) else 0.0)
            yield last
            yield errors
            yield silent

            unprocessed = s.scalar(
                select(func.count()).select_from(Event).where(Event.processed_at.is_(None))
            )
            yield GaugeMetricFamily(
                "triggerwatch_events_unprocessed",
                "Events stored but not yet processed by the worker",
                value=unprocessed or 0,
            )

            feedback = GaugeMetricFamily(
                "triggerwatch_feedback_stored",
                "Feedback verdicts by kind, product group and label",
                labels=["kind", "product_group", "label"],
            )
            for kind, pg, label, n in s.execute(
                select(Feedback.kind, Feedback.product_group, Feedback.label, func.count()).group_by(
                    Feedback.kind, Feedback.product_group, Feedback.label
                )
            ):
                feedback.add_metric([kind, pg, label], n)
            yield feedback
        expected = GaugeMetricFamily(
            "triggerwatch_source_expected_interval_seconds",
            "How often each source is expected to yield (silent-source alarm: now - last success > this)",
            labels=["source"],
        )
        for source, interval in sorted(self.expected_intervals.items()):
            expected.add_metric([source], interval)
        yield expected


LATENCY_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 21600.0, 86400.0)


def _latency_family(latencies: list[float]) -> HistogramMetricFamily:
    buckets: list[tuple[str, float]] = [
        (str(b), float(sum(1 for x in latencies if x <= b))) for b in LATENCY_BUCKETS
    ]
    buckets.append(("+Inf", float(len(latencies))))
    return HistogramMetricFamily(
        "triggerwatch_alert_latency_seconds",
        "Observed-to-alert latency (event observed_at to alert stored), from the database",
        buckets=buckets,
        sum_value=sum(latencies),
    )
