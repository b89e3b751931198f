"""The contract every delivery sink fulfils.

``send`` either returns (delivered) or raises:

* :class:`~triggerwatch.core.errors.TransientError` — may succeed later (network, 429, 5xx); its
  ``retry_after`` carries the server's ``Retry-After`` hint in seconds when there was one;
* :class:`~triggerwatch.core.errors.PermanentDeliveryError` — refused for good; never retried.

The ``idempotency_key`` is stable for one alert and sink (``"<alert_id>:<sink>"``); sinks pass it on
where the receiver can deduplicate (CRM ``Idempotency-Key`` header, e-mail ``Message-ID``).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from triggerwatch.core.contracts import AlertV1


@runtime_checkable
class Sink(Protocol):
    name: str

    async def send(self, alert: AlertV1, idempotency_key: str) -> None: ...
