"""The web service's queries, shared by the JSON API and the UI: alert feeds and their filters, the
CRM pull pages, company profiles and timelines, target groups (the ops page's are in
``ops_queries.py``).

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
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, false, func, literal, or_, select, true
from sqlalchemy.orm import Session

from triggerwatch.core.contracts import EventKind, web_url
from triggerwatch.core.db import (
    PRIORITY_RANK,
    Alert,
    Company,
    CompanyScore,
    Event,
    Feedback,
    Objection,
    TargetGroup,
)
from triggerwatch.core.objections import ObjectionRegister
from triggerwatch.core.spreadsheet import safe_row
from triggerwatch.registry.classifications import TolVersion, division_of, section_of

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
    handled: bool | None = None  # with a rep's verdict (True), without one (False), either (None)


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


def encode_priority_cursor(rank: int, at: datetime, key: str) -> str:
    return _encode({"rank": rank, "at": at.isoformat(), "id": key})


def decode_priority_cursor(cursor: str) -> tuple[int, datetime, str]:
    """(priority rank, event time, alert id) of a position in the reps' feed."""
    value = _decode(cursor)
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("rank"), int)
        or not isinstance(value.get("id"), str)
    ):
        raise BadCursor("not a feed cursor")
    return int(value["rank"]), _aware(value.get("at")), value["id"]


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


def alert_query(f: AlertFilters, *, include_ops: bool = False, by_rank: bool = False) -> Select[Alert]:
    """The alerts the filters select. ``by_rank``: the priority filter on ``priority_rank`` (the
    reps' feed and its counts, on the feed's indexes) rather than on ``priority``."""
    q = select(Alert)
    if f.kind:
        q = q.where(Alert.kind == f.kind)
    if not include_ops:
        # a literal, not a parameter: the feed's partial indexes are for kind != 'ops'
        q = q.where(Alert.kind != literal(EventKind.OPS.value, literal_execute=True))
    if f.owner:
        q = q.where(Alert.owner == f.owner)
    if f.product_group:
        q = q.where(Alert.product_group == f.product_group)
    if f.priority and by_rank and f.priority in PRIORITY_RANK:
        q = q.where(Alert.priority_rank == PRIORITY_RANK[f.priority])
    elif f.priority:
        q = q.where(Alert.priority == f.priority)
    if f.since:
        q = q.where(Alert.created_at >= f.since)
    if f.until:
        q = q.where(Alert.created_at < f.until)
    if f.business_id:
        q = q.where(Alert.business_id == f.business_id)
    if f.handled is not None:
        judged = Alert.alert_id.in_(select(Feedback.alert_id).scalar_subquery())
        q = q.where(judged if f.handled else ~judged)
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


Order = Literal["created", "priority"]


def _after(order: Order, alert: Alert) -> ColumnElement[bool]:
    """Rows after ``alert`` in the feed's order (the keyset condition)."""
    if order == "priority":
        at = alert.occurred_at or alert.created_at
        return or_(
            Alert.priority_rank < alert.priority_rank,
            and_(
                Alert.priority_rank == alert.priority_rank,
                or_(Alert.occurred_at < at, and_(Alert.occurred_at == at, Alert.alert_id < alert.alert_id)),
            ),
        )
    return or_(
        Alert.created_at < alert.created_at,
        and_(Alert.created_at == alert.created_at, Alert.alert_id < alert.alert_id),
    )


