"""The JSON API under ``/api/v1`` (OpenAPI at ``/openapi.json``, Swagger UI at ``/docs``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from triggerwatch.core.db import Alert, DeadLetter
from triggerwatch.core.deliveries import STAGE as DELIVERY_STAGE
from triggerwatch.core.feedback import FeedbackLabel, feedback_precision, record_feedback
from triggerwatch.web import auth
from triggerwatch.web.auth import Principal, Role
from triggerwatch.web.deps import Ctx, Db, api_role
from triggerwatch.web.queries import (
    CSV_COLUMNS,
    AlertFilters,
    alert_json,
    backlog,
    company_profile,
    csv_row,
    daily_counts,
    dead_letter_counts,
    dead_letter_json,
    delivery_stats,
    replay_dead_letter,
    select_alerts,
    source_statuses,
    stalled_stages,
    target_groups,
    trigger_page,
)

router = APIRouter(prefix="/api/v1")


class FeedbackIn(BaseModel):
    label: FeedbackLabel
    note: str | None = Field(None, max_length=2000)


class ReplayIn(BaseModel):
    """Optionally a corrected event to publish instead of the dead letter's raw payload."""

    event: dict[str, Any] | None = None


def filters(
    owner: str | None = None,
    kind: str | None = None,
    product_group: str | None = None,
    priority: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    business_id: str | None = None,
) -> AlertFilters:
    for v in (since, until):
        if v is not None and v.tzinfo is None:
            raise HTTPException(400, "since/until need a timezone (e.g. 2026-11-24T00:00:00Z)")
    return AlertFilters(
        owner=owner,
        kind=kind,
        product_group=product_group,
        priority=priority,
        since=since,
        until=until,
        business_id=business_id,
    )


Filters = Annotated[AlertFilters, Depends(filters)]
Reader = Annotated[Principal, Depends(api_role(auth.READ_ALERTS))]


@router.get("/alerts", tags=["alerts"])
def list_alerts(
    f: Filters, db: Db, _: Reader, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, Any]]:
    with db.session() as s:
        return [alert_json(a) for a in select_alerts(s, f, limit, include_ops=True)]


@router.get("/alerts/{alert_id}", tags=["alerts"])
def get_alert(alert_id: str, db: Db, _: Reader) -> dict[str, Any]:
    with db.session() as s:
        alert = s.get(Alert, alert_id)
        if alert is None:
            raise HTTPException(404, "no such alert")
        return alert_json(alert)


@router.post("/alerts/{alert_id}/feedback", tags=["feedback"], status_code=201)
def post_feedback(
    alert_id: str,
    body: FeedbackIn,
    db: Db,
    who: Annotated[Principal, Depends(api_role(auth.FEEDBACK))],
) -> dict[str, Any]:
    with db.session() as s:
        alert = s.get(Alert, alert_id)
        if alert is None:
            raise HTTPException(404, "no such alert")
        row = record_feedback(s, alert, body.label, given_by=who.name, note=body.note)
        return {
            "id": row.id,
            "alert_id": alert_id,
            "label": row.label,
            "kind": row.kind,
            "product_group": row.product_group,
            "score": row.score,
            "target_group_id": row.target_group_id,
            "priority": row.priority,
        }


@router.get("/feedback/precision", tags=["feedback"])
def precision(
    db: Db, _: Annotated[Principal, Depends(api_role(frozenset({Role.ADMIN})))]
) -> list[dict[str, Any]]:
    with db.session() as s:
        return [r.__dict__ for r in feedback_precision(s)]


@router.get("/companies/{business_id}", tags=["companies"])
def company(
    business_id: str, db: Db, _: Annotated[Principal, Depends(api_role(auth.READ_COMPANIES))]
) -> dict[str, Any]:
    with db.session() as s:
        profile = company_profile(s, business_id)
    if profile is None:
        raise HTTPException(404, "no such company")
    return profile


@router.get("/target-groups", tags=["target groups"])
def list_target_groups(
    db: Db, _: Annotated[Principal, Depends(api_role(auth.READ_TARGETS))]
) -> list[dict[str, Any]]:
    with db.session() as s:
        return target_groups(s)


