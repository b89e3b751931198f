"""The delivery queue: one ``deliveries`` row per idempotency key, written before anything is sent.

The notifier queues an alert's deliveries (one per sink) in the database, then each sink's lane
claims its due rows and sends them (``triggerwatch.notifier.dispatcher``). The row is the
write-ahead record of every attempt:

=========== ======================================================================================
pending     waiting for its next attempt (``next_attempt_at``; a retry keeps ``failing_since``)
sending     an attempt is under way, leased to ``lease_owner`` until ``lease_until``
delivered   the receiver accepted it
failed      given up (refused for good, or failing for the whole retry period): dead-lettered
            (stage ``delivery``) and replayable from the ops page
blocked     the objection register forbids it
=========== ======================================================================================

A row found ``sending`` whose lease has run out, or whose owner process is gone, was being sent when
its notifier died: the receiver may or may not have it. :func:`reclaim` puts it back to ``pending``
and counts it in ``in_doubt``; it is sent again (receivers that deduplicate by the idempotency key
make that harmless; for the others it is the one way a duplicate can happen).

Shared by the notifier (which sends) and the web service (which replays a dead-lettered delivery).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from triggerwatch.core.contracts import DeadLetterV1, clean_text
from triggerwatch.core.db import DeadLetter, Delivery, insert_ignore, upsert
from triggerwatch.core.outbox import store_dead_letter

PENDING, SENDING, DELIVERED, FAILED, BLOCKED = "pending", "sending", "delivered", "failed", "blocked"
SETTLED = (DELIVERED, FAILED, BLOCKED)
STAGE = "delivery"  # the dead letters of deliveries given up


@dataclass(frozen=True)
class Claim:
    """A delivery claimed for one attempt (``attempts`` counts it)."""

    id: int
    alert_id: str
    sink: str
    key: str
    payload: str | None
    attempts: int
    failing_since: datetime | None
    created_at: datetime


def _error(text: str) -> str:
    return clean_text(text)[:2000]


def enqueue(session: Session, alert_id: str, payload: str, keys: Mapping[str, str], now: datetime) -> int:
    """Queue one delivery per ``sink -> idempotency key``, due now; a key already queued (in any
    state) is left as it is. Returns how many were new."""
    rows = [
        {
            "alert_id": alert_id,
            "sink": sink,
            "idempotency_key": key,
            "status": PENDING,
            "attempts": 0,
            "payload": payload,
            "next_attempt_at": now,
            "created_at": now,
            "in_doubt": 0,
        }
        for sink, key in keys.items()
    ]
    return insert_ignore(session, Delivery, rows, ["idempotency_key"])


def record_blocked(
    session: Session, alert_id: str, keys: Mapping[str, str], reason: str, now: datetime
) -> None:
    """The objection register forbids these deliveries: ``blocked`` (a delivered one stays delivered)."""
    rows = [
        {
            "alert_id": alert_id,
            "sink": sink,
            "idempotency_key": key,
            "status": BLOCKED,
            "attempts": 0,
            "last_error": _error(reason),
            "next_attempt_at": None,
            "created_at": now,
            "in_doubt": 0,
        }
        for sink, key in keys.items()
    ]
    upsert(
        session,
        Delivery,
        rows,
        ["idempotency_key"],
        set_=lambda new: {
            "status": new.status,
            "last_error": new.last_error,
            "next_attempt_at": new.next_attempt_at,
        },
        where=Delivery.status != DELIVERED,
    )


def claim(
    session: Session,
    sink: str,
    now: datetime,
    *,
    owner: str,
    lease_s: float,
    limit: int,
    keys: Sequence[str] | None = None,
) -> list[Claim]:
    """Lease up to ``limit`` of ``sink``'s due deliveries (oldest due first; only ``keys`` if given)
    for one attempt each. Two claimers never get the same row: on PostgreSQL the rows are locked
    first (``SELECT … FOR UPDATE SKIP LOCKED``, a statement of its own: inside ``UPDATE … WHERE id IN``
    it may be run again per row and lease more than ``limit``); SQLite runs one writer at a time."""
    due = (
        select(Delivery.id)
        .where(Delivery.sink == sink, Delivery.status == PENDING, Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if keys is not None:
        due = due.where(Delivery.idempotency_key.in_(list(keys)))
    chosen: Any = due.scalar_subquery()
    if session.get_bind().dialect.name == "postgresql":
        chosen = list(session.scalars(due.with_for_update(skip_locked=True)))
        if not chosen:
            return []
    stmt = (
        update(Delivery)
        .where(Delivery.id.in_(chosen), Delivery.status == PENDING)
        .values(
            status=SENDING,
            attempts=Delivery.attempts + 1,
            last_attempt_at=now,
            lease_owner=owner,
            lease_until=now + timedelta(seconds=lease_s),
        )
        .returning(
            Delivery.id,
            Delivery.alert_id,
            Delivery.sink,
            Delivery.idempotency_key,
            Delivery.payload,
            Delivery.attempts,
            Delivery.failing_since,
            Delivery.created_at,
        )
        .execution_options(synchronize_session=False)
    )
    claims = [
        Claim(
            id=row.id,
            alert_id=row.alert_id,
            sink=row.sink,
            key=row.idempotency_key,
            payload=row.payload,
            attempts=row.attempts,
            failing_since=row.failing_since,
            created_at=row.created_at,
        )
        for row in session.execute(stmt).all()
    ]
    return sorted(claims, key=lambda c: c.id)


def mark_delivered(session: Session, delivery_id: int, now: datetime) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status != DELIVERED)
        .values(
            status=DELIVERED,
            delivered_at=now,
            last_error=None,
            next_attempt_at=None,
            failing_since=None,
            lease_owner=None,
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )


def mark_retry(
    session: Session, delivery_id: int, now: datetime, next_attempt_at: datetime, error: str
) -> None:
    """A failed attempt to try again at ``next_attempt_at`` (``failing_since`` keeps the first failure)."""
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status.not_in(SETTLED))
        .values(
            status=PENDING,
            next_attempt_at=next_attempt_at,
            failing_since=func.coalesce(Delivery.failing_since, now),
            last_error=_error(error),
            lease_owner=None,
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )


def mark_blocked(session: Session, delivery_id: int, reason: str) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status.not_in(SETTLED))
        .values(status=BLOCKED, last_error=_error(reason), lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )


def dead_letter_raw(key: str, payload: str | None) -> bytes:
    """What a given-up delivery's dead letter keeps: its idempotency key and the alert."""
    alert: Any = None
    if payload is not None:
        try:
            alert = json.loads(payload)
        except ValueError:
            alert = payload
    return json.dumps({"idempotency_key": key, "alert": alert}, ensure_ascii=False).encode()


