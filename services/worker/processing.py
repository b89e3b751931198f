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
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from triggerwatch.core.contracts import (
    AlertV1,
    CompanyRef,
    CompanyRole,
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
from triggerwatch.worker.rules import Rule, RuleSet

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


@dataclass
class _BatchContext:
    """What one batch needs from the database, loaded with a few queries for the whole batch."""

    companies: dict[str, Company] = field(default_factory=dict)
    by_name: dict[str, list[Company]] = field(default_factory=dict)
    scores: dict[str, list[tuple[CompanyScore, TargetGroup]]] = field(default_factory=dict)
    existing_alerts: dict[str, dict[str, object]] = field(default_factory=dict)
    recent: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (bid, kind, pg) -> alert id


class Processor:
    def __init__(self, db: Database, rules: RuleSet, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.rules = rules
        self.clock = clock

    def process_batch(self, raws: Sequence[bytes]) -> list[Outcome]:
        """Process a batch in one transaction; outcomes in input order."""
        outcomes: list[Outcome] = []
        with self.db.session() as session:
            for raw in raws:
                try:
                    outcomes.append(Outcome(event=decode_event(raw)))
                except InvalidInputError as exc:
                    dl = DeadLetterV1.from_raw(
                        stage="worker", reason=exc.reason, raw=raw, error_type=exc.error_type, source=None
                    )
                    store_dead_letter(session, dl, publish=False)  # the worker sends it to the topic itself
                    WORKER_DEAD_LETTERS.labels(exc.error_type).inc()
                    outcomes.append(Outcome(dead_letter=dl))
            events = [o.event for o in outcomes if o.event is not None]
            if events:
                unique = {e.event_id: e for e in events}
                insert_ignore(session, Event, [event_row(e) for e in unique.values()], ["event_id"])
                ctx = self._load(session, events)
                now = self.clock()
                resolved: dict[str, str] = {}
                for outcome in outcomes:
                    event = outcome.event
                    if event is None:
                        continue
                    company = self._resolve(ctx, event)
                    if company is not None:
                        resolved[event.event_id] = company.business_id
                        outcome.alerts, outcome.suppressed = self._alerts_for(
                            session, ctx, event, company, now
                        )
                self._mark_processed(session, list(unique), resolved, now)
        for outcome in outcomes:
            if outcome.event is None:
                continue
            EVENTS_PROCESSED.labels(outcome.event.kind.value, "alert" if outcome.alerts else "no_alert").inc()
            for alert in outcome.alerts:
                LATENCY.observe(max(0.0, (self.clock() - outcome.event.observed_at).total_seconds()))
                ALERTS_OUT.labels(alert.kind.value, alert.product_group, alert.priority.value).inc()
        return outcomes

    # -- loading -----------------------------------------------------------------------------------
    def _load(self, session: Session, events: list[TriggerEventV1]) -> _BatchContext:
        ctx = _BatchContext()
        bids = {ref.business_id for e in events for ref in e.companies if ref.business_id}
        names = {
            name_key(ref.name) for e in events for ref in e.companies if ref.name and not ref.business_id
        }
        if bids:
            ctx.companies.update(
                (c.business_id, c)
                for c in session.scalars(select(Company).where(Company.business_id.in_(bids)))
            )
        if names:
            for c in session.scalars(select(Company).where(Company.name_key.in_(names))):
                ctx.by_name.setdefault(c.name_key, []).append(c)
                ctx.companies.setdefault(c.business_id, c)
        if not ctx.companies:
            return ctx
        known = list(ctx.companies)
        for score, group in session.execute(
            select(CompanyScore, TargetGroup)
            .join(TargetGroup, TargetGroup.target_group_id == CompanyScore.target_group_id)
            .where(CompanyScore.business_id.in_(known))
            .order_by(CompanyScore.score.desc())
        ):
            ctx.scores.setdefault(score.business_id, []).append((score, group))
        candidate_ids = []
        for e in events:
            company = self._resolve(ctx, e)
            if company is not None:
                candidate_ids += [
                    AlertV1.make_id(e.event_id, sc.product_group)
                    for sc, _ in ctx.scores.get(company.business_id, [])
                ]
        if candidate_ids:
            ctx.existing_alerts.update(
                session.execute(
                    select(Alert.alert_id, Alert.payload).where(Alert.alert_id.in_(candidate_ids))
                )
                .tuples()
                .all()
            )
        if self.rules.cooldown_hours > 0:
            since = self.clock() - timedelta(hours=self.rules.cooldown_hours)
            for alert_id, bid, kind, pg in session.execute(
                select(Alert.alert_id, Alert.business_id, Alert.kind, Alert.product_group).where(
                    Alert.business_id.in_(known), Alert.created_at >= since
                )
            ).tuples():
                ctx.recent.setdefault((bid, kind, pg), alert_id)
        return ctx

    def _mark_processed(
        self, session: Session, event_ids: list[str], resolved: dict[str, str], now: datetime
    ) -> None:
        session.execute(
            update(Event)
            .where(Event.event_id.in_(event_ids), Event.processed_at.is_(None))
            .values(processed_at=now)
        )
        if resolved:  # name-resolved events learn their business ID (one executemany)
            stmt = (
                update(Event.__table__)
                .where(
                    Event.__table__.c.event_id == bindparam("eid"), Event.__table__.c.business_id.is_(None)
                )
                .values(business_id=bindparam("bid"))
            )
            session.connection().execute(stmt, [{"eid": e, "bid": b} for e, b in resolved.items()])

    # -- company resolution -------------------------------------------------------------------------
    def _resolve(self, ctx: _BatchContext, event: TriggerEventV1) -> Company | None:
        for ref in event.companies:
            if ref.business_id and ref.business_id in ctx.companies:
                return ctx.companies[ref.business_id]
        for ref in event.companies:
            if ref.name and not ref.business_id:
                matches = ctx.by_name.get(name_key(ref.name), [])
                if len(matches) == 1:  # an ambiguous name never resolves: precision over recall
                    return matches[0]
        return None

    # -- rules ---------------------------------------------------------------------------------------
    def _alerts_for(
        self, session: Session, ctx: _BatchContext, event: TriggerEventV1, company: Company, now: datetime
    ) -> tuple[list[AlertV1], list[str]]:
        alerts: list[AlertV1] = []
        suppressed: list[str] = []
        for score, group in ctx.scores.get(company.business_id, []):
            rule = self.rules.match(event.kind, score.product_group)
            if rule is None or score.score < rule.min_score:
                continue
            alert_id = AlertV1.make_id(event.event_id, score.product_group)
            existing = ctx.existing_alerts.get(alert_id)
            if existing is not None:
                alerts.append(AlertV1.model_validate(existing))
                continue
            age_days = max(0.0, (now - event.occurred_at).total_seconds() / 86400)
            cooldown_key = (company.business_id, event.kind.value, score.product_group)
            reason = None
            if age_days > rule.freshness_days:
                reason = f"stale: happened {age_days:.0f} days ago (freshness {rule.freshness_days:g} days)"
            elif cooldown_key in ctx.recent:
                reason = (
                    f"cooldown: alert {ctx.recent[cooldown_key]} for the same company, kind and "
                    f"product group within {self.rules.cooldown_hours:g} h"
                )
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
            alert = self._build(event, company, score, group, rule, age_days, now)
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
            ctx.existing_alerts[alert.alert_id] = alert.model_dump(mode="json")
            if self.rules.cooldown_hours > 0:
                ctx.recent[cooldown_key] = alert.alert_id
            alerts.append(alert)
        return alerts, suppressed

    def _build(
        self,
        event: TriggerEventV1,
        company: Company,
        score: CompanyScore,
        group: TargetGroup,
        rule: Rule,
        age_days: float,
        now: datetime,
    ) -> AlertV1:
        recency = max(0.0, 1 - age_days / rule.freshness_days)
        priority_score = round(score.score * rule.weight * (0.5 + 0.5 * recency), 4)
        lang = self.rules.language
        fmt = {"company": company.name, "product_group": score.product_group}
        return AlertV1(
            alert_id=AlertV1.make_id(event.event_id, score.product_group),
            event_ids=[event.event_id],
            kind=event.kind,
            company=CompanyRef(
                business_id=company.business_id,
                name=company.name,
                role=event.companies[0].role if event.companies else CompanyRole.SUBJECT,
            ),
            product_group=score.product_group,
            target_group_id=group.target_group_id,
            score=round(score.score, 4),
            priority=self.rules.priority(priority_score),
            priority_score=priority_score,
            explanation=Explanation(
                what_happened=f"{company.name}: {event.title}",
                why_it_matters=rule.why.get(lang).format(**fmt),
                target_group_rule=group.rule_fi if lang == "fi" and group.rule_fi else group.rule,
                next_step=rule.next_step.get(lang).format(**fmt),
            ),
            recommended_offer=score.product_group,
            evidence=event.evidence,
            routing=Routing(owner=self.rules.routing.owner(score.product_group, company.region)),
            occurred_at=event.occurred_at,
            created_at=now,
            language=lang,  # type: ignore[arg-type]
        )
