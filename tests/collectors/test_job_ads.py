"""Job ads from the employers' own applicant-tracking systems and career pages (issue 18).

Every family parses a real recorded payload (``tests/fixtures/jobs/``, provenance in
``tests/fixtures/README.md``), and each fetch path is run against a local site serving those
payloads: real URLs' paths and parameters, paging, conditional requests, robots.txt.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import yaml

from tests.collectors.sites import Request, Site
from tests.collectors.test_http import Reply, SleepRecorder, fetcher
from tests.conftest import FIXTURES
from triggerwatch.collectors.base import CursorState, RawPayload
from triggerwatch.collectors.registry import Source, build_source
from triggerwatch.collectors.runner import RunReport, parse_payloads, run_once
from triggerwatch.core.contracts import CompanyRole, EventKind, TriggerEventV1
from triggerwatch.core.db import Database
from triggerwatch.core.errors import ConfigError
from triggerwatch.core.http import RobotsDisallowedError
from triggerwatch.core.sources import SourceConfig

JOBS = FIXTURES / "jobs"
UPCLOUD = "2431560-5"  # UpCloud Oy, as its privacy notice states; the employer comes from the config
FETCHED = datetime(2026, 9, 20, 10, 0, tzinfo=UTC)


def source(type_: str, name: str = "jobs", **options: Any) -> Source:
    return build_source(SourceConfig(name=name, type=type_, options=options))


def parse(src: Source, content: bytes, url: str | None = None) -> tuple[list[TriggerEventV1], RunReport]:
    report = RunReport(source=src.name)
    raw = RawPayload(source=src.name, url=url, content=content, fetched_at=FETCHED, ref="fixture")
    return parse_payloads(src, [raw], report), report


def employer(e: TriggerEventV1) -> tuple[str | None, str | None]:
    [ref] = e.companies
    assert ref.role is CompanyRole.EMPLOYER
    return ref.business_id, ref.name


# ------------------------------------------------------------------------------ parse: every family
def test_teamtailor_rss_upcloud() -> None:
    src = source("teamtailor", company="upcloud", business_id=UPCLOUD, employer="UpCloud Oy")
    events, report = parse(src, (JOBS / "teamtailor_jobs_rss_upcloud.xml").read_bytes())
    assert not report.dead_letters and len(events) == 2
    bi = events[0]
    assert bi.kind is EventKind.RECRUITMENT
    assert employer(bi) == (UPCLOUD, "UpCloud Oy")
    assert bi.title == "Business Intelligence Analyst - UpCloud Oy"
    assert bi.occurred_at == datetime(2026, 9, 4, 11, 50, 13, tzinfo=UTC)
    assert bi.source_url == "https://upcloud.teamtailor.com/jobs/8323453-business-intelligence-analyst"
    a = bi.attributes
    assert (a["job_title"], a["department"], a["location"], a["remote"]) == (
        "Business Intelligence Analyst",
        "Finance",
        "Helsinki, Finland",
        "hybrid",
    )
    assert a["ad_id"] == "8323453" and a["dedup_key"] == f"url:{bi.source_url}"
    assert bi.summary and bi.summary.startswith("We are looking for a Business Intelligence Analyst")
    assert events[1].attributes["remote"] == "fully"


def test_teamtailor_json_feed_same_ads_and_the_broken_item_dead_lettered() -> None:
    src = source("teamtailor", company="upcloud", business_id=UPCLOUD)
    events, report = parse(src, (JOBS / "teamtailor_jobs_jsonfeed_upcloud.json").read_bytes())
    assert len(events) == 3
    [dl] = report.dead_letters  # the fixture author's deliberately broken 4th item
    assert dl.error_type == "missing_field" and b"Deliberately broken" in dl.raw()
    rss, _ = parse(src, (JOBS / "teamtailor_jobs_rss_upcloud.xml").read_bytes())
    # the same ad from either feed is the same event (id from the URL's numeric job id)
    assert {e.event_id for e in rss} < {e.event_id for e in events}
    assert events[0].attributes["location"] == "Helsinki, FI"
    assert employer(events[0]) == (UPCLOUD, "UpCloud")  # no employer configured: the feed's name


def test_recruitee_offers() -> None:
    src = source("recruitee", company="makersite", business_id=UPCLOUD)
    events, report = parse(src, (JOBS / "recruitee_offers_makersite_trimmed.json").read_bytes())
    assert not report.dead_letters and len(events) == 2
    e = events[0]
    assert e.attributes["job_title"] == "Senior Data Scientist (m/f/x)"
    assert e.occurred_at == datetime(2026, 3, 17, 11, 32, 32, tzinfo=UTC)
    assert e.source_url == "https://makersite.io/o/senior-data-scientist-mfx-1"
    assert (e.attributes["location"], e.attributes["department"], e.attributes["remote"]) == (
        "Berlin, Germany",
        "Engineering",
        "remote",
    )
    assert events[1].attributes["location"] == "Germany"
    assert employer(e) == (UPCLOUD, None)


def test_greenhouse_boards_api_and_the_2013_embed_recording() -> None:
    src = source("greenhouse", board="cloudflare")
    events, report = parse(src, (JOBS / "greenhouse_boards_jobs_multi_trimmed.json").read_bytes())
    assert not report.dead_letters and len(events) == 6
    e = events[0]
    assert e.attributes["job_title"] == "Account Executive, FedCiv"
    assert e.occurred_at == datetime(2026, 3, 9, 20, 5, 19, tzinfo=UTC)  # first_published, not updated_at
    assert (e.attributes["location"], e.attributes["department"]) == ("Hybrid", "Field Sales")
    assert employer(e) == (None, "Cloudflare")
    cassette = yaml.safe_load((JOBS / "greenhouse_embed_jobs_content_vcr_2013.yml").read_text())
    body = cassette["http_interactions"][0]["response"]["body"]["string"].encode()
    old, report = parse(source("greenhouse", board="generalassembly"), body)
    assert old and not report.dead_letters
    assert old[0].summary and "<" not in old[0].summary  # entity-escaped HTML content → text


def test_lever_postings() -> None:
    src = source("lever", site="leverdemo", business_id=UPCLOUD, employer="Lever demo")
    events, report = parse(src, (JOBS / "lever_postings_leverdemo_unwrapped.json").read_bytes())
    assert not report.dead_letters and len(events) == 3
    e = events[1]
    assert e.attributes["job_title"] == "C++ Software Developer"
    assert e.occurred_at == datetime.fromtimestamp(1788318624.638, tz=UTC)
    assert (e.attributes["location"], e.attributes["department"], e.attributes["remote"]) == (
        "Jerusalem",
        "Engineering",
        "hybrid",
    )
    assert e.attributes["commitment"] == "Regular Full Time (Salary)"


def test_smartrecruiters_postings() -> None:
    src = source("smartrecruiters", company="ABOUTYOUGmbH")
    events, report = parse(src, (JOBS / "smartrecruiters_postings_aboutyou.json").read_bytes())
    assert not report.dead_letters and len(events) == 3
    e = events[0]
    assert e.source_url == "https://jobs.smartrecruiters.com/ABOUTYOUGmbH/744000147566189"
    assert e.occurred_at == datetime(2026, 9, 4, 16, 46, 24, 116000, tzinfo=UTC)
    assert (e.attributes["location"], e.attributes["department"], e.attributes["remote"]) == (
        "Hamburg, HH, Germany",
        "Business",
        "hybrid",
    )
    assert employer(e) == (None, "ABOUT YOU SE & Co. KG")


def test_workday_cxs_jobs_relative_dates() -> None:
    src = source("workday", career_site="https://nvidia.wd5.myworkdayjobs.com/NVIDIAExternalCareerSite")
    events, report = parse(src, (JOBS / "workday_cxs_jobs_nvidia_trimmed.json").read_bytes())
    assert not report.dead_letters and len(events) == 4
    by_id = {e.attributes["ad_id"]: e for e in events}
    first = by_id["JR2019950"]
    assert first.source_url == (
        "https://nvidia.wd5.myworkdayjobs.com/NVIDIAExternalCareerSite"
        "/job/US-CA-Santa-Clara/Engineering-Manager--LLM-Performance_JR2019950"
    )
    assert first.occurred_at == datetime(2026, 9, 1, tzinfo=UTC)  # "Posted 19 Days Ago"
    assert by_id["JR1997726"].occurred_at == datetime(2026, 9, 20, tzinfo=UTC)  # today
    assert by_id["JR2021079"].occurred_at == datetime(2026, 9, 19, tzinfo=UTC)  # yesterday
    thirty = by_id["JR2013560"]  # "30+ Days Ago": no date, said so
    assert (
        thirty.attributes["date_missing"] is True and thirty.attributes["posted_on"] == "Posted 30+ Days Ago"
    )
    assert by_id["JR2021079"].attributes["location"] == "2 Locations"


def test_reachmee_rss_sample() -> None:
    src = source(
        "reachmee",
        url="https://site106.reachmee.com/Public/rssfeed/external.ashx?id=12&InstallationID=I003&CustomerName=oru&lang=UK",
    )
    [e], report = parse(src, (JOBS / "reachmee_rss_oru_docsample.xml").read_bytes())
    assert not report.dead_letters
    assert e.attributes["ad_id"] == "12743" and e.attributes["location"] == "Örebro, Sweden"
    assert e.attributes["department"] == "School of Humanities, Education and Social Sciences"
    assert e.attributes["deadline"] == "2026-08-03T23:59:00+02:00"
    assert e.occurred_at == datetime(2026, 6, 1, 21, 59, tzinfo=UTC)
    assert e.attributes["occupation"] == "Doctoral student"


def test_jobposting_json_ld_kuntarekry() -> None:
    page = "https://www.kuntarekry.fi/fi/tyopaikka/esko-systems-oy/sovellusarkkitehti"
    src = source("jobposting", url=page, business_id=UPCLOUD, employer="Esko Systems Oy")
    [e], report = parse(src, (JOBS / "schemaorg_jsonld_kuntarekry_esko_redacted.html").read_bytes(), url=page)
    assert not report.dead_letters
    assert e.attributes["job_title"] == "Sovellusarkkitehti, Esko Systems Oy"
    assert e.source_url == page and e.attributes["dedup_key"] == f"url:{page}"  # no url in the markup
    assert e.attributes["location"] == "Oulu"
    assert e.attributes["deadline"] == "2026-10-02T16:00:00+03:00"
    assert e.attributes["employment_type"] == "Kokoaikatyö, Työpaikka, Vakinainen"
    assert e.occurred_at == datetime(2026, 9, 10, 5, 0, tzinfo=UTC)
    assert employer(e) == (UPCLOUD, "Esko Systems Oy")
    assert "Jani" not in (e.summary or "")


MICRODATA = b"""<!doctype html><html><body><ul>
<li itemscope itemtype="http://schema.org/JobPosting"><a itemprop="url" href="/jobs/1">x</a>
 <h2 itemprop="title">Ohjelmistokehitt\xc3\xa4j\xc3\xa4</h2>
 <time itemprop="datePosted" datetime="2026-09-01">1.9.</time>
 <div itemprop="jobLocation" itemscope itemtype="http://schema.org/Place"><div itemprop="address" itemscope
  itemtype="http://schema.org/PostalAddress"><span itemprop="addressLocality">Tampere</span></div></div></li>
