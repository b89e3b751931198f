"""HTTP for collectors: conditional GET, polite identification, robots.txt, retries with backoff.

Retries use tenacity with an injected sleep (the clock), so tests run them without waiting; a
server's ``Retry-After`` (seconds or HTTP date) is honoured up to ``max_backoff_s``.

Bounded: every body is streamed and refused past ``FetchLimits.max_body_bytes`` (counted after
decompression, so a gzip bomb is refused too); a request ends by its total deadline
(``request_deadline_s``, however slowly the server drips its bytes), and a poll — every request,
retry and backoff a source makes in :meth:`HttpFetcher.poll` — by the poll deadline. A breach is a
:class:`FetchLimitError`: the poll fails with it as the source's error, the next poll tries again.
"""

from __future__ import annotations

import email.utils
import time
import urllib.robotparser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_any,
    wait_exponential,
)
from tenacity.stop import stop_base

from triggerwatch.core.errors import ConfigError, InvalidInputError, TransientError

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class RobotsDisallowedError(ConfigError):
    """robots.txt forbids the URL for our User-Agent: the source is refused, never scraped."""


class FetchLimitError(TransientError):
    """A source broke a fetch limit (a body past the cap, a request or poll past its deadline): the
    poll fails with this as the source's error; it is not retried within the poll."""


@dataclass(frozen=True)
class FetchLimits:
    """Bounds on what one source may cost: body size, one request's time, one poll's time."""

    max_body_bytes: int = 50 * 1024 * 1024
    request_deadline_s: float = 120.0
    poll_deadline_s: float = 900.0

    def override(
        self, *, max_body_bytes: int | None = None, poll_deadline_s: float | None = None
    ) -> FetchLimits:
        """These limits with a source's own (``None`` keeps the default)."""
        return replace(
            self,
            max_body_bytes=self.max_body_bytes if max_body_bytes is None else max_body_bytes,
            poll_deadline_s=self.poll_deadline_s if poll_deadline_s is None else poll_deadline_s,
        )


@dataclass(frozen=True)
class _PollBudget:
    limits: FetchLimits
    deadline: float  # monotonic


# The poll under way in this thread (each APScheduler job runs one poll in one thread).
_POLL: ContextVar[_PollBudget | None] = ContextVar("triggerwatch_poll", default=None)
ERROR_BODY_BYTES = 64 * 1024  # what an error answer's body is kept for its dead letter or message


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


