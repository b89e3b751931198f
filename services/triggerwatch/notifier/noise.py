"""Noise control: per-rep daily cap and quiet hours, with the overflow going to the digest.

Caps and quiet hours govern people's channels only (console, Slack, e-mail): the systems of record
(:data:`RECORD_SINKS`: the CRM webhook and Dynamics 365) get every alert, also one held for the
digest, so the CRM's picture is complete (``notifier/app.py``).

:class:`NoiseGate` decides once per alert revision — ``deliver`` or ``digest`` — and records the
decision in ``notification_decisions`` (so a replayed alert gets the same decision). The cap counts
first revisions delivered to the owner since local midnight (``delivery.timezone``, default
Europe/Helsinki). Corroboration updates (``revision > 1``) follow their alert: delivered when the
first revision was (and ``delivery.updates`` is on), else into the digest; they never count
against the cap.

Several notifier processes share the cap through the database; two deciding at the same instant
may each let one alert through (a cap may be exceeded by the number of notifier processes minus one).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from triggerwatch.core.contracts import AlertV1
from triggerwatch.core.db import Database, NotificationDecision, insert_ignore, utcnow
from triggerwatch.core.rules import DeliveryRules, RoutingRules

DELIVER, DIGEST, BLOCKED = "deliver", "digest", "blocked"
# Systems of record: every alert reaches them, whatever the cap and the quiet hours say.
RECORD_SINKS = frozenset({"crm", "dynamics"})


def local_midnight(now: datetime, tz: ZoneInfo) -> datetime:
    local = now.astimezone(tz)
    return datetime.combine(local.date(), time(0), tzinfo=tz)


class NoiseGate:
    def __init__(
        self,
        db: Database,
        delivery: DeliveryRules,
        routing: RoutingRules | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.delivery = delivery
        self.routing = routing or RoutingRules()
        self.tz = ZoneInfo(delivery.timezone)
        self.clock = clock
        self._lock = threading.Lock()

    def cap_for(self, owner: str | None) -> int | None:
        rep = self.routing.reps.get(owner or "")
        if rep is not None and rep.daily_cap is not None:
            return rep.daily_cap
        return self.delivery.daily_cap

    def record(self, alert: AlertV1, decision: str, reason: str | None) -> tuple[str, str | None]:
        """Record a decision (first one wins); returns the recorded decision."""
        with self.db.session() as session:
            insert_ignore(
                session,
                NotificationDecision,
                [
                    {
                        "alert_id": alert.alert_id,
                        "revision": alert.revision,
                        "owner": alert.routing.owner,
                        "decision": decision,
                        "reason": reason,
                        "payload": alert.model_dump(mode="json"),
                        "created_at": self.clock(),
                    }
                ],
                ["alert_id", "revision"],
            )
            row = session.get(NotificationDecision, (alert.alert_id, alert.revision))
            assert row is not None
            return row.decision, row.reason

    def decide(self, alert: AlertV1) -> tuple[str, str | None]:
        """``(deliver|digest|blocked, reason)`` for this alert revision; sync (call in a thread)."""
        with self._lock:
            return self._decide(alert)

    def _decide(self, alert: AlertV1) -> tuple[str, str | None]:
        with self.db.session() as session:
            known = session.get(NotificationDecision, (alert.alert_id, alert.revision))
            if known is not None:
                return known.decision, known.reason
            now = self.clock()
            owner = alert.routing.owner
            decision, reason = DELIVER, None
            if alert.revision > 1:
                first = session.scalar(
                    select(NotificationDecision.decision)
                    .where(NotificationDecision.alert_id == alert.alert_id)
                    .order_by(NotificationDecision.revision)
                    .limit(1)
                )
                if first == BLOCKED:
                    decision, reason = BLOCKED, "the first revision was blocked"
                elif first == DIGEST or not self.delivery.updates:
                    decision, reason = DIGEST, "update of an alert that went to the digest"
            else:
                local = now.astimezone(self.tz)
                quiet = self.delivery.quiet_hours
                cap = self.cap_for(owner)
                if quiet is not None and quiet.contains(local.timetz().replace(tzinfo=None)):
                    decision = DIGEST
                    reason = f"quiet hours {quiet.start:%H:%M}-{quiet.end:%H:%M} {self.delivery.timezone}"
                elif cap is not None:
                    since = local_midnight(now, self.tz)
                    sent = session.scalar(
                        select(func.count())
                        .select_from(NotificationDecision)
                        .where(
                            NotificationDecision.owner.is_(None)
                            if owner is None
                            else NotificationDecision.owner == owner,
                            NotificationDecision.decision == DELIVER,
                            NotificationDecision.revision == 1,
                            NotificationDecision.created_at >= since,
                        )
                    )
                    if (sent or 0) >= cap:
                        decision, reason = (
                            DIGEST,
                            f"daily cap of {cap} alerts reached for {owner or 'no owner'}",
                        )
        return self.record(alert, decision, reason)
