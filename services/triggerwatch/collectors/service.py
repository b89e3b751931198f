"""The collectors service: APScheduler jobs built from each source's schedule metadata."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

import httpx
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from triggerwatch.collectors.registry import Source, load_sources
from triggerwatch.collectors.runner import RunReport, run_once
from triggerwatch.core.db import Database
from triggerwatch.core.errors import ConfigError
from triggerwatch.core.http import FetchLimits, HttpFetcher, RetryPolicy
from triggerwatch.core.settings import CollectorSettings

log = logging.getLogger(__name__)


def make_fetcher(settings: CollectorSettings) -> HttpFetcher:
    return HttpFetcher(
        user_agent=settings.user_agent,
        client=httpx.Client(timeout=settings.http_timeout_s, follow_redirects=True),
        policy=RetryPolicy(
            max_attempts=settings.http_max_attempts, max_backoff_s=settings.http_max_backoff_s
        ),
        limits=FetchLimits(
            max_body_bytes=int(settings.http_max_body_mb * 1024 * 1024),
            request_deadline_s=settings.http_request_deadline_s,
            poll_deadline_s=settings.http_poll_deadline_s,
        ),
    )


def trigger_for(source: Source) -> Any:
    sched = source.schedule
    if sched.cron:
        # APScheduler 3's from_crontab() takes no jitter argument: set it on the built trigger
        trigger = CronTrigger.from_crontab(sched.cron, timezone="UTC")
        trigger.jitter = sched.jitter_s
        return trigger
    return IntervalTrigger(seconds=sched.interval_s, jitter=sched.jitter_s, timezone="UTC")


class CollectorService:
    def __init__(
        self, settings: CollectorSettings, db: Database, sources: dict[str, Source] | None = None
    ) -> None:
        self.settings = settings
        self.db = db
        self.sources = (
            sources
            if sources is not None
            else load_sources(settings.sources_file, replay=settings.replay_dir is not None)
        )
        if not self.sources:
            raise ConfigError(f"no enabled sources in {settings.sources_file}")
        for source in self.sources.values():
            source.collector.configure(settings)  # e.g. a missing API key fails at start
        self.http = None if settings.replay_dir else make_fetcher(settings)

    def run_source(self, name: str) -> RunReport:
        return run_once(
            self.sources[name],
            self.db,
            self.http,
            replay_dir=self.settings.replay_dir,
            replay_time_shift=self.settings.replay_time_shift,
        )

    def _job(self, name: str) -> None:
        try:
            self.run_source(name)
        except ConfigError as exc:  # e.g. robots.txt refuses: recorded, visible to ops, not retried now
            log.error("source %s refused: %s", name, exc)

    def run_all_once(self) -> list[RunReport]:
        return [self.run_source(name) for name in self.sources]

    def run_forever(self, stop: threading.Event) -> None:
        if self.settings.replay_dir is not None:  # replay: each recorded payload once, then idle
            for name in self.sources:
                self._job(name)
            stop.wait()
            return
        scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
        for name, source in self.sources.items():
            # the first poll runs right away, then on the source's schedule
            scheduler.add_job(
                self._job,
                trigger_for(source),
                args=[name],
                id=name,
                name=name,
                next_run_time=datetime.now(UTC),
            )
        scheduler.start()
        log.info("scheduled %d sources: %s", len(self.sources), ", ".join(self.sources))
        try:
            stop.wait()
        finally:
            scheduler.shutdown(wait=True)
