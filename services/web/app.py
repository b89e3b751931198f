"""The web service: ``/health``, ``/ready`` and ``/metrics`` over the shared database.

``/metrics`` reads its counts from the database, so they are right whichever process (collector,
worker, notifier) did the work and however often each restarted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select, text

from triggerwatch import __version__
from triggerwatch.core.db import Alert, CollectorState, Database, DeadLetter, Delivery, Event, Outbox
from triggerwatch.core.settings import WebSettings


class DatabaseMetrics:
    """A Prometheus collector computing the pipeline's figures from the database at scrape time."""

    def __init__(self, db: Database, expected_intervals: dict[str, float] | None = None) -> None:
        self.db = db
        self.expected_intervals = expected_intervals or {}

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

            dead = GaugeMetricFamily(
                "triggerwatch_dead_letters_stored", "Dead letters", labels=["stage", "source"]
            )
            for stage, source, n in s.execute(
                select(DeadLetter.stage, DeadLetter.source, func.count()).group_by(
                    DeadLetter.stage, DeadLetter.source
                )
            ):
                dead.add_metric([stage, source or ""], n)
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
                "triggerwatch_source_failing", "1 when the last poll failed", labels=["source"]
            )
            for row in s.scalars(select(CollectorState)):
                if row.last_success_at:
                    last.add_metric([row.source], row.last_success_at.timestamp())
                failing = bool(
                    row.last_error_at and (not row.last_success_at or row.last_error_at > row.last_success_at)
                )
                errors.add_metric([row.source], 1.0 if failing else 0.0)
            yield last
            yield errors
        expected = GaugeMetricFamily(
            "triggerwatch_source_expected_interval_seconds",
            "How often each source is expected to yield (silent-source alarm: now - last success > this)",
            labels=["source"],
        )
        for source, interval in sorted(self.expected_intervals.items()):
            expected.add_metric([source], interval)
        yield expected


def expected_intervals(settings: WebSettings) -> dict[str, float]:
    """Each enabled source's expected interval: declared, else its schedule's interval."""
    from triggerwatch.collectors.registry import load_sources

    out: dict[str, float] = {}
    for name, source in load_sources(settings.sources_file).items():
        interval = source.config.expected_interval_s or source.schedule.interval_s
        if interval:
            out[name] = float(interval)
    return out


def create_app(settings: WebSettings, db: Database | None = None) -> FastAPI:
    db = db or Database(settings.database.url)
    registry = CollectorRegistry()
    registry.register(DatabaseMetrics(db, expected_intervals(settings)))  # type: ignore[arg-type]
    app = FastAPI(title="triggerwatch", version=__version__)

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    @app.get("/ready")
    def ready() -> Response:
        try:
            with db.session() as s:
                s.execute(text("SELECT 1"))
        except Exception as exc:
            return JSONResponse({"status": "not_ready", "database": repr(exc)}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app
