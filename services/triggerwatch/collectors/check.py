"""``triggerwatch sources check``: does each configured source deliver, today?

For every source of the sources file, enabled or not: one fetch (or, ``offline``, its recording
through the same parser), and what came of it — reachable, HTTP status, robots.txt verdict, items
parsed, the newest item's date, the licence, missing credentials and the next scheduled poll. The
result of each source is stored in ``source_checks`` (the web ops page shows it). Nothing else is
written: no event, no cursor. A failing source is a row of the report, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from apscheduler.triggers.cron import CronTrigger

from triggerwatch.collectors.base import CursorState, RawPayload
from triggerwatch.collectors.registry import Source
from triggerwatch.collectors.runner import RunReport, parse_payloads, replay_payload
from triggerwatch.core.db import CollectorState, Database, SourceCheck
from triggerwatch.core.errors import ConfigError, InvalidInputError, TransientError
from triggerwatch.core.http import HttpFetcher, RetryPolicy, RobotsDisallowedError
from triggerwatch.core.settings import CollectorSettings

# statuses that make an enabled source "dead": `sources check` exits non-zero
DEAD = frozenset({"dead", "disallowed", "no_credentials"})


@dataclass
class StatusLog:
    """Every HTTP answer of a check (an httpx response hook): the status a collector never returns."""

    responses: list[tuple[str, int]] = field(default_factory=list)

    def __call__(self, response: httpx.Response) -> None:
        self.responses.append((str(response.url), response.status_code))

    def last_status(self) -> int | None:
        statuses = [s for url, s in self.responses if not url.endswith("/robots.txt")]
        return statuses[-1] if statuses else None


def checking_fetcher(settings: CollectorSettings, log: StatusLog) -> HttpFetcher:
    """The collectors' fetcher (User-Agent, robots.txt), with few retries: a check answers quickly."""
    client = httpx.Client(
        timeout=settings.http_timeout_s, follow_redirects=True, event_hooks={"response": [log]}
    )
    return HttpFetcher(
        user_agent=settings.user_agent, client=client, policy=RetryPolicy(max_attempts=2, max_backoff_s=10)
    )


@dataclass
class CheckResult:
    source: str
    type: str
    enabled: bool
    mode: str
    status: str = "ok"  # ok | empty | dead | disallowed | no_credentials | no_recording
    reachable: bool | None = None
    http_status: int | None = None
    robots_allowed: bool | None = None
    items: int = 0
    dead_letters: int = 0
    newest_item_at: datetime | None = None
    licence: str | None = None
    credentials_missing: str | None = None
    next_poll_at: datetime | None = None
    error: str | None = None

    @property
    def dead(self) -> bool:
        return self.enabled and self.status in DEAD


def next_poll(source: Source, last_run_at: datetime | None, now: datetime) -> datetime | None:
    """When the collectors service polls next: disabled never; the first poll runs at its start."""
    if not source.config.enabled:
        return None
    schedule = source.schedule
    if schedule.cron:
        return CronTrigger.from_crontab(schedule.cron, timezone="UTC").get_next_fire_time(None, now)  # type: ignore[no-any-return]
    if last_run_at is None or schedule.interval_s is None:
        return now
    return max(now, last_run_at + timedelta(seconds=schedule.interval_s))


