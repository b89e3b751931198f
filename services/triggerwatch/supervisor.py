"""Runs the whole pipeline on one machine: embedded broker + one child process per service.

Used by ``triggerwatch up`` (live sources) and ``triggerwatch demo`` (replayed recordings). A child
that exits, whatever its exit code (a worker that gave up on its database exits 70), is restarted
with backoff (doubling up to 30 s, reset after a minute of running); the embedded broker, if it dies,
is restarted and its topics re-created (the relay then notices the new broker epoch and replays the
outbox). In docker-compose.yml every service has ``restart: unless-stopped`` for the same reason.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy import func, select

from triggerwatch.core.broker import EmbeddedBroker, terminate
from triggerwatch.core.db import Alert, CollectorState, Database, Delivery, Event, Outbox
from triggerwatch.core.settings import BaseServiceSettings

log = logging.getLogger(__name__)

SERVICES = ("relay", "collectors", "worker", "notifier", "web")


@dataclass
class Child:
    name: str
    argv: list[str]
    log_path: Path
    passthrough_stdout: bool = False
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = 0.0
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self, env: dict[str, str]) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self._log or self.log_path.open("ab")
        stdout = None if self.passthrough_stdout else self._log
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            self.argv, stdout=stdout, stderr=self._log, env=env, start_new_session=True
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.process is not None:
            terminate(self.process, timeout_s)
        if self._log:
            self._log.close()
            self._log = None


def service_argv(service: str) -> list[str]:
    return [sys.executable, "-m", "triggerwatch.cli", service]


@dataclass
class DrainStatus:
    sources_polled: int
    events: int
    unprocessed: int
    unpublished: int
    alerts: int
    deliveries_done: int
    delivered: int

    def drained(self, n_sources: int, n_sinks: int) -> bool:
        return (
            self.sources_polled >= n_sources
            and self.unpublished == 0
            and self.unprocessed == 0
            and self.deliveries_done >= self.alerts * n_sinks
        )


def drain_status(db: Database) -> DrainStatus:
    with db.session() as s:

        def count(stmt: object) -> int:
            return int(s.scalar(stmt) or 0)  # type: ignore[call-overload]

        return DrainStatus(
            sources_polled=count(
                select(func.count())
                .select_from(CollectorState)
                .where(CollectorState.last_success_at.is_not(None))
            ),
            events=count(select(func.count()).select_from(Event)),
            unprocessed=count(select(func.count()).select_from(Event).where(Event.processed_at.is_(None))),
            unpublished=count(select(func.count()).select_from(Outbox).where(Outbox.published_at.is_(None))),
            alerts=count(select(func.count()).select_from(Alert)),
            deliveries_done=count(  # settled: delivered, given up or blocked (not queued, not retrying)
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status.in_(("delivered", "failed", "blocked")))
            ),
            delivered=count(select(func.count()).select_from(Delivery).where(Delivery.status == "delivered")),
        )


class Supervisor:
    def __init__(
        self,
        settings: BaseServiceSettings,
        *,
        env: dict[str, str],
        run_dir: Path,
        services: tuple[str, ...] = SERVICES,
        argv_for: Callable[[str], list[str]] = service_argv,
        restart_backoff_s: float = 0.5,
        healthy_after_s: float = 60.0,
    ) -> None:
        """``restart_backoff_s`` doubles with each restart in a row (up to 30 s); a child that ran for
        ``healthy_after_s`` before it exited starts its count again."""
        self.restart_backoff_s = restart_backoff_s
        self.healthy_after_s = healthy_after_s
        self.settings = settings
        self.env = env
        self.run_dir = run_dir
        self.broker: EmbeddedBroker | None = None
        if settings.embedded_broker:
            self.broker = EmbeddedBroker(settings, log_path=run_dir / "logs" / "broker.log")
        self.children = [
            Child(
                name, argv_for(name), run_dir / "logs" / f"{name}.log", passthrough_stdout=name == "notifier"
            )
            for name in services
        ]
        self._stopping = False

    def start(self) -> None:
        if self.broker is not None:
            self.broker.start()
            self.env["KAFKA_BOOTSTRAP_SERVERS"] = self.broker.bootstrap
        for child in self.children:
            child.start(self.env)

    def tick(self) -> None:
        """Restart what died (with backoff)."""
        now = time.monotonic()
        if self.broker is not None and not self.broker.running() and not self._stopping:
            log.warning("embedded broker died; restarting it")
            self.broker.start()
        for child in self.children:
            if child.alive() or self._stopping or now < child.next_start:
                continue
            if child.process is not None:
                code = child.process.returncode
                if now - child.started_at >= self.healthy_after_s:
                    child.restarts = 0  # it ran well for a while: not a crash loop
                child.restarts += 1
                delay = min(30.0, self.restart_backoff_s * 2 ** min(child.restarts, 6))
                log.warning(
                    "%s exited with %s; restarting in %.1fs (see %s)", child.name, code, delay, child.log_path
                )
                child.process = None
                child.next_start = now + delay
                continue
            child.start(self.env)

    def stop(self) -> None:
        self._stopping = True
        for child in reversed(self.children):
            child.stop()
        if self.broker is not None:
            self.broker.stop()


def child_env(overrides: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, **overrides}
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env
