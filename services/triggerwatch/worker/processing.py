"""What the stream worker does with each event, independent of Faust (so it is testable alone).

For a batch of raw event payloads, in one database transaction:

1. decode and validate (``InvalidInputError`` → dead letter with reason and raw payload);
2. persist the event (idempotent: the id is deterministic);
3. resolve the company: business ID, else the injected :class:`NameResolver` (default: an exact
   name-key match in the company table);
4. join with the company's target-group scores (every product group it scores for);
5. apply the rules: kind and product group, relevance filter, minimum score, freshness,
   per-company cooldown;
6. dedup and corroborate: an event with a ``dedup_key`` already alerted (a twin, an edited item)
   joins that alert silently; an event from *another source* about the same real-world event
   (same company, kind, product group and role / dedup key / notice id within
   ``corroboration_hours``) updates that alert: more evidence, higher confidence and priority, the
   same ``alert_id`` with ``revision + 1``, emitted again so the sinks can update;
7. build an explained ``AlertV1`` with a deterministic id and store it.

Durable state (alerts, cooldowns) lives in the database, never in a Faust table: the embedded
broker cannot recover changelogs. Re-processing the same event returns the *same* alert again
(so it is re-sent if the first send was lost) and never creates a second one.
"""

from __future__ import annotations

import logging
import math
from collections import Counter as Counter_
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from prometheus_client import Counter, Histogram
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from triggerwatch.core.contracts import (
    AlertV1,
    CompanyRole,
    DeadLetterV1,
    Evidence,
    TriggerEventV1,
    decode_event,
    encode,
)
from triggerwatch.core.db import (
    Alert,
    AlertKey,
    Company,
    CompanyScore,
    Database,
    Event,
    JSONText,
    SuppressedAlert,
    TargetGroup,
    insert_ignore,
    utcnow,
)
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.core.outbox import event_row, store_dead_letter
from triggerwatch.core.rules import Rule, RuleSet
from triggerwatch.worker.resolve import ExactNameResolver, Mention, NameResolver

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


SOURCE_CONFIDENCE = 0.6  # one source; n independent sources: 1 - (1 - 0.6)^n

ROLE_NAMES: dict[str, tuple[str, str]] = {  # role → (English, Finnish partitive for "Onnittele uutta …")
    "ceo": ("CEO", "toimitusjohtajaa"),
    "managing_director": ("managing director", "toimitusjohtajaa"),
    "board_chair": ("board chair", "hallituksen puheenjohtajaa"),
    "board_member": ("board member", "hallituksen jäsentä"),
    "cfo": ("CFO", "talousjohtajaa"),
    "cto": ("CTO", "teknologiajohtajaa"),
    "cio": ("CIO", "tietohallintojohtajaa"),
    "sales_director": ("sales director", "myyntijohtajaa"),
    "marketing_director": ("marketing director", "markkinointijohtajaa"),
    "hr_director": ("HR director", "henkilöstöjohtajaa"),
    "auditor": ("auditor", "tilintarkastajaa"),
    "signatory": ("signatory", "nimenkirjoittajaa"),
    "other": ("decision-maker", "päättäjää"),
}


def confidence_for(sources: int, mention_confidence: float = 1.0) -> float:
    return round((1 - (1 - SOURCE_CONFIDENCE) ** max(1, sources)) * mention_confidence, 4)


def corroboration_factor(sources: int) -> float:
    return min(1.5, 1 + 0.25 * (max(1, sources) - 1))


