"""The web service: the API (``/api/v1``, OpenAPI at ``/openapi.json``), the UI, ``/health``,
``/ready`` and ``/metrics`` over the shared database, and the silent-source check.

``/metrics`` reads its counts from the database, so they are right whichever process (collector,
worker, notifier) did the work and however often each restarted.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from starlette.middleware.sessions import SessionMiddleware

from triggerwatch import __version__
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
from triggerwatch.core.settings import WebSettings
from triggerwatch.core.sources import read_source_configs
from triggerwatch.web.api import build_router
from triggerwatch.web.ops import SilenceWatch, is_silent
from triggerwatch.web.ui import LoginRequired, build_ui


class DatabaseMetrics:
    """A Prometheus collector computing the pipeline's figures from the database at scrape time."""

    def __init__(
        self,
        db: Database,
        expected_intervals: dict[str, float] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.expected_intervals = expected_intervals or {}
        self.clock = clock

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
                "triggerwatch_source_failing", "1 when the last poll failed", labels=["source"]
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
                failing = bool(
                    row.last_error_at and (not row.last_success_at or row.last_error_at > row.last_success_at)
                )
                errors.add_metric([row.source], 1.0 if failing else 0.0)
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


def expected_intervals(settings: WebSettings) -> dict[str, float]:
    """Each enabled source's expected interval: declared, else its configured schedule's interval
    (a source with neither, polled on its collector type's default schedule, is not watched)."""
    out: dict[str, float] = {}
    for name, config in read_source_configs(settings.sources_file).items():
        interval = config.expected_interval()
        if interval:
            out[name] = interval
    return out


def create_app(
    settings: WebSettings,
    db: Database | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    expected: dict[str, float] | None = None,
    silence_watch: bool | None = None,
) -> FastAPI:
    """The web app. ``clock`` and ``expected`` (intervals per source) are injectable for tests;
    the silent-source check runs in the background unless ``silence_watch`` is False."""
    db = db or Database(settings.database.url)
    intervals = expected if expected is not None else expected_intervals(settings)
    registry = CollectorRegistry()
    registry.register(DatabaseMetrics(db, intervals, clock))  # type: ignore[arg-type]
    run_watch = settings.silent_check_interval_s > 0 if silence_watch is None else silence_watch

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        watch = SilenceWatch(db, intervals, settings.silent_check_interval_s or 60.0, clock)
        if run_watch:
            watch.start()
        try:
            yield
        finally:
            if run_watch:
                watch.close()

    app = FastAPI(
        title="triggerwatch",
        version=__version__,
        lifespan=lifespan,
        description="Sales triggers: alerts, companies, target groups, sources, dead letters, feedback, "
        "CRM pull. Authenticate with `Authorization: Bearer <token>` (`triggerwatch tokens create`).",
    )
    secret = (
        settings.web_session_secret.get_secret_value()
        if settings.web_session_secret
        else secrets.token_urlsafe(32)
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="triggerwatch_session",
        max_age=12 * 3600,
        same_site="lax",
        https_only=settings.web_secure_cookies,
    )
    app.mount(
        "/static",
        StaticFiles(directory=str(resources.files("triggerwatch.web").joinpath("static"))),
        "static",
    )
    from triggerwatch.core.rules import load_rules  # read-only: the rules the worker applies

    rules = load_rules(settings.rules_file).model_dump(mode="json")
    app.include_router(build_router(db, intervals, clock, rules))
    app.include_router(build_ui(db, intervals, clock, rules, lag_metrics_urls=settings.lag_metrics_urls))

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/login", status_code=303)

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
    def metrics(request: Request) -> Response:
        from triggerwatch.web import auth

        auth.require(request, db, auth.OPS_VIEW)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app
