"""An appointment reported by a news feed and by a stock-exchange release: one alert, both sources.

Hand-made payloads in the real shapes (an RSS 2.0 item; a Nasdaq ``query.action`` item as in
``tests/fixtures/feeds/nasdaq_news_query_managers_transactions_2026-07.json``) about Digia Oyj, a
demo target company. The news item names no company: the worker links "Digian" to Digia Oyj. The
exchange release comes under the board/management category; text classification gives both the
same role, so the second source corroborates the first instead of alerting twice.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.conftest import RECORDINGS
from triggerwatch.collectors.base import RawPayload
from triggerwatch.collectors.registry import build_source
from triggerwatch.collectors.runner import RunReport, parse_payloads
from triggerwatch.core.contracts import EventKind, encode
from triggerwatch.core.db import Database
from triggerwatch.core.rules import load_rules
from triggerwatch.core.settings import CONFIG_DIR
from triggerwatch.core.sources import SourceConfig
from triggerwatch.core.targets import load_targets, read_target_file
from triggerwatch.worker.processing import Processor
from triggerwatch.worker.resolve import LinkingResolver

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Talousuutiset</title><link>https://news.example.fi/</link>
<description>test</description>
<item><title>Digian uudeksi talousjohtajaksi nimitettiin Maria Virtanen</title>
<link>https://news.example.fi/digia-talousjohtaja</link>
<guid isPermaLink="true">https://news.example.fi/digia-talousjohtaja</guid>
<pubDate>Tue, 01 Dec 2026 08:00:00 +0200</pubDate>
<description>Digia Oyj nimitti Maria Virtasen talousjohtajaksi.</description></item>
</channel></rss>"""

RELEASE = {
    "results": {
        "item": [
            {
                "disclosureId": 9900001,
                "categoryId": 12,
                "headline": "Digia Oyj: Maria Virtanen nimitetty Digian talousjohtajaksi",
                "cnsCategory": "Changes board/management/auditors",
                "market": "Main Market, Helsinki",
                "company": "Digia Oyj",
                "messageUrl": "https://view.news.eu.nasdaq.com/view?id=digia-cfo&lang=fi&src=listed",
                "releaseTime": "2026-12-01 09:30:00",
                "published": "2026-12-01 09:30:00",
                "language": "fi",
            }
        ]
    }
}


def parse(name: str, type_: str, options: dict[str, object], content: bytes) -> list[bytes]:
    source = build_source(SourceConfig(name=name, type=type_, options=options))
    report = RunReport(source=name)
    raw = RawPayload(source=name, url=None, content=content, fetched_at=NOW)
    events = parse_payloads(source, [raw], report)
    assert not report.dead_letters, [d.reason for d in report.dead_letters]
    return [encode(e) for e in events]


def test_news_and_exchange_release_of_one_appointment_give_one_alert_with_both(
    sqlite_db: Database,
) -> None:
    load_targets(sqlite_db, read_target_file(RECORDINGS.parent / "targets.yaml"))
    news = parse("talous-news", "rss", {"url": "https://news.example.fi/rss", "classify": True}, NEWS)
    release = parse("nasdaq-helsinki", "nasdaq", {"classify": True}, json.dumps(RELEASE).encode())
    processor = Processor(
        sqlite_db,
        load_rules(CONFIG_DIR / "rules.yaml"),
        clock=lambda: NOW,
        resolver=LinkingResolver(sqlite_db),
    )
    [first] = processor.process_batch(news)
    assert first.event is not None and first.event.kind is EventKind.DECISION_MAKER_CHANGE
    assert first.event.attributes["role"] == "cfo"
    [alert] = first.alerts
    assert alert.company.business_id == "0831312-4" and alert.revision == 1

    [second] = processor.process_batch(release)
    assert second.event is not None and second.event.attributes["role"] == "cfo"
    [update] = second.alerts
    assert update.alert_id == alert.alert_id and update.revision == 2  # the same alert, corroborated
    assert set(update.sources) == {"talous-news", "nasdaq-helsinki"}
    assert {e.source for e in update.evidence} == {"talous-news", "nasdaq-helsinki"}
    assert update.confidence > alert.confidence
