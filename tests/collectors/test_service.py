"""CollectorService: one APScheduler job per source on its declared schedule; replay and live runs."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select

from tests.collectors.test_http import FeedServer, Reply, SeenRequest
from tests.conftest import RECORDINGS, REPO
from triggerwatch.collectors.registry import Source, build_source, load_sources
from triggerwatch.collectors.service import CollectorService, make_fetcher, trigger_for
from triggerwatch.core.db import CollectorState, Database, Event
from triggerwatch.core.errors import ConfigError
from triggerwatch.core.settings import CollectorSettings
from triggerwatch.core.sources import SourceConfig

SOURCES_FILE = REPO / "deploy" / "config" / "sources.yaml"
JOB_FEED = (RECORDINGS / "mol_fi_tyopaikat_rss_2014.xml").read_bytes()
NEWS_FEED = (RECORDINGS / "ampparit_georss_atom_2013.xml").read_bytes()
USER_AGENT = "triggerwatch-service-test/0.1 (+https://example.invalid/ops)"
JOIN_TIMEOUT_S = 15.0


def settings(**values: Any) -> CollectorSettings:
    values.setdefault("sources_file", SOURCES_FILE)
    values.setdefault("replay_dir", None)
    return CollectorSettings(**values)


def source(name: str, **config: Any) -> Source:
    options = config.pop("options", {"url": "https://example.invalid/feed.xml"})
    return build_source(SourceConfig(name=name, type="rss", options=options, **config))


def events_by_source(db: Database) -> dict[str, int]:
    with db.session() as s:
        rows = s.execute(select(Event.source, func.count()).group_by(Event.source)).tuples().all()
    return dict(rows)


# --------------------------------------------------------------------------------------- triggers
def test_interval_trigger_follows_the_source_schedule() -> None:
    trigger = trigger_for(source("hourly", schedule={"interval_s": 3600, "jitter_s": 45}))
    assert isinstance(trigger, IntervalTrigger)
    assert trigger.interval == timedelta(hours=1)
    assert trigger.jitter == 45
    assert str(trigger.timezone) == "UTC"


def test_interval_trigger_defaults_to_the_collector_schedule() -> None:
    trigger = trigger_for(source("default"))
    assert isinstance(trigger, IntervalTrigger)
    assert trigger.interval == timedelta(seconds=900)  # RssCollector.default_schedule
    assert trigger.jitter == 30


def test_cron_trigger_follows_the_source_schedule() -> None:
    trigger = trigger_for(source("mornings", schedule={"cron": "15 6 * * *", "jitter_s": 0}))
    assert isinstance(trigger, CronTrigger)
    assert str(trigger.timezone) == "UTC"
    fields = {f.name: str(f) for f in trigger.fields}
    assert (fields["minute"], fields["hour"], fields["day"]) == ("15", "6", "*")
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, now) == datetime(2026, 3, 3, 6, 15, tzinfo=UTC)


def test_cron_trigger_keeps_the_jitter() -> None:
    trigger = trigger_for(source("weekdays", schedule={"cron": "0 7 * * mon-fri", "jitter_s": 120}))
    assert isinstance(trigger, CronTrigger)
    assert trigger.jitter == 120
    now = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)  # a Friday: next weekday 07:00 is Monday
    fire = trigger.get_next_fire_time(None, now)
    assert fire is not None
    monday = datetime(2026, 3, 9, 7, 0, tzinfo=UTC)
    assert monday <= fire <= monday + timedelta(seconds=120)


# every shipped source the demo replays and the events its recording yields
SHIPPED_COUNTS = {"te-jobs-jyvaskyla": 17, "ampparit-news": 50, "prh-trade-notices": 2, "ted-fi": 1}


def test_shipped_sources_get_their_declared_triggers() -> None:
    sources = load_sources(SOURCES_FILE, replay=True)
    triggers = {name: trigger_for(src) for name, src in sources.items()}
    intervals = {n: t.interval for n, t in triggers.items() if isinstance(t, IntervalTrigger)}
    assert intervals["te-jobs-jyvaskyla"] == timedelta(hours=1)
    assert intervals["ampparit-news"] == timedelta(minutes=15)
    assert intervals["ted-fi"] == timedelta(hours=1)
    prh = triggers["prh-trade-notices"]  # daily at 06:30 (cron), after PRH's nightly publication
    assert isinstance(prh, CronTrigger) and str(prh.fields[prh.FIELD_NAMES.index("hour")]) == "6"


def test_make_fetcher_uses_the_settings() -> None:
    http = make_fetcher(settings(user_agent=USER_AGENT, http_max_attempts=2, http_max_backoff_s=30))
    try:
        assert http.user_agent == USER_AGENT
        assert http.policy.max_attempts == 2 and http.policy.max_backoff_s == 30
        assert http.respect_robots
    finally:
        http.client.close()


def test_no_enabled_sources_is_a_config_error(tmp_path: Path, sqlite_db: Database) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("sources: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no enabled sources"):
        CollectorService(settings(sources_file=path), sqlite_db)


# ------------------------------------------------------------------------------------------ replay
def test_replay_run_all_once_stores_events_for_every_source(db: Database) -> None:
    service = CollectorService(settings(replay_dir=RECORDINGS), db)
    assert service.http is None  # replay never touches the network
    reports = service.run_all_once()
    # every replayed source, in the file's order
    assert [(r.source, len(r.new_events), r.error) for r in reports] == [
        (name, n, None) for name, n in SHIPPED_COUNTS.items()
    ]
    assert events_by_source(db) == SHIPPED_COUNTS
    assert {len(r.new_events) for r in service.run_all_once()} == {0}  # idempotent
    assert events_by_source(db) == SHIPPED_COUNTS


def test_replay_run_forever_runs_each_source_once_and_returns_on_stop(sqlite_db: Database) -> None:
    service = CollectorService(settings(replay_dir=RECORDINGS), sqlite_db)
    stop = threading.Event()
    stop.set()  # already asked to stop: replays every source once, then returns at once
    service.run_forever(stop)
    counts = events_by_source(sqlite_db)
    assert counts == SHIPPED_COUNTS
    assert set(counts) == set(load_sources(SOURCES_FILE, replay=True))  # every replayed source ran


# -------------------------------------------------------------------------------------------- live
def test_live_run_forever_schedules_one_job_per_source_and_stops(
    tmp_path: Path, sqlite_db: Database, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, logger="apscheduler")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # make_fetcher's client honours proxy variables
    with FeedServer() as feeds, FeedServer() as blocked:
        feeds.routes["/jobs.rss"] = [Reply(200, JOB_FEED, {"ETag": '"j1"'})]
        feeds.routes["/news.atom"] = [Reply(200, NEWS_FEED, {"Content-Type": "application/atom+xml"})]
        blocked.routes["/robots.txt"] = [Reply(200, b"User-agent: *\nDisallow: /\n")]
        blocked.routes["/feed.xml"] = [Reply(200, NEWS_FEED)]
        jobs_yaml = yaml.safe_load(SOURCES_FILE.read_text(encoding="utf-8"))["sources"][0]
        sources_file = tmp_path / "sources.yaml"
        sources_file.write_text(
            yaml.safe_dump(
                {
                    "sources": [
                        {
                            **jobs_yaml,
                            "name": "local-jobs",
                            "enabled": True,  # the shipped entry is the retired mol.fi feed: demo only
                            "options": {**jobs_yaml["options"], "url": feeds.url + "/jobs.rss"},
                        },
                        {
                            "name": "local-news",
                            "type": "rss",
                            "schedule": {"cron": "0 3 1 jan *"},  # first poll now, next in January
                            "options": {"url": feeds.url + "/news.atom", "kind": "news"},
                        },
                        {"name": "refused", "type": "rss", "options": {"url": blocked.url + "/feed.xml"}},
                    ]
                },
                allow_unicode=True,
            ),
            encoding="utf-8",
        )
        service = CollectorService(
            settings(sources_file=sources_file, user_agent=USER_AGENT, http_max_attempts=1, http_timeout_s=5),
            sqlite_db,
        )
        assert service.http is not None
        stop = threading.Event()
        runner = threading.Thread(target=service.run_forever, args=(stop,), name="collectors", daemon=True)
        runner.start()
        try:

            def both_feeds(reqs: list[SeenRequest]) -> bool:
                return {"/jobs.rss", "/news.atom"} <= {r.path for r in reqs}

            assert feeds.wait_for(both_feeds), f"feeds not polled: {feeds.paths()}"
            assert blocked.wait_for(lambda reqs: bool(reqs)), "robots.txt of the refused source not read"
        finally:
            stop.set()
            runner.join(JOIN_TIMEOUT_S)
        assert not runner.is_alive(), "run_forever did not return after stop"

    # the first poll of every job runs right away, once (the next one is an hour / months away);
    # the two jobs on one origin run concurrently, so both may read its robots.txt
    assert len(feeds.to("/jobs.rss")) == len(feeds.to("/news.atom")) == 1
    assert set(feeds.paths()) == {"/jobs.rss", "/news.atom", "/robots.txt"}
    assert {r.header("User-Agent") for r in feeds.requests} == {USER_AGENT}
    assert blocked.paths() == ["/robots.txt"]  # refused by robots.txt: the feed itself is never requested

    added = sorted(str(r.args[0]) for r in caplog.records if r.msg == 'Added job "%s" to job store "%s"')  # type: ignore[index]
    assert added == ["local-jobs", "local-news", "refused"]

    # scheduler.shutdown(wait=True) let the running polls finish before run_forever returned
    assert events_by_source(sqlite_db) == {"local-jobs": 17, "local-news": 50}
    with sqlite_db.session() as s:
        states = {row.source: row for row in s.scalars(select(CollectorState)).all()}
    assert states["local-jobs"].etag == '"j1"'
    assert states["local-jobs"].last_success_at is not None
    assert states["refused"].last_success_at is None
    assert "robots.txt" in (states["refused"].last_error or "")
