"""CRM sink: a signed JSON webhook.

Headers: ``Idempotency-Key``, ``X-Triggerwatch-Timestamp`` (unix seconds) and
``X-Triggerwatch-Signature: v1=<hex>,v1=<hex>`` — HMAC-SHA256 of ``"{timestamp}.{body}"`` with each
active secret (newest first), so receivers keep verifying while secrets rotate. The body is
:func:`~triggerwatch.notifier.render.trigger_record`; a higher ``revision`` of the same ``alert_id``
is an update to upsert (its ``Idempotency-Key`` ends in ``:r<revision>``). Receivers use
:func:`verify_signature`, which also refuses stale timestamps (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable

import httpx

from triggerwatch.core.contracts import AlertV1
from triggerwatch.core.errors import PermanentDeliveryError, TransientError
from triggerwatch.core.http import parse_retry_after
from triggerwatch.notifier.render import trigger_record

SIGNATURE_VERSION = "v1"
RETRYABLE_STATUS = frozenset({408, 425, 429})


def _digest(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(body: bytes, timestamp: str, secrets: list[str]) -> str:
    """``v1=<hex>`` per secret, comma-separated, in the given order (newest first)."""
    if not secrets:
        raise ValueError("at least one signing secret is needed")
    return ",".join(f"{SIGNATURE_VERSION}={_digest(s, timestamp, body)}" for s in secrets)


def verify_signature(
    body: bytes, timestamp: str, header: str, secrets: list[str], *, now: float, tolerance_s: float = 300
) -> bool:
    """True when the timestamp is fresh and any ``v1`` signature matches any active secret."""
    if not (timestamp.isascii() and timestamp.isdigit()) or abs(now - int(timestamp)) > tolerance_s:
        return False
    offered = [
        value.strip()
        for version, _, value in (part.strip().partition("=") for part in header.split(","))
        if version == SIGNATURE_VERSION and value.strip()
    ]
    matched = False
    for secret in secrets:
        expected = _digest(secret, timestamp, body)
        for candidate in offered:  # compare all, constant time each: no early exit on a match
            matched |= hmac.compare_digest(expected, candidate)
    return matched


def encode_body(alert: AlertV1) -> bytes:
    return json.dumps(
        trigger_record(alert), ensure_ascii=False, separators=(",", ":"), sort_keys=True
    ).encode()


class CrmSink:
    name = "crm"
    keyed = True  # the receiver deduplicates by the Idempotency-Key header

    def __init__(
        self,
        url: str,
        secrets: list[str],
        *,
        timeout_s: float = 10.0,
        client: httpx.AsyncClient | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        if not secrets:
            raise ValueError("CrmSink needs at least one signing secret")
        self.url = url
        self._secrets = list(secrets)
        self._client = client or httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)
        self._now = now

    async def send(self, alert: AlertV1, idempotency_key: str) -> None:
        body = encode_body(alert)
        timestamp = str(int(self._now()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": idempotency_key,
            "X-Triggerwatch-Timestamp": timestamp,
            "X-Triggerwatch-Signature": sign(body, timestamp, self._secrets),
        }
        try:
            resp = await self._client.post(self.url, content=body, headers=headers)
        except httpx.TransportError as exc:
            raise TransientError(f"crm: {type(exc).__name__}: {exc}") from exc
        status = resp.status_code
        if 200 <= status < 300:
            return
        detail = f"crm: HTTP {status} {resp.text.strip()[:200]}".rstrip()
        if status in RETRYABLE_STATUS or status >= 500:
            raise TransientError(detail, retry_after=parse_retry_after(resp.headers.get("Retry-After")))
        raise PermanentDeliveryError(detail)

    async def aclose(self) -> None:
        await self._client.aclose()