def mark_failed(
    session: Session, claimed: Claim, now: datetime, error: str, *, error_type: str
) -> DeadLetterV1:
    """Give up: ``failed``, and a dead letter (stage ``delivery``, source = the sink) that the ops
    page can replay (:func:`requeue_dead_letter`). A delivery that fails again after a replay opens
    its dead letter again."""
    session.execute(
        update(Delivery)
        .where(Delivery.id == claimed.id, Delivery.status.not_in(SETTLED))
        .values(
            status=FAILED,
            last_error=_error(error),
            next_attempt_at=None,
            lease_owner=None,
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    dl = DeadLetterV1.from_raw(
        stage=STAGE,
        reason=f"{claimed.key}: {error}",
        raw=dead_letter_raw(claimed.key, claimed.payload),
        error_type=error_type,
        source=claimed.sink,
    )
    if not store_dead_letter(session, dl):
        session.execute(
            update(DeadLetter)
            .where(DeadLetter.dead_letter_id == dl.dead_letter_id)
            .values(replayed_at=None)
            .execution_options(synchronize_session=False)
        )
    return dl


def reclaim(session: Session, now: datetime, alive: Callable[[str], bool | None]) -> dict[str, int]:
    """Put back every ``sending`` row whose attempt's outcome is lost — its lease ran out, or its owner
    is known to be gone (``alive(owner)`` is False; None: unknown, wait for the lease) — as ``pending``,
    due now, with ``in_doubt`` + 1. Returns the rows put back per sink."""
    rows = session.execute(
        select(Delivery.id, Delivery.sink, Delivery.lease_owner, Delivery.lease_until).where(
            Delivery.status == SENDING
        )
    ).all()
    lost = [
        (row_id, sink)
        for row_id, sink, owner, until in rows
        if until is None or until < now or (owner is not None and alive(owner) is False)
    ]
    per_sink: dict[str, int] = {}
    for row_id, sink in lost:
        result = session.execute(
            update(Delivery)
            .where(Delivery.id == row_id, Delivery.status == SENDING)
            .values(
                status=PENDING,
                next_attempt_at=now,
                in_doubt=Delivery.in_doubt + 1,
                last_error="in doubt: the notifier stopped during this attempt; sending again",
                lease_owner=None,
                lease_until=None,
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0):
            per_sink[sink] = per_sink.get(sink, 0) + 1
    return per_sink


def requeue(session: Session, key: str, now: datetime) -> bool:
    """A given-up (``failed``) delivery due again now, with a fresh retry period (a replay)."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.idempotency_key == key, Delivery.status == FAILED)
        .values(status=PENDING, next_attempt_at=now, failing_since=None)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def requeue_dead_letter(session: Session, dl: DeadLetter, now: datetime) -> str | None:
    """Replay a delivery's dead letter: its delivery is queued again. Returns the idempotency key, or
    None when the dead letter is not a delivery's or its delivery is no longer ``failed``."""
    if dl.stage != STAGE:
        return None
    try:
        key = json.loads(base64.b64decode(dl.raw))["idempotency_key"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(key, str) or not requeue(session, key, now):
        return None
    dl.replayed_at = now
    return key


def next_due(session: Session, sink: str) -> datetime | None:
    """When ``sink``'s next pending delivery is due (None: nothing pending)."""
    due: datetime | None = session.scalar(
        select(func.min(Delivery.next_attempt_at)).where(Delivery.sink == sink, Delivery.status == PENDING)
    )
    return due


LEASED = "leased"  # a pending delivery with an attempt under way (not a stored status)


def statuses(session: Session, keys: Sequence[str]) -> dict[str, str]:
    """Each key's status; a pending delivery whose attempt is under way (leased) is ``leased``."""
    rows = session.execute(
        select(Delivery.idempotency_key, Delivery.status, Delivery.lease_owner).where(
            Delivery.idempotency_key.in_(list(keys))
        )
    ).all()
    return {key: LEASED if status == PENDING and owner else status for key, status, owner in rows}


def stalled(session: Session, now: datetime, after_s: float) -> int:
    """Deliveries due for longer than ``after_s`` and not attempted, or leased long past their lease:
    the notifier is not working its queue (an outage of a sink is not a stall: its retries are due
    later)."""
    cutoff = now - timedelta(seconds=after_s)
    return int(
        session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(
                ((Delivery.status == PENDING) & (Delivery.next_attempt_at < cutoff))
                | ((Delivery.status == SENDING) & (Delivery.lease_until < cutoff))
            )
        )
        or 0
    )
