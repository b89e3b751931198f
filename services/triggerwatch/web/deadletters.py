"""Dead letters for ops: inspect, replay (as they were or corrected), dismiss; every action audited.

A replay puts an event back on the events topic through the outbox, so the worker processes it
like any other (idempotently: the event id is deterministic). What may be replayed is checked
first, so that a replay cannot become a way to send made-up alerts to reps and CRMs:

* it must be a valid ``TriggerEventV1`` (the raw payload, or the correction ops submit);
* its ``event_id`` must be the one the contract derives from its source and source item id;
* it may not be an ``ops`` event (only the silent-source watchdog raises those);
* a dead letter from a collector (stage ``collect``) can only become an event of that source;
* a correction of a raw payload that was an event keeps that event's identity (event id).

Every replay, refusal and dismissal is a row of ``dead_letter_actions``: who (the token's name and
id), when, the event id and the corrected payload or the reason.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from triggerwatch.core.contracts import EventKind, TriggerEventV1, decode_event, encode
from triggerwatch.core.db import DeadLetter, DeadLetterAction, utcnow
from triggerwatch.core.deliveries import STAGE as DELIVERY_STAGE
from triggerwatch.core.deliveries import requeue_dead_letter
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.core.outbox import enqueue

REPLAYED, CORRECTED, DISMISSED, REFUSED = "replayed", "corrected", "dismissed", "refused"


class ReplayRefused(ValueError):
    """Why a dead letter (or its correction) may not be replayed."""


@dataclass(frozen=True)
class ReplayResult:
    event_id: str | None  # the event queued again; for a delivery's dead letter, its idempotency key
    error: str | None = None
    what: str = "event"  # "event", or "delivery": a given-up delivery queued again


def raw_text(dl: DeadLetter) -> str:
    return base64.b64decode(dl.raw).decode("utf-8", errors="replace")


def _raw_identity(dl: DeadLetter) -> str | None:
    """The event id of a raw payload that is (or was meant to be) an event, else None."""
    try:
        data = json.loads(base64.b64decode(dl.raw))
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(data, dict) and isinstance(data.get("event_id"), str):
        return str(data["event_id"])
    return None


def _with_event_id(corrected: dict[str, Any] | str) -> str:
    """The correction as JSON, its ``event_id`` derived from source and item id when left out."""
    data: Any = corrected
    if isinstance(corrected, str):
        try:
            data = json.loads(corrected)
        except ValueError:
            return corrected  # decode_event says what is wrong with it
    if isinstance(data, dict) and "event_id" not in data:
        source, item = data.get("source"), data.get("source_item_id")
        if isinstance(source, str) and isinstance(item, str):
            data = {**data, "event_id": TriggerEventV1.make_id(source, item)}
    return json.dumps(data) if isinstance(data, dict) else str(corrected)


def replayable_event(dl: DeadLetter, corrected: dict[str, Any] | str | None) -> TriggerEventV1:
    """The event to replay for ``dl`` (its raw payload, or ``corrected``), or :class:`ReplayRefused`."""
    if corrected is None:
        raw: bytes | str = base64.b64decode(dl.raw)
    else:
        raw = _with_event_id(corrected)
    try:
        event = decode_event(raw)
    except InvalidInputError as exc:
        what = "the correction" if corrected is not None else "the raw payload"
        raise ReplayRefused(f"{what} is not a valid event: {exc.reason}") from exc
    if event.kind is EventKind.OPS:
        raise ReplayRefused("ops events are raised by the silent-source watchdog, not replayed")
    if event.event_id != TriggerEventV1.make_id(event.source, event.source_item_id):
        raise ReplayRefused(
            "event_id must be derived from source and source_item_id (TriggerEventV1.make_id): "
            f"expected {TriggerEventV1.make_id(event.source, event.source_item_id)}"
        )
    if dl.stage == "collect" and dl.source and event.source != dl.source:
        raise ReplayRefused(f"this dead letter came from source {dl.source!r}, not {event.source!r}")
    identity = _raw_identity(dl)
    if corrected is not None and identity is not None and event.event_id != identity:
        raise ReplayRefused(
            f"a correction keeps the event's identity: event_id {identity} "
            "(the same source and source_item_id)"
        )
    return event


def _audit(
    session: Session,
    dl: DeadLetter,
    action: str,
    actor: str,
    *,
    event_id: str | None = None,
    detail: str | None = None,
    payload: str | None = None,
) -> None:
    session.add(
        DeadLetterAction(
            dead_letter_id=dl.dead_letter_id,
            action=action,
            actor=actor[:200],
            at=utcnow(),
            event_id=event_id,
            detail=detail,
            payload=payload,
        )
    )


def replay_dead_letter(
    session: Session, dl: DeadLetter, corrected: dict[str, Any] | str | None, *, actor: str
) -> ReplayResult:
    """Queue the dead letter's event (or its correction) on the events topic, or refuse; audited
    either way (the refusal too, with its reason). A given-up delivery's dead letter (stage
    ``delivery``) queues that delivery again, as it was."""
    if dl.stage == DELIVERY_STAGE:
        return _replay_delivery(session, dl, corrected, actor=actor)
    try:
        event = replayable_event(dl, corrected)
    except ReplayRefused as exc:
        _audit(session, dl, REFUSED, actor, detail=str(exc)[:2000])
        return ReplayResult(None, str(exc))
    body = encode(event)
    enqueue(session, "events", event.partition_key(), body, event.event_id)
    dl.replayed_at = utcnow()
    dl.dismissed_at = None
    _audit(
        session,
        dl,
        CORRECTED if corrected is not None else REPLAYED,
        actor,
        event_id=event.event_id,
        payload=body.decode() if corrected is not None else None,
    )
    return ReplayResult(event.event_id)


def _replay_delivery(
    session: Session, dl: DeadLetter, corrected: dict[str, Any] | str | None, *, actor: str
) -> ReplayResult:
    if corrected is not None:
        reason = "a given-up delivery is sent again as it was; it takes no correction"
    else:
        key = requeue_dead_letter(session, dl, utcnow())
        if key is not None:
            dl.dismissed_at = None
            _audit(session, dl, REPLAYED, actor, detail=f"delivery {key} queued again")
            return ReplayResult(key, what="delivery")
        reason = "this delivery is not given up (any more): nothing to replay"
    _audit(session, dl, REFUSED, actor, detail=reason)
    return ReplayResult(None, reason, what="delivery")


def dismiss_dead_letter(session: Session, dl: DeadLetter, *, actor: str, reason: str) -> None:
    """Ops decided the item needs no replay (a spam item, a test post): closed, with the reason."""
    dl.dismissed_at = utcnow()
    _audit(session, dl, DISMISSED, actor, detail=reason.strip()[:2000] or None)


def open_dead_letters(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """The newest dead letters neither replayed nor dismissed (the ops page's list)."""
    rows = session.scalars(
        select(DeadLetter)
        .where(DeadLetter.replayed_at.is_(None), DeadLetter.dismissed_at.is_(None))
        .order_by(DeadLetter.created_at.desc())
        .limit(limit)
    )
    return [dead_letter_json(d, full=False) for d in rows]


def history(session: Session, dead_letter_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(DeadLetterAction)
        .where(DeadLetterAction.dead_letter_id == dead_letter_id)
        .order_by(DeadLetterAction.id)
    )
    return [
        {
            "action": r.action,
            "actor": r.actor,
            "at": r.at.isoformat(),
            "event_id": r.event_id,
            "detail": r.detail,
            "payload": r.payload,
        }
        for r in rows
    ]


def dead_letter_json(d: DeadLetter, *, full: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "dead_letter_id": d.dead_letter_id,
        "stage": d.stage,
        "source": d.source,
        "reason": d.reason,
        "error_type": d.error_type,
        "created_at": d.created_at.isoformat(),
        "replayed_at": d.replayed_at.isoformat() if d.replayed_at else None,
        "dismissed_at": d.dismissed_at.isoformat() if d.dismissed_at else None,
    }
    if full:
        out["raw_b64"] = d.raw
        out["raw_text"] = raw_text(d)
    return out


def correction_template(dl: DeadLetter) -> str:
    """What the ops page's correction form starts from: the raw payload when it is (meant to be) an
    event, else the skeleton of an event of the dead letter's source, to fill in from the raw item
    (a feed entry, a page) shown above it."""
    try:
        data = json.loads(base64.b64decode(dl.raw))
    except (ValueError, UnicodeDecodeError):
        data = None
    if isinstance(data, dict) and ("event_id" in data or "schema_version" in data):
        return json.dumps(data, ensure_ascii=False, indent=2)
    source = dl.source or "SOURCE"
    skeleton = {  # the event_id is derived from source and source_item_id when left out
        "schema_version": 1,
        "source": source,
        "source_item_id": "ITEM-ID",
        "source_url": None,
        "kind": "news",
        "occurred_at": "2026-01-01T00:00:00+00:00",
        "observed_at": "2026-01-01T00:00:00+00:00",
        "companies": [],
        "title": "",
    }
    return json.dumps(skeleton, ensure_ascii=False, indent=2)
