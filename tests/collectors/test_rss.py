"""The RSS/Atom collector's pure part (split + parse_item) on the real recorded feeds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.conftest import FIXTURES, RECORDINGS, REPO
from triggerwatch.cli import app
from triggerwatch.collectors.base import RawPayload
from triggerwatch.collectors.registry import Source, build_source, load_sources
from triggerwatch.collectors.rss import RssOptions, html_to_text
from triggerwatch.core.contracts import CompanyRole, EventKind, TriggerEventV1, decode_event, encode
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.core.outbox import event_row

SOURCES_FILE = REPO / "deploy" / "config" / "sources.yaml"
JOB_RECORDING = RECORDINGS / "mol_fi_tyopaikat_rss_2014.xml"
NEWS_RECORDING = RECORDINGS / "ampparit_georss_atom_2013.xml"
FEEDS = FIXTURES / "feeds"
FETCHED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EEST = timezone(timedelta(hours=3))


def shipped(name: str) -> Source:
    return load_sources(SOURCES_FILE, include_disabled=True)[name]


def renamed(source: Source, name: str) -> Source:
    return build_source(source.config.model_copy(update={"name": name}))


def payload(path: Path, source: str) -> RawPayload:
    return RawPayload(
        source=source, url=None, content=path.read_bytes(), fetched_at=FETCHED, ref=f"file:{path}"
    )


@pytest.fixture(scope="module")
def jobs() -> list[TriggerEventV1]:
    return shipped("te-jobs-jyvaskyla").collector.parse(payload(JOB_RECORDING, "te-jobs-jyvaskyla"))


@pytest.fixture(scope="module")
def news() -> list[TriggerEventV1]:
    return shipped("ampparit-news").collector.parse(payload(NEWS_RECORDING, "ampparit-news"))


def by_title(events: list[TriggerEventV1], title: str) -> TriggerEventV1:
    (event,) = [e for e in events if e.title == title]
    return event


# ---------------------------------------------------------------------------------- the job feed
def test_job_feed_yields_17_recruitment_events_with_employers(jobs: list[TriggerEventV1]) -> None:
    assert len(jobs) == 17
    assert {e.kind for e in jobs} == {EventKind.RECRUITMENT}
    assert all(e.source == "te-jobs-jyvaskyla" and e.language == "fi" for e in jobs)
    assert [[(c.name, c.role) for c in e.companies] for e in jobs][:4] == [
        [("Kela", CompanyRole.EMPLOYER)],
        [("Kela", CompanyRole.EMPLOYER)],
        [("Manpower Oy", CompanyRole.EMPLOYER)],
        [("Kilosoft Oy.", CompanyRole.EMPLOYER)],
    ]
    employers = [e.companies[0].name for e in jobs]
    assert employers == [
        "Kela",
        "Kela",
        "Manpower Oy",
        "Kilosoft Oy.",
        "Adecco Finland Oy",
        "ARROW Engineering Oy",
        "Energiakolmio Oy",
        "Energiakolmio Oy",
        "NaturVention Oy",
        "Manpower Oy",
        "Digia Oyj",
        "Nodeon Oy",
        "Nodeon Oy",
        "Experis",
        "Experis",
        "SC5 Online Oy",
        "SC5 Online Oy",
    ]
    assert all(len(e.companies) == 1 and e.companies[0].business_id is None for e in jobs)


def test_job_title_groups_become_attributes(jobs: list[TriggerEventV1]) -> None:
    kilosoft = by_title(jobs, "Java-asiantuntija, 5 paikkaa, Kilosoft Oy., Jyväskylä, Jyväskylä")
    assert kilosoft.companies[0].name == "Kilosoft Oy."
    assert kilosoft.attributes == {
        "role_title": "Java-asiantuntija",
        "job_title": "Java-asiantuntija",
        "location": "Jyväskylä, Jyväskylä",
        "openings": 5,
    }
    digia = by_title(jobs, "SharePoint-arkkitehti/tekninen konsultti, Digia Oyj, Jyväskylä")
    assert digia.companies[0].name == "Digia Oyj"
    assert digia.attributes == {
        "role_title": "SharePoint-arkkitehti/tekninen konsultti",
        "job_title": "SharePoint-arkkitehti/tekninen konsultti",
        "location": "Jyväskylä",
    }
    assert "openings" not in digia.attributes
    manpower = by_title(jobs, "JAVA-Ohjelmistokehittäjä, 2 paikkaa, Manpower Oy, Tampere, Jyväskylä")
    assert manpower.attributes["openings"] == 2
    assert manpower.attributes["location"] == "Tampere, Jyväskylä"
    openings = sorted(e.attributes["openings"] for e in jobs if "openings" in e.attributes)  # type: ignore[type-var]
    assert openings == [2, 5, 15, 15]


def test_job_dates_are_aware_and_match_pubdate(jobs: list[TriggerEventV1]) -> None:
    text = JOB_RECORDING.read_text(encoding="utf-8")
    pubdates = [
        parsedate_to_datetime(line.split("<pubDate>")[1].split("</pubDate>")[0])
        for line in text.splitlines()
        if "<pubDate>" in line
    ]
    assert len(pubdates) == 17
    assert [e.occurred_at for e in jobs] == pubdates
    for e in jobs:
        assert e.occurred_at.utcoffset() == timedelta(0)  # stored in UTC, tz-aware
        assert e.observed_at == FETCHED
        assert e.evidence[0].published_at == e.occurred_at
        assert "date_missing" not in e.attributes
    kela = jobs[0]
    assert kela.occurred_at == datetime(2014, 5, 16, 8, 32, 31, tzinfo=EEST)
    assert kela.occurred_at == datetime(2014, 5, 16, 5, 32, 31, tzinfo=UTC)


def test_job_evidence_links_and_summary(jobs: list[TriggerEventV1]) -> None:
    kela = jobs[0]
    link = "http://www.mol.fi/tyopaikat/tyopaikkatiedotus/haku/8474437_fi.htm?rss=true"
    assert kela.source_url == link
    assert kela.source_item_id == link  # the guid
    assert len(kela.evidence) == 1
    ev = kela.evidence[0]
    assert ev.url == link and ev.source == "te-jobs-jyvaskyla"
    assert ev.title == "IT asiantuntija, Kela, Jyväskylä"
    # the description is HTML: tags stripped, whitespace collapsed
    assert kela.summary is not None
    assert kela.summary.startswith("IT asiantuntija, Kela, Jyväskylä")
    assert "Haku päättyy: 08.06.2014, kokoaikatyö, Kesto: 6 - 12 kk Kela on kehittyvä" in kela.summary
    assert "<" not in kela.summary and "\n" not in kela.summary and "  " not in kela.summary
    assert ev.excerpt == kela.summary[:300]
    assert kela.raw_ref == f"file:{JOB_RECORDING}"
    assert all(e.evidence[0].url and e.evidence[0].url.startswith("http://www.mol.fi/") for e in jobs)


def test_event_ids_are_deterministic_per_source(jobs: list[TriggerEventV1]) -> None:
    source = shipped("te-jobs-jyvaskyla")
    again = source.collector.parse(payload(JOB_RECORDING, "te-jobs-jyvaskyla"))
    assert [e.event_id for e in again] == [e.event_id for e in jobs]
    assert len({e.event_id for e in jobs}) == 17
    assert jobs[0].event_id == TriggerEventV1.make_id("te-jobs-jyvaskyla", jobs[0].source_item_id)

    other = renamed(source, "te-jobs-tampere").collector.parse(payload(JOB_RECORDING, "te-jobs-tampere"))
    assert [e.source_item_id for e in other] == [e.source_item_id for e in jobs]
    assert {e.event_id for e in other}.isdisjoint({e.event_id for e in jobs})


def test_events_round_trip_through_the_contract(
    jobs: list[TriggerEventV1], news: list[TriggerEventV1]
) -> None:
    for e in jobs + news:
        assert decode_event(encode(e)) == e
        assert event_row(e)["event_id"] == e.event_id
    assert jobs[3].partition_key() == "kilosoft oy."
    assert news[0].partition_key() == "ampparit-news"  # no company: keyed by source


def test_summary_is_capped_by_max_summary_chars() -> None:
    base = shipped("te-jobs-jyvaskyla")
    options = {**base.config.options, "max_summary_chars": 40}
    short = build_source(base.config.model_copy(update={"options": options}))
    events = short.collector.parse(payload(JOB_RECORDING, "te-jobs-jyvaskyla"))
    assert all(e.summary is not None and len(e.summary) <= 40 for e in events)
    assert events[0].summary is not None and events[0].summary.startswith("IT asiantuntija, Kela, Jyv")
    assert len(events[0].summary) == 40


# ----------------------------------------------------------------------------------- the news feed
def test_atom_news_feed_yields_50_news_events_with_outlets(news: list[TriggerEventV1]) -> None:
    assert len(news) == 50
    assert {e.kind for e in news} == {EventKind.NEWS}
    assert all(e.companies == [] for e in news)
    first = news[0]
    assert first.title == "??? miehet ja makkarat Unkarissa (Länsi-Savo)"
    assert first.attributes["outlet"] == "Länsi-Savo"
    assert first.attributes["categories"] == "Maakunnat, Etelä-Savo"
    assert first.source_item_id == "tag:ampparit.com,2013-11-04:1724596243"
    assert first.source_url == "http://www.ampparit.com/redir.php?id=1724596243"
    assert first.evidence[0].url == first.source_url
    assert first.occurred_at == datetime(2013, 11, 4, 15, 37, 10, tzinfo=UTC)  # <updated> 17:37:10+02:00
    assert first.summary is None
    second = news[1]
    assert second.attributes["outlet"] == "Kaleva"
    assert second.attributes["categories"] == "Oulu, Maakunnat, Pohjois-Pohjanmaa"
    # every Ampparit title ends with "(Outlet)" and rel=via carries that outlet
    assert all(e.title.endswith(f"({e.attributes['outlet']})") for e in news)
    assert all(e.attributes["categories"] for e in news)
    assert len({e.event_id for e in news}) == 50


# ------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "content",
    [
        (FEEDS / "not_a_feed.txt").read_bytes(),
        b"",
        b'{"error": "rate limited"}',
        b"<html><body><h1>502 Bad Gateway</h1></body></html>",
    ],
    ids=["text", "empty", "json", "html"],
)
def test_malformed_payload_raises_invalid_input(content: bytes) -> None:
    source = shipped("ampparit-news")
    raw = RawPayload(source=source.name, url=None, content=content, fetched_at=FETCHED)
    with pytest.raises(InvalidInputError, match="malformed feed") as info:
        source.collector.split(raw)
    assert info.value.error_type == "malformed_feed"
    assert info.value.raw == content
    with pytest.raises(InvalidInputError):
        source.collector.parse(raw)


def test_bad_items_raise_alone_and_good_ones_parse() -> None:
    source = shipped("te-jobs-jyvaskyla")
    items = source.collector.split(payload(FEEDS / "te_jobs_mixed.xml", source.name))
    assert len(items) == 5
    outcomes: list[str] = []
    for item in items:
        try:
            (event,) = source.collector.parse_item(item)
            outcomes.append(event.companies[0].name or "")
        except InvalidInputError as exc:
            outcomes.append(exc.error_type)
            assert exc.raw == item.raw
            assert isinstance(exc.raw, str)
            json.loads(exc.raw)  # the item's raw text is JSON of the feedparser entry
    assert outcomes == ["Kela", "title_pattern", "Kilosoft Oy.", "empty_entry", "Digia Oyj"]
    with pytest.raises(InvalidInputError, match="title does not match title_pattern: 'Kesätyöntekijöitä'"):
        source.collector.parse_item(items[1])
    with pytest.raises(InvalidInputError, match="neither title nor link"):
        source.collector.parse_item(items[3])


def test_entry_without_date_falls_back_to_fetch_time() -> None:
    feed = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>Undated</title><link>https://example.invalid/1</link></item></channel></rss>"""
    source = shipped("ampparit-news")
    (event,) = source.collector.parse(RawPayload(source.name, None, feed, FETCHED))
    assert event.occurred_at == FETCHED
    assert event.attributes["date_missing"] is True
    assert event.evidence[0].published_at is None
    assert event.source_item_id == "https://example.invalid/1"