def facts_for(event: TriggerEventV1, now: datetime) -> tuple[dict[str, str], str, str]:
    """Concrete facts of the event and the sentences they add to the next step (en, fi)."""
    facts: dict[str, str] = {}
    en: list[str] = []
    fi: list[str] = []
    attrs = event.attributes
    deadline = attrs.get("deadline")
    if isinstance(deadline, str) and deadline:
        try:
            when = datetime.fromisoformat(deadline.replace("Z", "+00:00"))
        except ValueError:
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=now.tzinfo)
            days = math.ceil((when - now).total_seconds() / 86400)
            facts["deadline"] = when.date().isoformat()
            facts["days_to_deadline"] = str(days)
            if days >= 0:
                en.append(f"Tender deadline in {days} days ({when.date().isoformat()}).")
                fi.append(f"Tarjousten määräaika {days} päivän päästä ({when.date().isoformat()}).")
            else:
                en.append(f"The tender deadline passed on {when.date().isoformat()}.")
                fi.append(f"Tarjousten määräaika päättyi {when.date().isoformat()}.")
    role = attrs.get("role")
    if isinstance(role, str) and role:
        facts["role"] = role
        role_en, role_fi = ROLE_NAMES.get(role, ROLE_NAMES["other"])
        en.append(f"Congratulate the new {role_en}.")
        fi.append(f"Onnittele uutta {role_fi}.")
    openings = attrs.get("openings")
    if isinstance(openings, int) and not isinstance(openings, bool) and openings > 1:
        facts["openings"] = str(openings)
        en.append(f"{openings} openings.")
        fi.append(f"{openings} avointa paikkaa.")
    return facts, " ".join(en), " ".join(fi)


def corroboration_key(event: TriggerEventV1) -> str | None:
    """What identifies the same real-world event across sources (beyond the company and kind)."""
    attrs = event.attributes
    role = attrs.get("role")
    if isinstance(role, str) and role:
        return f"role:{role}"
    for name in ("dedup_key", "notice_id"):
        value = attrs.get(name)
        if value not in (None, ""):
            return f"{name}:{value}"
    return None


def dedup_key(event: TriggerEventV1) -> str | None:
    value = event.attributes.get("dedup_key")
    return str(value) if value not in (None, "") else None


def _source_link(event: TriggerEventV1) -> dict[str, Any]:
    """The evidence of an event that brings none of its own: its source item, as one link."""
    return {"url": event.source_url, "source": event.source, "title": event.title[:1000]}


def _evidence_of(event: TriggerEventV1) -> list[Evidence]:
    if event.evidence:
        return list(event.evidence)
    return [Evidence.model_validate(_source_link(event))]


def _merge_evidence(old: list[Evidence], new: list[Evidence]) -> list[Evidence]:
    seen = {(e.url, e.source) for e in old}
    merged = list(old)
    for e in new:
        if (e.url, e.source) not in seen:
            seen.add((e.url, e.source))
            merged.append(e)
    return merged


@dataclass
class Outcome:
    event: TriggerEventV1 | None = None
    alerts: list[AlertV1] = field(default_factory=list)
    dead_letter: DeadLetterV1 | None = None
    suppressed: list[str] = field(default_factory=list)
    joined: list[str] = field(default_factory=list)  # alert ids this event joined silently (twins)
    encoded: list[bytes] = field(default_factory=list)  # ``alerts`` serialised once, in the same order

    def emit(self, alert: AlertV1, payload: bytes | None = None) -> None:
        """Emit ``alert`` (``payload``: its JSON when already serialised)."""
        self.alerts.append(alert)
        self.encoded.append(payload if payload is not None else encode(alert))

    def messages(self) -> list[tuple[bytes, bytes]]:
        """(key, value) of every alert to send: keyed by company, as the alerts topic is."""
        return [(a.company.key().encode(), v) for a, v in zip(self.alerts, self.encoded, strict=True)]


class Emitted(NamedTuple):
    """What the stream side needs of one outcome — messages to send, labels to count — as plain
    values, cheap to pickle (it crosses from the processing child process: a tuple pickles several
    times faster than a dataclass, and a POSIX timestamp than a datetime)."""

    kind: str | None  # the event's kind; None for an event that was dead-lettered
    observed_ts: float | None  # the event's observed_at, POSIX seconds
    messages: tuple[tuple[bytes, bytes], ...]  # (key, value) for the alerts topic
    alert_labels: tuple[tuple[str, str, str], ...]  # (kind, product group, priority) per alert
    dead_letter: tuple[bytes, bytes] | None = None  # (key, value) for the dead-letter topic
    dead_letter_reason: str | None = None
    error_type: str | None = None


