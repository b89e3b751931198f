"""HttpFetcher and the RSS collector's live path against a real HTTP server on 127.0.0.1.

Nothing is mocked: the fetcher talks to ``FeedServer`` (``http.server`` in a thread) through a real
``httpx.Client``; only the retry *sleep* is injected, so backoffs are recorded instead of waited.
"""

from __future__ import annotations

import email.utils
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import httpx
import pytest

from tests.conftest import RECORDINGS
from triggerwatch.collectors.base import CursorState
from triggerwatch.collectors.registry import Source, build_source
from triggerwatch.collectors.runner import run_once
from triggerwatch.core.db import CollectorState, Database, Event
from triggerwatch.core.errors import ConfigError, InvalidInputError, TransientError
from triggerwatch.core.http import HttpFetcher, RetryPolicy, parse_retry_after
from triggerwatch.core.sources import SourceConfig

JOB_FEED = (RECORDINGS / "mol_fi_tyopaikat_rss_2014.xml").read_bytes()
USER_AGENT = "triggerwatch-test/0.1 (+https://example.invalid/triggerwatch)"
TITLE_PATTERN = r"^(?P<title>[^,]+), (?:(?P<openings>\d+) paikkaa, )?(?P<company>[^,]+), (?P<location>.+)$"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# ------------------------------------------------------------------------------------ local server
@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SeenRequest:
    path: str
    headers: dict[str, str]  # lower-cased names

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


Route = Callable[[SeenRequest], Reply] | list[Reply]


class FeedServer:
    """A real HTTP/1.0 server on 127.0.0.1 (port 0) serving scripted replies from a thread.

    ``routes`` maps a path (with query) to a callable or to a list of replies served in turn (the
    last one repeats). Unrouted paths get 404, so robots.txt is "absent" unless routed. Every request
    is recorded; ``wait_for`` blocks (bounded) until a condition on the recorded requests holds.
    """

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[SeenRequest] = []
        self._served: dict[str, int] = {}
        self._cond = threading.Condition()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen = SeenRequest(self.path, {k.lower(): v for k, v in self.headers.items()})
                with server._cond:  # recorded before the reply goes out: the client sees it at once
                    server.requests.append(seen)
                    server._cond.notify_all()
                reply = server._reply(seen)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.status != 304:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if reply.status != 304:
                    self.wfile.write(reply.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="feed-server", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def _reply(self, seen: SeenRequest) -> Reply:
        route = self.routes.get(seen.path)
        if route is None:
            return Reply(404, b"not found")
        if callable(route):
            return route(seen)
        with self._cond:
            n = self._served.get(seen.path, 0)
            self._served[seen.path] = n + 1
        return route[min(n, len(route) - 1)]

    def paths(self) -> list[str]:
        with self._cond:
            return [r.path for r in self.requests]

    def to(self, path: str) -> list[SeenRequest]:
        with self._cond:
            return [r for r in self.requests if r.path == path]

    def wait_for(self, predicate: Callable[[list[SeenRequest]], bool], timeout: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self.requests), timeout=timeout)

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def conditional_feed(body: bytes, etag: str, last_modified: str) -> Callable[[SeenRequest], Reply]:
    """A feed that honours If-None-Match / If-Modified-Since like a well-behaved server."""
    validators = {"ETag": etag, "Last-Modified": last_modified}

    def route(req: SeenRequest) -> Reply:
        if req.header("If-None-Match") == etag or req.header("If-Modified-Since") == last_modified:
            return Reply(304, headers=validators)
        return Reply(200, body, {"Content-Type": "application/rss+xml; charset=utf-8", **validators})

    return route