def test_html_to_text_strips_tags_and_collapses_whitespace() -> None:
    text = html_to_text("kokoaikatyö, Kesto: 6 - 12 kk<br>Kela on\n\n  <i>kehittyvä</i> &amp; monia")
    assert text == "kokoaikatyö, Kesto: 6 - 12 kk Kela on kehittyvä & monia"


def test_options_defaults_and_limits() -> None:
    opts = RssOptions.model_validate({"url": "https://feeds.example.invalid/news.xml"})
    assert opts.kind == EventKind.NEWS
    assert opts.company_role == CompanyRole.SUBJECT
    assert opts.max_summary_chars == 1000
    with pytest.raises(ValueError, match="max_summary_chars"):
        RssOptions.model_validate({"url": "https://feeds.example.invalid/", "max_summary_chars": 6000})
    with pytest.raises(ValueError, match=r"\(\?P<company>"):
        RssOptions.model_validate({"url": "https://e.invalid/", "title_pattern": "^(?P<title>.+)$"})


# ------------------------------------------------------------------------------- triggerwatch parse
def invoke_parse(source: str, path: Path) -> Result:
    args = ["parse", source, str(path), "--sources-file", str(SOURCES_FILE)]
    return CliRunner().invoke(app, args, catch_exceptions=False)