@router.get("/rules", tags=["target groups"])
def list_rules(ctx: Ctx, _: Annotated[Principal, Depends(api_role(auth.READ_TARGETS))]) -> dict[str, Any]:
    return ctx.rules


@router.get("/sources", tags=["ops"])
def sources(ctx: Ctx, _: Annotated[Principal, Depends(api_role(auth.READ_SOURCES))]) -> list[dict[str, Any]]:
    with ctx.db.session() as s:
        return [st.__dict__ for st in source_statuses(s, ctx.expected, ctx.clock())]


@router.get("/ops/summary", tags=["ops"])
def ops_summary(ctx: Ctx, _: Annotated[Principal, Depends(api_role(auth.OPS_VIEW))]) -> dict[str, Any]:
    now = ctx.clock()
    with ctx.db.session() as s:
        return {
            "now": now.isoformat(),
            "sources": [st.__dict__ for st in source_statuses(s, ctx.expected, now)],
            "backlog": backlog(s),
            "dead_letters": [
                {"stage": a, "source": b, "total": c, "open": d} for a, b, c, d in dead_letter_counts(s)
            ],
            "deliveries": [{"sink": a, "status": b, "n": c} for a, b, c in delivery_stats(s)],
            "daily": [{"day": a, "events": b, "alerts": c} for a, b, c in daily_counts(s, now)],
            "stalled": stalled_stages(s, now, ctx.stall_after_s),
        }


DeadLetterOps = Annotated[Principal, Depends(api_role(auth.DEAD_LETTERS))]


@router.get("/dead-letters", tags=["dead letters"])
def dead_letters(
    db: Db,
    _: DeadLetterOps,
    stage: str | None = None,
    source: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    q = select(DeadLetter).order_by(DeadLetter.created_at.desc())
    if stage:
        q = q.where(DeadLetter.stage == stage)
    if source:
        q = q.where(DeadLetter.source == source)
    with db.session() as s:
        return [dead_letter_json(d, full=False) for d in s.scalars(q.limit(limit))]


@router.get("/dead-letters/{dead_letter_id}", tags=["dead letters"])
def dead_letter(dead_letter_id: str, db: Db, _: DeadLetterOps) -> dict[str, Any]:
    with db.session() as s:
        d = s.get(DeadLetter, dead_letter_id)
        if d is None:
            raise HTTPException(404, "no such dead letter")
        return dead_letter_json(d, full=True)


@router.post("/dead-letters/{dead_letter_id}/replay", tags=["dead letters"])
def replay(
    dead_letter_id: str,
    db: Db,
    _: DeadLetterOps,
    body: Annotated[ReplayIn | None, Body()] = None,
) -> dict[str, Any]:
    with db.session() as s:
        d = s.get(DeadLetter, dead_letter_id)
        if d is None:
            raise HTTPException(404, "no such dead letter")
        queued = replay_dead_letter(s, d, body.event if body else None)
        what = "delivery" if d.stage == DELIVERY_STAGE else "event_id"  # a delivery: its idempotency key
        return {"dead_letter_id": dead_letter_id, what: queued, "queued": True}


CrmPull = Annotated[Principal, Depends(api_role(auth.CRM_PULL))]


@router.get("/triggers", tags=["crm"])
def triggers(
    f: Filters,
    db: Db,
    _: CrmPull,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    with db.session() as s:
        items, next_cursor, skipped = trigger_page(s, f, cursor, limit)
    return {"items": items, "next_cursor": next_cursor, "skipped_objected": skipped}


@router.get("/triggers.csv", tags=["crm"])
def triggers_csv(f: Filters, db: Db, _: CrmPull) -> StreamingResponse:
    def rows() -> Iterator[str]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(CSV_COLUMNS)
        cursor: str | None = None
        while True:
            with db.session() as s:
                items, cursor, _skipped = trigger_page(s, f, cursor, 500)
            for item in items:
                writer.writerow(csv_row(item))
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
            if not items:
                break

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="triggers.csv"'},
    )
