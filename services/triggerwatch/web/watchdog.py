"""The silent-source watchdog: a source silent for longer than its expected interval raises one
``ops`` alert per silence episode (stored, and queued on the alerts topic through the outbox, so the
notifier delivers it like any alert). It runs in a background thread of the web service."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from triggerwatch.core.contracts import AlertV1, CompanyRef, EventKind, Explanation, Priority, Routing, encode
from triggerwatch.core.db import (
    Alert,
    CollectorState,
    Database,
    SilentSourceAlarm,
    insert_ignore,
    take_sequence,
)
from triggerwatch.core.outbox import enqueue

log = logging.getLogger(__name__)


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


def is_failing(state: CollectorState | None) -> bool:
    """The last poll failed (fetch, store) or dead-lettered new items or pages while storing the
    rest (then ``last_error_at == last_success_at``); a clean poll clears ``last_error``."""
    if state is None or state.last_error is None or state.last_error_at is None:
        return False
    return state.last_success_at is None or state.last_error_at >= state.last_success_at


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
                    owner="ops",
                    revision=1,
                    change_seq=take_sequence(s, "alerts", 1),
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
