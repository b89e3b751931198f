"""Slack sink: an incoming webhook (``text`` fallback + Block Kit ``blocks``).

slack-sdk's built-in retry handlers are switched off (``retry_handlers=[]``): a 429 or 5xx surfaces
here and becomes a :class:`TransientError` for the dispatcher's policy, which honours
``Retry-After``. Messages are paced to at most one per ``min_interval_s`` per sink instance
(Slack allows about one message per second per channel).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import aiohttp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from triggerwatch.collectors.http import parse_retry_after
from triggerwatch.core.contracts import AlertV1
from triggerwatch.core.errors import PermanentDeliveryError, TransientError
from triggerwatch.notifier.render import render_blocks, render_slack_fallback


class Pacer:
    """At most one start per ``min_interval_s``: an asyncio lock plus monotonic timestamps."""

    def __init__(
        self,
        min_interval_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.min_interval_s = min_interval_s
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._last: float | None = None

    async def wait(self) -> None:
        async with self._lock:
            if self._last is not None:
                delay = self._last + self.min_interval_s - self._clock()
                if delay > 0:
                    await self._sleep(delay)
            self._last = self._clock()


class SlackSink:
    name = "slack"

    def __init__(
        self,
        webhook_url: str,
        *,
        min_interval_s: float = 1.0,
        language: str | None = None,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.language = language
        self.pacer = Pacer(min_interval_s, clock=clock, sleep=sleep)
        self._url = webhook_url
        self._client = AsyncWebhookClient(webhook_url, timeout=max(1, round(timeout_s)), retry_handlers=[])

    async def send(self, alert: AlertV1, idempotency_key: str) -> None:
        await self.pacer.wait()
        try:
            resp = await self._client.send(
                text=render_slack_fallback(alert, self.language),
                blocks=render_blocks(alert, self.language),
                unfurl_links=False,
                unfurl_media=False,
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            message = str(exc).replace(self._url, "<webhook url>")  # the URL is a secret
            raise TransientError(f"slack: {type(exc).__name__}: {message}") from exc
        status = resp.status_code
        if 200 <= status < 300:
            return
        detail = f"slack: HTTP {status} {(resp.body or '').strip()[:200]}".rstrip()
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))  # case-insensitive
            raise TransientError(detail, retry_after=retry_after)
        raise PermanentDeliveryError(detail)
