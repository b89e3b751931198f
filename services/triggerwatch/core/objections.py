"""The objection register (GDPR Art. 21): who must never be contacted.

Entries are business IDs (the whole company), person names and e-mail addresses. The notifier
checks every alert before any sink (:func:`is_objected`); exports (pull API, CSV) call the same
function. A blocked alert is recorded with the reason, never delivered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from triggerwatch.core.businessid import normalise_business_id
from triggerwatch.core.contracts import AlertV1
from triggerwatch.core.db import Objection, insert_ignore, utcnow

KINDS = ("business_id", "person", "email")


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def value_key(kind: str, value: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"objection kind must be one of {KINDS}, not {kind!r}")
    if kind == "business_id":
        bid = normalise_business_id(value)
        if bid is None:
            raise ValueError(f"not a valid Finnish business ID: {value!r}")
        return bid
    folded = _fold(value)
    if not folded:
        raise ValueError("an objection needs a value")
    return folded


def add_objection(session: Session, kind: str, value: str, reason: str | None = None) -> bool:
    """True when added, False when it was registered already."""
    row = {"kind": kind, "value": value.strip(), "value_key": value_key(kind, value), "reason": reason}
    return insert_ignore(session, Objection, [row | {"created_at": utcnow()}], ["kind", "value_key"]) == 1


def remove_objection(session: Session, kind: str, value: str) -> bool:
    result = session.execute(
        delete(Objection).where(Objection.kind == kind, Objection.value_key == value_key(kind, value))
    )
    return bool(getattr(result, "rowcount", 0))


def list_objections(session: Session) -> list[Objection]:
    return list(session.scalars(select(Objection).order_by(Objection.kind, Objection.value_key)))


def _texts(payload: dict[str, Any]) -> Iterable[str]:
    """Every human-readable text of an alert payload (explanation, evidence, facts)."""
    for value in (payload.get("explanation") or {}).values():
        if isinstance(value, str):
            yield value
    for ev in payload.get("evidence") or []:
        for name in ("title", "excerpt", "url"):
            if isinstance(ev.get(name), str):
                yield ev[name]
    for value in (payload.get("facts") or {}).values():
        if isinstance(value, str):
            yield value
    for value in (payload.get("routing") or {}).get("channels") or []:
        if isinstance(value, str):
            yield value
    person = payload.get("person_name") or (payload.get("attributes") or {}).get("person_name")
    if isinstance(person, str):  # the event's decision-maker (exports pass the event's attributes)
        yield person


@dataclass(frozen=True)
class ObjectionRegister:
    """The register as it stood when loaded: checks many alerts with the queries done once
    (an export page checks hundreds)."""

    business_ids: frozenset[str]
    people: tuple[tuple[str, str], ...]  # (kind, folded value) of persons and e-mail addresses

    @classmethod
    def load(cls, session: Session, *, business_ids: Iterable[str] | None = None) -> ObjectionRegister:
        """Every entry, or with ``business_ids`` only those of the business-ID entries (and every
        person and e-mail entry): one indexed lookup for a single alert instead of the whole list."""
        query = select(Objection.kind, Objection.value_key)
        if business_ids is not None:
            query = query.where(
                (Objection.kind != "business_id") | Objection.value_key.in_(set(business_ids))
            )
        rows = session.execute(query).tuples().all()
        return cls(
            business_ids=frozenset(key for kind, key in rows if kind == "business_id"),
            people=tuple((kind, key) for kind, key in rows if kind in ("person", "email") and key),
        )

    def reason(self, alert_payload: dict[str, Any] | AlertV1) -> str | None:
        """Why this alert must not be delivered or exported, or None (see :func:`is_objected`)."""
        payload = (
            alert_payload.model_dump(mode="json") if isinstance(alert_payload, AlertV1) else alert_payload
        )
        bid = (payload.get("company") or {}).get("business_id")
        if bid and bid in self.business_ids:
            return f"objection: business ID {bid} is in the objection register"
        if not self.people:
            return None
        text = _fold("\n".join(_texts(payload)))
        for kind, key in self.people:
            if key in text:
                what = "person" if kind == "person" else "e-mail address"
                return f"objection: the alert names a {what} in the objection register"
        return None


def is_objected(session: Session, alert_payload: dict[str, Any] | AlertV1) -> str | None:
    """The reason this alert must not be delivered or exported, or None.

    Objected when the company's business ID is registered, or when any alert text names a
    registered person or e-mail address (case- and whitespace-insensitive).
    """
    payload = alert_payload.model_dump(mode="json") if isinstance(alert_payload, AlertV1) else alert_payload
    bid = (payload.get("company") or {}).get("business_id")
    return ObjectionRegister.load(session, business_ids=[bid] if bid else []).reason(payload)
