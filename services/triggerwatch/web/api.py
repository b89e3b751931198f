"""The JSON API under ``/api/v1`` (OpenAPI at ``/openapi.json``, Swagger UI at ``/docs``)."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from triggerwatch.core.contracts import EventKind, decode_event, encode
from triggerwatch.core.db import Alert, Company, CompanyScore, Database, DeadLetter, Event, TargetGroup
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.core.feedback import FeedbackLabel, feedback_precision, record_feedback
from triggerwatch.core.objections import ObjectionRegister
from triggerwatch.core.outbox import enqueue
from triggerwatch.web import auth
from triggerwatch.web.auth import Principal, Role
from triggerwatch.web.ops import backlog, daily_counts, dead_letter_counts, delivery_stats, source_statuses


class FeedbackIn(BaseModel):
    label: FeedbackLabel
    note: str | None = Field(None, max_length=2000)


class ReplayIn(BaseModel):
    """Optionally a corrected event to publish instead of the dead letter's raw payload."""

    event: dict[str, Any] | None = None


class AlertFilters(BaseModel):
    owner: str | None = None
    kind: str | None = None
    product_group: str | None = None
    priority: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    business_id: str | None = None


def alert_query(f: AlertFilters, *, include_ops: bool = False) -> Select[Alert]:
    q = select(Alert)
    if f.kind:
        q = q.where(Alert.kind == f.kind)
    elif not include_ops:
        q = q.where(Alert.kind != EventKind.OPS.value)
    if f.product_group:
        q = q.where(Alert.product_group == f.product_group)
    if f.priority:
        q = q.where(Alert.priority == f.priority)
    if f.since:
        q = q.where(Alert.created_at >= f.since)
    if f.until:
        q = q.where(Alert.created_at < f.until)
    if f.business_id:
        q = q.where(Alert.business_id == f.business_id)
    return q


def owner_of(alert: Alert) -> str | None:
    return ((alert.payload or {}).get("routing") or {}).get("owner")


def select_alerts(session: Session, f: AlertFilters, limit: int, *, include_ops: bool = False) -> list[Alert]:
    q = alert_query(f, include_ops=include_ops).order_by(Alert.created_at.desc(), Alert.alert_id.desc())
    if not f.owner:
        return list(session.scalars(q.limit(limit)))
    out = [a for a in session.scalars(q) if owner_of(a) == f.owner]  # owner lives in the JSON payload
    return out[:limit]


def alert_json(alert: Alert) -> dict[str, Any]:
    return {**alert.payload, "owner": owner_of(alert), "stored_at": alert.created_at.isoformat()}


# -- CRM pull: a stable cursor over (created_at, alert_id) ------------------------------------------


def encode_cursor(created_at: datetime, alert_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), alert_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, alert_id = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(created), str(alert_id)
    except Exception as exc:
        raise HTTPException(400, "invalid cursor") from exc


def payload_for_objection(alert: Alert, event_payload: dict[str, Any] | None) -> dict[str, Any]:
    """The alert with its event's attributes (the decision-maker's name), as objections are checked."""
    attributes = (event_payload or {}).get("attributes") or {}
    return {**alert.payload, "attributes": attributes, "person_name": attributes.get("person_name")}


def trigger_page(
    session: Session, f: AlertFilters, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None, int]:
    """One page of triggers in (created_at, alert_id) order; objected alerts are skipped."""
    q = alert_query(f)
    if cursor:
        c_at, c_id = decode_cursor(cursor)
        q = q.where(or_(Alert.created_at > c_at, and_(Alert.created_at == c_at, Alert.alert_id > c_id)))
    q = q.order_by(Alert.created_at, Alert.alert_id)
    items: list[dict[str, Any]] = []
    skipped = 0
    last: Alert | None = None
    register = ObjectionRegister.load(session)  # the register and each chunk's events: one query each
    for chunk in session.scalars(q).yield_per(200).partitions():
        events: dict[str, dict[str, Any]] = dict(
            session.execute(
                select(Event.event_id, Event.payload).where(Event.event_id.in_({a.event_id for a in chunk}))
            )
            .tuples()
            .all()
        )
        for alert in chunk:
            last = alert
            if f.owner and owner_of(alert) != f.owner:
                continue
            if register.reason(payload_for_objection(alert, events.get(alert.event_id))):
                skipped += 1
                continue
            items.append(alert_json(alert))
            if len(items) >= limit:
                break
        if len(items) >= limit:
            break
    next_cursor = encode_cursor(last.created_at, last.alert_id) if last is not None else cursor
    return items, next_cursor, skipped


CSV_COLUMNS = [
    "alert_id",
    "created_at",
    "kind",
    "priority",
    "priority_score",
    "business_id",
    "company",
    "product_group",
    "score",
    "target_group_id",
    "owner",
    "what_happened",
    "next_step",
    "evidence_url",
]


