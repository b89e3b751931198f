"""The contract every delivery sink fulfils.

``send`` either returns (delivered) or raises:

* :class:`~triggerwatch.core.errors.TransientError` — may succeed later (network, 429, 5xx); its
  ``retry_after`` carries the server's ``Retry-After`` hint in seconds when there was one;
* :class:`~triggerwatch.core.errors.PermanentDeliveryError` — refused for good; never retried.

The ``idempotency_key`` is stable for one alert and sink (``"<alert_id>:<sink>"``); sinks pass it on
where the receiver can deduplicate (CRM ``Idempotency-Key`` header, the Dynamics record id, e-mail
``Message-ID``). A sink whose receiver deduplicates by it says so with ``keyed = True``: sending a
delivery again (after a crash left it in doubt) then changes nothing at the receiver.

Every sink can be closed (``aclose``: a no-op where nothing is held open); a sink that also sends
digests is a :class:`DigestSink`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from triggerwatch.core.contracts import AlertV1


@dataclass(frozen=True)
class Digest:
    """One summary of the alerts held back for a rep (cap overflow, quiet hours)."""

    digest_id: str
    owner: str | None
    period: str  # daily | weekly
    alerts: list[AlertV1]
    channels: list[str] = field(default_factory=list)  # slack:<channel>, email:<address>


@runtime_checkable
class Sink(Protocol):
    name: str

    async def send(self, alert: AlertV1, idempotency_key: str) -> None: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class DigestSink(Sink, Protocol):
    async def send_digest(self, digest: Digest, idempotency_key: str) -> None: ...