def emitted(outcomes: Sequence[Outcome]) -> list[Emitted]:
    out: list[Emitted] = []
    for o in outcomes:
        event = o.event
        if event is None:  # an outcome without an event is a dead letter
            dl = o.dead_letter
            assert dl is not None
            out.append(Emitted(None, None, (), (), (dl.stage.encode(), encode(dl)), dl.reason, dl.error_type))
            continue
        kind = str(event.kind)  # a StrEnum's str() is its value (faster than .value)
        if o.alerts:
            messages = tuple(o.messages())
            labels = tuple((kind, a.product_group, str(a.priority)) for a in o.alerts)
        else:
            messages = labels = ()
        out.append(Emitted(kind, event.observed_at.timestamp(), messages, labels))
    return out


def count(results: Sequence[Emitted], now: datetime) -> None:
    """The worker's metrics for a processed batch, added up (one increment per label set)."""
    events: Counter_[tuple[str, str]] = Counter_()
    alerts: Counter_[tuple[str, str, str]] = Counter_()
    dead: Counter_[str] = Counter_()
    now_ts = now.timestamp()
    for r in results:
        if r.kind is None:
            if r.error_type is not None:
                dead[r.error_type] += 1
            continue
        events[(r.kind, "alert" if r.messages else "no_alert")] += 1
        for labels in r.alert_labels:
            if r.observed_ts is not None:
                LATENCY.observe(max(0.0, now_ts - r.observed_ts))
            alerts[labels] += 1
    for pair, n in events.items():
        EVENTS_PROCESSED.labels(*pair).inc(n)
    for triple, n in alerts.items():
        ALERTS_OUT.labels(*triple).inc(n)
    for error_type, n in dead.items():
        WORKER_DEAD_LETTERS.labels(error_type).inc(n)


@dataclass(frozen=True, slots=True)
class CompanyFacts:
    """What an alert needs of a company (read with one light query per batch, no ORM objects)."""

    business_id: str
    name: str
    region: str | None
    industry_code: str | None


