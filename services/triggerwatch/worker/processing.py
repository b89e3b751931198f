"""What the stream worker does with each event, independent of Faust (so it is testable alone).

For a batch of raw event payloads, in one database transaction:

1. decode and validate (``InvalidInputError`` → dead letter with reason and raw payload);
2. persist the event (idempotent: the id is deterministic);
3. resolve the company: business ID, else the injected :class:`NameResolver` (default: an exact
   name-key match in the company table);
4. join with the company's target-group scores (every product group it scores for) and, when a
   rule's ``audience`` takes in existing customers, an existing customer's next-best-offers
   (``customer_offers``: a cross-sell);
5. apply the rules: kind, product group and audience, relevance filter, minimum score, freshness,
   per-company cooldown;
6. dedup and corroborate: an event with a ``dedup_key`` already alerted (a twin, an edited item)
   joins that alert silently; an event from *another source* about the same real-world event
   (same company, kind, product group and role / dedup key / notice id within
   ``corroboration_hours``) updates that alert: more evidence, higher confidence and priority, the
   same ``alert_id`` with ``revision + 1``, emitted again so the sinks can update;
7. build an explained ``AlertV1`` with a deterministic id, ask the objection register
   (:meth:`ObjectionRegister.reason`; an objected company or person gets no alert and no update,
   the event is recorded as suppressed with the reason) and store it with its owner, revision and
   change sequence (the CRM pull cursor: new numbers for every new alert and every new revision).

Durable state (alerts, cooldowns) lives in the database, never in a Faust table: the embedded
broker cannot recover changelogs. Re-processing the same event returns the *same* alert again
(so it is re-sent if the first send was lost) and never creates a second one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import BigInteger, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from triggerwatch.core.contracts import AlertV1, CompanyRef, DeadLetterV1, TriggerEventV1, decode_event
from triggerwatch.core.db import (
    PRIORITY_RANK,
    Alert,
    AlertKey,
    Company,
    CompanyScore,
    CustomerOffer,
    Database,
    Event,
    JSONText,
    SuppressedAlert,
    TargetGroup,
    insert_ignore,
    take_sequence,
    utcnow,
)
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.core.objections import ObjectionRegister
from triggerwatch.core.outbox import event_row, store_dead_letter
from triggerwatch.core.rules import RuleSet
from triggerwatch.worker.content import (
    CompanyFacts,
    GroupScore,
    build_alert,
    corroborate,
    corroboration_key,
    event_dedup_key,
)
from triggerwatch.worker.outcome import Outcome, count, emitted
from triggerwatch.worker.resolve import ExactNameResolver, NameResolver, Resolution

log = logging.getLogger(__name__)


class Subject(NamedTuple):
    """A known company an event is about, with its part in the event (``ref.role``)."""

    company: CompanyFacts
    confidence: float  # 1.0 by business ID; the name resolver's confidence otherwise
    ref: CompanyRef
    first: bool  # the event's first subject: its alerts keep the event's own alert ids


# The batch's lookups, built once: an expanding IN parameter takes the batch's list as it is
# (building ``in_(list)`` each time checks every element again and cannot be cached).
ALERTS = cast(Table, Alert.__table__)
EVENTS = cast(Table, Event.__table__)
_COMPANIES = select(Company.business_id, Company.name, Company.region, Company.industry_code).where(
    Company.business_id.in_(bindparam("bids", expanding=True))
)
_SCORES = (
    select(
        CompanyScore.business_id,
        CompanyScore.product_group,
        CompanyScore.score,
        TargetGroup.target_group_id,
        TargetGroup.rule,
        TargetGroup.rule_fi,
    )
    .join(TargetGroup, TargetGroup.target_group_id == CompanyScore.target_group_id)
    .where(CompanyScore.business_id.in_(bindparam("bids", expanding=True)))
    .order_by(CompanyScore.score.desc())
)
_OFFERS = (
    select(
        CustomerOffer.business_id,
        CustomerOffer.product_group,
        CustomerOffer.score,
        CustomerOffer.target_group_id,
        CustomerOffer.rule,
        CustomerOffer.rule_fi,
        CustomerOffer.rank,
        CustomerOffer.adoption_rate,
        CustomerOffer.expected_margin,
    )
    .where(CustomerOffer.business_id.in_(bindparam("bids", expanding=True)))
    .order_by(CustomerOffer.rank)
)
_KEYS = select(AlertKey.key, AlertKey.alert_id).where(
    AlertKey.key.in_(bindparam("keys", expanding=True)), AlertKey.created_at >= bindparam("since")
)
_STORED = select(Alert.alert_id, Alert.payload).where(Alert.alert_id.in_(bindparam("ids", expanding=True)))
_RECENT = select(Alert.alert_id, Alert.business_id, Alert.kind, Alert.product_group).where(
    Alert.business_id.in_(bindparam("bids", expanding=True)), Alert.created_at >= bindparam("since")
)


@dataclass
class _BatchContext:
    """What one batch needs from the database, loaded with a few queries for the whole batch; the
    batch's writes are collected here and written once at its end."""

    companies: dict[str, CompanyFacts] = field(default_factory=dict)
    mentions: dict[str, Resolution | None] = field(default_factory=dict)
    scores: dict[str, list[GroupScore]] = field(default_factory=dict)
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)  # alert id -> payload in the database
    alerts: dict[str, AlertV1] = field(default_factory=dict)  # alert id -> current state (this batch)
    new_alerts: dict[str, dict[str, Any]] = field(default_factory=dict)  # rows to insert
    changed: dict[str, dict[str, Any]] = field(default_factory=dict)  # stored alerts updated: params
    recent: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (bid, kind, pg) -> alert id
    keys: dict[str, str] = field(default_factory=dict)  # corroboration key -> alert id
    new_keys: dict[str, dict[str, object]] = field(default_factory=dict)
    new_suppressed: dict[tuple[str, str], dict[str, object]] = field(default_factory=dict)
    alert_ids: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (event, company, pg) -> id
    objections: ObjectionRegister = field(default_factory=lambda: ObjectionRegister.of((), ()))

    def knows(self, alert_id: str) -> bool:
        return alert_id in self.alerts or alert_id in self.stored

    def alert(self, alert_id: str) -> AlertV1:
        current = self.alerts.get(alert_id)
        if current is None:
            current = self.alerts[alert_id] = AlertV1.model_validate(self.stored[alert_id])
        return current