def test_cli_parse_prints_one_valid_event_per_line() -> None:
    result = invoke_parse("te-jobs-jyvaskyla", JOB_RECORDING)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 17
    events = [decode_event(line) for line in lines]  # each line is a valid TriggerEventV1
    assert {e.kind for e in events} == {EventKind.RECRUITMENT}
    assert [e.companies[0].name for e in events][:4] == ["Kela", "Kela", "Manpower Oy", "Kilosoft Oy."]
    assert events[3].attributes["openings"] == 5
    assert all(e.raw_ref == f"file:{JOB_RECORDING}" for e in events)
    assert result.stderr == ""


def test_cli_parse_reports_bad_items_on_stderr() -> None:
    result = invoke_parse("te-jobs-jyvaskyla", FEEDS / "te_jobs_mixed.xml")
    assert result.exit_code == 0  # some items were good
    assert [decode_event(line).companies[0].name for line in result.stdout.splitlines()] == [
        "Kela",
        "Kilosoft Oy.",
        "Digia Oyj",
    ]
    errors = [json.loads(line) for line in result.stderr.splitlines()]
    assert [e["error_type"] for e in errors] == ["title_pattern", "empty_entry"]
    assert errors[0]["dead_letter"] == "title does not match title_pattern: 'Kesätyöntekijöitä'"


def test_cli_parse_malformed_payload_fails_with_reason() -> None:
    result = invoke_parse("ampparit-news", FEEDS / "not_a_feed.txt")
    assert result.exit_code != 0
    assert result.stdout == ""
    (error,) = [json.loads(line) for line in result.stderr.splitlines()]
    assert error["error_type"] == "malformed_feed"
    assert error["dead_letter"].startswith("malformed feed:")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed ``triggerwatch`` script (main() maps errors to exit codes)."""
    exe = Path(sys.executable).with_name("triggerwatch")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIGGERWATCH_")}
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60, env=env, check=False)


def test_cli_entry_point_exit_codes() -> None:
    malformed = run_cli(
        "parse", "ampparit-news", str(FEEDS / "not_a_feed.txt"), "--sources-file", str(SOURCES_FILE)
    )
    assert malformed.returncode == 1
    assert malformed.stdout == ""
    assert "malformed feed" in malformed.stderr
    unknown = run_cli("parse", "no-such-source", str(JOB_RECORDING), "--sources-file", str(SOURCES_FILE))
    assert unknown.returncode == 2
    assert "configuration error" in unknown.stderr and "no-such-source" in unknown.stderr
