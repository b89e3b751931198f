"""Slack sink: an incoming webhook, or ``chat.postMessage`` with a bot token to the rep's channel/DM.

Both send a ``text`` fallback plus Block Kit ``blocks`` through slack-sdk. With a bot token the
channel is the alert's ``slack:<channel>`` routing entry (the rep's channel, a user id for a DM,
or the fallback channel), else ``default_channel``; with a webhook it is the webhook's channel.

Per channel: at most one message per ``min_interval_s`` (Slack allows about one per second) and one
message at a time, so order is kept. HTTP 429 is retried *inside* the channel's turn by slack-sdk's
rate-limit retry handler (waiting exactly ``Retry-After``, through the injected sleep) up to
``rate_limit_retries`` times when the wait is at most ``max_inline_wait_s``; otherwise, and for 5xx,
it surfaces as a :class:`TransientError` with ``retry_after`` for the dispatcher's policy.
Corroboration updates (revision > 1) are posted as a new message marked "Update".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from triggerwatch.core.contracts import AlertV1
from triggerwatch.core.errors import PermanentDeliveryError, TransientError
from triggerwatch.core.http import parse_retry_after
from triggerwatch.notifier.render import digest_lines, render_blocks, render_slack_fallback

if TYPE_CHECKING:
    from triggerwatch.notifier.sinks.base import Digest


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


class RetryAfterHandler(AsyncRateLimitErrorRetryHandler):
    """slack-sdk's 429 handler, waiting exactly ``Retry-After`` with an injectable sleep, bounded."""

    def __init__(
        self, max_retry_count: int, max_wait_s: float, sleep: Callable[[float], Awaitable[None]]
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait_s = max_wait_s
        self._sleep = sleep
        self.waits: list[float] = []

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = _retry_after(response.headers)
        return wait is not None and wait <= self.max_wait_s

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        wait = _retry_after(response.headers if response is not None else {}) or 1.0
        state.next_attempt_requested = True
        self.waits.append(wait)
        await self._sleep(wait)
        state.increment_current_attempt()


def _retry_after(headers: dict[str, Any]) -> float | None:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            return parse_retry_after(str(raw))
    return None


class SlackSink:
    name = "slack"
    keyed = False  # no deduplication by key at the receiver: a re-send after a crash is a duplicate

    def __init__(
        self,
        webhook_url: str | None = None,
        *,
        bot_token: str | None = None,
        default_channel: str | None = None,
        base_url: str = "https://slack.com/api/",
        min_interval_s: float = 1.0,
        language: str | None = None,
        timeout_s: float = 10.0,
        rate_limit_retries: int = 2,
        max_inline_wait_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not webhook_url and not bot_token:
            raise ValueError("SlackSink needs a webhook URL or a bot token")
        self.language = language
        self.default_channel = default_channel
        self.min_interval_s = min_interval_s
        self._clock = clock
        self._sleep = sleep
        self._url = webhook_url or ""
        self._secret = webhook_url or bot_token or ""
        self.retry_handler = RetryAfterHandler(rate_limit_retries, max_inline_wait_s, sleep)
        handlers: list[AsyncRetryHandler] = [self.retry_handler] if rate_limit_retries > 0 else []
        timeout = max(1, round(timeout_s))
        self._webhook = (
            AsyncWebhookClient(webhook_url, timeout=timeout, retry_handlers=handlers) if webhook_url else None
        )
        self._web = (
            AsyncWebClient(token=bot_token, base_url=base_url, timeout=timeout, retry_handlers=handlers)
            if bot_token and not webhook_url
            else None
        )
        self._pacers: dict[str, Pacer] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.pacer = self._pacer("webhook")  # the webhook's pacer (bot mode: one per channel)

    def _pacer(self, channel: str) -> Pacer:
        if channel not in self._pacers:
            self._pacers[channel] = Pacer(self.min_interval_s, clock=self._clock, sleep=self._sleep)
            self._locks[channel] = asyncio.Lock()
        return self._pacers[channel]

    def _channel_key(self, channels: list[str] | None) -> str:
        if self._web is None:
            return "webhook"
        for entry in channels or []:
            if entry.startswith("slack:"):
                return entry.removeprefix("slack:")
        if self.default_channel:
            return self.default_channel
        raise PermanentDeliveryError("slack: no channel for this alert and no default channel")

    async def send(self, alert: AlertV1, idempotency_key: str) -> None:
        text = render_slack_fallback(alert, self.language)
        blocks = render_blocks(alert, self.language)
        if alert.revision > 1:
            note = f"Update (revision {alert.revision}, {len(alert.sources)} sources): "
            text = note + text
            blocks = [{"type": "context", "elements": [{"type": "mrkdwn", "text": note.strip()}]}, *blocks]
        await self._post(self._channel_key(list(alert.routing.channels)), text, blocks)

    async def send_digest(self, digest: Digest, idempotency_key: str) -> None:
        lines = digest_lines(digest.alerts)
        title = f"triggerwatch {digest.period} digest for {digest.owner or 'the sales team'}"
        shown = lines[:40]
        body = "\n".join(f"• {line}" for line in shown)
        if len(lines) > len(shown):
            body += f"\n… and {len(lines) - len(shown)} more"
        blocks = [
            {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": body[:3000] or "-"}},
        ]
        await self._post(self._channel_key(digest.channels), f"{title}: {len(lines)} alert(s)", blocks)

    async def _post(self, channel: str, text: str, blocks: list[dict[str, Any]]) -> None:
        pacer = self._pacer(channel)
        async with self._locks[channel]:  # one message at a time per channel: order is kept
            await pacer.wait()
            if self._webhook is not None:
                await self._post_webhook(text, blocks)
            else:
                await self._post_api(channel, text, blocks)

    async def _post_webhook(self, text: str, blocks: list[dict[str, Any]]) -> None:
        assert self._webhook is not None
        try:
            resp = await self._webhook.send(text=text, blocks=blocks, unfurl_links=False, unfurl_media=False)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransientError(f"slack: {type(exc).__name__}: {self._redact(str(exc))}") from exc
        self._check(resp.status_code, resp.body or "", resp.headers)

    async def _post_api(self, channel: str, text: str, blocks: list[dict[str, Any]]) -> None:
        assert self._web is not None
        try:
            await self._web.chat_postMessage(
                channel=channel, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False
            )
        except SlackApiError as exc:
            resp = exc.response
            error = str(resp.get("error", "")) if resp is not None else ""
            self._check(resp.status_code if resp is not None else 500, error, resp.headers if resp else {})
            raise PermanentDeliveryError(f"slack: chat.postMessage {error}") from exc  # ok=false
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransientError(f"slack: {type(exc).__name__}: {self._redact(str(exc))}") from exc

    def _redact(self, message: str) -> str:
        return message.replace(self._secret, "<secret>") if self._secret else message

    @staticmethod
    def _check(status: int, body: str, headers: Any) -> None:
        if 200 <= status < 300:
            return
        detail = f"slack: HTTP {status} {body.strip()[:200]}".rstrip()
        if status == 429 or status >= 500:
            raise TransientError(detail, retry_after=_retry_after(dict(headers or {})))
        raise PermanentDeliveryError(detail)

    async def aclose(self) -> None:
        if self._web is not None and self._web.session is not None:
            await self._web.session.close()
