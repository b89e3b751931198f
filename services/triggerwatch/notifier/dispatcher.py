"""Deliver alerts to the sinks: queued first, then each sink on its own lane, on the record.

* **Write-ahead.** An alert's deliveries are queued in the ``deliveries`` table (one row per
  idempotency key ``"<alert_id>:<sink>"``, ``…:r<N>`` for corroboration updates) before anything is
  sent; the notifier acknowledges the alert on the topic only after that. Each attempt is recorded
  (``sending``, with a lease) before the sink is called, and its outcome right after
  (:mod:`triggerwatch.core.deliveries`).
* **A lane per sink** (:meth:`Dispatcher.serve`): each sink sends its own due deliveries, oldest
  first, at most ``delivery_concurrency`` at once. One sink's outage or slowness never delays another.
* **Retries over hours, persisted.** A transient failure (network, 429, 5xx, no answer within the
  attempt timeout) schedules the next attempt in the row: exactly the server's ``Retry-After``, else
  exponential backoff with jitter (tenacity's ``wait_exponential_jitter``, from
  ``delivery_initial_backoff_s`` up to ``delivery_max_backoff_s``). A restart resumes the schedule.
  After ``max_retry_period_s`` of failing (or ``max_attempts``) the delivery is given up: ``failed``
  and dead-lettered, replayable from the ops page. A permanent refusal is given up at once.
* **After a crash** the rows left ``sending`` are in doubt (:meth:`Dispatcher.reclaim`): sent again.
  Receivers that deduplicate by the key (CRM webhook, Dynamics upsert: ``sink.keyed``) make that
  harmless; for the others (Slack, e-mail, console) each in-doubt row may be one duplicate.
* The objection register is checked when an alert is queued (:meth:`Dispatcher.deliver`) and again
  before every later attempt of its deliveries (a retry may come hours later).
* Digests (``triggerwatch.notifier.digest``) are sent at once, with a short in-process retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, TypeVar

from prometheus_client import Counter
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_delay,
    wait_exponential,
    wait_exponential_jitter,
)

from triggerwatch.core import deliveries as queue
from triggerwatch.core.contracts import AlertV1
from triggerwatch.core.db import Database, utcnow
from triggerwatch.core.errors import ConfigError, PermanentDeliveryError, TransientError
from triggerwatch.core.objections import is_objected
from triggerwatch.core.settings import NotifierSettings
from triggerwatch.notifier.sinks.base import Sink

log = logging.getLogger(__name__)

DELIVERIES = Counter(
    "triggerwatch_deliveries_total", "Alert deliveries by sink and outcome", ["sink", "outcome"]
)
ATTEMPTS = Counter("triggerwatch_delivery_attempts_total", "Delivery attempts by sink", ["sink"])
IN_DOUBT = Counter(
    "triggerwatch_delivery_in_doubt_total",
    "Attempts whose outcome was lost (the notifier died while sending) and that are sent again",
    ["sink"],
)

DELIVERED, SKIPPED, FAILED, BLOCKED, RETRYING = "delivered", "skipped", "failed", "blocked", "retrying"
T = TypeVar("T")


def owner_id() -> str:
    """This process, as a lease owner: host, pid and the process's start time (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{_start_ticks(os.getpid())}"


