"""What the stream worker does with each event, independent of Faust (so it is testable alone).

For a batch of raw event payloads, in one database transaction:

1. decode and validate (``InvalidInputError`` → dead letter with reason and raw payload);
2. persist the event (idempotent: the id is deterministic);
3. resolve the company: business ID, else an exact name-key match in the company table;
4. join with the company's target-group scores (every product group it scores for);
5. apply the rules: kind and product group, minimum score, freshness, per-company cooldown;
6. build an explained ``AlertV1`` with a deterministic id and store it.

Durable state (alerts, cooldowns) lives in the database, never in a Faust table: the embedded
broker cannot recover changelogs. Re-processing the same event returns the *same* alert again
(so it is re-sent if the first send was lost) and never creates a second one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prometheus_client import Counter, Histogram
from sqlalchemy import select
from sqlalchemy.orm import Session
from triggerwatch.core.contracts import (
    AlertV1,
    CompanyRef,
    DeadLetterV1,
    Explanation,
    Routing,
    TriggerEventV1,
    decode_event,
)
from triggerwatch.core.db import (
    Alert,
    Company,
    CompanyScore,
    Database,
    Event,
    SuppressedAlert,
    TargetGroup,
    insert_ignore,
    utcnow,
)
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.core.names import name_key
from triggerwatch.core.outbox import event_row, store_dead_letter
from triggerwatch.worker.rules import RuleSet

log = logging.getLogger(__name__)

EVENTS_PROCESSED = Counter("triggerwatch_worker_events_total", "Events processed", ["kind", "outcome"])
ALERTS_OUT = Counter("triggerwatch_alerts_total", "Alerts emitted", ["kind", "product_group", "priority"])
WORKER_DEAD_LETTERS = Counter(
    "triggerwatch_worker_dead_letters_total", "Events dead-lettered", ["error_type"]
)
LATENCY = Histogram(
    "triggerwatch_processing_latency_seconds",
    "Observed-to-alert latency",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)


@dataclass
class Outcome:
    event: TriggerEventV1 | None = None
    alerts: list[AlertV1] = field(default_factory=list)
    dead_letter: DeadLetterV1 | None = None
    suppressed: list[str] = field(default_factory=list)


class Processor:
    def __init__(self, db: Database, rules: RuleSet, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.rules = rules
        self.clock = clock

    def process_batch(self, raws: Sequence[bytes]) -> list[Outcome]:
        with self.db.session() as session:
            return [self._process(session, raw) for raw in raws]

    def _process(self, session: Session, raw: bytes) -> Outcome:
        try:
            event = decode_event(raw)
        except InvalidInputError as exc:
            dl = DeadLetterV1.from_raw(
                stage="worker", reason=exc.reason, raw=raw, error_type=exc.error_type, source=None
            )
            store_dead_letter(session, dl, publish=False)  # the worker sends it to the topic itself
            WORKER_DEAD_LETTERS.labels(exc.error_type).inc()
            return Outcome(dead_letter=dl)
        outcome = Outcome(event=event)
        with session.begin_nested():
            insert_ignore(session, Event, [event_row(event)], ["event_id"])
            company = self._resolve(session, event)
            if company is not None:
                outcome.alerts, outcome.suppressed = self._alerts_for(session, event, company)
            row = session.get(Event, event.event_id)
            if row is not None:
                if row.business_id is None and company is not None:
                    row.business_id = company.business_id
                row.processed_at = row.processed_at or self.clock()
        EVENTS_PROCESSED.labels(event.kind.value, "alert" if outcome.alerts else "no_alert").inc()
        for alert in outcome.alerts:
            LATENCY.observe(max(0.0, (self.clock() - event.observed_at).total_seconds()))
            ALERTS_OUT.labels(alert.kind.value, alert.product_group, alert.priority.value).inc()
        return outcome

    # -- company resolution -------------------------------------------------------------------------
    def _resolve(self, session: Session, event: TriggerEventV1) -> Company | None:
        for ref in event.companies:
            if ref.business_id:
                company = session.get(Company, ref.business_id)
                if company is not None:
                    return company
        for ref in event.companies:
            if ref.name:
                matches = session.scalars(select(Company).where(Company.name_key == name_key(ref.name))).all()
                if len(matches) == 1:  # an ambiguous name never resolves: precision over recall
                    return matches[0]
        return None

    # -- rules ---------------------------------------------------------------------------------------
    def _alerts_for(
        self, session: Session, event: TriggerEventV1, company: Company
    ) -> tuple[list[AlertV1], list[str]]:
        scored = session.execute(
            select(CompanyScore, TargetGroup)
            .join(TargetGroup, TargetGroup.target_group_id == CompanyScore.target_group_id)
            .where(CompanyScore.business_id == company.business_id)
            .order_by(CompanyScore.score.desc())
        ).all()
        alerts: list[AlertV1] = []
        suppressed: list[str] = []
        now = self.clock()
        for score, group in scored:
            rule = self.rules.match(event.kind, score.product_group)
            if rule is None or score.score < rule.min_score:
                continue
            alert_id = AlertV1.make_id(event.event_id, score.product_group)
            existing = session.get(Alert, alert_id)
            if existing is not None:
                alerts.append(AlertV1.model_validate(existing.payload))
                continue
            age_days = max(0.0, (now - event.occurred_at).total_seconds() / 86400)
            reason = None
            if age_days > rule.freshness_days:
                reason = f"stale: happened {age_days:.0f} days ago (freshness {rule.freshness_days:g} days)"
            else:
                reason = self._cooldown(session, company.business_id, event, score.product_group, now)
            if reason:
                insert_ignore(
                    session,
                    SuppressedAlert,
                    [
                        {
                            "event_id": event.event_id,
                            "product_group": score.product_group,
                            "reason": reason,
                            "created_at": now,
                        }
                    ],
                    ["event_id", "product_group"],
                )
                suppressed.append(f"{score.product_group}: {reason}")
                continue
            recency = max(0.0, 1 - age_days / rule.freshness_days)
            priority_score = round(score.score * rule.weight * (0.5 + 0.5 * recency), 4)
            lang = self.rules.language
            company_ref = CompanyRef(
                business_id=company.business_id,
                name=company.name,
                role=event.companies[0].role if event.companies else "subject",
            )
            group_rule = group.rule_fi if lang == "fi" and group.rule_fi else group.rule
            alert = AlertV1(
                alert_id=alert_id,
                event_ids=[event.event_id],
                kind=event.kind,
                company=company_ref,
                product_group=score.product_group,
                target_group_id=group.target_group_id,
                score=round(score.score, 4),
                priority=self.rules.priority(priority_score),
                priority_score=priority_score,
                explanation=Explanation(
                    what_happened=f"{company.name}: {event.title}",
                    why_it_matters=rule.why.get(lang).format(
                        company=company.name, product_group=score.product_group
                    ),
                    target_group_rule=group_rule,
                    next_step=rule.next_step.get(lang).format(
                        company=company.name, product_group=score.product_group
                    ),
                ),
                recommended_offer=score.product_group,
                evidence=event.evidence,
                routing=Routing(owner=self.rules.routing.owner(score.product_group, company.region)),
                occurred_at=event.occurred_at,
                created_at=now,
                language=lang,  # type: ignore[arg-type]
            )
            session.add(
                Alert(
                    alert_id=alert.alert_id,
                    event_id=event.event_id,
                    business_id=company.business_id,
                    kind=event.kind.value,
                    product_group=score.product_group,
                    score=alert.score,
                    priority=alert.priority.value,
                    payload=alert.model_dump(mode="json"),
                    created_at=now,
                )
            )
            session.flush()
            alerts.append(alert)
        return alerts, suppressed

    def _cooldown(
        self, session: Session, business_id: str, event: TriggerEventV1, product_group: str, now: datetime
    ) -> str | None:
        if self.rules.cooldown_hours <= 0:
            return None
        since = now - timedelta(hours=self.rules.cooldown_hours)
        recent = session.scalars(
            select(Alert.alert_id)
            .where(
                Alert.business_id == business_id,
                Alert.kind == event.kind.value,
                Alert.product_group == product_group,
                Alert.created_at >= since,
            )
            .limit(1)
        ).first()
        if recent:
            return (
                f"cooldown: alert {recent} for the same company, kind and product group within "
                f"{self.rules.cooldown_hours:g} h"
            )
        return None
