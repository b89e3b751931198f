"""Transactional outbox: what writers put in it.

Writers (collectors, the scoring loader, dead-lettering) insert their rows *and* outbox rows in one
database transaction; the relay service (``triggerwatch.relay``) publishes them to Kafka.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from triggerwatch.core.contracts import DeadLetterV1, TriggerEventV1, encode
from triggerwatch.core.db import (
    DeadLetter,
    Event,
    JSONText,
    Outbox,
    insert_ignore,
    utcnow,
)

log = logging.getLogger(__name__)



def enqueue(session: Session, topic_kind: str, key: str, payload: bytes, ref_id: str | None = None) -> None:
    session.add(Outbox(**outbox_row(topic_kind, key, payload, ref_id)))


def outbox_row(topic_kind: str, key: str, payload: bytes, ref_id: str | None = None) -> dict[str, Any]:
    """An outbox row's columns, for writers that insert many at once (``insert(Outbox)``)."""
    return {"topic_kind": topic_kind, "message_key": key, "payload": payload.decode(), "ref_id": ref_id}


def event_row(event: TriggerEventV1) -> dict[str, Any]:
    business_id = next((c.business_id for c in event.companies if c.business_id), None)
    return {
        "event_id": event.event_id,
        "source": event.source,
        "source_item_id": event.source_item_id,
        "kind": event.kind.value,
        "business_id": business_id,
        "occurred_at": event.occurred_at,
        "observed_at": event.observed_at,
        "payload": JSONText(event.model_dump_json()),
        "created_at": utcnow(),
    }


def store_events(session: Session, events: Iterable[TriggerEventV1]) -> list[TriggerEventV1]:
    """Insert events not seen before and queue them for publishing; returns the new ones.

    An event id is deterministic (source + item id), so re-polling a feed stores nothing twice.
    """
    new: list[TriggerEventV1] = []
    for event in events:
        if insert_ignore(session, Event, [event_row(event)], ["event_id"]):
            enqueue(session, "events", event.partition_key(), encode(event), event.event_id)
            new.append(event)
    return new


def store_dead_letter(session: Session, dl: DeadLetterV1, *, publish: bool = True) -> bool:
    """Record a dead letter (once per id) and queue it for the dead-letter topic."""
    row = {
        "dead_letter_id": dl.dead_letter_id,
        "stage": dl.stage,
        "source": dl.source,
        "reason": dl.reason,
        "error_type": dl.error_type,
        "raw": dl.raw_b64,
        "created_at": dl.created_at,
    }
    inserted = bool(insert_ignore(session, DeadLetter, [row], ["dead_letter_id"]))
    if inserted and publish:
        enqueue(session, "deadletter", dl.stage, encode(dl), dl.dead_letter_id)
    return inserted