class StopBeforeDeadline(stop_base):
    """Stop when the coming wait would end at or past ``deadline`` (monotonic seconds; None: never)."""

    def __init__(self, deadline: float | None, monotonic: Callable[[], float]) -> None:
        self.deadline = deadline
        self.monotonic = monotonic

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.deadline is not None and self.monotonic() + retry_state.upcoming_sleep >= self.deadline


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

    def retrying(
        self, deadline: float | None = None, monotonic: Callable[[], float] = time.monotonic
    ) -> Retrying:
        """Retries of transient failures (not of a broken fetch limit), at most ``max_attempts``, and
        none whose wait would end past ``deadline`` (monotonic seconds: the poll's)."""

        return Retrying(
            retry=retry_if_exception(
                lambda exc: isinstance(exc, TransientError) and not isinstance(exc, FetchLimitError)
            ),
            stop=stop_any(stop_after_attempt(self.max_attempts), StopBeforeDeadline(deadline, monotonic)),
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
    limits: FetchLimits = field(default_factory=FetchLimits)  # a source's own: poll(limits)
    _robots: dict[str, urllib.robotparser.RobotFileParser] = field(default_factory=dict)
    _robots_at: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def poll(self, limits: FetchLimits | None = None) -> Iterator[FetchLimits]:
        """One poll of one source: every request made inside obeys ``limits`` (default: this
        fetcher's), and all of them, with their retries and backoff, end by its poll deadline."""
        limits = limits or self.limits
        token = _POLL.set(_PollBudget(limits, self.monotonic() + limits.poll_deadline_s))
        try:
            yield limits
        finally:
            _POLL.reset(token)

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
        budget = _POLL.get()
        limits = budget.limits if budget is not None else self.limits
        poll_deadline = budget.deadline if budget is not None else None

        def attempt() -> FetchedDocument:
            limiter = self.rate_limits.get(urlsplit(url).netloc)
            if limiter is not None:
                limiter.acquire()
            started = self.monotonic()
            deadline = started + limits.request_deadline_s
            what = f"within the request deadline of {limits.request_deadline_s:g}s"
            if poll_deadline is not None and poll_deadline < deadline:
                deadline, what = poll_deadline, f"within the poll deadline of {limits.poll_deadline_s:g}s"
            if deadline <= started:
                raise FetchLimitError(f"{method} {url}: not started, the poll deadline has passed")
            try:
                with self.client.stream(
                    method,
                    url,
                    headers=headers,
                    params=params,
                    json=json,
                    data=data,
                    timeout=self._timeout(deadline - started),
                ) as resp:
                    if resp.status_code in RETRYABLE_STATUS:
                        raise TransientError(
                            f"{method} {url}: HTTP {resp.status_code}",
                            retry_after=parse_retry_after(resp.headers.get("Retry-After")),
                        )
                    if resp.status_code >= 400:
                        raise InvalidInputError(
                            f"{method} {url}: HTTP {resp.status_code}",
                            raw=self._read(resp, ERROR_BODY_BYTES, deadline, what, truncate=True),
                            error_type="http_error",
                        )
                    content = self._read(resp, limits.max_body_bytes, deadline, what)
            except httpx.TransportError as exc:
                if self.monotonic() >= deadline:
                    raise FetchLimitError(f"{method} {url}: no complete answer {what}") from exc
                raise TransientError(f"{method} {url}: {exc!r}") from exc
            return FetchedDocument(
                url=str(resp.url),
                status=resp.status_code,
                content=content,
                headers={k.lower(): v for k, v in resp.headers.items()},
                fetched_at=datetime.now(UTC),
            )

        result: FetchedDocument = self.policy.retrying(poll_deadline, self.monotonic)(attempt)
        return result

    def _timeout(self, remaining_s: float) -> httpx.Timeout:
        """The client's timeouts, none longer than what is left of the deadline."""
        base = self.client.timeout

        def cap(value: float | None) -> float:
            return remaining_s if value is None else min(value, remaining_s)

        return httpx.Timeout(
            connect=cap(base.connect), read=cap(base.read), write=cap(base.write), pool=cap(base.pool)
        )

    def _read(
        self, resp: httpx.Response, cap: int, deadline: float, what: str, *, truncate: bool = False
    ) -> bytes:
        """The body, streamed: refused (or, with ``truncate``, cut) past ``cap`` bytes, and refused
        when it has not ended by ``deadline`` (checked at every chunk: a drip never outlasts it by
        more than one read timeout, itself capped to the deadline)."""
        where = f"{resp.request.method} {resp.request.url}"
        declared = resp.headers.get("Content-Length", "")
        if not truncate and declared.isdigit() and int(declared) > cap:
            raise FetchLimitError(f"{where}: body of {int(declared)} bytes refused (limit {cap} bytes)")
        chunks: list[bytes] = []
        size = 0
        for chunk in resp.iter_bytes():
            size += len(chunk)
            if size > cap:
                if truncate:
                    chunks.append(chunk[: len(chunk) - (size - cap)])
                    break
                raise FetchLimitError(f"{where}: body refused past {cap} bytes (limit {cap} bytes)")
            chunks.append(chunk)
            if self.monotonic() >= deadline:
                raise FetchLimitError(f"{where}: no complete answer {what} ({size} bytes so far)")
        return b"".join(chunks)
