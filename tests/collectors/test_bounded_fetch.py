"""Bounded fetching (issue 15): a body past the source's cap is refused while it streams in, a request
ends by its total deadline however slowly the server drips, and a poll (requests, retries, backoff)
ends by the poll deadline; each breach is the source's error, its failing metric and the ops page.

Real local servers: an endless body, a one-byte drip, a gzip bomb, a huge declared Content-Length.
"""

from __future__ import annotations

import functools
import gzip
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.web.conftest import make_web
from tests.web.test_ops import login
from triggerwatch.collectors.registry import build_source
from triggerwatch.collectors.runner import run_once
from triggerwatch.core.db import CollectorState, Database
from triggerwatch.core.errors import TransientError
from triggerwatch.core.http import FetchLimitError, FetchLimits, HttpFetcher, RetryPolicy
from triggerwatch.core.sources import SourceConfig
from triggerwatch.web.auth import Role

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
MB = 1024 * 1024


@functools.cache
def gzip_bomb() -> bytes:
    return gzip.compress(bytes(8 * MB), compresslevel=9)


class HostileServer:
    """``/endless``: 64 KiB chunks until the client hangs up; ``/drip``: one byte every 50 ms;
    ``/bomb``: 8 MiB of zeros gzipped to 8 KiB; ``/huge``: declares 10 GB; ``/busy``: 503 with
    Retry-After 60; anything else 404 (no robots.txt). ``sent[path]`` counts the body bytes written."""

    def __init__(self) -> None:
        self.sent: dict[str, int] = {}
        self.hung_up = threading.Event()
        bomb = gzip_bomb()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                if path == "/busy":
                    self.send_response(503)
                    self.send_header("Retry-After", "60")
                    self.end_headers()
                    return
                if path not in ("/endless", "/drip", "/bomb", "/huge"):
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                if path == "/bomb":
                    self.send_header("Content-Encoding", "gzip")
                    self.send_header("Content-Length", str(len(bomb)))
                if path == "/huge":
                    self.send_header("Content-Length", str(10**10))
                self.end_headers()
                chunk = {"/endless": b"<item>" * 10923, "/drip": b"<", "/huge": b"x" * 65536}.get(path)
                try:
                    if path == "/bomb":
                        self.wfile.write(bomb)
                        return
                    while True:
                        assert chunk is not None
                        self.wfile.write(chunk)
                        server.sent[path] = server.sent.get(path, 0) + len(chunk)
                        if path == "/drip":
                            self.wfile.flush()
                            time.sleep(0.05)
                except OSError:  # the client hung up: what we want
                    server.hung_up.set()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    server = HostileServer()
    yield server
    server.close()


def fetcher(limits: FetchLimits, **kwargs: object) -> HttpFetcher:
    return HttpFetcher(
        user_agent="triggerwatch-test/0.1",
        client=httpx.Client(timeout=5.0, trust_env=False),
        limits=limits,
        **kwargs,  # type: ignore[arg-type]
    )


def test_an_endless_body_is_refused_at_the_cap(hostile: HostileServer) -> None:
    http = fetcher(FetchLimits(max_body_bytes=MB))
    with pytest.raises(FetchLimitError, match=r"body refused past 1048576 bytes"):
        http.get(hostile.url + "/endless")
    assert hostile.hung_up.wait(5)  # the connection is dropped, not drained
    assert hostile.sent["/endless"] < 16 * MB


def test_a_declared_huge_body_and_a_gzip_bomb_are_refused(hostile: HostileServer) -> None:
    http = fetcher(FetchLimits(max_body_bytes=MB))
    with pytest.raises(FetchLimitError, match=r"body of 10000000000 bytes refused"):
        http.get(hostile.url + "/huge")
    with pytest.raises(FetchLimitError, match="body refused past"):  # counted after decompression
        http.get(hostile.url + "/bomb")


def test_a_dripping_body_ends_at_the_request_deadline(hostile: HostileServer) -> None:
    http = fetcher(FetchLimits(request_deadline_s=0.5))
    started = time.monotonic()
    with pytest.raises(FetchLimitError, match=r"no complete answer within the request deadline of 0.5s"):
        http.get(hostile.url + "/drip")
    assert time.monotonic() - started < 2.0  # each byte arrives long before the read timeout (5 s)


def test_retries_and_backoff_end_by_the_poll_deadline(hostile: HostileServer) -> None:
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    http = fetcher(
        FetchLimits(poll_deadline_s=150.0),
        policy=RetryPolicy(max_attempts=10, sleep=sleep),
        monotonic=lambda: clock[0],
    )
    with http.poll(), pytest.raises(TransientError, match="HTTP 503"):
        http.get(hostile.url + "/busy")
    assert clock[0] == 120.0  # 503 at 0 s and 60 s and 120 s; a wait to 180 s would pass 150 s
    clock[0] = 151.0
    with http.poll() as limits, pytest.raises(FetchLimitError, match="poll deadline has passed"):
        clock[0] += limits.poll_deadline_s
        http.get(hostile.url + "/busy")


def test_a_breach_is_the_sources_error_its_failing_metric_and_on_the_ops_page(
    hostile: HostileServer, sqlite_db: Database
) -> None:
    config = SourceConfig(
        name="endless-feed",
        type="rss",
        max_body_mb=0.5,
        options={"url": hostile.url + "/endless", "kind": "news"},
    )
    report = run_once(build_source(config), sqlite_db, fetcher(FetchLimits()), clock=lambda: NOW)
    assert report.error is not None and "refused past 524288 bytes" in report.error
    with sqlite_db.session() as s:
        row = s.get(CollectorState, "endless-feed")
        assert row is not None and row.last_error == report.error

    web = make_web(sqlite_db, now=NOW)
    metrics = web.client.get("/metrics", headers=web.as_(Role.OPS)).text
    assert 'triggerwatch_source_failing{source="endless-feed"} 1.0' in metrics
    login(web, Role.OPS)
    page = web.client.get("/ui/ops").text
    row_html = re.search(r'<tr class="source-row" data-source="endless-feed">(.*?)</tr>', page, re.S)
    assert row_html and "refused past 524288 bytes" in row_html.group(1)
    web.client.close()
