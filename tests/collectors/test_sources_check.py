"""`triggerwatch sources check`: offline on the shipped recordings, live against local sites —
a dead or disallowed source is a row of the report (stored for the ops page), never a crash."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.collectors.sites import Site
from tests.collectors.test_http import USER_AGENT, Reply
from tests.conftest import RECORDINGS, TRIGGERWATCH, clean_env
from triggerwatch.collectors.check import StatusLog, check_sources
from triggerwatch.collectors.registry import build_source, load_sources
from triggerwatch.core.db import Database, SourceCheck
from triggerwatch.core.http import HttpFetcher, RetryPolicy
from triggerwatch.core.settings import CONFIG_DIR, CollectorSettings
from triggerwatch.core.sources import SourceConfig

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
JOBS = Path(__file__).resolve().parents[1] / "fixtures" / "jobs"


def test_offline_check_passes_on_the_shipped_recordings(sqlite_db: Database) -> None:
    sources = load_sources(CONFIG_DIR / "sources.yaml", include_disabled=True)
    results = {
        r.source: r
        for r in check_sources(
            sources, CollectorSettings(), sqlite_db, now=NOW, offline=True, recordings=RECORDINGS
        )
    }
    assert not [r for r in results.values() if r.dead]
    for name in ("prh-trade-notices", "ted-fi", "nasdaq-helsinki", "te-jobs-jyvaskyla", "ampparit-news"):
        assert results[name].status == "ok" and results[name].items > 0, name
    assert results["te-jobs-jyvaskyla"].items == 17 and results["te-jobs-jyvaskyla"].next_poll_at is None
    assert results["hilma"].status == "no_credentials" and "SUBSCRIPTION_KEY" in (
        results["hilma"].credentials_missing or ""
    )
    assert results["upcloud-jobs"].status == "no_recording"
    assert results["ted-fi"].newest_item_at is not None and results["ted-fi"].next_poll_at == NOW
    with sqlite_db.session() as s:
        row = s.get(SourceCheck, "nasdaq-helsinki")
        assert (
            row is not None
            and row.status == "ok"
            and row.mode == "offline"
            and row.items == results["nasdaq-helsinki"].items
        )


def test_live_check_reports_dead_and_disallowed_sources(sqlite_db: Database, client: httpx.Client) -> None:
    log = StatusLog()
    http = HttpFetcher(
        user_agent=USER_AGENT,
        client=httpx.Client(timeout=5.0, trust_env=False, event_hooks={"response": [log]}),
        policy=RetryPolicy(max_attempts=1, sleep=lambda s: None),
    )
    with Site() as ats, Site() as blocked:
        ats.routes["/jobs.rss"] = Reply(200, (JOBS / "teamtailor_jobs_rss_upcloud.xml").read_bytes())
        ats.routes["/gone/jobs.rss"] = Reply(404, b"gone")
        ats.routes["/broken.rss"] = Reply(200, b"<html>maintenance</html>")
        blocked.routes["/robots.txt"] = Reply(200, b"User-agent: *\nDisallow: /\n")

        def src(name: str, url: str, enabled: bool = True) -> Any:
            return build_source(
                SourceConfig(name=name, type="teamtailor", enabled=enabled, options={"url": url})
            )

        sources = {
            s.name: s
            for s in (
                src("alive", ats.url + "/jobs.rss"),
                src("gone", ats.url + "/gone/jobs.rss"),
                src("broken", ats.url + "/broken.rss"),
                src("refused", blocked.url + "/jobs.rss"),
                src("refused-off", blocked.url + "/jobs.rss", enabled=False),
                src("unreachable", "http://127.0.0.1:9/jobs.rss"),
            )
        }
        results = {
            r.source: r
            for r in check_sources(
                sources, CollectorSettings(), sqlite_db, now=NOW, fetcher=lambda: (http, log)
            )
        }
    alive = results["alive"]
    assert (alive.status, alive.reachable, alive.http_status, alive.robots_allowed, alive.items) == (
        "ok",
        True,
        200,
        True,
        2,
    )
    assert alive.newest_item_at == datetime(2026, 9, 4, 11, 50, 13, tzinfo=UTC) and alive.next_poll_at == NOW
    assert (results["gone"].status, results["gone"].http_status, results["gone"].reachable) == (
        "dead",
        404,
        True,
    )
    assert results["broken"].status == "dead" and "not a Teamtailor RSS feed" in (
        results["broken"].error or ""
    )
    assert (results["refused"].status, results["refused"].robots_allowed) == ("disallowed", False)
    assert (
        results["refused-off"].status == "disallowed" and not results["refused-off"].dead
    )  # disabled: not dead
    assert results["unreachable"].status == "dead" and results["unreachable"].reachable is False
    assert {r.source for r in results.values() if r.dead} == {"gone", "broken", "refused", "unreachable"}
    assert "/jobs.rss" not in blocked.paths()


def test_check_cli_offline_exits_zero_and_nonzero_for_a_dead_enabled_source(tmp_path: Path) -> None:
    import subprocess

    good = CONFIG_DIR / "sources.yaml"
    env = clean_env(TRIGGERWATCH_DATABASE__URL=f"sqlite:///{tmp_path / 'tw.db'}")
    ok = subprocess.run(
        [*TRIGGERWATCH, "sources", "check", "--offline", "--sources-file", str(good)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "nasdaq-helsinki" in ok.stdout and "3 enabled sources deliver" in ok.stdout
    bad = tmp_path / "sources.yaml"
    bad.write_text(
        "sources:\n  - {name: lost, type: rss, replay_file: missing.xml, options: {url: 'https://example.invalid/feed'}}\n",
        encoding="utf-8",
    )
    dead = subprocess.run(
        [*TRIGGERWATCH, "sources", "check", "--offline", "--sources-file", str(bad)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dead.returncode == 1 and "dead enabled sources: lost" in dead.stdout
