"""The web service's queries, shared by the JSON API and the UI: alerts and their filters, the CRM
pull pages, company profiles, target groups, dead letters, and stream health for the ops page."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import HTTPException
from pydantic import BaseModel
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from triggerwatch.core.contracts import EventKind, decode_event, encode
from triggerwatch.core.db import (
    Alert,
    CollectorState,
    Company,
    CompanyScore,
    DeadLetter,
    Delivery,
    Event,
    Outbox,
    TargetGroup,
    utcnow,
)
from triggerwatch.core.deliveries import STAGE as DELIVERY_STAGE
from triggerwatch.core.deliveries import requeue_dead_letter
from triggerwatch.core.deliveries import stalled as stalled_deliveries
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.core.objections import ObjectionRegister
from triggerwatch.core.outbox import enqueue
from triggerwatch.web.watchdog import is_failing, is_silent


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
    """Put a dead letter's event (or a corrected one) back on the events topic through the outbox;
    a given-up delivery's dead letter queues the delivery again (returns its idempotency key)."""
    if dl.stage == DELIVERY_STAGE:
        key = requeue_dead_letter(session, dl, utcnow())
        if key is None:
            raise HTTPException(409, "this delivery is not given up (any more): nothing to replay")
        return key
    raw = json.dumps(corrected).encode() if corrected is not None else base64.b64decode(dl.raw)
    try:
        event = decode_event(raw)
    except InvalidInputError as exc:
        raise HTTPException(422, f"the payload is not a valid event: {exc}") from exc
    enqueue(session, "events", event.partition_key(), encode(event), event.event_id)
    dl.replayed_at = utcnow()
    return event.event_id


def open_dead_letters(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """The newest dead letters not yet replayed (the ops page's list)."""
    rows = session.scalars(
        select(DeadLetter)
        .where(DeadLetter.replayed_at.is_(None))
        .order_by(DeadLetter.created_at.desc())
        .limit(limit)
    )
    return [dead_letter_json(d, full=False) for d in rows]


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


# -- stream health (the ops page and /api/v1/ops/summary) ------------------------------------------


@dataclass(frozen=True)
class SourceStatus:
    source: str
    expected_interval_s: float | None
    last_run_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    items_seen: int
    events_emitted: int
    events_stored: int
    events_in_window: int
    expected_events_in_window: float | None
    silent: bool
    silent_for_s: float | None
    failing: bool


def source_statuses(
    session: Session, expected: dict[str, float], now: datetime, window_s: float = 86400.0
) -> list[SourceStatus]:
    states = {row.source: row for row in session.scalars(select(CollectorState))}
    stored: dict[str, int] = dict(
        session.execute(select(Event.source, func.count()).group_by(Event.source)).tuples().all()
    )
    since = now - timedelta(seconds=window_s)
    recent: dict[str, int] = dict(
        session.execute(
            select(Event.source, func.count()).where(Event.observed_at >= since).group_by(Event.source)
        )
        .tuples()
        .all()
    )
    out = []
    for name in sorted(set(states) | set(expected)):
        st = states.get(name)
        exp = expected.get(name)
        silent, age = is_silent(st, exp, now)
        failing = is_failing(st)
        out.append(
            SourceStatus(
                source=name,
                expected_interval_s=exp,
                last_run_at=st.last_run_at if st else None,
                last_success_at=st.last_success_at if st else None,
                last_error=st.last_error if st else None,
                last_error_at=st.last_error_at if st else None,
                items_seen=st.items_seen if st else 0,
                events_emitted=st.events_emitted if st else 0,
                events_stored=int(stored.get(name, 0)),
                events_in_window=int(recent.get(name, 0)),
                expected_events_in_window=round(window_s / exp, 1) if exp else None,
                silent=silent,
                silent_for_s=age if silent else None,
                failing=failing,
            )
        )
    return out


def backlog(session: Session) -> dict[str, int]:
    """Consumer lag as the database sees it: rows not yet published, events not yet processed."""
    return {
        "outbox_unpublished": int(
            session.scalar(select(func.count()).select_from(Outbox).where(Outbox.published_at.is_(None))) or 0
        ),
        "events_unprocessed": int(
            session.scalar(select(func.count()).select_from(Event).where(Event.processed_at.is_(None))) or 0
        ),
    }


def stalled_stages(session: Session, now: datetime, after_s: float) -> dict[str, str]:
    """The stages whose oldest waiting item has waited longer than ``after_s``: stage → what waits.
    A sink's outage is not a stall (its deliveries are due later); a stopped notifier is."""
    cutoff = now - timedelta(seconds=after_s)
    stalled: dict[str, str] = {}
    outbox = session.scalar(
        select(func.count())
        .select_from(Outbox)
        .where(Outbox.published_at.is_(None), Outbox.created_at < cutoff)
    )
    if outbox:
        stalled["relay"] = f"{outbox} outbox row(s) unpublished for over {after_s:g}s"
    events = session.scalar(
        select(func.count()).select_from(Event).where(Event.processed_at.is_(None), Event.created_at < cutoff)
    )
    if events:
        stalled["worker"] = f"{events} event(s) unprocessed for over {after_s:g}s"
    due = stalled_deliveries(session, now, after_s)
    if due:
        stalled["notifier"] = f"{due} delivery(ies) due and not attempted for over {after_s:g}s"
    return stalled


def dead_letter_counts(session: Session) -> list[tuple[str, str, int, int]]:
    """(stage, source, total, not yet replayed)."""
    rows = session.execute(
        select(
            DeadLetter.stage,
            DeadLetter.source,
            func.count(),
            func.count().filter(DeadLetter.replayed_at.is_(None)),
        ).group_by(DeadLetter.stage, DeadLetter.source)
    ).all()
    return [(stage, source or "", int(n), int(open_)) for stage, source, n, open_ in rows]


def delivery_stats(session: Session) -> list[tuple[str, str, int]]:
    rows = session.execute(
        select(Delivery.sink, Delivery.status, func.count()).group_by(Delivery.sink, Delivery.status)
    ).all()
    return [(sink, status, int(n)) for sink, status, n in rows]


def daily_counts(session: Session, now: datetime, days: int = 14) -> list[tuple[str, int, int]]:
    """(day, events, alerts) for the last ``days`` days, oldest first."""
    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    buckets: dict[str, list[int]] = {
        (start + timedelta(days=i)).date().isoformat(): [0, 0] for i in range(days)
    }
    for created in session.scalars(select(Event.observed_at).where(Event.observed_at >= start)):
        key = created.date().isoformat()
        if key in buckets:
            buckets[key][0] += 1
    for created in session.scalars(select(Alert.created_at).where(Alert.created_at >= start)):
        key = created.date().isoformat()
        if key in buckets:
            buckets[key][1] += 1
    return [(day, ev, al) for day, (ev, al) in buckets.items()]
