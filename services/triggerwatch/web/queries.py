"""The web service's queries, shared by the JSON API and the UI: alert feeds and their filters, the
CRM pull pages, company profiles and timelines, target groups, and stream health for the ops page.

Every filter and every page is SQL on indexed columns (``alerts.owner``, ``kind``, ``priority``,
``business_id``, ``created_at``, ``change_seq``; ``events.business_id, occurred_at``): no JSON is
read into Python to decide what is on a page, and no page reads more rows than it shows plus what
the objection register withholds. Everything a rep or a CRM sees passes the objection register
(:meth:`ObjectionRegister.reason`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from triggerwatch.core.contracts import EventKind, web_url
from triggerwatch.core.db import (
    Alert,
    CollectorState,
    Company,
    CompanyScore,
    DeadLetter,
    Delivery,
    Event,
    Objection,
    Outbox,
    SourceCheck,
    TargetGroup,
)
from triggerwatch.core.deliveries import stalled as stalled_deliveries
from triggerwatch.core.objections import ObjectionRegister
from triggerwatch.core.spreadsheet import safe_row
from triggerwatch.web.watchdog import is_failing, is_silent

FEED_PAGE = 50  # alerts per feed page (UI); the API's ``limit``
TIMELINE_PAGE = 50  # items per company timeline page


class BadCursor(ValueError):
    """A cursor that this service did not hand out (or a naive timestamp in one): HTTP 400."""


class AlertFilters(BaseModel):
    owner: str | None = None
    kind: str | None = None
    product_group: str | None = None
    priority: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    business_id: str | None = None


# -- cursors: opaque URL-safe base64 of a small JSON value ------------------------------------------


def _encode(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadCursor("not a cursor this service handed out") from exc


def _aware(text: Any) -> datetime:
    if not isinstance(text, str):
        raise BadCursor("no timestamp")
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadCursor(f"not a timestamp: {text[:40]!r}") from exc
    if at.tzinfo is None:
        raise BadCursor("timestamps need a timezone")
    return at


def encode_feed_cursor(at: datetime, key: str, kind: str = "alert") -> str:
    return _encode({"at": at.isoformat(), "type": kind, "id": key})


def decode_feed_cursor(cursor: str, kinds: Sequence[str] = ("alert",)) -> tuple[datetime, str, str]:
    """(timestamp, item type, id) of a feed or timeline position."""
    value = _decode(cursor)
    if not isinstance(value, dict) or value.get("type") not in kinds or not isinstance(value.get("id"), str):
        raise BadCursor("not a feed cursor")
    return _aware(value.get("at")), str(value["type"]), value["id"]


def encode_pull_cursor(seq: int) -> str:
    return _encode({"seq": seq})


def decode_pull_cursor(session: Session, cursor: str | None) -> int:
    """The change sequence number a pull cursor stands for (0: from the beginning).

    A cursor of the earlier ``[created_at, alert_id]`` form is still taken: it stands for the
    change before the first alert created after that position (such a client may get an alert it
    had once more, and loses none)."""
    if not cursor:
        return 0
    value = _decode(cursor)
    if isinstance(value, dict) and isinstance(value.get("seq"), int) and value["seq"] >= 0:
        return int(value["seq"])
    if isinstance(value, list) and len(value) == 2 and isinstance(value[1], str):
        at, alert_id = _aware(value[0]), value[1]
        later = or_(Alert.created_at > at, and_(Alert.created_at == at, Alert.alert_id > alert_id))
        first = session.scalar(select(func.min(Alert.change_seq)).where(later))
        if first is not None:
            return int(first) - 1
        return int(session.scalar(select(func.max(Alert.change_seq))) or 0)
    raise BadCursor("not a pull cursor")


# -- alert feeds --------------------------------------------------------------------------------------


def alert_query(f: AlertFilters, *, include_ops: bool = False) -> Select[Alert]:
    q = select(Alert)
    if f.kind:
        q = q.where(Alert.kind == f.kind)
    elif not include_ops:
        q = q.where(Alert.kind != EventKind.OPS.value)
    if f.owner:
        q = q.where(Alert.owner == f.owner)
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


def objected_companies() -> ColumnElement[bool]:
    """Alerts whose company is in the objection register (one anti-join, no rows read)."""
    registered = select(Objection.value_key).where(Objection.kind == "business_id")
    return Alert.business_id.in_(registered.scalar_subquery())


def event_attributes(session: Session, event_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The attributes (the decision-maker's name is one) of these events: one query."""
    ids = set(event_ids)
    if not ids:
        return {}
    rows = session.execute(select(Event.event_id, Event.payload).where(Event.event_id.in_(ids))).tuples()
    return {event_id: (payload or {}).get("attributes") or {} for event_id, payload in rows}


def _withheld(
    session: Session, register: ObjectionRegister, alerts: Sequence[Alert]
) -> tuple[list[Alert], int]:
    """The alerts the objection register lets through, and how many it withheld."""
    if not register:
        return list(alerts), 0
    attributes = event_attributes(session, (a.event_id for a in alerts)) if register.patterns else {}
    kept = [a for a in alerts if not register.reason(a.payload, attributes=attributes.get(a.event_id))]
    return kept, len(alerts) - len(kept)