def csv_row(item: dict[str, Any]) -> list[Any]:
    company = item.get("company") or {}
    expl = item.get("explanation") or {}
    evidence = item.get("evidence") or [{}]
    return [
        item["alert_id"],
        item.get("created_at"),
        item.get("kind"),
        item.get("priority"),
        item.get("priority_score"),
        company.get("business_id"),
        company.get("name"),
        item.get("product_group"),
        item.get("score"),
        item.get("target_group_id"),
        item.get("owner"),
        expl.get("what_happened"),
        expl.get("next_step"),
        (evidence[0] or {}).get("url"),
    ]


def company_profile(session: Session, business_id: str) -> dict[str, Any] | None:
    company = session.get(Company, business_id)
    if company is None:
        return None
    scores = []
    for score, group in session.execute(
        select(CompanyScore, TargetGroup)
        .join(TargetGroup, TargetGroup.target_group_id == CompanyScore.target_group_id)
        .where(CompanyScore.business_id == business_id)
        .order_by(CompanyScore.score.desc())
    ).tuples():
        scores.append(
            {
                "product_group": score.product_group,
                "target_group_id": score.target_group_id,
                "score": score.score,
                "rule_path": score.rule_path,
                "rule": group.rule,
                "rule_fi": group.rule_fi,
                "target_group_size": group.size,
            }
        )
    timeline: list[dict[str, Any]] = []
    for ev in session.scalars(select(Event).where(Event.business_id == business_id)):
        timeline.append(
            {
                "type": "event",
                "at": ev.occurred_at.isoformat(),
                "kind": ev.kind,
                "title": ev.payload.get("title"),
                "source": ev.source,
                "url": ev.payload.get("source_url"),
                "event_id": ev.event_id,
            }
        )
    for al in session.scalars(select(Alert).where(Alert.business_id == business_id)):
        timeline.append(
            {
                "type": "alert",
                "at": al.created_at.isoformat(),
                "kind": al.kind,
                "title": (al.payload.get("explanation") or {}).get("what_happened"),
                "product_group": al.product_group,
                "priority": al.priority,
                "alert_id": al.alert_id,
                "why": (al.payload.get("explanation") or {}).get("why_it_matters"),
            }
        )
    timeline.sort(key=lambda item: item["at"], reverse=True)
    return {
        "business_id": company.business_id,
        "name": company.name,
        "company_form": company.company_form,
        "industry_code": company.industry_code,
        "municipality": company.municipality,
        "region": company.region,
        "website": company.website,
        "is_active": company.is_active,
        "scores": scores,
        "timeline": timeline,
    }


def target_groups(session: Session) -> list[dict[str, Any]]:
    return [
        {
            "target_group_id": g.target_group_id,
            "product_group": g.product_group,
            "rule": g.rule,
            "rule_fi": g.rule_fi,
            "size": g.size,
            "expected_value": g.expected_value,
        }
        for g in session.scalars(select(TargetGroup).order_by(TargetGroup.product_group))
    ]


def replay_dead_letter(session: Session, dl: DeadLetter, corrected: dict[str, Any] | None) -> str:
    """Put a dead letter's event (or a corrected one) back on the events topic through the outbox."""
    raw = json.dumps(corrected).encode() if corrected is not None else base64.b64decode(dl.raw)
    try:
        event = decode_event(raw)
    except InvalidInputError as exc:
        raise HTTPException(422, f"the payload is not a valid event: {exc}") from exc
    enqueue(session, "events", event.partition_key(), encode(event), event.event_id)
    from triggerwatch.core.db import utcnow

    dl.replayed_at = utcnow()
    return event.event_id


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


