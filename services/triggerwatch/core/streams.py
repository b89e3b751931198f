"""Faust scaffolding shared by the worker and the notifier.

* Short session timeouts: the embedded broker holds JoinGroup for half the session timeout.
* A real ``/health`` (alive, no crashed agent) and ``/ready`` (partitions assigned, not
  rebalancing): Faust's own ``/`` says OK even while crashed or rebalancing.
* ``/metrics`` for Prometheus, with consumer lag computed from the Fetch high-watermark (the
  embedded broker's ListOffsets LATEST is wrong) minus the last read offset.
* :class:`~triggerwatch.core.faust_consumer.App`: Faust with a consumer that delivers each fetched
  batch in one step (Faust's own races every message against flow control), a stream buffer deep
  enough that a busy agent never starves, and large producer batches.
* At-least-once: exactly-once does not work on the embedded broker; every side effect downstream
  is idempotent instead.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest

from triggerwatch.core.faust_consumer import App
from triggerwatch.core.settings import BaseServiceSettings

log = logging.getLogger(__name__)

CONSUMER_LAG = Gauge(
    "triggerwatch_consumer_lag", "High-watermark minus last read offset", ["app", "topic", "partition"]
)


def make_app(
    settings: BaseServiceSettings, *, app_id: str, web_host: str, web_port: int, data_dir: str
) -> faust.App:
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    app = App(
        app_id,
        broker=[f"kafka://{s}" for s in settings.bootstrap_servers.split(",")],
        broker_session_timeout=settings.kafka.session_timeout_s,
        broker_heartbeat_interval=settings.kafka.heartbeat_interval_s,
        broker_request_timeout=max(30.0, settings.kafka.session_timeout_s * 5),
        topic_partitions=settings.kafka.partitions,
        topic_replication_factor=settings.kafka.replication_factor,
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        store="memory://",
        table_standby_replicas=0,
        web_enabled=web_port > 0,
        web_host=web_host,
        web_bind=web_host,  # Faust binds web_bind (default 0.0.0.0); web_host only names it
        web_port=web_port or 6066,
        web_in_thread=False,
        datadir=data_dir,
        autodiscover=False,
        stream_wait_empty=False,
        stream_buffer_maxsize=settings.kafka.stream_buffer_maxsize,
        producer_max_batch_size=settings.kafka.producer_max_batch_size,
    )
    app.fetch_max_wait_ms = settings.kafka.fetch_max_wait_ms
    add_ops_pages(app)
    return app


READY_CHECKS = "_triggerwatch_ready_checks"


def add_ready_check(app: faust.App, name: str, check: Callable[[], bool]) -> None:
    """A service's own readiness condition (the notifier: its delivery lanes run), on ``/ready``."""
    checks: dict[str, Callable[[], bool]] = getattr(app, READY_CHECKS, {})
    checks[name] = check
    setattr(app, READY_CHECKS, checks)


def add_early_task(app: faust.App, task: Callable[[], Awaitable[None]]) -> None:
    """Run ``task`` as soon as the app starts, before it has joined its consumer group (the
    notifier's delivery lanes work from the database: a broker away must not stop them)."""
    tasks: list[Callable[[], Awaitable[None]]] = getattr(app, "early_tasks", [])
    tasks.append(task)
    app.early_tasks = tasks  # type: ignore[attr-defined]


def health_report(app: faust.App) -> tuple[bool, bool, dict[str, Any]]:
    """(alive, ready, details)."""
    crashed_agents = [name for name, agent in app.agents.items() if getattr(agent, "crashed", False)]
    try:
        assignment = sorted(f"{tp.topic}:{tp.partition}" for tp in app.consumer.assignment())
    except Exception:  # consumer not started yet
        assignment = []
    checks = {name: bool(check()) for name, check in getattr(app, READY_CHECKS, {}).items()}
    alive = not app.crashed and not crashed_agents
    ready = alive and not app.rebalancing and bool(assignment) and all(checks.values())
    return (
        alive,
        ready,
        {
            "app": app.conf.id,
            "crashed": app.crashed,
            "crashed_agents": crashed_agents,
            "rebalancing": app.rebalancing,
            "assignment": assignment,
            "checks": checks,
        },
    )


def update_lag(app: faust.App) -> None:
    try:
        consumer = app.consumer
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            read = getattr(consumer, "_read_offset", {}).get(tp)  # last offset handed to the stream
            if highwater is None:
                continue
            lag = highwater - ((read + 1) if read is not None else 0)
            CONSUMER_LAG.labels(app.conf.id, tp.topic, str(tp.partition)).set(max(0, lag))
    except Exception:  # the consumer may be between generations
        log.debug("lag update skipped", exc_info=True)


def add_ops_pages(app: faust.App) -> None:
    @app.page("/health")
    async def health(web: Any, request: Any) -> Any:
        alive, _ready, details = health_report(app)
        return web.json({"status": "ok" if alive else "failing", **details}, status=200 if alive else 503)

    @app.page("/ready")
    async def ready(web: Any, request: Any) -> Any:
        _alive, is_ready, details = health_report(app)
        return web.json(
            {"status": "ready" if is_ready else "not_ready", **details}, status=200 if is_ready else 503
        )

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        update_lag(app)
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.timer(interval=5.0)
    async def lag_timer() -> None:
        update_lag(app)


def run_worker(app: faust.App, *, loglevel: str = "info") -> None:
    """Run a Faust app until SIGTERM/SIGINT (blocks)."""
    worker = faust.Worker(app, loglevel=loglevel.lower(), quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()