<li itemscope itemtype="http://schema.org/JobPosting"><h2 itemprop="title">Myyj\xc3\xa4</h2></li>
</ul></body></html>"""


def test_jobposting_microdata_listing() -> None:
    src = source("jobposting", url="https://example.fi/ura")
    events, report = parse(src, MICRODATA, url="https://example.fi/ura")
    assert not report.dead_letters
    dev, seller = events
    assert dev.source_url == "https://example.fi/jobs/1" and dev.attributes["location"] == "Tampere"
    # a posting without its own URL on a listing page is not a twin of the page
    assert seller.source_url == "https://example.fi/ura" and str(seller.attributes["dedup_key"]).startswith(
        "jobposting:"
    )


def test_options_are_validated() -> None:
    with pytest.raises(ConfigError, match="business ID"):
        source("teamtailor", company="upcloud", business_id="2431560-4")
    with pytest.raises(ConfigError, match="exactly one of company or url"):
        source("recruitee")
    with pytest.raises(ConfigError, match="career_site"):
        source("workday", career_site="https://nvidia.wd5.myworkdayjobs.com/")
    assert (
        source("teamtailor", company="upcloud", business_id="FI24315605").collector.options.business_id
        == UPCLOUD
    )


# ------------------------------------------------------------------- fetch: against a local site
@pytest.fixture
def site() -> Any:
    with Site() as s:
        yield s


@pytest.fixture
def http(client: httpx.Client, sleeps: SleepRecorder) -> Any:
    return fetcher(client, sleeps)


def json_reply(data: Any, **headers: str) -> Reply:
    return Reply(200, json.dumps(data).encode(), {"Content-Type": "application/json", **headers})


def query(req: Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(req.path).query).items()}


def test_teamtailor_conditional_get(site: Site, http: Any, sqlite_db: Database) -> None:
    body = (JOBS / "teamtailor_jobs_rss_upcloud.xml").read_bytes()
    site.routes["/jobs.rss"] = lambda req: (
        Reply(304, headers={"ETag": '"t1"'})
        if req.header("If-None-Match") == '"t1"'
        else Reply(200, body, {"Content-Type": "application/rss+xml", "ETag": '"t1"'})
    )
    src = source("teamtailor", name="upcloud-jobs", url=site.url + "/jobs.rss", business_id=UPCLOUD)
    first = run_once(src, sqlite_db, http, clock=lambda: FETCHED)
    assert len(first.new_events) == 2 and {employer(e)[0] for e in first.new_events} == {UPCLOUD}
    second = run_once(src, sqlite_db, http, clock=lambda: FETCHED)
    assert second.not_modified and not second.new_events and second.error is None


def test_single_document_apis_use_their_real_paths(site: Site, http: Any) -> None:
    site.routes["/api/offers/"] = json_reply(
        json.loads((JOBS / "recruitee_offers_makersite_trimmed.json").read_text())
    )
    site.routes["/v1/boards/acme/jobs"] = json_reply(
        json.loads((JOBS / "greenhouse_boards_jobs_multi_trimmed.json").read_text())
    )
    site.routes["/Public/rssfeed/external.ashx"] = Reply(
        200, (JOBS / "reachmee_rss_oru_docsample.xml").read_bytes()
    )
    cases = [
        (source("recruitee", url=site.url + "/api/offers/"), "/api/offers/", 2),
        (
            source("greenhouse", board="acme", api_url=site.url + "/v1/boards"),
            "/v1/boards/acme/jobs?content=true",
            6,
        ),
        (
            source(
                "reachmee",
                url=site.url
                + "/Public/rssfeed/external.ashx?id=12&InstallationID=I003&CustomerName=oru&lang=UK",
            ),
            "/Public/rssfeed/external.ashx?id=12&InstallationID=I003&CustomerName=oru&lang=UK",
            1,
        ),
    ]
    for src, path, n in cases:
        outcome = src.collector.fetch(http, CursorState())
        assert site.paths()[-1] == path
        assert len(src.collector.parse(outcome.payloads[0])) == n


def test_lever_pages_with_skip_and_limit(site: Site, http: Any) -> None:
    postings = json.loads((JOBS / "lever_postings_leverdemo_unwrapped.json").read_text())

    def route(req: Request) -> Reply:
        q = query(req)
        assert q["mode"] == "json"
        skip, limit = int(q["skip"]), int(q["limit"])
        return json_reply(postings[skip : skip + limit], ETag='"l1"')

    site.routes["/v0/postings/leverdemo"] = route
    src = source("lever", site="leverdemo", api_url=site.url, limit=2)
    outcome = src.collector.fetch(http, CursorState())
    assert [query(r)["skip"] for r in site.requests if r.path != "/robots.txt"] == [
        "0",
        "2",
    ]  # the short second page ends it
    assert sum(len(src.collector.parse(p)) for p in outcome.payloads) == 3
    assert outcome.state.etag == '"l1"'


def test_smartrecruiters_pages_with_offset_until_total_found(site: Site, http: Any) -> None:
    data = json.loads((JOBS / "smartrecruiters_postings_aboutyou.json").read_text())

    def route(req: Request) -> Reply:
        q = query(req)
        offset, limit = int(q["offset"]), int(q["limit"])
        return json_reply(
            {**data, "offset": offset, "limit": limit, "content": data["content"][offset : offset + limit]}
        )

    site.routes["/v1/companies/ABOUTYOUGmbH/postings"] = route
    src = source("smartrecruiters", company="ABOUTYOUGmbH", api_url=site.url + "/v1/companies", limit=2)
    outcome = src.collector.fetch(http, CursorState())
    assert [query(r)["offset"] for r in site.requests if r.path != "/robots.txt"] == ["0", "2"]
    assert len({e.event_id for p in outcome.payloads for e in src.collector.parse(p)}) == 3


def test_workday_posts_pages_and_stops_on_the_first_total(site: Site, http: Any) -> None:
    data = json.loads((JOBS / "workday_cxs_jobs_nvidia_trimmed.json").read_text())
    bodies: list[dict[str, Any]] = []

    def route(req: Request) -> Reply:
        assert req.method == "POST"
        body = json.loads(req.body)
        bodies.append(body)
        offset, limit = body["offset"], body["limit"]
        page = (
            data["jobPostings"][offset : offset + limit] or data["jobPostings"][:limit]
        )  # wraps past the end
        return json_reply({"jobPostings": page, "total": data["total"] if offset == 0 else 0})

    host = urlsplit(site.url).netloc
    site.routes["/wday/cxs/127/External/jobs"] = route
    src = source("workday", career_site=site.url + "/en-US/External", limit=2)
    assert src.collector.check_url() == f"http://{host}/wday/cxs/127/External/jobs"
    outcome = src.collector.fetch(http, CursorState())
    assert [(b["offset"], b["limit"], b["appliedFacets"], b["searchText"]) for b in bodies] == [
        (0, 2, {}, ""),
        (2, 2, {}, ""),
    ]
    events = [e for p in outcome.payloads for e in src.collector.parse(p)]
    assert len({e.attributes["ad_id"] for e in events}) == 4


def test_jobposting_follows_job_links_once(site: Site, http: Any, sqlite_db: Database) -> None:
    listing = (
        b'<html><body><a href="/ura/sovellusarkkitehti">Sovellusarkkitehti</a>'
        b'<a href="/yritys">x</a></body></html>'
    )
    site.routes["/ura"] = Reply(200, listing, {"Content-Type": "text/html; charset=utf-8", "ETag": '"u1"'})
    site.routes["/ura/sovellusarkkitehti"] = Reply(
        200,
        (JOBS / "schemaorg_jsonld_kuntarekry_esko_redacted.html").read_bytes(),
        {"Content-Type": "text/html"},
    )
    src = source(
        "jobposting", name="esko-jobs", url=site.url + "/ura", link_pattern=r"/ura/", rate_per_min=120
    )
    first = run_once(src, sqlite_db, http, clock=lambda: FETCHED)
    [e] = first.new_events
    assert e.source_url == site.url + "/ura/sovellusarkkitehti"
    assert "/yritys" not in site.paths()
    run_once(src, sqlite_db, http, clock=lambda: FETCHED)  # the listing again; the job page is not refetched
    assert site.paths().count("/ura/sovellusarkkitehti") == 1 and site.paths().count("/ura") == 2


def test_a_disallowed_ats_is_refused_and_recorded(site: Site, http: Any, sqlite_db: Database) -> None:
    site.routes["/robots.txt"] = Reply(200, b"User-agent: *\nDisallow: /v0/\n")
    src = source("lever", name="lever-blocked", site="acme", api_url=site.url)
    with pytest.raises(RobotsDisallowedError):
        run_once(src, sqlite_db, http, clock=lambda: FETCHED)
    assert site.paths() == ["/robots.txt"]
