"""`triggerwatch sources discover`: a company's website (from the company table) → its careers page
→ its ATS or JobPosting markup → a disabled source entry, against local sites standing in for the
company and its ATS; robots.txt, one request per host per interval, conditional requests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml

from tests.collectors.sites import Site
from tests.collectors.test_http import USER_AGENT, Reply, SleepRecorder
from triggerwatch.collectors.discover import (
    career_links,
    companies_to_discover,
    detect_ats,
    discover,
    write_entries,
)
from triggerwatch.collectors.registry import load_sources
from triggerwatch.core.db import Company, Database
from triggerwatch.core.http import HttpFetcher, RetryPolicy

JOBS = Path(__file__).resolve().parents[1] / "fixtures" / "jobs"
UPCLOUD = "2431560-5"


@pytest.mark.parametrize(
    ("snippet", "type_", "options"),
    [
        ('<a href="https://upcloud.teamtailor.com/jobs">Jobs</a>', "teamtailor", {"company": "upcloud"}),
        ('<a href="https://acme.recruitee.com/">Careers</a>', "recruitee", {"company": "acme"}),
        (
            '<script src="https://boards.greenhouse.io/embed/job_board/js?for=wolt"></script>',
            "greenhouse",
            {"board": "wolt"},
        ),
        ('<iframe src="https://job-boards.eu.greenhouse.io/acme"></iframe>', "greenhouse", {"board": "acme"}),
        ('<a href="https://jobs.eu.lever.co/acme">x</a>', "lever", {"site": "acme", "eu": True}),
        (
            '<a href="https://jobs.smartrecruiters.com/AcmeOy1">x</a>',
            "smartrecruiters",
            {"company": "AcmeOy1"},
        ),
        (
            '<a href="https://acme.wd3.myworkdayjobs.com/en-US/External/details/x">x</a>',
            "workday",
            {"career_site": "https://acme.wd3.myworkdayjobs.com/en-US/External"},
        ),
        (
            '<a href="https://site106.reachmee.com/Public/rssfeed/external.ashx?id=12&amp;InstallationID=I003&amp;CustomerName=oru&amp;lang=UK">RSS</a>',
            "reachmee",
            {
                "url": "https://site106.reachmee.com/Public/rssfeed/external.ashx?id=12&InstallationID=I003&CustomerName=oru&lang=UK"
            },
        ),
    ],
)
def test_detects_each_ats_from_links_scripts_and_iframes(
    snippet: str, type_: str, options: dict[str, object]
) -> None:
    [find] = detect_ats(f"<html><body>{snippet}</body></html>", "https://www.example.fi/")
    assert (find.type, find.options) == (type_, options)


def test_career_links_in_finnish_swedish_and_english() -> None:
    page = (
        '<a href="/tuotteet">Tuotteet</a><a href="/ura">Ura meillä</a><a href="/sv/lediga-jobb">x</a>'
        '<a href="https://example.teamtailor.com/jobs">Avoimet työpaikat</a>'
        '<a href="mailto:rekry@x.fi">rekry</a>'
    )
    assert career_links(page, "https://www.example.fi/") == [
        "https://www.example.fi/ura",
        "https://www.example.fi/sv/lediga-jobb",
        "https://example.teamtailor.com/jobs",
    ]


def add_company(db: Database, bid: str, name: str, website: str | None) -> None:
    with db.session() as s:
        s.add(Company(business_id=bid, name=name, name_key=name.lower(), website=website))


def test_discover_writes_a_verified_disabled_entry(sqlite_db: Database, tmp_path: Path) -> None:
    sleeps = SleepRecorder()
    http = HttpFetcher(
        user_agent=USER_AGENT,
        client=httpx.Client(timeout=5.0, trust_env=False),
        policy=RetryPolicy(max_attempts=1, sleep=sleeps),
    )
    with Site() as company, Site() as ats, Site() as other:
        company.routes["/"] = Reply(
            200, b'<html><body><a href="/tuotteet">Tuotteet</a><a href="/ura">Ura</a></body></html>'
        )
        company.routes["/ura"] = Reply(
            200,
            f'<html><body><a href="{ats.url}/jobs">Avoimet työpaikat</a></body></html>'.encode(),
            {"ETag": '"ura1"', "Content-Type": "text/html; charset=utf-8"},
        )
        ats.routes["/jobs"] = Reply(
            200,
            b'<html><head><link rel="alternate" type="application/rss+xml" href="'
            + f"{ats.url}/jobs.rss".encode()
            + b'"></head></html>',
        )
        ats.routes["/jobs.rss"] = Reply(200, (JOBS / "teamtailor_jobs_rss_upcloud.xml").read_bytes())
        # a second company: no ATS, but JobPosting markup on its careers page; its /private is disallowed
        other.routes["/robots.txt"] = Reply(200, b"User-agent: *\nDisallow: /private\n")
        other.routes["/"] = Reply(200, b'<a href="/careers">Careers</a><a href="/private/jobs">Jobs</a>')
        other.routes["/careers"] = Reply(
            200, (JOBS / "schemaorg_jsonld_kuntarekry_esko_redacted.html").read_bytes()
        )
        add_company(sqlite_db, UPCLOUD, "UpCloud Oy", company.url)
        add_company(sqlite_db, "0831312-4", "Digia Oyj", other.url)
        add_company(sqlite_db, "0246246-0", "Kela", None)
        companies = companies_to_discover(sqlite_db, [UPCLOUD, "0831312-4", "0246246-0"], None)
        cache = tmp_path / "cache.json"
        found = discover(companies, http, interval_s=5.0, cache_file=cache)
        up, digia, kela = found
        assert up.entry is not None and up.entry["type"] == "teamtailor" and up.items == 2
        assert up.entry["options"] == {
            "url": ats.url + "/jobs.rss",
            "business_id": UPCLOUD,
            "employer": "UpCloud Oy",
        }
        assert digia.entry is not None and digia.entry["type"] == "jobposting" and digia.items == 1
        assert digia.entry["options"]["url"] == other.url + "/careers"
        assert "/private/jobs" not in other.paths()  # robots.txt honoured
        assert kela.entry is None and "no website" in kela.note
        # one request per host per 5 s: each further request to a host waited (the sleep is recorded)
        assert len(sleeps.calls) >= 3 and min(sleeps.calls) > 4.0
        # a second run asks conditionally and uses the cached page on 304
        company.routes["/ura"] = lambda req: (
            Reply(304, headers={"ETag": '"ura1"'}) if req.header("If-None-Match") == '"ura1"' else Reply(500)
        )
        again = discover(companies[:1], http, interval_s=5.0, cache_file=cache, verify=False)
        assert again[0].entry == up.entry
    out = tmp_path / "sources.discovered.yaml"
    assert write_entries(out, found, datetime(2026, 12, 4, tzinfo=UTC)) == [
        "upcloud-oy-jobs",
        "digia-oyj-jobs",
    ]
    assert write_entries(out, found, datetime(2026, 12, 5, tzinfo=UTC)) == []  # not twice
    entries = yaml.safe_load(out.read_text())["sources"]
    assert [e["enabled"] for e in entries] == [False, False]
    written = load_sources(out, include_disabled=True)  # a valid sources file, ready to enable
    assert written["upcloud-oy-jobs"].collector.options.business_id == UPCLOUD  # type: ignore[attr-defined]
