"""The notifier's APScheduler jobs: digest at delivery.digest_at (weekly on Mondays), retention daily."""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from triggerwatch.core.db import Database
from triggerwatch.core.rules import load_rules
from triggerwatch.core.settings import CONFIG_DIR, NotifierSettings
from triggerwatch.notifier.dispatcher import Dispatcher
from triggerwatch.notifier.jobs import schedule_jobs


def test_jobs_are_scheduled_in_helsinki_time(sqlite_db: Database) -> None:
    rules = load_rules(CONFIG_DIR / "rules.yaml")
    weekly = rules.model_copy(update={"delivery": rules.delivery.model_copy(update={"digest": "weekly"})})
    scheduler = AsyncIOScheduler(timezone="UTC")
    schedule_jobs(
        scheduler, sqlite_db, Dispatcher(sqlite_db, [], NotifierSettings()), weekly, retention_days=30
    )
    digest, retention = scheduler.get_job("digest"), scheduler.get_job("retention")
    after = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # a Tuesday
    nxt = digest.trigger.get_next_fire_time(None, after)
    assert (nxt.isoformat(), nxt.strftime("%a")) == ("2026-11-30T08:00:00+02:00", "Mon")
    assert retention.trigger.get_next_fire_time(None, after).isoformat() == "2026-11-25T03:30:00+02:00"