class Processor:
    def __init__(
        self,
        db: Database,
        rules: RuleSet,
        *,
        clock: Callable[[], datetime] = utcnow,
        resolver: NameResolver | None = None,
    ) -> None:
        self.db = db
        self.rules = rules
        self.clock = clock
        self.resolver: NameResolver = resolver or ExactNameResolver(db)

    def process_batch(self, raws: Sequence[bytes], *, record_metrics: bool = True) -> list[Outcome]:
        """Process a batch; outcomes in input order.

        The database is read in one short transaction (companies, scores, alerts, keys, cooldowns),
        the rules run on what was read, and every write of the batch goes in a second transaction at
        the end: the write lock (SQLite's is one per database) is held only while writing, so the
        collectors, the notifier and the web UI are not kept waiting while this batch is worked out.
        Only this worker writes alerts for its partitions' companies, and it processes its batches
        one after another, so nothing this batch read changes before it writes.

        ``record_metrics=False`` leaves the Prometheus counters to the caller (a child process's
        counters are never scraped: the worker counts :func:`emitted` results itself)."""
        outcomes: list[Outcome] = []
        dead: list[DeadLetterV1] = []
        for raw in raws:
            try:
                outcomes.append(Outcome(event=decode_event(raw)))
            except InvalidInputError as exc:
                dl = DeadLetterV1.from_raw(
                    stage="worker", reason=exc.reason, raw=raw, error_type=exc.error_type, source=None
                )
                dead.append(dl)
                outcomes.append(Outcome(dead_letter=dl))
        events = [o.event for o in outcomes if o.event is not None]
        ctx: _BatchContext | None = None
        resolved: dict[str, str] = {}
        now = self.clock()
        if events:
            with self.db.session() as session:
                ctx = self._load(session, events)
            for outcome in outcomes:
                event = outcome.event
                if event is None:
                    continue
                subjects = self._resolve(ctx, event)
                if subjects and not any(ref.business_id for ref in event.companies):  # resolved by name
                    resolved[event.event_id] = subjects[0].company.business_id
                for subject in subjects:
                    self._alerts_for(ctx, event, subject, now, outcome)
        with self.db.session() as session:
            for dl in dead:
                store_dead_letter(session, dl, publish=False)  # the worker sends it to the topic itself
            if ctx is not None:
                unique = {e.event_id: e for e in events}
                rows = [event_row(e) for e in unique.values()]
                insert_ignore(session, Event, rows, ["event_id"], count=False)
                self._write(session, ctx)
                self._mark_processed(session, list(unique), resolved, now)
        if record_metrics:
            count(emitted(outcomes), self.clock())
        return outcomes

    # -- loading -----------------------------------------------------------------------------------
    @staticmethod
    def _texts(event: TriggerEventV1) -> list[str]:
        """What the name resolver is asked about: the named companies, else the title."""
        names = [ref.name for ref in event.companies if ref.name and not ref.business_id]
        if names or event.companies:
            return names
        return [event.title] if event.title else []

    def _load(self, session: Session, events: list[TriggerEventV1]) -> _BatchContext:
        ctx = _BatchContext()
        bids = {ref.business_id for e in events for ref in e.companies if ref.business_id}
        texts = {t for e in events for t in self._texts(e)}
        if texts:
            self.resolver.forget()  # the company table may have changed since the last batch
            self.resolver.prepare(session, texts)
            for text in texts:
                mention = self.resolver.resolve(text)
                ctx.mentions[text] = mention
                if mention is not None:
                    bids.add(mention.company_id)
        if bids:
            for bid, name, region, industry in session.execute(_COMPANIES, {"bids": list(bids)}).tuples():
                ctx.companies[bid] = CompanyFacts(bid, name, region, industry)
        if not ctx.companies:
            return ctx
        known = list(ctx.companies)
        ctx.objections = ObjectionRegister.load(session, business_ids=known)
        for bid, pg, score, tg_id, rule, rule_fi in session.execute(_SCORES, {"bids": known}).tuples():
            ctx.scores.setdefault(bid, []).append(GroupScore(pg, score, tg_id, rule, rule_fi))
        if self.rules.reaches_customers:  # existing customers' cross-sell offers, best first
            for bid, pg, score, tg_id, rule, rule_fi, rank, adoption, margin in session.execute(
                _OFFERS, {"bids": known}
            ).tuples():
                ctx.scores.setdefault(bid, []).append(
                    GroupScore(pg, score, tg_id, rule, rule_fi, True, rank, adoption, margin)
                )
        candidate_ids: list[str] = []
        candidate_keys: list[str] = []
        for e in events:
            ckey = corroboration_key(e)
            for subject in self._resolve(ctx, e):
                bid = subject.company.business_id
                for sc in ctx.scores.get(bid, []):
                    candidate_ids.append(self._alert_id(ctx, e, subject, sc.product_group))
                    if ckey:
                        candidate_keys.append(self._key(bid, e, sc.product_group, ckey))
        if candidate_keys and self.rules.corroboration_hours > 0:
            since = self.clock() - timedelta(hours=self.rules.corroboration_hours)
            ctx.keys.update(session.execute(_KEYS, {"keys": candidate_keys, "since": since}).tuples().all())
            candidate_ids += list(ctx.keys.values())
        if candidate_ids:
            ctx.stored.update(session.execute(_STORED, {"ids": list(set(candidate_ids))}).tuples().all())
        if self.rules.cooldown_hours > 0:
            since = self.clock() - timedelta(hours=self.rules.cooldown_hours)
            for alert_id, bid, kind, pg in session.execute(_RECENT, {"bids": known, "since": since}).tuples():
                ctx.recent.setdefault((bid, kind, pg), alert_id)
        return ctx

    @staticmethod
    def _alert_id(ctx: _BatchContext, event: TriggerEventV1, subject: Subject, product_group: str) -> str:
        """Deterministic: the event and product group for the event's first subject company; the
        event, the company and the product group for any further one (a merger alerts the acquirer
        and the target); the company and the dedup key for twins."""
        business_id = subject.company.business_id
        memo = (event.event_id, business_id, product_group)
        alert_id = ctx.alert_ids.get(memo)
        if alert_id is None:
            key = event_dedup_key(event)
            if key is not None:
                alert_id = AlertV1.make_id(f"{business_id}\x1fdedup\x1f{key}", product_group)
            elif subject.first:
                alert_id = AlertV1.make_id(event.event_id, product_group)
            else:
                alert_id = AlertV1.make_id(f"{event.event_id}\x1f{business_id}", product_group)
            ctx.alert_ids[memo] = alert_id
        return alert_id

    @staticmethod
    def _key(business_id: str, event: TriggerEventV1, product_group: str, ckey: str) -> str:
        return f"{business_id}|{event.kind}|{product_group}|{ckey}"[:700]  # a StrEnum formats as its value

    # -- writing -----------------------------------------------------------------------------------
    def _write(self, session: Session, ctx: _BatchContext) -> None:
        """The batch's alerts, keys and suppressions: one executemany each."""
        conn = session.connection()
        changed = [ctx.changed[alert_id] for alert_id in sorted(ctx.changed)]
        revised = [row for row in changed if row["b_revised"]]
        n = len(ctx.new_alerts) + len(revised)
        if n:  # first thing written: the counter's lock is held to the commit (see take_sequence)
            seq = take_sequence(session, "alerts", n)
            for row in ctx.new_alerts.values():
                row["change_seq"], seq = seq, seq + 1
            for row in revised:
                row["b_seq"], seq = seq, seq + 1
        if ctx.new_alerts:
            conn.execute(insert(ALERTS), list(ctx.new_alerts.values()))
        if changed:
            conn.execute(
                update(ALERTS)
                .where(ALERTS.c.alert_id == bindparam("b_alert_id"))
                .values(
                    payload=bindparam("b_payload"),
                    priority=bindparam("b_priority"),
                    priority_rank=bindparam("b_priority_rank"),
                    revision=bindparam("b_revision"),
                    change_seq=func.coalesce(bindparam("b_seq", type_=BigInteger), ALERTS.c.change_seq),
                    updated_at=func.coalesce(
                        bindparam("b_updated_at", type_=ALERTS.c.updated_at.type), ALERTS.c.updated_at
                    ),
                ),
                [{k: v for k, v in row.items() if k != "b_revised"} for row in changed],
            )
        insert_ignore(session, AlertKey, list(ctx.new_keys.values()), ["key"], count=False)
        insert_ignore(
            session,
            SuppressedAlert,
            list(ctx.new_suppressed.values()),
            ["event_id", "product_group"],
            count=False,
        )

    def _mark_processed(
        self, session: Session, event_ids: list[str], resolved: dict[str, str], now: datetime
    ) -> None:
        table = EVENTS
        conn = session.connection()
        conn.execute(
            update(table)
            .where(table.c.event_id.in_(event_ids), table.c.processed_at.is_(None))
            .values(processed_at=now)
        )
        if resolved:  # name-resolved events learn their business ID (one executemany)
            stmt = (
                update(table)
                .where(table.c.event_id == bindparam("eid"), table.c.business_id.is_(None))
                .values(business_id=bindparam("bid"))
            )
            conn.execute(stmt, [{"eid": e, "bid": b} for e, b in resolved.items()])

    # -- company resolution -------------------------------------------------------------------------
    def _resolve(self, ctx: _BatchContext, event: TriggerEventV1) -> list[Subject]:
        """The known companies the event is about, in the event's order: each reference whose part
        in the event alerts for its kind (the rules' ``alerting_roles``), by business ID, else by
        name; an event that names no company, by its title."""
        alerting = self.rules.alerting_roles(event.kind)
        found: list[tuple[CompanyFacts, float, CompanyRef]] = []
        seen: set[str] = set()
        for ref in event.companies:
            if ref.role not in alerting:
                continue
            facts, confidence = None, 1.0
            if ref.business_id:
                facts = ctx.companies.get(ref.business_id)
            elif ref.name:
                mention = ctx.mentions.get(ref.name)
                if mention is not None:
                    facts, confidence = ctx.companies.get(mention.company_id), float(mention.confidence)
            if facts is not None and facts.business_id not in seen:
                seen.add(facts.business_id)
                found.append((facts, confidence, ref))
        if not event.companies and event.title:
            mention = ctx.mentions.get(event.title)
            if mention is not None and mention.company_id in ctx.companies:
                ref = CompanyRef(name=event.title[:500])
                found.append((ctx.companies[mention.company_id], float(mention.confidence), ref))
        return [Subject(facts, confidence, ref, n == 0) for n, (facts, confidence, ref) in enumerate(found)]

    # -- rules ---------------------------------------------------------------------------------------
    def _suppress(
        self, ctx: _BatchContext, event: TriggerEventV1, product_group: str, reason: str, now: datetime
    ) -> None:
        ctx.new_suppressed.setdefault(
            (event.event_id, product_group),
            {"event_id": event.event_id, "product_group": product_group, "reason": reason, "created_at": now},
        )

    def _alerts_for(
        self, ctx: _BatchContext, event: TriggerEventV1, subject: Subject, now: datetime, outcome: Outcome
    ) -> None:
        company = subject.company
        ckey = corroboration_key(event)
        kind = str(event.kind)  # a StrEnum's str() is its value (faster than .value)
        for score in ctx.scores.get(company.business_id, []):
            pg = score.product_group
            match = self.rules.match(event.kind, pg, event.attributes, event.title, customer=score.cross_sell)
            if match is None or score.score < match.rule.min_score:
                continue
            alert_id = self._alert_id(ctx, event, subject, pg)
            key = self._key(company.business_id, event, pg, ckey) if ckey else None
            target = alert_id if ctx.knows(alert_id) else None
            if target is None and key is not None and key in ctx.keys:
                target = ctx.keys[key]
            if target is not None and ctx.knows(target):
                self._join(ctx, event, target, now, outcome)
                continue
            age_days = max(0.0, (now - event.occurred_at).total_seconds() / 86400)
            cooldown_key = (company.business_id, kind, pg)
            reason = self.rules.held_back(match.rule, age_days, ctx.recent.get(cooldown_key))
            if reason:
                self._suppress(ctx, event, pg, reason, now)
                outcome.suppressed.append(f"{pg}: {reason}")
                continue
            alert = build_alert(
                self.rules,
                alert_id,
                event,
                company,
                score,
                match,
                age_days,
                now,
                subject.confidence,
                subject.ref,
            )
            objection = ctx.objections.reason(alert, attributes=event.attributes)
            if objection:
                self._suppress(ctx, event, pg, objection, now)
                outcome.suppressed.append(f"{pg}: {objection}")
                continue
            text = alert.model_dump_json()
            ctx.new_alerts[alert_id] = {
                "alert_id": alert_id,
                "event_id": event.event_id,
                "business_id": company.business_id,
                "kind": kind,
                "product_group": pg,
                "score": alert.score,
                "priority": str(alert.priority),  # a StrEnum's str() is its value (faster than .value)
                "payload": JSONText(text),
                "created_at": now,
                "occurred_at": event.occurred_at,
                "owner": alert.routing.owner,
                "revision": alert.revision,
                "change_seq": None,  # numbered when written
                "updated_at": None,
            }
            ctx.alerts[alert_id] = alert
            if key is not None:
                ctx.new_keys[key] = {"key": key, "alert_id": alert_id, "created_at": now}
                ctx.keys[key] = alert_id
            if self.rules.cooldown_hours > 0:
                ctx.recent[cooldown_key] = alert_id
            outcome.emit(alert, text.encode())

    def _join(
        self,
        ctx: _BatchContext,
        event: TriggerEventV1,
        alert_id: str,
        now: datetime,
        outcome: Outcome,
    ) -> None:
        """The event is about an alert that exists: a replay, a twin, or a corroboration."""
        stored = ctx.alert(alert_id)
        joined = corroborate(self.rules, stored, event)
        current = stored if joined is None else joined[0]
        objection = ctx.objections.reason(current, attributes=event.attributes)
        if objection:  # objected since it was created, or the new event names an objected person
            self._suppress(ctx, event, stored.product_group, objection, now)
            outcome.suppressed.append(f"{stored.product_group}: {objection}")
            return
        if joined is None:  # a replay: emit the stored alert again, unchanged
            outcome.emit(stored)
            return
        updated, independent = joined
        ctx.alerts[alert_id] = updated
        text = updated.model_dump_json()
        pending = ctx.new_alerts.get(alert_id)
        if pending is not None:  # created earlier in this batch and not written yet
            pending["payload"] = JSONText(text)
            pending["priority"] = updated.priority.value
            pending["revision"] = updated.revision
        else:
            previous = ctx.changed.get(alert_id)
            ctx.changed[alert_id] = {
                "b_alert_id": alert_id,
                "b_payload": JSONText(text),
                "b_priority": updated.priority.value,
                "b_priority_rank": PRIORITY_RANK[updated.priority.value],
                "b_revision": updated.revision,
                # a new revision gets a new change number (pull clients see it once); a twin does not
                "b_revised": independent or bool(previous and previous["b_revised"]),
                "b_seq": None,
                "b_updated_at": now if independent else (previous or {}).get("b_updated_at"),
            }
        if independent:
            outcome.emit(updated, text.encode())
        else:
            outcome.joined.append(alert_id)