def build_router(
    db: Database,
    expected: dict[str, float],
    clock: Callable[[], datetime],
    rules: dict[str, Any] | None = None,
) -> APIRouter:
    router = APIRouter(prefix="/api/v1")

    def role(roles: frozenset[Role]) -> Callable[[Request], Principal]:
        def dep(request: Request) -> Principal:
            return auth.require(request, db, roles)

        return dep

    @router.get("/alerts", tags=["alerts"])
    def list_alerts(
        f: Filters, _: Principal = Depends(role(auth.READ_ALERTS)), limit: int = Query(100, ge=1, le=1000)
    ) -> list[dict[str, Any]]:
        with db.session() as s:
            return [alert_json(a) for a in select_alerts(s, f, limit, include_ops=True)]

    @router.get("/alerts/{alert_id}", tags=["alerts"])
    def get_alert(alert_id: str, _: Principal = Depends(role(auth.READ_ALERTS))) -> dict[str, Any]:
        with db.session() as s:
            alert = s.get(Alert, alert_id)
            if alert is None:
                raise HTTPException(404, "no such alert")
            return alert_json(alert)

    @router.post("/alerts/{alert_id}/feedback", tags=["feedback"], status_code=201)
    def post_feedback(
        alert_id: str, body: FeedbackIn, who: Principal = Depends(role(auth.FEEDBACK))
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
    def precision(_: Principal = Depends(role(frozenset({Role.ADMIN})))) -> list[dict[str, Any]]:
        with db.session() as s:
            return [r.__dict__ for r in feedback_precision(s)]

    @router.get("/companies/{business_id}", tags=["companies"])
    def company(business_id: str, _: Principal = Depends(role(auth.READ_COMPANIES))) -> dict[str, Any]:
        with db.session() as s:
            profile = company_profile(s, business_id)
        if profile is None:
            raise HTTPException(404, "no such company")
        return profile

    @router.get("/target-groups", tags=["target groups"])
    def list_target_groups(_: Principal = Depends(role(auth.READ_TARGETS))) -> list[dict[str, Any]]:
        with db.session() as s:
            return target_groups(s)

    @router.get("/rules", tags=["target groups"])
    def list_rules(_: Principal = Depends(role(auth.READ_TARGETS))) -> dict[str, Any]:
        return rules or {}

    @router.get("/sources", tags=["ops"])
    def sources(_: Principal = Depends(role(auth.READ_SOURCES))) -> list[dict[str, Any]]:
        with db.session() as s:
            return [st.__dict__ for st in source_statuses(s, expected, clock())]

    @router.get("/ops/summary", tags=["ops"])
    def ops_summary(_: Principal = Depends(role(auth.OPS_VIEW))) -> dict[str, Any]:
        now = clock()
        with db.session() as s:
            return {
                "now": now.isoformat(),
                "sources": [st.__dict__ for st in source_statuses(s, expected, now)],
                "backlog": backlog(s),
                "dead_letters": [
                    {"stage": a, "source": b, "total": c, "open": d} for a, b, c, d in dead_letter_counts(s)
                ],
                "deliveries": [{"sink": a, "status": b, "n": c} for a, b, c in delivery_stats(s)],
                "daily": [{"day": a, "events": b, "alerts": c} for a, b, c in daily_counts(s, now)],
            }

    @router.get("/dead-letters", tags=["dead letters"])
    def dead_letters(
        _: Principal = Depends(role(auth.DEAD_LETTERS)),
        stage: str | None = None,
        source: str | None = None,
        limit: int = Query(100, ge=1, le=1000),
    ) -> list[dict[str, Any]]:
        q = select(DeadLetter).order_by(DeadLetter.created_at.desc())
        if stage:
            q = q.where(DeadLetter.stage == stage)
        if source:
            q = q.where(DeadLetter.source == source)
        with db.session() as s:
            return [dead_letter_json(d, full=False) for d in s.scalars(q.limit(limit))]

    @router.get("/dead-letters/{dead_letter_id}", tags=["dead letters"])
    def dead_letter(dead_letter_id: str, _: Principal = Depends(role(auth.DEAD_LETTERS))) -> dict[str, Any]:
        with db.session() as s:
            d = s.get(DeadLetter, dead_letter_id)
            if d is None:
                raise HTTPException(404, "no such dead letter")
            return dead_letter_json(d, full=True)

    @router.post("/dead-letters/{dead_letter_id}/replay", tags=["dead letters"])
    def replay(
        dead_letter_id: str,
        body: Annotated[ReplayIn | None, Body()] = None,
        _: Principal = Depends(role(auth.DEAD_LETTERS)),
    ) -> dict[str, Any]:
        with db.session() as s:
            d = s.get(DeadLetter, dead_letter_id)
            if d is None:
                raise HTTPException(404, "no such dead letter")
            event_id = replay_dead_letter(s, d, body.event if body else None)
            return {"dead_letter_id": dead_letter_id, "event_id": event_id, "queued": True}

    @router.get("/triggers", tags=["crm"])
    def triggers(
        f: Filters,
        _: Principal = Depends(role(auth.CRM_PULL)),
        cursor: str | None = None,
        limit: int = Query(100, ge=1, le=1000),
    ) -> dict[str, Any]:
        with db.session() as s:
            items, next_cursor, skipped = trigger_page(s, f, cursor, limit)
        return {"items": items, "next_cursor": next_cursor, "skipped_objected": skipped}

    @router.get("/triggers.csv", tags=["crm"])
    def triggers_csv(f: Filters, _: Principal = Depends(role(auth.CRM_PULL))) -> StreamingResponse:
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

    return router


def dead_letter_json(d: DeadLetter, *, full: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "dead_letter_id": d.dead_letter_id,
        "stage": d.stage,
        "source": d.source,
        "reason": d.reason,
        "error_type": d.error_type,
        "created_at": d.created_at.isoformat(),
        "replayed_at": d.replayed_at.isoformat() if d.replayed_at else None,
    }
    if full:
        raw = base64.b64decode(d.raw)
        out["raw_b64"] = d.raw
        out["raw_text"] = raw.decode("utf-8", errors="replace")
    return out