def check_source(
    source: Source,
    settings: CollectorSettings,
    *,
    now: datetime,
    http: HttpFetcher | None = None,
    log: StatusLog | None = None,
    recordings: Path | None = None,
    last_run_at: datetime | None = None,
) -> CheckResult:
    """One source: live with ``http`` (and its ``log``), else offline against ``recordings``."""
    collector = source.collector
    result = CheckResult(
        source=source.name,
        type=source.config.type,
        enabled=source.config.enabled,
        mode="live" if http is not None else "offline",
        licence=source.config.licence or type(collector).licence_note or None,
        next_poll_at=next_poll(source, last_run_at, now),
    )
    try:
        collector.configure(settings)
    except ConfigError as exc:
        result.status, result.credentials_missing = "no_credentials", str(exc)
        return result
    if http is None:
        return _offline(source, result, recordings, now)
    url = collector.check_url()
    try:
        if url is not None:
            result.robots_allowed = http.allowed(url)
            if not result.robots_allowed:
                result.status, result.error = "disallowed", f"robots.txt disallows {url}"
                return result
        outcome = collector.fetch(http, CursorState())
    except RobotsDisallowedError as exc:
        result.status, result.robots_allowed, result.error = "disallowed", False, str(exc)
        return result
    except (TransientError, InvalidInputError, ConfigError) as exc:
        result.status, result.error = "dead", str(exc)[:2000]
        result.http_status = log.last_status() if log else None
        result.reachable = result.http_status is not None
        return result
    result.reachable = True
    result.http_status = log.last_status() if log else 200
    return _parsed(source, result, outcome.payloads, now)


def _offline(source: Source, result: CheckResult, recordings: Path | None, now: datetime) -> CheckResult:
    if not source.config.replay_file:
        result.status = "no_recording"
        return result
    if recordings is None:
        result.status, result.error = "dead", "no recordings directory"
        return result
    try:
        payload = replay_payload(source, recordings, now)
    except ConfigError as exc:
        result.status, result.error = "dead", str(exc)
        return result
    return _parsed(source, result, [payload], now)


def _parsed(source: Source, result: CheckResult, payloads: list[RawPayload], now: datetime) -> CheckResult:
    report = RunReport(source=source.name)
    events = parse_payloads(source, payloads, report)
    result.items, result.dead_letters = len(events), len(report.dead_letters)
    result.newest_item_at = max((e.occurred_at for e in events), default=None)
    if events:
        result.status = "ok"
    elif report.dead_letters and not report.items:  # answered, but not with what the parser reads
        result.status, result.error = "dead", report.dead_letters[0].reason[:2000]
    else:
        result.status = "empty"  # alive, nothing published right now (an employer with no open jobs)
    return result


def check_sources(
    sources: dict[str, Source],
    settings: CollectorSettings,
    db: Database | None,
    *,
    now: datetime,
    offline: bool = False,
    recordings: Path | None = None,
    fetcher: Callable[[], tuple[HttpFetcher, StatusLog]] | None = None,
) -> list[CheckResult]:
    """Check every source once; store the results when ``db`` is given."""
    last_runs: dict[str, datetime | None] = {}
    if db is not None:
        with db.session() as s:
            last_runs = {row.source: row.last_run_at for row in s.query(CollectorState)}
    http, log = (None, None) if offline else (fetcher or (lambda: _default(settings)))()
    results = []
    try:
        for source in sources.values():
            if log is not None:
                log.responses.clear()
            results.append(
                check_source(
                    source,
                    settings,
                    now=now,
                    http=http,
                    log=log,
                    recordings=recordings,
                    last_run_at=last_runs.get(source.name),
                )
            )
    finally:
        if http is not None and fetcher is None:
            http.client.close()
    if db is not None:
        store(db, results, now)
    return results


def _default(settings: CollectorSettings) -> tuple[HttpFetcher, StatusLog]:
    log = StatusLog()
    return checking_fetcher(settings, log), log


def store(db: Database, results: list[CheckResult], now: datetime) -> None:
    with db.session() as s:
        for r in results:
            s.merge(
                SourceCheck(
                    source=r.source,
                    checked_at=now,
                    mode=r.mode,
                    enabled=r.enabled,
                    status=r.status,
                    reachable=r.reachable,
                    http_status=r.http_status,
                    robots_allowed=r.robots_allowed,
                    items=r.items,
                    newest_item_at=r.newest_item_at,
                    credentials_missing=r.credentials_missing,
                    error=r.error,
                    next_poll_at=r.next_poll_at,
                )
            )
