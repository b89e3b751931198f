"""Deliver an alert to every sink: concurrently, idempotently, with retries, on the record.

* One sink's failure or slowness never holds up another (``asyncio.gather``, per-attempt timeout).
* The ``deliveries`` table has one row per idempotency key ``"<alert_id>:<sink>"`` (``…:r<N>`` for
  corroboration updates, revision N > 1, so an update is delivered once more and only once); a key
  already ``delivered`` is ``skipped`` — also across processes and restarts.
  A ``failed`` key is tried again by a later :meth:`Dispatcher.deliver` call.
* The objection register is checked before any sink: an objected alert is ``blocked``.
* Only :class:`TransientError` is retried: exponential backoff with jitter, or exactly the server's
  ``Retry-After``; at most ``max_attempts`` attempts within ``max_retry_period_s``. The sleep and
  the clock are injected, so tests never wait.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable

from prometheus_client import Counter
from sqlalchemy import select
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential_jitter

from triggerwatch.core.contracts import AlertV1
from triggerwatch.core.db import Database, Delivery, upsert, utcnow
from triggerwatch.core.errors import ConfigError, PermanentDeliveryError, TransientError
from triggerwatch.core.objections import is_objected
from triggerwatch.core.settings import NotifierSettings
from triggerwatch.notifier.sinks.base import Digest, DigestSink, Sink

log = logging.getLogger(__name__)

DELIVERIES = Counter(
    "triggerwatch_deliveries_total", "Alert deliveries by sink and outcome", ["sink", "outcome"]
)
ATTEMPTS = Counter("triggerwatch_delivery_attempts_total", "Delivery attempts by sink", ["sink"])

DELIVERED, SKIPPED, FAILED, BLOCKED = "delivered", "skipped", "failed", "blocked"


class Dispatcher:
    def __init__(
        self,
        db: Database,
        sinks: list[Sink],
        settings: NotifierSettings,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        initial_backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        attempt_timeout_s: float = 120.0,
    ) -> None:
        names = [sink.name for sink in sinks]
        if len(set(names)) != len(names):
            raise ConfigError(f"sink names must be unique: {names}")
        self.db = db
        self.sinks = list(sinks)
        self.max_attempts = settings.max_attempts
        self.max_retry_period_s = settings.max_retry_period_s
        self.attempt_timeout_s = attempt_timeout_s
        self._sleep = sleep
        self._clock = clock
        self._backoff = wait_exponential_jitter(
            initial=initial_backoff_s, max=max_backoff_s, jitter=initial_backoff_s
        )
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def deliver(self, alert: AlertV1) -> dict[str, str]:
        """Sink name → ``delivered`` | ``skipped`` | ``failed`` | ``blocked``.

        The objection register is checked first: an objected alert reaches no sink (:meth:`block`),
        any other is sent (:meth:`send`). Raises only if the database fails.
        """
        reason = await asyncio.to_thread(self.objection, alert)
        if reason is not None:
            return await self.block(alert, reason)
        return await self.send(alert)

    async def block(self, alert: AlertV1, reason: str) -> dict[str, str]:
        """An objected alert: each sink's delivery row is recorded as ``blocked`` with the reason."""
        for sink in self.sinks:
            key = alert.delivery_key(sink.name)
            await asyncio.to_thread(self._record, alert.alert_id, sink.name, key, BLOCKED, 0, reason)
            DELIVERIES.labels(sink.name, BLOCKED).inc()
        log.info("alert %s blocked: %s", alert.alert_id, reason)
        return {sink.name: BLOCKED for sink in self.sinks}

    async def send(self, alert: AlertV1) -> dict[str, str]:
        """Deliver an alert whose objection check the caller has done (:meth:`deliver` does both)."""
        results = await asyncio.gather(
            *(self._deliver_one(alert, sink) for sink in self.sinks), return_exceptions=True
        )
        outcomes: dict[str, str] = {}
        for sink, result in zip(self.sinks, results, strict=True):
            if isinstance(result, BaseException):
                raise result  # every other sink has finished and been recorded by now
            outcomes[sink.name] = result
        return outcomes

    def objection(self, alert: AlertV1) -> str | None:
        with self.db.session() as session:
            return is_objected(session, alert)

    async def deliver_digest(self, digest: Digest) -> dict[str, str]:
        """Send a digest to every sink that has ``send_digest``; idempotent per digest and sink."""
        outcomes: dict[str, str] = {}
        for sink in self.sinks:
            if not isinstance(sink, DigestSink):
                continue
            send = sink.send_digest
            key = f"{digest.digest_id}:{sink.name}"
            if await asyncio.to_thread(self._status, key) == DELIVERED:
                outcomes[sink.name] = SKIPPED
                continue
            attempts, error = 0, None
            try:
                async for attempt in self._retrying():
                    with attempt:
                        attempts += 1
                        await send(digest, key)
            except Exception as exc:  # recorded; the digest job tries again next time
                error = f"{type(exc).__name__}: {exc}"[:2000]
            outcome = FAILED if error else DELIVERED
            await asyncio.to_thread(self._record, digest.digest_id, sink.name, key, outcome, attempts, error)
            DELIVERIES.labels(sink.name, f"digest_{outcome}").inc()
            outcomes[sink.name] = outcome
        return outcomes

    async def aclose(self) -> None:
        for sink in self.sinks:
            await sink.aclose()

    # -----------------------------------------------------------------------------------------------

    async def _deliver_one(self, alert: AlertV1, sink: Sink) -> str:
        key = alert.delivery_key(sink.name)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:  # the same alert twice at once in this process: the second one skips
            if await asyncio.to_thread(self._status, key) == DELIVERED:
                DELIVERIES.labels(sink.name, SKIPPED).inc()
                return SKIPPED
            attempts, error = await self._send_with_retries(alert, sink, key)
            outcome = FAILED if error else DELIVERED
            await asyncio.to_thread(self._record, alert.alert_id, sink.name, key, outcome, attempts, error)
        DELIVERIES.labels(sink.name, outcome).inc()
        if error:
            log.warning(
                "alert %s to %s failed after %d attempt(s): %s", alert.alert_id, sink.name, attempts, error
            )
        else:
            log.info("alert %s delivered to %s (%d attempt(s))", alert.alert_id, sink.name, attempts)
        return outcome

    async def _send_with_retries(self, alert: AlertV1, sink: Sink, key: str) -> tuple[int, str | None]:
        attempts = 0
        try:
            async for attempt in self._retrying():
                with attempt:
                    attempts += 1
                    ATTEMPTS.labels(sink.name).inc()
                    await self._attempt(alert, sink, key)
        except (TransientError, PermanentDeliveryError) as exc:
            return attempts, f"{type(exc).__name__}: {exc}"[:2000]
        except Exception as exc:  # a bug in a sink must not take the other sinks down
            log.exception("sink %s raised unexpectedly", sink.name)
            return attempts, f"{type(exc).__name__}: {exc}"[:2000]
        return attempts, None

    async def _attempt(self, alert: AlertV1, sink: Sink, key: str) -> None:
        try:
            async with asyncio.timeout(self.attempt_timeout_s):
                await sink.send(alert, key)
        except TimeoutError as exc:
            raise TransientError(f"{sink.name}: no answer within {self.attempt_timeout_s:g}s") from exc

    def _retrying(self) -> AsyncRetrying:
        started = self._clock()

        def hinted(state: RetryCallState) -> float | None:
            exc = state.outcome.exception() if state.outcome else None
            return getattr(exc, "retry_after", None)

        def stop(state: RetryCallState) -> bool:
            elapsed = self._clock() - started
            hint = hinted(state)
            too_late = elapsed + (hint or 0.0) >= self.max_retry_period_s
            return state.attempt_number >= self.max_attempts or too_late

        def wait(state: RetryCallState) -> float:
            hint = hinted(state)
            if hint is not None:
                return float(hint)  # the server said when; stop() made sure it fits the period
            remaining = self.max_retry_period_s - (self._clock() - started)
            return max(0.0, min(float(self._backoff(state)), remaining))

        return AsyncRetrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop,
            wait=wait,
            sleep=self._sleep,
            reraise=True,
        )

    # database (sync SQLAlchemy, called through asyncio.to_thread) -----------------------------------

    def _status(self, key: str) -> str | None:
        with self.db.session() as session:
            query = select(Delivery.status).where(Delivery.idempotency_key == key)
            status: str | None = session.scalar(query)
            return status

    def _record(
        self, alert_id: str, sink: str, key: str, status: str, attempts: int, error: str | None
    ) -> None:
        """Insert or update the one row of ``key``; a ``delivered`` row is never downgraded."""
        now = utcnow()
        row = {
            "alert_id": alert_id,
            "sink": sink,
            "idempotency_key": key,
            "status": status,
            "attempts": attempts,
            "last_error": error,
            "created_at": now,
            "delivered_at": now if status == DELIVERED else None,
        }
        with self.db.session() as session:
            upsert(
                session,
                Delivery,
                [row],
                ["idempotency_key"],
                set_=lambda new: {
                    "status": new.status,
                    "attempts": Delivery.attempts + new.attempts,
                    "last_error": new.last_error,
                    "delivered_at": new.delivered_at,
                },
                where=Delivery.status != DELIVERED,
            )