@dataclass(frozen=True)
class AlertPage:
    alerts: list[Alert]
    next_before: str | None  # the cursor of the next (older) page, None on the last page
    withheld: int  # alerts on this page left out because they name an objected person


def alert_page(
    session: Session,
    f: AlertFilters,
    limit: int = FEED_PAGE,
    before: str | None = None,
    *,
    include_ops: bool = False,
) -> AlertPage:
    """One page of the feed, newest first, keyset-paged on (created_at, alert_id). Alerts about an
    objected company are left out in SQL; those naming an objected person are withheld and counted."""
    register = ObjectionRegister.load(session)
    q = alert_query(f, include_ops=include_ops).order_by(Alert.created_at.desc(), Alert.alert_id.desc())
    if register.business_ids:
        q = q.where(~objected_companies())
    position = decode_feed_cursor(before)[::2] if before else None
    kept: list[Alert] = []
    withheld = 0
    while True:
        page = q
        if position is not None:
            at, key = position
            page = q.where(or_(Alert.created_at < at, and_(Alert.created_at == at, Alert.alert_id < key)))
        rows = list(session.scalars(page.limit(limit + 1)))
        shown, skipped = _withheld(session, register, rows)
        kept += shown
        withheld += skipped
        if len(kept) > limit or len(rows) <= limit:
            break
        position = (rows[-1].created_at, rows[-1].alert_id)
    more = len(kept) > limit
    kept = kept[:limit]
    next_before = encode_feed_cursor(kept[-1].created_at, kept[-1].alert_id) if more and kept else None
    return AlertPage(kept, next_before, withheld)


def alert_json(alert: Alert) -> dict[str, Any]:
    """The alert as the API and the exports show it: its payload (links only when http(s), also in
    alerts stored before the contract said so), owner, revision and change number."""
    payload = dict(alert.payload)
    evidence = payload.get("evidence") or []
    if any(isinstance(e, dict) and e.get("url") and web_url(e["url"]) is None for e in evidence):
        payload["evidence"] = [
            {**e, "url": None, "url_text": e.get("url_text") or e["url"]}
            if isinstance(e, dict) and e.get("url") and web_url(e["url"]) is None
            else e
            for e in evidence
        ]
    return {
        **payload,
        "owner": alert.owner,
        "revision": alert.revision,
        "change_seq": alert.change_seq,
        "stored_at": alert.created_at.isoformat(),
        "updated_at": alert.updated_at.isoformat() if alert.updated_at else None,
    }


# -- CRM pull: every new alert and every new revision once, in change order ----------------------------


def trigger_page(
    session: Session, f: AlertFilters, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str, int]:
    """One page of triggers in change order (``change_seq``): each alert when it is created and
    again at each new revision (with its revision number); objected alerts are skipped and counted.
    Returns (items, the cursor to pass next time, skipped)."""
    after = decode_pull_cursor(session, cursor)
    register = ObjectionRegister.load(session)
    q = alert_query(f).where(Alert.change_seq.is_not(None)).order_by(Alert.change_seq)
    items: list[dict[str, Any]] = []
    skipped = 0
    while len(items) < limit:
        rows = list(session.scalars(q.where(Alert.change_seq > after).limit(limit)))
        if not rows:
            break
        attributes = event_attributes(session, (a.event_id for a in rows)) if register.patterns else {}
        for alert in rows:
            after = int(alert.change_seq or after)
            if register.reason(alert.payload, attributes=attributes.get(alert.event_id)):
                skipped += 1
                continue
            items.append(alert_json(alert))
            if len(items) >= limit:
                break
        if len(rows) < limit:
            break
    return items, encode_pull_cursor(after), skipped


