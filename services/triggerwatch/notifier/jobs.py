"""The notifier's scheduled jobs (APScheduler): the digest and the retention purge."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from triggerwatch.core.db import Database, utcnow
from triggerwatch.core.rules import RuleSet
from triggerwatch.notifier.digest import run_digest
from triggerwatch.notifier.dispatcher import Dispatcher
from triggerwatch.notifier.retention import run_retention

log = logging.getLogger(__name__)


def schedule_jobs(
    scheduler: AsyncIOScheduler,
    db: Database,
    dispatcher: Dispatcher,
    rules: RuleSet,
    *,
    retention_days: float,
    clock: Callable[[], datetime] = utcnow,
) -> None:
    """Digest daily (or weekly, Mondays) at ``delivery.digest_at``; retention daily at 03:30 local."""
    delivery = rules.delivery
    tz = delivery.timezone
    if delivery.digest != "off":

        async def digest_job() -> None:
            sent = await run_digest(
                db, dispatcher, period=delivery.digest, channels_for=rules.routing.channels, clock=clock
            )
            log.info("digest: %d digest(s) sent", len(sent))

        trigger = CronTrigger(
            hour=delivery.digest_at.hour,
            minute=delivery.digest_at.minute,
            day_of_week="mon" if delivery.digest == "weekly" else "*",
            timezone=tz,
        )
        scheduler.add_job(
            digest_job, trigger, id="digest", coalesce=True, max_instances=1, replace_existing=True
        )

    async def retention_job() -> None:
        result = await asyncio.to_thread(run_retention, db, retention_days, clock=clock)
        log.info("retention: %s", result)

    scheduler.add_job(
        retention_job,
        CronTrigger(hour=3, minute=30, timezone=tz),
        id="retention",
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
