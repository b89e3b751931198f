"""Retention: purge personal data after a configurable number of days.

Events older than the cut-off lose their ``person_name`` attribute; the names found there are
replaced by ``[removed]`` in every text of the alerts built from those events (explanation,
evidence titles and excerpts, facts) and in the notifier's stored decision copies. Alerts older
than the cut-off are purged the same way. Run by ``triggerwatch retention run`` and daily by the
notifier.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import select, update

from triggerwatch.core.db import Alert, Database, Event, NotificationDecision, utcnow

REMOVED = "[removed]"


@dataclass
class RetentionResult:
    events: int = 0
    alerts: int = 0
    decisions: int = 0


def _scrub(value: Any, names: list[re.Pattern[str]]) -> Any:
    if isinstance(value, str):
        for pattern in names:
            value = pattern.sub(REMOVED, value)
        return value
    if isinstance(value, list):
        return [_scrub(v, names) for v in value]
    if isinstance(value, dict):
        return {
            k: (v if k in ("alert_id", "event_ids", "url") else _scrub(v, names)) for k, v in value.items()
        }
    return value


def _patterns(names: set[str]) -> list[re.Pattern[str]]:
    return [
        re.compile(re.escape(n), re.IGNORECASE) for n in sorted(names, key=len, reverse=True) if n.strip()
    ]


def run_retention(db: Database, days: float, *, clock: Callable[[], datetime] = utcnow) -> RetentionResult:
    cutoff = clock() - timedelta(days=days)
    result = RetentionResult()
    names_by_event: dict[str, str] = {}
    with db.session() as session:
        for event_id, payload in session.execute(
            select(Event.event_id, Event.payload).where(Event.created_at < cutoff)
        ).tuples():
            attrs = dict(payload.get("attributes") or {})
            name = attrs.pop("person_name", None)
            if not name:
                continue
            names_by_event[event_id] = str(name)
            session.execute(
                update(Event)
                .where(Event.event_id == event_id)
                .values(payload={**payload, "attributes": attrs})
            )
            result.events += 1
        all_names = _patterns(set(names_by_event.values()))
        if not all_names:
            return result
        models: tuple[tuple[type[Alert] | type[NotificationDecision], str], ...] = (
            (Alert, "alerts"),
            (NotificationDecision, "decisions"),
        )
        for model, counter in models:
            rows = cast("Iterable[Alert | NotificationDecision]", session.scalars(select(model)))
            for row in rows:
                payload = row.payload
                related = set(payload.get("event_ids") or []) & set(names_by_event)
                old = row.created_at < cutoff
                if not related and not old:
                    continue
                pats = all_names if old else _patterns({names_by_event[e] for e in related})
                scrubbed = _scrub(payload, pats)
                if scrubbed != payload:
                    row.payload = scrubbed
                    setattr(result, counter, getattr(result, counter) + 1)
    return result
