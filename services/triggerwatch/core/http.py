"""HTTP for collectors: conditional GET, polite identification, robots.txt, retries with backoff.

Retries use tenacity with an injected sleep (the clock), so tests run them without waiting; a
server's ``Retry-After`` (seconds or HTTP date) is honoured up to ``max_backoff_s``.
"""

from __future__ import annotations

import email.utils
import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from triggerwatch.core.errors import ConfigError, InvalidInputError, TransientError

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class RobotsDisallowedError(ConfigError):
    """robots.txt forbids the URL for our User-Agent: the source is refused, never scraped."""


@dataclass(frozen=True)
class FetchedDocument:
    url: str
    status: int
    content: bytes
    headers: dict[str, str]
    fetched_at: datetime

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass
class RetryPolicy:
    max_attempts: int = 4
    initial_backoff_s: float = 1.0
    max_backoff_s: float = 300.0
    sleep: Callable[[float], None] = time.sleep

    def wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = getattr(exc, "retry_after", None)
        if hinted is not None:
            return float(min(hinted, self.max_backoff_s))
        backoff = wait_exponential(multiplier=self.initial_backoff_s, max=self.max_backoff_s)
        return float(backoff(state))

    def retrying(self) -> Retrying:
        return Retrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop_after_attempt(self.max_attempts),
            wait=self.wait,
            sleep=self.sleep,
            reraise=True,
        )


@dataclass
class RateLimiter:
    """Token bucket: at most ``rate_per_min`` requests a minute with bursts of ``burst``.

    ``clock`` (monotonic seconds) and ``sleep`` are injectable, so tests check it without waiting.
    """

    rate_per_min: float
    burst: int = 1
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _tokens: float | None = None
    _at: float = 0.0

    def acquire(self) -> float:
        """Take one token, sleeping until one is free; returns the seconds waited."""
        now = self.clock()
        per_s = self.rate_per_min / 60.0
        tokens = float(self.burst) if self._tokens is None else self._tokens
        tokens = min(float(self.burst), tokens + (now - self._at) * per_s)
        waited = 0.0
        if tokens < 1.0:
            waited = (1.0 - tokens) / per_s
            self.sleep(waited)
            tokens = 1.0
            now += waited
        self._tokens, self._at = tokens - 1.0, now
        return waited


@dataclass
class HttpFetcher:
    """One per collector process. ``client`` is injectable (tests use local servers)."""

    user_agent: str
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=20.0, follow_redirects=True))
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    respect_robots: bool = True
    # per-host token buckets (netloc → limiter), shared by every request to that host incl. retries
    rate_limits: dict[str, RateLimiter] = field(default_factory=dict)
    robots_ttl_s: float = 24 * 3600.0  # RFC 9309 2.4: a cached robots.txt should not be used > 24 h
    monotonic: Callable[[], float] = time.monotonic
    _robots: dict[str, urllib.robotparser.RobotFileParser] = field(default_factory=dict)
    _robots_at: dict[str, float] = field(default_factory=dict)

    def limit_rate(self, url: str, rate_per_min: float, burst: int = 5) -> RateLimiter:
        """Rate-limit requests to ``url``'s host (kept if one is already set); the retry sleep is reused."""
        host = urlsplit(url).netloc
        if host not in self.rate_limits:
            self.rate_limits[host] = RateLimiter(rate_per_min, burst, sleep=self.policy.sleep)
        return self.rate_limits[host]

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        parser = self._robots.get(origin)
        if parser is not None and self.monotonic() - self._robots_at.get(origin, 0.0) > self.robots_ttl_s:
            parser = None  # expired: read it again
        if parser is None:
            parser = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
            try:
                resp = self.client.get(origin + "/robots.txt", headers={"User-Agent": self.user_agent})
            except httpx.TransportError as exc:
                raise TransientError(f"robots.txt of {origin} unreachable: {exc!r}") from exc
            if resp.status_code >= 500:
                # RFC 9309 2.3.1.4: unreachable robots.txt means full disallow for now; try again later
                raise TransientError(f"robots.txt of {origin}: HTTP {resp.status_code}")
            if resp.status_code in (401, 403):
                parser.disallow_all = True  # type: ignore[attr-defined]
            elif resp.status_code >= 400:
                parser.parse([])  # no robots.txt: everything allowed
            else:
                parser.parse(resp.text.splitlines())
            self._robots[origin] = parser
            self._robots_at[origin] = self.monotonic()
        return parser.can_fetch(self.user_agent, url)

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> FetchedDocument:
        self._check_robots(url)
        req_headers = {"User-Agent": self.user_agent, **(headers or {})}
        if etag:
            req_headers["If-None-Match"] = etag
        if last_modified:
            req_headers["If-Modified-Since"] = last_modified

        return self._send("GET", url, headers=req_headers, params=params)

    def post(
        self,
        url: str,
        *,
        json: Any = None,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> FetchedDocument:
        """POST a JSON body (search APIs) or a form (token requests): same robots check and retries."""
        self._check_robots(url)
        req_headers = {"User-Agent": self.user_agent, **(headers or {})}
        return self._send("POST", url, headers=req_headers, params=params, json=json, data=data)

    def post_form(
        self, url: str, data: dict[str, str], *, headers: dict[str, str] | None = None
    ) -> FetchedDocument:
        """A form POST (e.g. an OAuth2 token request)."""
        return self.post(url, data=data, headers=headers)

    def _check_robots(self, url: str) -> None:
        if self.respect_robots and not self.allowed(url):
            raise RobotsDisallowedError(
                f"robots.txt of {urlsplit(url).netloc} disallows {url} for {self.user_agent!r}; "
                "this source is refused (never scraped): disable it or use the publisher's API"
            )

    def _send(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        params: dict[str, str] | None = None,
        json: Any = None,
        data: dict[str, str] | None = None,
    ) -> FetchedDocument:
        def attempt() -> FetchedDocument:
            limiter = self.rate_limits.get(urlsplit(url).netloc)
            if limiter is not None:
                limiter.acquire()
            try:
                resp = self.client.request(method, url, headers=headers, params=params, json=json, data=data)
            except httpx.TransportError as exc:
                raise TransientError(f"{method} {url}: {exc!r}") from exc
            if resp.status_code in RETRYABLE_STATUS:
                raise TransientError(
                    f"{method} {url}: HTTP {resp.status_code}",
                    retry_after=parse_retry_after(resp.headers.get("Retry-After")),
                )
            if resp.status_code >= 400:
                raise InvalidInputError(
                    f"{method} {url}: HTTP {resp.status_code}", raw=resp.content, error_type="http_error"
                )
            return FetchedDocument(
                url=str(resp.url),
                status=resp.status_code,
                content=resp.content,
                headers={k.lower(): v for k, v in resp.headers.items()},
                fetched_at=datetime.now(UTC),
            )

        result: FetchedDocument = self.policy.retrying()(attempt)
        return result
