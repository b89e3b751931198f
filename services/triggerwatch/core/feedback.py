"""Feedback on alerts: storing it with the alert's features, precision per kind and product group,
and the labels training can use."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from triggerwatch.core.db import Alert, Feedback


class FeedbackLabel(StrEnum):
    USEFUL = "useful"
    NOT_USEFUL = "not_useful"
    WRONG_COMPANY = "wrong_company"
    ALREADY_CUSTOMER = "already_customer"


TRAINING_LABELS = (FeedbackLabel.ALREADY_CUSTOMER, FeedbackLabel.WRONG_COMPANY)
NOTE_MAX_CHARS = 2000  # one limit for every way in (API, UI)


class NoteTooLong(ValueError):
    def __init__(self, length: int) -> None:
        super().__init__(f"a feedback note has at most {NOTE_MAX_CHARS} characters, not {length}")


def record_feedback(
    session: Session, alert: Alert, label: FeedbackLabel, *, given_by: str, note: str | None = None
) -> Feedback:
    """Store one verdict with the alert's features (kind, product group, score, target group, priority).
    A note longer than :data:`NOTE_MAX_CHARS` is refused (:class:`NoteTooLong`)."""
    if note is not None and len(note) > NOTE_MAX_CHARS:
        raise NoteTooLong(len(note))
    row = Feedback(
        alert_id=alert.alert_id,
        label=label.value,
        note=(note or None),
        given_by=given_by,
        business_id=alert.business_id,
        kind=alert.kind,
        product_group=alert.product_group,
        score=alert.score,
        target_group_id=(alert.payload or {}).get("target_group_id"),
        priority=alert.priority,
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class PrecisionRow:
    kind: str
    product_group: str
    n: int
    useful: int
    precision: float


def feedback_precision(session: Session) -> list[PrecisionRow]:
    """Share of ``useful`` verdicts per trigger kind and product group (the latest verdict per alert)."""
    latest = select(func.max(Feedback.id).label("id")).group_by(Feedback.alert_id).subquery("latest_feedback")
    useful = func.sum(case((Feedback.label == FeedbackLabel.USEFUL.value, 1), else_=0))
    rows = session.execute(
        select(Feedback.kind, Feedback.product_group, func.count(), useful)
        .join(latest, latest.c.id == Feedback.id)
        .group_by(Feedback.kind, Feedback.product_group)
        .order_by(Feedback.kind, Feedback.product_group)
    ).all()
    return [
        PrecisionRow(kind, pg, int(n), int(u or 0), round(int(u or 0) / int(n), 4) if n else 0.0)
        for kind, pg, n, u in rows
    ]


@dataclass(frozen=True)
class TrainingLabel:
    business_id: str
    product_group: str
    label: str
    alert_id: str
    kind: str
    score: float


def training_labels(session: Session) -> list[TrainingLabel]:
    """Companies reps marked ``already_customer`` or ``wrong_company`` (latest verdict per alert)."""
    latest = select(func.max(Feedback.id).label("id")).group_by(Feedback.alert_id).subquery("latest_feedback")
    rows = session.scalars(
        select(Feedback)
        .join(latest, latest.c.id == Feedback.id)
        .where(Feedback.label.in_([label.value for label in TRAINING_LABELS]))
        .order_by(Feedback.id)
    ).all()
    return [TrainingLabel(r.business_id, r.product_group, r.label, r.alert_id, r.kind, r.score) for r in rows]
