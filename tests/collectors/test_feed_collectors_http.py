"""The issue-5 collectors' live path against a real local HTTP server (tests.collectors.test_http's
FeedServer): conditional GET (304), 429 + Retry-After, robots.txt refusal and its cache expiry, a
malformed item dead-lettered while the rest flows, HTML listing → article pages.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.collectors.test_http import (
    USER_AGENT,
    FeedServer,
    Reply,
    SleepRecorder,
    fetcher,
    state_row,
)
from tests.conftest import FIXTURES
from triggerwatch.collectors.registry import Source, build_source
from triggerwatch.collectors.runner import run_once
from triggerwatch.core.db import Database, DeadLetter, Event
from triggerwatch.core.http import HttpFetcher, RetryPolicy, RobotsDisallowedError
from triggerwatch.core.sources import SourceConfig

FEEDS = FIXTURES / "feeds"
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def source(name: str, type_: str, **options: Any) -> Source:
    return build_source(SourceConfig(name=name, type=type_, options=options))


def events(db: Database, name: str) -> list[Event]:
    with db.session() as s:
        return list(s.query(Event).filter(Event.source == name))


def test_te_jobs_conditional_get_and_malformed_item(
    server: FeedServer, client: httpx.Client, sleeps: SleepRecorder, sqlite_db: Database
) -> None:
    data = json.loads((FEEDS / "te_palvelut_tpt_api_search_programmerare_vasa_sv.json").read_bytes())
    data["response"]["docs"].append({"ilmoitusnumero": 999, "tyonantajanNimi": "Rikki Oy"})  # no title
    body = json.dumps(data).encode()
    etag = '"v1"'

    def route(req: Any) -> Reply:
        if req.header("If-None-Match") == etag:
            return Reply(304, headers={"ETag": etag})
        return Reply(200, body, {"Content-Type": "application/json", "ETag": etag})

    server.routes["/tpt-api/tyopaikat?kieli=sv"] = route
    src = source("te-local", "te_jobs", url=server.url + "/tpt-api/tyopaikat", params={"kieli": "sv"})
    http = fetcher(client, sleeps)
    first = run_once(src, sqlite_db, http, clock=lambda: T0)
    assert [e.companies[0].business_id for e in first.new_events] == ["3089570-6", "2204947-0"]
    [dl] = first.dead_letters
    assert dl.error_type == "missing_title" and b"Rikki Oy" in dl.raw()
    with sqlite_db.session() as s:
        assert s.query(DeadLetter).count() == 1
    second = run_once(src, sqlite_db, http, clock=lambda: T0)
    assert second.not_modified and not second.new_events
    assert server.to("/tpt-api/tyopaikat?kieli=sv")[-1].header("If-None-Match") == etag
    assert state_row(sqlite_db, "te-local").etag == etag


def test_nasdaq_429_retry_after_and_release_bodies(
    server: FeedServer, client: httpx.Client, sleeps: SleepRecorder, sqlite_db: Database
) -> None:
    listing = json.loads((FEEDS / "nasdaq_news_query_managers_transactions_2026-07.json").read_bytes())
    for item in listing["results"]["item"]:  # point the release links at the local server
        item["messageUrl"] = server.url + "/view?id=" + str(item["disclosureId"])
    body_text = (FEEDS / "nasdaq_view_body_wartsila_managers_transaction_2026-07.txt").read_bytes()
    server.routes["/news/query.action?type=json"] = [
        Reply(429, b"slow down", {"Retry-After": "7"}),
        Reply(200, json.dumps(listing).encode(), {"Content-Type": "application/json"}),
    ]
    for item in listing["results"]["item"]:
        server.routes["/view?id=" + str(item["disclosureId"])] = [
            Reply(200, b"<html><body>" + body_text + b"</body></html>")
        ]
    src = source(
        "nasdaq-local",
        "nasdaq",
        url=server.url + "/news/query.action",
        params={"type": "json"},
        fetch_bodies=True,
    )
    report = run_once(src, sqlite_db, fetcher(client, sleeps), clock=lambda: T0)
    assert sleeps.calls == [7.0]  # exactly the server's Retry-After
    assert len(report.new_events) == 2 and not report.dead_letters
    holm = report.new_events[0]
    assert holm.attributes["lei"] == "743700G7A9J1PHM3X223" and holm.attributes["isin"] == "FI0009003727"
    assert holm.attributes["person_name"] == "Holm, Roger"
    # only the Helsinki releases' texts were fetched (not Iceland's or Copenhagen's)
    assert "/view?id=1451003" not in server.paths() and "/view?id=1450945" not in server.paths()


def test_robots_txt_refuses_a_job_api(
    server: FeedServer, client: httpx.Client, sleeps: SleepRecorder, sqlite_db: Database
) -> None:
    server.routes["/robots.txt"] = [Reply(200, b"User-agent: *\nDisallow: /api/\n")]
    server.routes["/api/jobs"] = [Reply(200, b"{}")]
    src = source("jobs-api", "te_jobs", url=server.url + "/api/jobs")
    with pytest.raises(RobotsDisallowedError, match=r"robots\.txt .* disallows .*/api/jobs.*refused"):
        run_once(src, sqlite_db, fetcher(client, sleeps), clock=lambda: T0)
    assert "/api/jobs" not in server.paths()
    row = state_row(sqlite_db, "jobs-api")
    assert row.last_error is not None and "robots.txt" in row.last_error and row.last_success_at is None


def test_robots_cache_expires(server: FeedServer, client: httpx.Client, sleeps: SleepRecorder) -> None:
    clock = [0.0]
    server.routes["/robots.txt"] = [
        Reply(200, b"User-agent: *\nAllow: /\n"),
        Reply(200, b"User-agent: *\nDisallow: /\n"),
    ]
    server.routes["/feed"] = [Reply(200, b"x")]
    http = HttpFetcher(
        user_agent=USER_AGENT,
        client=client,
        policy=RetryPolicy(sleep=sleeps),
        robots_ttl_s=3600,
        monotonic=lambda: clock[0],
    )
    assert http.get(server.url + "/feed").status == 200
    clock[0] = 1800.0
    assert http.get(server.url + "/feed").status == 200  # cached
    assert server.paths().count("/robots.txt") == 1
    clock[0] = 3601.0
    with pytest.raises(RobotsDisallowedError):
        http.get(server.url + "/feed")  # re-read after expiry: now disallowed
    assert server.paths().count("/robots.txt") == 2


def test_html_listing_then_articles_once(
    server: FeedServer, client: httpx.Client, sleeps: SleepRecorder, sqlite_db: Database
) -> None:
    job1 = (FEEDS / "duunitori_job_2014.html").read_bytes()
    job2 = (FEEDS / "duunitori_job2_2014.html").read_bytes()
    listing = (
        b'<html><body><a class="jobentry-link" href="/tyopaikat/tyo/a-1">A</a>'
        b'<a class="jobentry-link" href="/tyopaikat/tyo/b-2">B</a><a href="/muu">x</a></body></html>'
    )
    server.routes["/tyopaikat"] = [
        Reply(200, listing, {"Content-Type": "text/html; charset=utf-8", "ETag": '"l1"'}),
        Reply(
            200, listing + b"<!-- changed -->", {"Content-Type": "text/html; charset=utf-8", "ETag": '"l2"'}
        ),
    ]
    server.routes["/tyopaikat/tyo/a-1"] = [Reply(200, job1, {"Content-Type": "text/html; charset=utf-8"})]
    server.routes["/tyopaikat/tyo/b-2"] = [Reply(200, job2, {"Content-Type": "text/html; charset=utf-8"})]
    src = source("duunitori-local", "html", url=server.url + "/tyopaikat", link_selector="a.jobentry-link")
    http = fetcher(client, sleeps)
    report = run_once(src, sqlite_db, http, clock=lambda: T0)
    assert sorted(e.companies[0].name or "" for e in report.new_events) == [
        "Keski-Suomen sairaanhoitopiiri",
        "Optimi Training Oy",
    ]
    again = run_once(src, sqlite_db, http, clock=lambda: T0)  # listing changed, articles already seen
    assert again.new_events == [] and server.paths().count("/tyopaikat/tyo/a-1") == 1
    assert server.to("/tyopaikat")[-1].header("If-None-Match") == '"l1"'
    assert "/muu" not in server.paths()


def test_tyomarkkinatori_token_then_search(
    monkeypatch: pytest.MonkeyPatch, client: httpx.Client, sleeps: SleepRecorder, sqlite_db: Database
) -> None:
    """Client-credentials token by form POST, then the search with the bearer token (assumed API)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs

    seen: list[tuple[str, str, str]] = []
    ads = {
        "content": [
            {
                "id": "T-1",
                "title": {"fi": "Myyjä"},
                "numberOfPositions": 3,
                "employer": {"name": "Kela", "businessId": "0246246-0"},
                "location": {"municipality": "Helsinki"},
                "publishDate": "2026-11-30T08:00:00Z",
            }
        ]
    }

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            seen.append(("POST", self.path, form["client_secret"][0]))
            self._send(json.dumps({"access_token": "tok-1", "token_type": "Bearer"}).encode())

        def do_GET(self) -> None:
            seen.append(("GET", self.path, self.headers.get("Authorization", "")))
            self._send(
                json.dumps(ads).encode() if self.path.startswith("/ads") else b"",
                200 if self.path.startswith("/ads") else 404,
            )

        def _send(self, body: bytes, status: int = 200) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        monkeypatch.setenv("TRIGGERWATCH_TYOMARKKINATORI_CLIENT_ID", "client-a")
        monkeypatch.setenv("TRIGGERWATCH_TYOMARKKINATORI_CLIENT_SECRET", "s3cr3t-value-from-keha")
        src = source("tmt-local", "tyomarkkinatori", url=base + "/ads", token_url=base + "/token")
        report = run_once(src, sqlite_db, fetcher(client, sleeps), clock=lambda: T0)
        [event] = report.new_events
        assert event.companies[0].business_id == "0246246-0" and event.attributes["openings"] == 3
        assert ("POST", "/token", "s3cr3t-value-from-keha") in seen
        assert ("GET", "/ads", "Bearer tok-1") in seen
    finally:
        httpd.shutdown()
        httpd.server_close()
