"""Digests: the alerts held back by the noise gate (cap overflow, quiet hours), one summary per rep.

``notification_decisions`` rows with decision ``digest`` and no ``digested_at`` are pending. The
digest job (:func:`run_digest`, scheduled by the notifier with APScheduler: daily, or weekly on
Mondays, at ``delivery.digest_at`` local time) groups them by owner, drops objected alerts, sends
one :class:`Digest` per owner to every sink with ``send_digest`` (e-mail, Slack, console) and marks
the rows. A digest's id is derived from its rows, so a re-run after a crash is idempotent.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from triggerwatch.core.contracts import EVENT_NAMESPACE, AlertV1
from triggerwatch.core.db import Database, Delivery, NotificationDecision, upsert, utcnow
from triggerwatch.core.deliveries import DELIVERED, FAILED, statuses
from triggerwatch.core.errors import TransientError
from triggerwatch.notifier.dispatcher import DELIVERIES, SKIPPED
from triggerwatch.notifier.sinks.base import Digest, DigestSink

if TYPE_CHECKING:
    from triggerwatch.notifier.dispatcher import Dispatcher

DIGEST_ATTEMPTS, DIGEST_RETRY_PERIOD_S = 3, 60.0


def pending(db: Database) -> dict[str | None, list[tuple[str, int, AlertV1]]]:
    by_owner: dict[str | None, list[tuple[str, int, AlertV1]]] = {}
    with db.session() as session:
        rows = session.execute(
            select(NotificationDecision).where(
                NotificationDecision.decision == "digest", NotificationDecision.digested_at.is_(None)
            )
        ).scalars()
        for row in rows:
            alert = AlertV1.model_validate(row.payload)
            by_owner.setdefault(row.owner, []).append((row.alert_id, row.revision, alert))
    return by_owner


def _mark(db: Database, keys: list[tuple[str, int]], now: datetime, decision: str | None = None) -> None:
    with db.session() as session:
        for alert_id, revision in keys:
            values: dict[str, object] = {"digested_at": now}
            if decision:
                values["decision"] = decision
            session.execute(
                update(NotificationDecision)
                .where(NotificationDecision.alert_id == alert_id, NotificationDecision.revision == revision)
                .values(**values)
            )


async def run_digest(
    db: Database,
    dispatcher: Dispatcher,
    *,
    period: str = "daily",
    channels_for: Callable[[str | None], list[str]] = lambda owner: [],
    clock: Callable[[], datetime] = utcnow,
    to_thread: Callable[..., Awaitable[object]] | None = None,
) -> list[Digest]:
    """Send every pending digest; returns the digests sent (at least one sink delivered)."""
    import asyncio

    run = to_thread or asyncio.to_thread
    groups: dict[str | None, list[tuple[str, int, AlertV1]]] = await run(pending, db)  # type: ignore[assignment]
    sent: list[Digest] = []
    for owner, rows in sorted(groups.items(), key=lambda kv: kv[0] or ""):
        keep: list[tuple[str, int, AlertV1]] = []
        blocked: list[tuple[str, int]] = []
        for alert_id, revision, alert in rows:
            if await run(dispatcher.objection, alert):
                blocked.append((alert_id, revision))
            else:
                keep.append((alert_id, revision, alert))
        if blocked:
            await run(_mark, db, blocked, clock(), "blocked")
        if not keep:
            continue
        keep.sort(key=lambda r: (r[0], r[1]))
        ident = "\x1f".join(f"{a}:{r}" for a, r, _ in keep)
        digest = Digest(
            digest_id=str(uuid.uuid5(EVENT_NAMESPACE, f"digest\x1f{owner}\x1f{ident}")),
            owner=owner,
            period=period,
            alerts=[a for _, _, a in keep],
            channels=channels_for(owner),
        )
        outcomes = await deliver_digest(dispatcher, digest)
        if outcomes and all(o in ("delivered", "skipped") for o in outcomes.values()):
            await run(_mark, db, [(a, r) for a, r, _ in keep], clock())
            sent.append(digest)
    return sent


async def deliver_digest(dispatcher: Dispatcher, digest: Digest) -> dict[str, str]:
    """Send a digest to every sink that has ``send_digest``, at once with a short retry (the job runs
    again later); idempotent per digest and sink (its ``deliveries`` row)."""
    outcomes: dict[str, str] = {}
    for sink in dispatcher.sinks:
        if not isinstance(sink, DigestSink):
            continue
        key = f"{digest.digest_id}:{sink.name}"
        if (await dispatcher.db_call(statuses, [key])).get(key) == DELIVERED:
            outcomes[sink.name] = SKIPPED
            continue
        attempts, error = 0, None
        started = dispatcher.monotonic()

        def wait(state: RetryCallState, started: float = started) -> float:
            left = DIGEST_RETRY_PERIOD_S - (dispatcher.monotonic() - started)
            return min(2.0**state.attempt_number, max(0.0, left))

        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception_type(TransientError),
                stop=stop_after_attempt(DIGEST_ATTEMPTS),
                wait=wait,
                sleep=dispatcher.sleep,
                reraise=True,
            ):
                with attempt:
                    attempts += 1
                    await sink.send_digest(digest, key)
        except Exception as exc:  # recorded; the digest job tries again next time
            error = f"{type(exc).__name__}: {exc}"
        outcome = FAILED if error else DELIVERED
        await dispatcher.db_call(
            _record_digest, digest.digest_id, sink.name, key, outcome, attempts, error, dispatcher.now()
        )
        DELIVERIES.labels(sink.name, f"digest_{outcome}").inc()
        outcomes[sink.name] = outcome
    return outcomes


def _record_digest(
    session: Session,
    digest_id: str,
    sink: str,
    key: str,
    status: str,
    attempts: int,
    error: str | None,
    now: datetime,
) -> None:
    row = {
        "alert_id": digest_id,
        "sink": sink,
        "idempotency_key": key,
        "status": status,
        "attempts": attempts,
        "last_error": error[:2000] if error else None,
        "created_at": now,
        "delivered_at": now if status == DELIVERED else None,
        "in_doubt": 0,
    }
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