@dataclass(frozen=True, slots=True)
class GroupScore:
    """A company's score in one product group, with the target group that explains it."""

    product_group: str
    score: float
    target_group_id: str
    rule: str
    rule_fi: str | None


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
    mentions: dict[str, Mention | None] = field(default_factory=dict)
    scores: dict[str, list[GroupScore]] = field(default_factory=dict)
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)  # alert id -> payload in the database
    alerts: dict[str, AlertV1] = field(default_factory=dict)  # alert id -> current state (this batch)
    new_alerts: dict[str, dict[str, Any]] = field(default_factory=dict)  # rows to insert
    changed: dict[str, dict[str, Any]] = field(default_factory=dict)  # stored alerts updated: params
    recent: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (bid, kind, pg) -> alert id
    keys: dict[str, str] = field(default_factory=dict)  # corroboration key -> alert id
    new_keys: dict[str, dict[str, object]] = field(default_factory=dict)
    new_suppressed: dict[tuple[str, str], dict[str, object]] = field(default_factory=dict)
    alert_ids: dict[tuple[str, str], str] = field(default_factory=dict)  # (event id, pg) -> alert id

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
                found = self._resolve(ctx, event)
                if found is not None:
                    company, mention_confidence = found
                    if not any(ref.business_id for ref in event.companies):  # resolved by name
                        resolved[event.event_id] = company.business_id
                    self._alerts_for(ctx, event, company, mention_confidence, now, outcome)
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
            forget = getattr(self.resolver, "forget", None)
            if callable(forget):
                forget()  # the company table may have changed since the last batch
            prepare = getattr(self.resolver, "prepare", None)
            if callable(prepare):
                prepare(session, texts)
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
        for bid, pg, score, tg_id, rule, rule_fi in session.execute(_SCORES, {"bids": known}).tuples():
            ctx.scores.setdefault(bid, []).append(GroupScore(pg, score, tg_id, rule, rule_fi))
        candidate_ids: list[str] = []
        candidate_keys: list[str] = []
        for e in events:
            found = self._resolve(ctx, e)
            if found is None:
                continue
            bid = found[0].business_id
            ckey = corroboration_key(e)
            for sc in ctx.scores.get(bid, []):
                candidate_ids.append(self._alert_id(ctx, e, bid, sc.product_group))
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
    def _alert_id(ctx: _BatchContext, event: TriggerEventV1, business_id: str, product_group: str) -> str:
        memo = (event.event_id, product_group)
        alert_id = ctx.alert_ids.get(memo)
        if alert_id is None:
            key = dedup_key(event)
            alert_id = ctx.alert_ids[memo] = (
                AlertV1.make_id(event.event_id, product_group)
                if key is None
                else AlertV1.make_id(f"{business_id}\x1fdedup\x1f{key}", product_group)
            )
        return alert_id

    @staticmethod
    def _key(business_id: str, event: TriggerEventV1, product_group: str, ckey: str) -> str:
        return f"{business_id}|{event.kind}|{product_group}|{ckey}"[:700]  # a StrEnum formats as its value

    # -- writing -----------------------------------------------------------------------------------
    def _write(self, session: Session, ctx: _BatchContext) -> None:
        """The batch's alerts, keys and suppressions: one executemany each."""
        conn = session.connection()
        if ctx.new_alerts:
            conn.execute(insert(ALERTS), list(ctx.new_alerts.values()))
        if ctx.changed:
            conn.execute(
                update(ALERTS)
                .where(ALERTS.c.alert_id == bindparam("b_alert_id"))
                .values(payload=bindparam("b_payload"), priority=bindparam("b_priority")),
                [ctx.changed[alert_id] for alert_id in sorted(ctx.changed)],
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
    def _resolve(self, ctx: _BatchContext, event: TriggerEventV1) -> tuple[CompanyFacts, float] | None:
        for ref in event.companies:
            if ref.business_id and ref.business_id in ctx.companies:
                return ctx.companies[ref.business_id], 1.0
        for text in self._texts(event):
            mention = ctx.mentions.get(text)
            if mention is not None and mention.company_id in ctx.companies:
                return ctx.companies[mention.company_id], float(mention.confidence)
        return None

    # -- rules ---------------------------------------------------------------------------------------
    def _suppress(
        self, ctx: _BatchContext, event: TriggerEventV1, product_group: str, reason: str, now: datetime
    ) -> None:
        ctx.new_suppressed.setdefault(
            (event.event_id, product_group),
            {"event_id": event.event_id, "product_group": product_group, "reason": reason, "created_at": now},
        )

    def _alerts_for(
        self,
        ctx: _BatchContext,
        event: TriggerEventV1,
        company: CompanyFacts,
        mention_confidence: float,
        now: datetime,
        outcome: Outcome,
    ) -> None:
        ckey = corroboration_key(event)
        kind = str(event.kind)  # a StrEnum's str() is its value (faster than .value)
        for score in ctx.scores.get(company.business_id, []):
            pg = score.product_group
            rule = self.rules.match(event.kind, pg, event.attributes, event.title)
            if rule is None or score.score < rule.min_score:
                continue
            alert_id = self._alert_id(ctx, event, company.business_id, pg)
            key = self._key(company.business_id, event, pg, ckey) if ckey else None
            target = alert_id if ctx.knows(alert_id) else None
            if target is None and key is not None and key in ctx.keys:
                target = ctx.keys[key]
            if target is not None and ctx.knows(target):
                self._join(ctx, event, target, now, outcome)
                continue
            age_days = max(0.0, (now - event.occurred_at).total_seconds() / 86400)
            cooldown_key = (company.business_id, kind, pg)
            reason = None
            if age_days > rule.freshness_days:
                reason = f"stale: happened {age_days:.0f} days ago (freshness {rule.freshness_days:g} days)"
            elif cooldown_key in ctx.recent:
                reason = (
                    f"cooldown: alert {ctx.recent[cooldown_key]} for the same company, kind and "
                    f"product group within {self.rules.cooldown_hours:g} h"
                )
            if reason:
                self._suppress(ctx, event, pg, reason, now)
                outcome.suppressed.append(f"{pg}: {reason}")
                continue
            alert = self._build(alert_id, event, company, score, rule, age_days, now, mention_confidence)
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
        if event.event_id in stored.event_ids:  # a replay: emit the stored alert again, unchanged
            outcome.emit(stored)
            return
        key = dedup_key(event)
        twin = key is not None and key == stored.dedup_key
        independent = not twin and event.source not in stored.sources
        sources = stored.sources + ([event.source] if event.source not in stored.sources else [])
        changes: dict[str, object] = {
            "event_ids": [*stored.event_ids, event.event_id],
            "evidence": _merge_evidence(list(stored.evidence), _evidence_of(event)),
            "sources": sources,
        }
        if independent:  # another source confirms it: more confidence, higher priority, re-emitted
            base = stored.priority_score / corroboration_factor(len(stored.sources))
            priority_score = round(base * corroboration_factor(len(sources)), 4)
            mention = stored.confidence / confidence_for(len(stored.sources)) if stored.sources else 1.0
            changes |= {
                "revision": stored.revision + 1,
                "confidence": min(1.0, confidence_for(len(sources), min(1.0, mention))),
                "priority_score": priority_score,
                "priority": self.rules.priority(priority_score),
            }
        updated = stored.model_copy(update=changes)
        ctx.alerts[alert_id] = updated
        text = updated.model_dump_json()
        pending = ctx.new_alerts.get(alert_id)
        if pending is not None:  # created earlier in this batch and not written yet
            pending["payload"] = JSONText(text)
            pending["priority"] = updated.priority.value
        else:
            ctx.changed[alert_id] = {
                "b_alert_id": alert_id,
                "b_payload": JSONText(text),
                "b_priority": updated.priority.value,
            }
        if independent:
            outcome.emit(updated, text.encode())
        else:
            outcome.joined.append(alert_id)

    def _build(
        self,
        alert_id: str,
        event: TriggerEventV1,
        company: CompanyFacts,
        score: GroupScore,
        rule: Rule,
        age_days: float,
        now: datetime,
        mention_confidence: float = 1.0,
    ) -> AlertV1:
        recency = max(0.0, 1 - age_days / rule.freshness_days)
        priority_score = round(score.score * rule.weight * (0.5 + 0.5 * recency), 4)
        lang = self.rules.language
        fmt = {"company": company.name, "product_group": score.product_group}
        facts, extra_en, extra_fi = facts_for(event, now)
        relevance = rule.relevance.matches(event.attributes, event.title)
        if relevance and relevance != "any":
            facts["relevance"] = relevance
        next_en = " ".join(p for p in (rule.next_step.en.format(**fmt), extra_en) if p)
        next_fi = " ".join(p for p in (rule.next_step.fi.format(**fmt), extra_fi) if p)
        facts["next_step_en"], facts["next_step_fi"] = next_en, next_fi
        owner = self.rules.routing.owner(
            score.product_group,
            company.region,
            business_id=company.business_id,
            industry_code=company.industry_code,
        )
        what = " ".join(f"{company.name}: {event.title}".split())  # one line
        # One validation of the whole nested shape (pydantic-core), not one per nested model.
        return AlertV1.model_validate(
            {
                "alert_id": alert_id,
                "event_ids": [event.event_id],
                "kind": event.kind,
                "company": {
                    "business_id": company.business_id,
                    "name": company.name,
                    "role": event.companies[0].role if event.companies else CompanyRole.SUBJECT,
                },
                "product_group": score.product_group,
                "target_group_id": score.target_group_id,
                "score": round(score.score, 4),
                "priority": self.rules.priority(priority_score),
                "priority_score": priority_score,
                "explanation": {
                    "what_happened": what,
                    "why_it_matters": rule.why.get(lang).format(**fmt),
                    "target_group_rule": score.rule_fi if lang == "fi" and score.rule_fi else score.rule,
                    "next_step": next_fi if lang == "fi" else next_en,
                },
                "recommended_offer": score.product_group,
                # the event's own evidence as it is; else its source link, validated with the alert
                "evidence": event.evidence or [_source_link(event)],
                "routing": {"owner": owner, "channels": self.rules.routing.channels(owner)},
                "occurred_at": event.occurred_at,
                "created_at": now,
                "language": lang,
                "confidence": confidence_for(1, mention_confidence),
                "sources": [event.source],
                "dedup_key": dedup_key(event),
                "facts": facts,
            }
        )