CSV_COLUMNS = [
    "alert_id",
    "revision",
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
    """One export row; every text cell is neutralised (no spreadsheet formula can start one)."""
    company = item.get("company") or {}
    expl = item.get("explanation") or {}
    evidence = item.get("evidence") or [{}]
    return safe_row(
        [
            item["alert_id"],
            item.get("revision"),
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
            web_url((evidence[0] or {}).get("url")),
        ]
    )


# -- companies ---------------------------------------------------------------------------------------


def _timeline_after(
    at_col: Any, id_col: Any, kind: str, cursor: tuple[datetime, str, str] | None
) -> ColumnElement[bool]:
    """Rows of one item type after ``cursor`` in the timeline's order: (at, type, id) descending."""
    if cursor is None:
        return true()
    c_at, c_type, c_id = cursor
    # at the same instant "event" items come before "alert" items (the type sorts descending too)
    same = id_col < c_id if kind == c_type else (true() if kind < c_type else false())
    return or_(at_col < c_at, and_(at_col == c_at, same))


def company_profile(
    session: Session, business_id: str, *, before: str | None = None, limit: int = TIMELINE_PAGE
) -> dict[str, Any] | None:
    """The company, its scores with the rules that explain them, and one page of its timeline
    (events and alerts, newest first). ``do_not_contact`` is the objection register's reason when
    the company is registered; timeline items that name an objected company or person are withheld
    (``timeline_withheld`` counts them)."""
    company = session.get(Company, business_id)
    if company is None:
        return None
    register = ObjectionRegister.load(session)
    cursor = decode_feed_cursor(before, ("alert", "event")) if before else None
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
    items: list[tuple[tuple[datetime, str, str], dict[str, Any]]] = []
    withheld = 0
    events = session.execute(
        select(Event.event_id, Event.occurred_at, Event.kind, Event.source, Event.payload)
        .where(
            Event.business_id == business_id,
            _timeline_after(Event.occurred_at, Event.event_id, "event", cursor),
        )
        .order_by(Event.occurred_at.desc(), Event.event_id.desc())
        .limit(limit + 1)
    ).tuples()
    for event_id, at, kind, source, payload in events:
        if register.reason({**payload, "business_id": business_id}):
            withheld += 1
            continue
        item = {
            "type": "event",
            "at": at.isoformat(),
            "kind": kind,
            "title": payload.get("title"),
            "source": source,
            "url": web_url(payload.get("source_url")),
            "event_id": event_id,
        }
        items.append(((at, "event", event_id), item))
    alerts = session.scalars(
        select(Alert)
        .where(
            Alert.business_id == business_id,
            _timeline_after(Alert.created_at, Alert.alert_id, "alert", cursor),
        )
        .order_by(Alert.created_at.desc(), Alert.alert_id.desc())
        .limit(limit + 1)
    ).all()
    shown, skipped = _withheld(session, register, alerts)
    withheld += skipped
    for al in shown:
        explanation = al.payload.get("explanation") or {}
        item = {
            "type": "alert",
            "at": al.created_at.isoformat(),
            "kind": al.kind,
            "title": explanation.get("what_happened"),
            "product_group": al.product_group,
            "priority": al.priority,
            "revision": al.revision,
            "alert_id": al.alert_id,
            "why": explanation.get("why_it_matters"),
        }
        items.append(((al.created_at, "alert", al.alert_id), item))
    items.sort(key=lambda pair: pair[0], reverse=True)  # the newest ``limit`` of both make the page
    page = items[:limit]
    next_before = None
    if len(items) > limit and page:
        at, kind, key = page[-1][0]
        next_before = encode_feed_cursor(at, key, kind)
    return {
        "business_id": company.business_id,
        "name": company.name,
        "company_form": company.company_form,
        "industry_code": company.industry_code,
        "municipality": company.municipality,
        "region": company.region,
        "website": web_url(company.website),
        "is_active": company.is_active,
        "do_not_contact": register.reason({"business_id": business_id}),
        "scores": scores,
        "timeline": [item for _, item in page],
        "timeline_withheld": withheld,
        "timeline_next": next_before,
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
    session: Session,
    expected: dict[str, float],
    now: datetime,
    window_s: float = 86400.0,
    *,
    totals: bool = True,
) -> list[SourceStatus]:
    """Each source's freshness. ``totals=False`` leaves ``events_stored`` at 0: counting every
    event ever stored reads a whole index (the ops page shows the window's events instead)."""
    states = {row.source: row for row in session.scalars(select(CollectorState))}
    stored: dict[str, int] = {}
    if totals:
        stored = dict(
            session.execute(select(Event.source, func.count()).group_by(Event.source)).tuples().all()
        )
    since = now - timedelta(seconds=window_s)
    # grouped by an expression, so that the planner reads the window's rows by ``observed_at``
    # rather than every event in ``source`` order (SQLite prefers the index that saves a sort)
    by_source = func.coalesce(Event.source, "")
    recent: dict[str, int] = dict(
        session.execute(select(by_source, func.count()).where(Event.observed_at >= since).group_by(by_source))
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
    """(stage, source, total, open: neither replayed nor dismissed)."""
    open_ = DeadLetter.replayed_at.is_(None) & DeadLetter.dismissed_at.is_(None)
    rows = session.execute(
        select(
            DeadLetter.stage,
            DeadLetter.source,
            func.count(),
            func.count().filter(open_),
        ).group_by(DeadLetter.stage, DeadLetter.source)
    ).all()
    return [(stage, source or "", int(n), int(o)) for stage, source, n, o in rows]


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
    for column, slot in ((Event.observed_at, 0), (Alert.created_at, 1)):
        day = _utc_day(session, column)
        rows = session.execute(select(day, func.count()).where(column >= start).group_by(day)).tuples()
        for key, n in rows:
            key = str(key)[:10]
            if key in buckets:
                buckets[key][slot] += int(n)
    return [(day, ev, al) for day, (ev, al) in buckets.items()]


def source_checks(session: Session) -> list[SourceCheck]:
    """The last `triggerwatch sources check` of each source (issue 18), by source name."""
    return list(session.scalars(select(SourceCheck).order_by(SourceCheck.source)))


def _utc_day(session: Session, column: Any) -> Any:
    """The UTC day of a timestamp column, in SQL (counted by the database, not in Python)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)  # SQLite stores UTC