def alert_page(
    session: Session,
    f: AlertFilters,
    limit: int = FEED_PAGE,
    before: str | None = None,
    *,
    include_ops: bool = False,
    order: Order = "created",
) -> AlertPage:
    """One page of the feed, keyset-paged: newest first on (created_at, alert_id), or, for reps
    (``order="priority"``), high priority first and within a priority the freshest event first, on
    (priority_rank, occurred_at, alert_id). Alerts about an objected company are left out in SQL;
    those naming an objected person are withheld and counted."""
    register = ObjectionRegister.load(session)
    q = alert_query(f, include_ops=include_ops, by_rank=order == "priority")
    if order == "priority":
        q = q.order_by(Alert.priority_rank.desc(), Alert.occurred_at.desc(), Alert.alert_id.desc())
    else:
        q = q.order_by(Alert.created_at.desc(), Alert.alert_id.desc())
    if register.business_ids:
        q = q.where(~objected_companies())
    position: ColumnElement[bool] | None = None
    if before and order == "priority":
        rank, at, key = decode_priority_cursor(before)
        position = _after(order, Alert(priority_rank=rank, occurred_at=at, alert_id=key))
    elif before:
        at, _type, key = decode_feed_cursor(before)
        position = _after(order, Alert(created_at=at, alert_id=key))
    kept: list[Alert] = []
    withheld = 0
    while True:
        page = q if position is None else q.where(position)
        rows = list(session.scalars(page.limit(limit + 1)))
        shown, skipped = _withheld(session, register, rows)
        kept += shown
        withheld += skipped
        if len(kept) > limit or len(rows) <= limit:
            break
        position = _after(order, rows[-1])
    more = len(kept) > limit
    kept = kept[:limit]
    next_before = None
    if more and kept:
        last = kept[-1]
        next_before = (
            encode_priority_cursor(last.priority_rank, last.occurred_at or last.created_at, last.alert_id)
            if order == "priority"
            else encode_feed_cursor(last.created_at, last.alert_id)
        )
    return AlertPage(kept, next_before, withheld)


PRIORITY_OF_RANK = {rank: priority for priority, rank in PRIORITY_RANK.items()}


def alert_counts(session: Session, f: AlertFilters) -> dict[str, int]:
    """How many alerts the filters select, per priority, objected companies left out. Counted on
    the feed's index (priority rank, whole or by owner: no table rows read); the objected
    companies' alerts are counted apart (by company) and taken off."""
    counts: dict[str, int] = {}

    def add(q: Select[Any], sign: int) -> None:
        by_rank = q.with_only_columns(Alert.priority_rank, func.count()).group_by(Alert.priority_rank)
        for rank, n in session.execute(by_rank).tuples():
            priority = PRIORITY_OF_RANK.get(int(rank), "other")
            counts[priority] = counts.get(priority, 0) + sign * int(n)

    add(alert_query(f, by_rank=True), 1)
    if ObjectionRegister.load(session).business_ids:
        add(alert_query(f, by_rank=True).where(objected_companies()), -1)
    return {priority: n for priority, n in counts.items() if n}


def verdicts(session: Session, alert_ids: Iterable[str]) -> dict[str, Feedback]:
    """The latest verdict on each of these alerts (those without one are absent): one query."""
    ids = list(set(alert_ids))
    if not ids:
        return {}
    rows = session.scalars(select(Feedback).where(Feedback.alert_id.in_(ids)).order_by(Feedback.id))
    return {row.alert_id: row for row in rows}


def product_groups(session: Session) -> list[str]:
    """The product groups there are target groups for (the feed's filter)."""
    return list(
        session.scalars(select(TargetGroup.product_group).distinct().order_by(TargetGroup.product_group))
    )


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
            "alert": al.payload,  # the pages say it in their language (web/display.py)
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
        "registered_on": company.registered_on.date().isoformat() if company.registered_on else None,
        "end_date": company.end_date.date().isoformat() if company.end_date else None,
        "industry": industry_names(company.industry_code, company.industry_tol_version),
        "aliases": [a for a in company.aliases or [] if isinstance(a, str) and a != company.name],
        "do_not_contact": register.reason({"business_id": business_id}),
        "scores": scores,
        "timeline": [item for _, item in page],
        "timeline_withheld": withheld,
        "timeline_next": next_before,
    }


def industry_names(code: str | None, version: str | None) -> dict[str, str] | None:
    """The industry's TOL division (else section) in both languages: ``{"code", "en", "fi"}``."""
    if not code:
        return None
    tol: TolVersion = "2025" if (version or "").endswith("2025") else "2008"
    item = division_of(code, tol) or section_of(code, tol)
    if item is None:
        return {"code": code, "en": "", "fi": ""}
    return {"code": code, "en": item.name_en, "fi": item.name_fi}


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