def _start_ticks(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rpartition(")")[2].split()[19]
    except (OSError, IndexError):
        return ""


def owner_alive(owner: str) -> bool | None:
    """Whether the process that leased a row still runs: known only on this host (None elsewhere:
    then its lease decides)."""
    host, _, rest = owner.partition(":")
    pid_text, _, ticks = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    pid = int(pid_text)
    if os.path.isdir("/proc"):
        return bool(ticks) and _start_ticks(pid) == ticks
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _backoff_state(attempt: int) -> RetryCallState:
    # tenacity's wait strategies read only the attempt number of the state they are given
    return SimpleNamespace(attempt_number=attempt)  # type: ignore[return-value]


class Dispatcher:
    def __init__(
        self,
        db: Database,
        sinks: list[Sink],
        settings: NotifierSettings,
        *,
        now: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        owner: str | None = None,
    ) -> None:
        names = [sink.name for sink in sinks]
        if len(set(names)) != len(names):
            raise ConfigError(f"sink names must be unique: {names}")
        self.db = db
        self.sinks = list(sinks)
        self.by_name = {sink.name: sink for sink in sinks}
        self.max_attempts = settings.max_attempts
        self.retry_period_s = settings.max_retry_period_s
        self.attempt_timeout_s = settings.delivery_attempt_timeout_s
        self.lease_s = settings.delivery_attempt_timeout_s + 30.0
        self.concurrency = settings.delivery_concurrency
        self.poll_s = settings.delivery_poll_s
        self.owner = owner or owner_id()
        self._now = now
        self.sleep = sleep  # the digests' short retry waits (notifier.digest)
        self.monotonic = monotonic
        self._backoff = wait_exponential_jitter(
            initial=settings.delivery_initial_backoff_s,
            max=settings.delivery_max_backoff_s,
            jitter=settings.delivery_initial_backoff_s,
        )
        self._wake: dict[str, asyncio.Event] = {}
        self.lanes: dict[str, asyncio.Task[None]] = {}

    # -- queueing -----------------------------------------------------------------------------------

    async def deliver(self, alert: AlertV1) -> dict[str, str]:
        """Check the objection register, then :meth:`block` or :meth:`send`."""
        reason = await asyncio.to_thread(self.objection, alert)
        if reason is not None:
            return await self.block(alert, reason)
        return await self.send(alert)

    async def block(self, alert: AlertV1, reason: str) -> dict[str, str]:
        """An objected alert: each sink's delivery is recorded ``blocked`` with the reason."""
        return await asyncio.to_thread(self.block_now, alert, reason)

    def block_now(self, alert: AlertV1, reason: str) -> dict[str, str]:
        """:meth:`block`, synchronously (in the caller's thread)."""
        keys = self.keys(alert)
        self._db_now(queue.record_blocked, alert.alert_id, keys, reason, self._now())
        for sink in self.sinks:
            DELIVERIES.labels(sink.name, BLOCKED).inc()
        log.info("alert %s blocked: %s", alert.alert_id, reason)
        return dict.fromkeys(keys, BLOCKED)

    async def enqueue(self, alert: AlertV1) -> int:
        """Queue the alert's deliveries (a key already queued stays as it is) and wake the lanes.
        Returns how many were new. Once this returns, the alert may be acknowledged on the topic."""
        new = await asyncio.to_thread(self.enqueue_now, [alert])
        self.wake()
        return new

    def enqueue_now(self, alerts: list[AlertV1], *, sinks: Collection[str] | None = None) -> int:
        """:meth:`enqueue` for several alerts in one transaction, synchronously, without waking the
        lanes (the caller wakes them); ``sinks``: only to these of the dispatcher's sinks."""

        def queue_all(session: Session, now: datetime) -> int:
            return sum(
                queue.enqueue(session, a.alert_id, a.model_dump_json(), self.keys(a, sinks), now)
                for a in alerts
            )

        return self._db_now(queue_all, self._now())

    async def send(self, alert: AlertV1) -> dict[str, str]:
        """Queue the alert's deliveries and attempt the due ones now, one attempt each, all sinks at
        once. Sink name → ``delivered`` | ``retrying`` (its next attempt is scheduled) | ``failed``
        (given up, dead-lettered) | ``blocked`` | ``skipped`` (delivered before, or under way)."""
        await self.enqueue(alert)
        keys = self.keys(alert)
        outcomes = await asyncio.gather(
            *(self._run(self.by_name[name], 1, keys=[key]) for name, key in keys.items())
        )
        result = {name: done[0] for name, done in zip(keys, outcomes, strict=True) if done}
        rest = [key for name, key in keys.items() if name not in result]
        if rest:
            known = await self._db(queue.statuses, rest)
            for name, key in keys.items():
                if name not in result:
                    status = known.get(key)
                    result[name] = (
                        RETRYING
                        if status == queue.PENDING
                        else status
                        if status in (FAILED, BLOCKED)
                        else SKIPPED
                    )
                    DELIVERIES.labels(name, SKIPPED).inc()
        return {sink.name: result[sink.name] for sink in self.sinks}

    def keys(self, alert: AlertV1, sinks: Collection[str] | None = None) -> dict[str, str]:
        """Sink name → the alert's idempotency key there (``sinks``: only these)."""
        return {
            sink.name: alert.delivery_key(sink.name)
            for sink in self.sinks
            if sinks is None or sink.name in sinks
        }

    def objection(self, alert: AlertV1) -> str | None:
        with self.db.session() as session:
            return is_objected(session, alert)

    def wake(self, sink: str | None = None) -> None:
        """Tell a lane (or every lane) to look for due deliveries now."""
        for name, event in self._wake.items():
            if sink is None or name == sink:
                event.set()

    # -- sending ------------------------------------------------------------------------------------

    async def run_due(self, sink: str | None = None) -> int:
        """Attempt every due delivery (of one sink, or all) once; returns how many were attempted."""
        names = [sink] if sink is not None else list(self.by_name)
        done = await asyncio.gather(*(self._run(self.by_name[name], 10_000) for name in names))
        return sum(len(d) for d in done)

    async def reclaim(self) -> int:
        """Put back the deliveries whose attempt's outcome was lost (their notifier died mid-send)."""
        per_sink = await self._db(queue.reclaim, self._now(), owner_alive)
        for sink, n in per_sink.items():
            IN_DOUBT.labels(sink).inc(n)
            log.warning("%d %s deliveries in doubt (their notifier stopped mid-send): sending again", n, sink)
        self.wake()
        return sum(per_sink.values())

    async def serve(self, stop: asyncio.Event) -> None:
        """Run a lane per sink until ``stop`` is set (or this task is cancelled), then let the
        attempts under way finish (each bounded by the attempt timeout) and record them."""
        # every attempt makes two or three blocking calls (database, SMTP): threads for all of them
        threads = ThreadPoolExecutor(self.concurrency * len(self.sinks) + 4, thread_name_prefix="delivery")
        asyncio.get_running_loop().set_default_executor(threads)
        self._wake = {name: asyncio.Event() for name in self.by_name}
        self.lanes = {
            name: asyncio.create_task(self._lane(sink, stop), name=f"delivery-lane-{name}")
            for name, sink in self.by_name.items()
        }
        reclaimer = asyncio.create_task(self._reclaim_loop(stop), name="delivery-reclaim")
        try:
            await stop.wait()
        finally:
            stop.set()
            self.wake()
            tasks = [*self.lanes.values(), reclaimer]
            await asyncio.shield(asyncio.gather(*tasks, return_exceptions=True))

    def lanes_alive(self) -> bool:
        return bool(self.lanes) and not any(task.done() for task in self.lanes.values())

    async def _reclaim_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.reclaim()
            except Exception:
                log.exception("reclaiming in-doubt deliveries failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.poll_s * 5)

    async def _lane(self, sink: Sink, stop: asyncio.Event) -> None:
        wake = self._wake[sink.name]
        inflight: set[asyncio.Task[str]] = set()

        def finished(task: asyncio.Task[str]) -> None:
            inflight.discard(task)
            wake.set()

        while not stop.is_set():
            wake.clear()
            free = self.concurrency - len(inflight)
            claims: list[queue.Claim] = []
            delay = self.poll_s
            try:
                if free > 0:
                    claims = await self._db(
                        queue.claim,
                        sink.name,
                        self._now(),
                        owner=self.owner,
                        lease_s=self.lease_s,
                        limit=free,
                    )
                    if not claims:
                        delay = await self._until_due(sink.name)
            except Exception:  # the database is away: the lane waits and tries again
                log.exception("delivery lane %s: could not read its queue", sink.name)
            for claimed in claims:
                task = asyncio.create_task(self._attempt(sink, claimed))
                inflight.add(task)
                task.add_done_callback(finished)
            if claims:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=delay)
        if inflight:
            await asyncio.gather(*inflight, return_exceptions=True)

    async def _until_due(self, sink: str) -> float:
        due = await self._db(queue.next_due, sink)
        if due is None:
            return self.poll_s
        return max(0.0, min(self.poll_s, (due - self._now()).total_seconds()))

    async def _run(self, sink: Sink, limit: int, keys: list[str] | None = None) -> list[str]:
        claims = await self._db(
            queue.claim,
            sink.name,
            self._now(),
            owner=self.owner,
            lease_s=self.lease_s,
            limit=limit,
            keys=keys,
        )
        if not claims:
            return []
        gate = asyncio.Semaphore(self.concurrency)

        async def one(claimed: queue.Claim) -> str:
            async with gate:
                return await self._attempt(sink, claimed)

        return list(await asyncio.gather(*(one(c) for c in claims)))

    async def _attempt(self, sink: Sink, claimed: queue.Claim) -> str:
        """One attempt of one claimed delivery, its outcome recorded. Never raises but for the database."""
        try:
            return await self._attempt_once(sink, claimed)
        except Exception:
            log.exception("delivery %s: its outcome could not be recorded", claimed.key)
            raise

    async def _attempt_once(self, sink: Sink, claimed: queue.Claim) -> str:
        try:
            alert = AlertV1.model_validate_json(claimed.payload or "")
        except ValueError as exc:
            return await self._give_up(claimed, f"the queued alert cannot be read: {exc}", "delivery_refused")
        if claimed.attempts > 1:  # a later attempt: the register may have changed since it was queued
            reason = await asyncio.to_thread(self.objection, alert)
            if reason is not None:
                await self._db(queue.mark_blocked, claimed.id, reason)
                DELIVERIES.labels(sink.name, BLOCKED).inc()
                return BLOCKED
        ATTEMPTS.labels(sink.name).inc()
        try:
            async with asyncio.timeout(self.attempt_timeout_s):
                await sink.send(alert, claimed.key)
        except TimeoutError:
            return await self._retry(
                claimed, f"TransientError: no answer within {self.attempt_timeout_s:g}s", None
            )
        except TransientError as exc:
            return await self._retry(claimed, f"TransientError: {exc}", exc.retry_after)
        except PermanentDeliveryError as exc:
            return await self._give_up(claimed, f"PermanentDeliveryError: {exc}", "delivery_refused")
        except Exception as exc:  # a bug in a sink must not take the other sinks down
            log.exception("sink %s raised unexpectedly", sink.name)
            return await self._give_up(claimed, f"{type(exc).__name__}: {exc}", "delivery_refused")
        await self._db(queue.mark_delivered, claimed.id, self._now())
        DELIVERIES.labels(sink.name, DELIVERED).inc()
        log.info("alert %s delivered to %s (attempt %d)", claimed.alert_id, sink.name, claimed.attempts)
        return DELIVERED

    async def _retry(self, claimed: queue.Claim, error: str, retry_after: float | None) -> str:
        now = self._now()
        failing_since = claimed.failing_since or now
        if claimed.attempts >= self.max_attempts:
            return await self._give_up(
                claimed, f"{error} (after {claimed.attempts} attempts)", "delivery_gave_up"
            )
        if (now - failing_since).total_seconds() >= self.retry_period_s:
            return await self._give_up(
                claimed, f"{error} (failing for {self.retry_period_s:g}s)", "delivery_gave_up"
            )
        wait = (
            float(retry_after)
            if retry_after is not None
            else float(self._backoff(_backoff_state(claimed.attempts)))
        )
        await self._db(queue.mark_retry, claimed.id, now, now + timedelta(seconds=wait), error)
        DELIVERIES.labels(claimed.sink, RETRYING).inc()
        log.warning(
            "alert %s to %s: attempt %d failed (%s); next in %.1fs",
            claimed.alert_id,
            claimed.sink,
            claimed.attempts,
            error,
            wait,
        )
        return RETRYING

    async def _give_up(self, claimed: queue.Claim, error: str, error_type: str) -> str:
        await self._db(queue.mark_failed, claimed, self._now(), error, error_type=error_type)
        DELIVERIES.labels(claimed.sink, FAILED).inc()
        log.warning("alert %s to %s given up and dead-lettered: %s", claimed.alert_id, claimed.sink, error)
        return FAILED

    async def db_call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A database operation (``fn(session, ...)``) in a thread, retried like the queue's own."""
        return await self._db(fn, *args, **kwargs)

    async def _db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A queue operation in a thread (:meth:`_db_now`)."""
        return await asyncio.to_thread(self._db_now, fn, *args, **kwargs)

    def now(self) -> datetime:
        return self._now()

    def _db_now(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A queue operation in its own transaction, retried while the database is briefly away (a
        lost outcome would leave the delivery in doubt)."""
        for attempt in Retrying(
            retry=retry_if_exception_type(OperationalError),
            stop=stop_after_delay(self.lease_s / 2),
            wait=wait_exponential(0.1, max=5),
            reraise=True,
        ):
            with attempt, self.db.session() as session:
                return fn(session, *args, **kwargs)
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        for sink in self.sinks:
            await sink.aclose()
