"""The ops page's and ``/api/v1/ops/summary``'s queries: each source's freshness and last check,
the backlog the database sees, dead letters, deliveries as they came out, events and alerts per day.

Counted in SQL (indexed where the tables grow: ``events.observed_at``, the partial index of
unprocessed events); nothing here reads a payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from triggerwatch.core.db import (
    Alert,
    CollectorState,
    DeadLetter,
    Delivery,
    Event,
    Outbox,
    SourceCheck,
)
from triggerwatch.core.deliveries import stalled as stalled_deliveries
from triggerwatch.web.watchdog import is_failing, is_silent


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


@dataclass(frozen=True)
class SinkOutcomes:
    """What came of the deliveries to one sink, from the ``deliveries`` rows as the notifier left
    them (status, attempts, last error): a row is *delivered* only when its status says so."""

    sink: str
    delivered: int  # status delivered
    delivered_after_retries: int  # of those, delivered after more than one attempt
    failed: int  # status failed: given up
    retrying: int  # not delivered yet, tried and failed at least once (pending, sending, ...)
    queued: int  # not tried yet
    other: dict[str, int]  # blocked, skipped, and any status this page does not know
    last_error: str | None  # of the newest row that is not delivered

    @property
    def total(self) -> int:
        return self.delivered + self.failed + self.retrying + self.queued + sum(self.other.values())


WAITING = ("pending", "sending", "retrying", "queued")


def delivery_outcomes(session: Session) -> list[SinkOutcomes]:
    """Per sink: delivered (and how many only after retries), failed, retrying, queued and the rest."""
    retried = Delivery.attempts > 1
    tried = Delivery.attempts > 0
    rows = session.execute(
        select(Delivery.sink, Delivery.status, retried, tried, func.count()).group_by(
            Delivery.sink, Delivery.status, retried, tried
        )
    ).tuples()
    acc: dict[str, dict[str, Any]] = {}
    for sink, status, was_retried, was_tried, n in rows:
        a = acc.setdefault(
            sink, {"delivered": 0, "after": 0, "failed": 0, "retrying": 0, "queued": 0, "other": {}}
        )
        if status == "delivered":
            a["delivered"] += n
            a["after"] += n if was_retried else 0
        elif status == "failed":
            a["failed"] += n
        elif status in WAITING:
            a["retrying" if was_tried else "queued"] += n
        else:
            a["other"][status] = a["other"].get(status, 0) + n
    out = []
    for sink in sorted(acc):
        a = acc[sink]
        last_error = session.scalar(
            select(Delivery.last_error)
            .where(Delivery.sink == sink, Delivery.status != "delivered", Delivery.last_error.is_not(None))
            .order_by(Delivery.id.desc())
            .limit(1)
        )
        out.append(
            SinkOutcomes(
                sink,
                a["delivered"],
                a["after"],
                a["failed"],
                a["retrying"],
                a["queued"],
                a["other"],
                last_error,
            )
        )
    return out


def delivery_problems(session: Session, limit: int = 20) -> list[Delivery]:
    """The newest deliveries that did not go through at the first attempt (failed, retrying,
    blocked, or delivered only after retries)."""
    return list(
        session.scalars(
            select(Delivery)
            .where(or_(Delivery.status != "delivered", Delivery.attempts > 1))
            .order_by(Delivery.id.desc())
            .limit(limit)
        )
    )


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


# the check statuses that make an enabled source dead (`sources check` exits non-zero on them; the
# same set as collectors.check.DEAD, which this service may not import)
DEAD_CHECKS = frozenset({"dead", "disallowed", "no_credentials"})


def source_checks(session: Session) -> list[SourceCheck]:
    """The last `triggerwatch sources check` of each source (issue 18), by source name."""
    return list(session.scalars(select(SourceCheck).order_by(SourceCheck.source)))


def _utc_day(session: Session, column: Any) -> Any:
    """The UTC day of a timestamp column, in SQL (counted by the database, not in Python)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)  # SQLite stores UTC