class SleepRecorder:
    """The injected sleep of RetryPolicy: records each backoff instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def fetcher(client: httpx.Client, sleeps: SleepRecorder, **policy: Any) -> HttpFetcher:
    return HttpFetcher(user_agent=USER_AGENT, client=client, policy=RetryPolicy(sleep=sleeps, **policy))


def job_source(url: str, name: str = "local-jobs") -> Source:
    return build_source(
        SourceConfig(
            name=name,
            type="rss",
            options={
                "url": url,
                "kind": "recruitment",
                "company_role": "employer",
                "language": "fi",
                "title_pattern": TITLE_PATTERN,
            },
        )
    )


def state_row(db: Database, name: str) -> CollectorState:
    with db.session() as s:
        row = s.get(CollectorState, name)
        assert row is not None
        return row


def event_count(db: Database) -> int:
    with db.session() as s:
        return s.query(Event).count()


# ------------------------------------------------------------------------------- identification
def test_sends_user_agent_on_robots_and_feed(
    server: FeedServer, client: httpx.Client, sleeps: SleepRecorder
) -> None:
    server.routes["/feed.xml"] = [Reply(200, JOB_FEED)]
    doc = fetcher(client, sleeps).get(server.url + "/feed.xml")
    assert doc.status == 200
    assert doc.content == JOB_FEED
    assert server.paths() == ["/robots.txt", "/feed.xml"]
    assert [r.header("User-Agent") for r in server.requests] == [USER_AGENT, USER_AGENT]
    assert sleeps.calls == []


# ------------------------------------------------------------------------------- conditional GET
def test_conditional_get_sends_validators_back_and_304_yields_no_payloads(
    server: FeedServer, client: httpx.Client, sleeps: SleepRecorder
) -> None:
    etag = '"mol-8474437"'
    last_modified = "Fri, 16 May 2014 05:32:31 GMT"
    server.routes["/feed.xml"] = conditional_feed(JOB_FEED, etag, last_modified)
    source = job_source(server.url + "/feed.xml")
    http = fetcher(client, sleeps)

    first = source.collector.fetch(http, CursorState())
    assert len(first.payloads) == 1
    assert first.payloads[0].content == JOB_FEED
    assert (first.state.etag, first.state.last_modified) == (etag, last_modified)
    feed_requests = server.to("/feed.xml")
    assert feed_requests[0].header("If-None-Match") is None
    assert feed_requests[0].header("If-Modified-Since") is None

    second = source.collector.fetch(http, first.state)
    assert second.payloads == []
    assert (second.state.etag, second.state.last_modified) == (etag, last_modified)
    again = server.to("/feed.xml")[1]
    assert again.header("If-None-Match") == etag
    assert again.header("If-Modified-Since") == last_modified


def test_run_once_live_stores_validators_then_reports_not_modified(
    server: FeedServer, client: httpx.Client, sleeps: SleepRecorder, sqlite_db: Database
) -> None:
    etag = 'W/"jobs-2014-05-16"'
    last_modified = "Fri, 16 May 2014 05:32:31 GMT"
    server.routes["/tyopaikat.rss"] = conditional_feed(JOB_FEED, etag, last_modified)
    source = job_source(server.url + "/tyopaikat.rss")
    http = fetcher(client, sleeps)

    first = run_once(source, sqlite_db, http, clock=lambda: T0)
    assert first.error is None and not first.not_modified
    assert len(first.new_events) == 17
    row = state_row(sqlite_db, source.name)
    assert (row.etag, row.last_modified) == (etag, last_modified)
    assert row.last_success_at == T0

    later = T0 + timedelta(hours=1)
    second = run_once(source, sqlite_db, http, clock=lambda: later)
    assert second.not_modified
    assert second.error is None
    assert second.payloads == 0 and second.new_events == []
    assert server.to("/tyopaikat.rss")[1].header("If-None-Match") == etag
    assert server.to("/tyopaikat.rss")[1].header("If-Modified-Since") == last_modified
    row = state_row(sqlite_db, source.name)
    assert (row.etag, row.last_modified) == (etag, last_modified)  # validators kept for the next poll
    assert row.last_success_at == later
    assert event_count(sqlite_db) == 17


# ------------------------------------------------------------------------------------- retries
def test_429_retry_after_is_honoured_then_success(
    server: FeedServer, client: httpx.Client, sleeps: SleepRecorder
) -> None:
    server.routes["/feed.xml"] = [Reply(429, b"slow down", {"Retry-After": "7"}), Reply(200, JOB_FEED)]
    doc = fetcher(client, sleeps).get(server.url + "/feed.xml")
    assert doc.status == 200 and doc.content == JOB_FEED
    assert sleeps.calls == [7.0]
    assert len(server.to("/feed.xml")) == 2


def test_retry_after_is_capped_by_max_backoff(
    server: FeedServer, client: httpx.Client, sleeps: SleepRecorder
) -> None:
    server.routes["/feed.xml"] = [Reply(503, b"", {"Retry-After": "86400"}), Reply(200, JOB_FEED)]
    fetcher(client, sleeps, max_backoff_s=60.0).get(server.url + "/feed.xml")
    assert sleeps.calls == [60.0]


def test_retry_after_http_date() -> None:
    now = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
    later = email.utils.format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(later, now=now) == 90.0
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(email.utils.format_datetime(now - timedelta(hours=1), usegmt=True), now=now) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_503_backs_off_exponentially_then_gives_up(
    server: FeedServer, client: httpx.Client, sleeps: SleepRecorder
) -> None:
    server.routes["/feed.xml"] = [Reply(503, b"busy")]
    http = fetcher(client, sleeps, max_attempts=4, initial_backoff_s=2.0)
    with pytest.raises(TransientError, match="HTTP 503"):
        http.get(server.url + "/feed.xml")
    assert len(server.to("/feed.xml")) == 4
    assert sleeps.calls == [2.0, 4.0, 8.0]


def test_run_once_records_transient_failure_without_raising(
    server: FeedServer, client: httpx.Client, sleeps: SleepRecorder, sqlite_db: Database
) -> None:
    server.routes["/feed.xml"] = [Reply(503, b"busy")]
    source = job_source(server.url + "/feed.xml")
    report = run_once(source, sqlite_db, fetcher(client, sleeps, max_attempts=3), clock=lambda: T0)
    assert report.error is not None and "HTTP 503" in report.error
    assert report.new_events == [] and report.dead_letters == []
    assert len(server.to("/feed.xml")) == 3
    assert sleeps.calls == [1.0, 2.0]
    row = state_row(sqlite_db, source.name)
    assert row.last_error is not None and "HTTP 503" in row.last_error
    assert row.last_error_at == T0 and row.last_run_at == T0
    assert row.last_success_at is None
    assert event_count(sqlite_db) == 0


def test_404_is_invalid_input_and_not_retried(
    server: FeedServer, client: httpx.Client, sleeps: SleepRecorder
) -> None:
    with pytest.raises(InvalidInputError, match="HTTP 404") as info:
        fetcher(client, sleeps).get(server.url + "/gone.rss")
    assert info.value.error_type == "http_error"
    assert server.paths() == ["/robots.txt", "/gone.rss"]  # exactly one attempt
    assert sleeps.calls == []


def test_connection_refused_is_transient(client: httpx.Client, sleeps: SleepRecorder) -> None:
    with FeedServer() as gone:
        url = gone.url + "/feed.xml"
    http = HttpFetcher(
        user_agent=USER_AGENT, client=client, policy=RetryPolicy(sleep=sleeps), respect_robots=False
    )
    with pytest.raises(TransientError, match="GET"):
        http.get(url)
    assert len(sleeps.calls) == 3  # max_attempts=4 by default


# ---------------------------------------------------------------------------------------- robots
def test_robots_disallow_refuses_without_requesting_the_feed(
    server: FeedServer, client: httpx.Client, sleeps: SleepRecorder, sqlite_db: Database
) -> None:
    server.routes["/robots.txt"] = [Reply(200, b"User-agent: *\nDisallow: /tyopaikat/\n")]
    server.routes["/tyopaikat/feed.rss"] = [Reply(200, JOB_FEED)]
    server.routes["/open.rss"] = [Reply(200, JOB_FEED)]
    http = fetcher(client, sleeps)
    with pytest.raises(ConfigError, match=r"robots\.txt"):
        http.get(server.url + "/tyopaikat/feed.rss")
    assert server.paths() == ["/robots.txt"]

    # run_once re-raises the refusal (a config problem) after recording it
    source = job_source(server.url + "/tyopaikat/feed.rss")
    with pytest.raises(ConfigError, match="disallows"):
        run_once(source, sqlite_db, http, clock=lambda: T0)
    row = state_row(sqlite_db, source.name)
    assert row.last_error is not None and "robots.txt" in row.last_error
    assert row.last_success_at is None
    assert "/tyopaikat/feed.rss" not in server.paths()

    # robots.txt is read once per origin; an allowed path on the same origin is fetched
    assert http.get(server.url + "/open.rss").status == 200
    assert server.paths() == ["/robots.txt", "/open.rss"]


def test_robots_rules_for_our_agent(server: FeedServer, client: httpx.Client, sleeps: SleepRecorder) -> None:
    server.routes["/robots.txt"] = [
        Reply(200, b"User-agent: triggerwatch-test\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
    ]
    with pytest.raises(ConfigError):
        fetcher(client, sleeps).get(server.url + "/feed.xml")
    assert server.paths() == ["/robots.txt"]


def test_robots_404_means_allowed(server: FeedServer, client: httpx.Client, sleeps: SleepRecorder) -> None:
    server.routes["/feed.xml"] = [Reply(200, JOB_FEED)]
    assert fetcher(client, sleeps).get(server.url + "/feed.xml").status == 200
    assert server.paths() == ["/robots.txt", "/feed.xml"]


def test_robots_403_means_disallowed(server: FeedServer, client: httpx.Client, sleeps: SleepRecorder) -> None:
    server.routes["/robots.txt"] = [Reply(403, b"forbidden")]
    server.routes["/feed.xml"] = [Reply(200, JOB_FEED)]
    with pytest.raises(ConfigError):
        fetcher(client, sleeps).get(server.url + "/feed.xml")
    assert server.paths() == ["/robots.txt"]


def test_robots_5xx_is_transient(server: FeedServer, client: httpx.Client, sleeps: SleepRecorder) -> None:
    server.routes["/robots.txt"] = [Reply(500, b"oops")]
    server.routes["/feed.xml"] = [Reply(200, JOB_FEED)]
    with pytest.raises(TransientError, match=r"robots\.txt"):
        fetcher(client, sleeps).get(server.url + "/feed.xml")
    assert server.paths() == ["/robots.txt"]


def test_robots_can_be_switched_off(server: FeedServer, client: httpx.Client, sleeps: SleepRecorder) -> None:
    server.routes["/robots.txt"] = [Reply(200, b"User-agent: *\nDisallow: /\n")]
    server.routes["/feed.xml"] = [Reply(200, JOB_FEED)]
    http = HttpFetcher(
        user_agent=USER_AGENT, client=client, policy=RetryPolicy(sleep=sleeps), respect_robots=False
    )
    assert http.get(server.url + "/feed.xml").status == 200
    assert server.paths() == ["/feed.xml"]
