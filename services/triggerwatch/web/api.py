"""The JSON API under ``/api/v1`` (OpenAPI at ``/openapi.json``, Swagger UI at ``/docs``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from triggerwatch.core.db import Alert, DeadLetter
from triggerwatch.core.feedback import NOTE_MAX_CHARS, FeedbackLabel, feedback_precision, record_feedback
from triggerwatch.core.objections import is_objected
from triggerwatch.core.readiness import readiness
from triggerwatch.web import auth
from triggerwatch.web.auth import Principal, Role
from triggerwatch.web.deadletters import dead_letter_json, dismiss_dead_letter, history, replay_dead_letter
from triggerwatch.web.deps import Ctx, Db, api_role
from triggerwatch.web.ops_queries import (
    backlog,
    daily_counts,
    dead_letter_counts,
    delivery_stats,
    source_statuses,
    stalled_stages,
)
from triggerwatch.web.queries import (
    CSV_COLUMNS,
    AlertFilters,
    alert_json,
    alert_page,
    company_profile,
    csv_row,
    event_attributes,
    target_groups,
    trigger_page,
)

router = APIRouter(prefix="/api/v1")


class FeedbackIn(BaseModel):
    label: FeedbackLabel
    note: str | None = Field(None, max_length=NOTE_MAX_CHARS)


class ReplayIn(BaseModel):
    """Optionally a corrected event to publish instead of the dead letter's raw payload."""

    event: dict[str, Any] | None = None


class DismissIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


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
    f: Filters,
    db: Db,
    _: Reader,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: str | None = None,
) -> list[dict[str, Any]]:
    """Newest first. Alerts about a company or person in the objection register are left out
    (``X-Withheld-Objected`` counts those naming a person on this page). The next, older page:
    ``before`` = the ``X-Next-Before`` header (absent on the last page)."""
    with db.session() as s:
        page = alert_page(s, f, limit, before, include_ops=True)
        items = [alert_json(a) for a in page.alerts]
    if page.next_before:
        response.headers["X-Next-Before"] = page.next_before
    response.headers["X-Withheld-Objected"] = str(page.withheld)
    return items


@router.get("/alerts/{alert_id}", tags=["alerts"], responses={451: {"description": "objected"}})
def get_alert(alert_id: str, db: Db, _: Reader) -> dict[str, Any]:
    """One alert; 451 when its company or a person it names is in the objection register."""
    with db.session() as s:
        alert = s.get(Alert, alert_id)
        if alert is None:
            raise HTTPException(404, "no such alert")
        reason = is_objected(
            s, alert.payload, attributes=event_attributes(s, [alert.event_id]).get(alert.event_id)
        )
        if reason:
            raise HTTPException(451, f"withheld: {reason} (do not contact)")
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
    business_id: str,
    db: Db,
    _: Annotated[Principal, Depends(api_role(auth.READ_COMPANIES))],
    before: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Profile, scores with their rule path, and one page of the timeline (newest first; the next
    page: ``before`` = ``timeline_next``). ``do_not_contact`` is set when the company is in the
    objection register; timeline items naming an objected company or person are withheld
    (``timeline_withheld``)."""
    with db.session() as s:
        profile = company_profile(s, business_id, before=before, limit=limit)
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
            "scores": readiness(s).as_dict(),  # no scores: nothing can alert, and what to do
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
    q = select(DeadLetter).order_by(DeadLetter.created_at.desc(), DeadLetter.dead_letter_id)
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
        return {**dead_letter_json(d, full=True), "actions": history(s, dead_letter_id)}


@router.post("/dead-letters/{dead_letter_id}/replay", tags=["dead letters"])
def replay(
    dead_letter_id: str,
    db: Db,
    who: DeadLetterOps,
    body: Annotated[ReplayIn | None, Body()] = None,
) -> Any:
    """Queue the dead letter's event (or ``{"event": {...}}``, a correction keeping its identity)
    on the events topic. 422 with the reason when it may not be replayed; audited either way."""
    with db.session() as s:
        d = s.get(DeadLetter, dead_letter_id)
        if d is None:
            raise HTTPException(404, "no such dead letter")
        result = replay_dead_letter(s, d, body.event if body else None, actor=who.actor)
    if result.error:  # the refusal is audited (committed above), so it is an answer, not an exception
        return JSONResponse({"detail": result.error}, status_code=422)
    what = "delivery" if result.what == "delivery" else "event_id"  # a delivery: its idempotency key
    return {"dead_letter_id": dead_letter_id, what: result.event_id, "queued": True}


@router.post("/dead-letters/{dead_letter_id}/dismiss", tags=["dead letters"])
def dismiss(dead_letter_id: str, body: DismissIn, db: Db, who: DeadLetterOps) -> dict[str, Any]:
    """Close a dead letter that needs no replay, with the reason (audited)."""
    with db.session() as s:
        d = s.get(DeadLetter, dead_letter_id)
        if d is None:
            raise HTTPException(404, "no such dead letter")
        dismiss_dead_letter(s, d, actor=who.actor, reason=body.reason)
        return dead_letter_json(d, full=False)


CrmPull = Annotated[Principal, Depends(api_role(auth.CRM_PULL))]


@router.get("/triggers", tags=["crm"])
def triggers(
    f: Filters,
    db: Db,
    _: CrmPull,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Every new alert and every new revision of one, once, in change order, with its
    ``revision``: keep ``next_cursor`` and poll with it (an empty page keeps it)."""
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
