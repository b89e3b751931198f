"""Stream health from the database: per-source freshness, backlog, dead letters, delivery failures,
events/alerts over time, and the silent-source alarm that itself becomes an ``ops`` alert."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triggerwatch.core.contracts import AlertV1, CompanyRef, EventKind, Explanation, Priority, Routing, encode
from triggerwatch.core.db import (
    Alert,
    CollectorState,
    Database,
    DeadLetter,
    Delivery,
    Event,
    Outbox,
    SilentSourceAlarm,
    insert_ignore,
)
from triggerwatch.core.outbox import enqueue

log = logging.getLogger(__name__)


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


def is_silent(
    state: CollectorState | None, expected: float | None, now: datetime
) -> tuple[bool, float | None]:
    """Silent when now - last success > expected interval (or never succeeded since a run that long ago)."""
    if state is None or not expected:
        return False, None
    ref = state.last_success_at or state.last_run_at
    if ref is None:
        return False, None
    age = (now - ref).total_seconds()
    return age > expected, age


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
        failing = bool(
            st and st.last_error_at and (not st.last_success_at or st.last_error_at > st.last_success_at)
        )
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


def _episode_key(state: CollectorState) -> str:
    ref = state.last_success_at or state.last_run_at
    return ref.isoformat() if ref else "never"


def check_silent_sources(db: Database, expected: dict[str, float], now: datetime) -> list[AlertV1]:
    """Raise one ``ops`` alert per silence episode, stored and queued on the alerts topic (outbox)."""
    raised: list[AlertV1] = []
    with db.session() as s:
        for state in s.scalars(select(CollectorState)):
            exp = expected.get(state.source)
            silent, age = is_silent(state, exp, now)
            if not silent or age is None or exp is None:
                continue
            key = _episode_key(state)
            alert = AlertV1(
                alert_id=AlertV1.make_id(f"silent:{state.source}:{key}", "ops"),
                event_ids=[f"silent:{state.source}:{key}"],
                kind=EventKind.OPS,
                company=CompanyRef(name=f"source {state.source}"),
                product_group="ops",
                target_group_id="ops",
                score=1.0,
                priority=Priority.HIGH,
                priority_score=1.0,
                explanation=Explanation(
                    what_happened=(
                        f"Source {state.source} has been silent for {age / 3600:.1f} h "
                        f"(expected every {exp / 3600:.1f} h); last success {key}."
                    ),
                    why_it_matters="A silent source misses triggers without anyone noticing.",
                    target_group_rule="ops: silent source",
                    next_step=f"Check the collector's log and the source's URL for {state.source}.",
                ),
                recommended_offer="",
                routing=Routing(owner="ops"),
                occurred_at=now,
                created_at=now,
            )
            inserted = insert_ignore(
                s,
                SilentSourceAlarm,
                [
                    {
                        "source": state.source,
                        "last_success_key": key,
                        "alert_id": alert.alert_id,
                        "detected_at": now,
                    }
                ],
                ["source", "last_success_key"],
            )
            if not inserted:
                continue
            s.add(
                Alert(
                    alert_id=alert.alert_id,
                    event_id=alert.event_ids[0][:36],
                    business_id="",
                    kind=EventKind.OPS.value,
                    product_group="ops",
                    score=1.0,
                    priority=Priority.HIGH.value,
                    payload=alert.model_dump(mode="json"),
                    created_at=now,
                )
            )
            enqueue(s, "alerts", f"ops:{state.source}", encode(alert), alert.alert_id)
            log.warning("silent source %s: ops alert %s", state.source, alert.alert_id)
            raised.append(alert)
    return raised


class SilenceWatch:
    """A background thread running ``check_silent_sources`` every ``interval_s``."""

    def __init__(
        self, db: Database, expected: dict[str, float], interval_s: float, clock: Callable[[], datetime]
    ) -> None:
        self.db, self.expected, self.interval_s, self.clock = db, expected, interval_s, clock
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="silence-watch", daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                check_silent_sources(self.db, self.expected, self.clock())
            except Exception:
                log.warning("silent-source check failed", exc_info=True)
            self.stop.wait(self.interval_s)

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


@dataclass(frozen=True)
class LagRow:
    app: str
    topic: str
    partition: str
    lag: float


def consumer_lag(urls: Sequence[str], *, timeout_s: float = 1.0) -> tuple[list[LagRow], list[str]]:
    """Kafka consumer lag (high-watermark minus position) from the stream services' own /metrics.

    Returns the rows and the pages that could not be read (shown to ops, never an error).
    """
    rows: list[LagRow] = []
    unreachable: list[str] = []
    for url in urls:
        try:
            resp = httpx.get(url, timeout=timeout_s)
            resp.raise_for_status()
            families = list(text_string_to_metric_families(resp.text))
        except (httpx.HTTPError, ValueError) as exc:
            unreachable.append(f"{url}: {type(exc).__name__}")
            continue
        for family in families:
            if family.name != "triggerwatch_consumer_lag":
                continue
            for sample in family.samples:
                labels = sample.labels
                rows.append(
                    LagRow(
                        labels.get("app", ""),
                        labels.get("topic", ""),
                        labels.get("partition", ""),
                        sample.value,
                    )
                )
    rows.sort(key=lambda r: (r.app, r.topic, int(r.partition) if r.partition.isdigit() else 0))
    return rows, unreachable
