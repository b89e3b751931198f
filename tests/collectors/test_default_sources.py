"""The shipped sources file (issue 18): live polling uses only sources that need no contract and
exist today; the retired feeds are replayed by the demo and never polled; Nasdaq company news
parses its recorded Nordic-wide response down to the Finnish issuers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from tests.conftest import FIXTURES
from triggerwatch.collectors.base import RawPayload
from triggerwatch.collectors.registry import build_source, load_sources
from triggerwatch.collectors.runner import RunReport, parse_payloads
from triggerwatch.core.settings import CONFIG_DIR, CollectorSettings

SOURCES_FILE = CONFIG_DIR / "sources.yaml"
# feeds that no longer exist upstream: never to be polled by `make up` / `triggerwatch up`
RETIRED_HOSTS = {"www.mol.fi", "mol.fi", "feeds.feedburner.com", "paikat.te-palvelut.fi"}


def test_enabled_sources_use_no_retired_host_and_need_no_contract() -> None:
    live = load_sources(SOURCES_FILE)
    assert set(live) == {"prh-trade-notices", "nasdaq-helsinki", "ted-fi"}
    for source in live.values():
        url = source.collector.check_url()
        assert url and urlsplit(url).hostname not in RETIRED_HOSTS, source.name
        source.collector.configure(CollectorSettings())  # no key, no contract: configures as it is
    every = load_sources(SOURCES_FILE, include_disabled=True)
    retired = {
        n for n, s in every.items() if urlsplit(s.collector.check_url() or "").hostname in RETIRED_HOSTS
    }
    assert retired == {"te-jobs-jyvaskyla", "ampparit-news", "te-jobs-tpt"}
    assert not retired & set(live)
    # ...but the demo still replays the retired feeds' recordings
    assert {"te-jobs-jyvaskyla", "ampparit-news"} <= set(load_sources(SOURCES_FILE, replay=True))
    assert "nasdaq-helsinki" not in load_sources(SOURCES_FILE, replay=True)


def test_news_sources_are_classified() -> None:
    every = load_sources(SOURCES_FILE, include_disabled=True)
    for name in ("nasdaq-helsinki", "cision-ir", "stt-info-releases", "cision-wire-fi"):
        assert every[name].collector.options.classify is True, name  # type: ignore[attr-defined]


def test_nasdaq_company_news_keeps_the_finnish_issuers_in_utc() -> None:
    nasdaq = load_sources(SOURCES_FILE)["nasdaq-helsinki"]
    assert nasdaq.collector.options.params["globalGroup"] == "companyNews"  # type: ignore[attr-defined]
    content = (FIXTURES / "feeds" / "nasdaq_companynews_nordic_2026-09_first20.json").read_bytes()
    raw = RawPayload(
        source=nasdaq.name, url=None, content=content, fetched_at=datetime(2026, 9, 26, tzinfo=UTC)
    )
    report = RunReport(source=nasdaq.name)
    events = parse_payloads(nasdaq, [raw], report)
    assert not report.dead_letters
    # 20 Nordic and Baltic items → the 10 Helsinki / First North Finland releases, fi/en twins merged
    assert {e.attributes["market"] for e in events} == {"Main Market, Helsinki", "First North Finland"}
    issuers = {e.companies[0].name for e in events}
    assert {"Framery Group Oyj", "Orion", "Tieto Oyj", "Savox Communications Oy", "Betolar Oyj"} <= issuers
    assert len(events) == 8
    framery = next(e for e in events if e.companies[0].name == "Framery Group Oyj")
    assert framery.occurred_at == datetime(2026, 9, 25, 17, 0, tzinfo=UTC)  # timeZone=UTC asked: read as UTC
    cet = build_source(
        nasdaq.config.model_copy(update={"options": {**nasdaq.config.options, "params": {"type": "json"}}})
    )
    [cet_framery] = [
        e for e in parse_payloads(cet, [raw], RunReport(source="x")) if e.event_id == framery.event_id
    ]
    assert framery.occurred_at - cet_framery.occurred_at == timedelta(hours=2)  # CEST otherwise
