"""Storage: SQLAlchemy 2 models, engine set-up and Alembic migrations.

SQLite by default (WAL, busy timeout: several processes share the file), PostgreSQL by URL.
The database is the durable record: the embedded broker keeps nothing across a restart.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

# Dialect-neutral upserts (PostgreSQL, SQLite, SQL Server) live in core/upsert.py; re-exported here.
from triggerwatch.core.upsert import insert_ignore as insert_ignore
from triggerwatch.core.upsert import upsert as upsert


def utcnow() -> datetime:
    return datetime.now(UTC)


# An alert's priority as a number the feed sorts on (high first); unknown values sort last.
PRIORITY_RANK = {"high": 3, "medium": 2, "low": 1}


def _priority_rank_default(context: Any) -> int:
    return PRIORITY_RANK.get(str(context.get_current_parameters().get("priority")), 0)


def _occurred_at_default(context: Any) -> datetime:
    """An alert written without its event's time (an ops alert) happened when it was created."""
    created = context.get_current_parameters().get("created_at")
    return created if isinstance(created, datetime) else utcnow()


class AwareDateTime(TypeDecorator[datetime]):
    """Stores UTC; always returns timezone-aware datetimes (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: use timezone-aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: AwareDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Company(Base):
    __tablename__ = "companies"

    business_id: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    name_key: Mapped[str] = mapped_column(String(500), index=True)
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    company_form: Mapped[str | None] = mapped_column(String(50))
    industry_code: Mapped[str | None] = mapped_column(String(10))
    industry_tol_version: Mapped[str | None] = mapped_column(String(10))
    municipality: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    registered_on: Mapped[datetime | None]
    website: Mapped[str | None] = mapped_column(String(500))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # registry master data (issue 3, PRH/YTJ): aliases above hold every other name (parallel,
    # auxiliary, previous); industry_tol_version is "2008" or "2025" for PRH-loaded rows
    industry_section: Mapped[str | None] = mapped_column(String(2))  # TOL letter, e.g. "K"
    industry_division: Mapped[str | None] = mapped_column(String(2))  # TOL 2-digit, e.g. "64"
    region_code: Mapped[str | None] = mapped_column(String(2), index=True)  # maakunta, e.g. "01"
    municipality_code: Mapped[str | None] = mapped_column(String(3))
    company_form_code: Mapped[str | None] = mapped_column(String(10))  # YTJ response code, e.g. "16"
    names: Mapped[list[Any] | None] = mapped_column(JSON)  # [{name, type, registered_on, end_date}]
    situations: Mapped[list[Any] | None] = mapped_column(JSON)  # [{type, code, registered_on, end_date}]
    trade_register_status: Mapped[str | None] = mapped_column(String(4))
    end_date: Mapped[datetime | None]
    last_modified: Mapped[datetime | None]
    content_hash: Mapped[str | None] = mapped_column(String(64))


class TargetGroup(Base):
    __tablename__ = "target_groups"

    target_group_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    product_group: Mapped[str] = mapped_column(String(100), index=True)
    rule: Mapped[str] = mapped_column(Text)
    rule_fi: Mapped[str | None] = mapped_column(Text)
    expected_value: Mapped[float | None] = mapped_column(Float)
    size: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CompanyScore(Base):
    __tablename__ = "company_scores"

    business_id: Mapped[str] = mapped_column(String(9), primary_key=True)
    product_group: Mapped[str] = mapped_column(String(100), primary_key=True)
    target_group_id: Mapped[str] = mapped_column(ForeignKey("target_groups.target_group_id"))
    score: Mapped[float] = mapped_column(Float)
    rule_path: Mapped[str] = mapped_column(Text)
    scored_at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_company_time", "business_id", "occurred_at"),
        Index("ix_events_observed_at", "observed_at"),  # the ops page: events per day and per source
        # the backlog the ops page shows: only unprocessed events are in it, so it stays small
        Index(
            "ix_events_unprocessed",
            "processed_at",
            sqlite_where=text("processed_at IS NULL"),
            postgresql_where=text("processed_at IS NULL"),
        ),
    )

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    source_item_id: Mapped[str] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    business_id: Mapped[str | None] = mapped_column(String(9), index=True)
    occurred_at: Mapped[datetime]
    observed_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]


class Outbox(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unpublished", "published_at", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    topic_kind: Mapped[str] = mapped_column(String(20))
    message_key: Mapped[str] = mapped_column(String(500))
    payload: Mapped[str] = mapped_column(Text)
    ref_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class Alert(Base):
    """Every alert once, in its latest revision. The columns beside the payload are what the feeds
    filter and page on in SQL (owner, kind, priority, company; newest first) and what pull clients
    follow: ``change_seq`` is taken from the ``alerts`` counter (:func:`take_sequence`) whenever
    an alert is created or gets a new revision, so it only grows, in commit order."""

    __tablename__ = "alerts"
    __table_args__ = (
        # a company's alerts newest first: its timeline, and the worker's cooldown (business_id IN …
        # AND created_at >= …); it replaced (business_id, kind, created_at), which no query used whole
        Index("ix_alerts_company_feed", "business_id", "created_at", "alert_id"),
        Index("ix_alerts_feed", "created_at", "alert_id"),
        Index("ix_alerts_owner_feed", "owner", "created_at", "alert_id"),
        Index("ix_alerts_kind_feed", "kind", "created_at", "alert_id"),
        Index("ix_alerts_priority_feed", "priority", "created_at", "alert_id"),
        Index("ix_alerts_change_seq", "change_seq", unique=True),
        # the reps' feed (never ops alerts): priority first, then the event's own time (freshness),
        # whole or by owner; partial, so they also count the feed by priority without reading rows
        Index(
            "ix_alerts_rank_feed",
            "priority_rank",
            "occurred_at",
            "alert_id",
            "kind",
            sqlite_where=text("kind != 'ops'"),
            postgresql_where=text("kind != 'ops'"),
        ),
        Index(
            "ix_alerts_owner_rank_feed",
            "owner",
            "priority_rank",
            "occurred_at",
            "alert_id",
            "kind",
            sqlite_where=text("kind != 'ops'"),
            postgresql_where=text("kind != 'ops'"),
        ),
    )

    alert_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), index=True)
    business_id: Mapped[str] = mapped_column(String(9))
    kind: Mapped[str] = mapped_column(String(40))
    product_group: Mapped[str] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
    priority: Mapped[str] = mapped_column(String(10))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # issue 21: the routing owner as a column, the revision, and the change sequence pull clients follow
    owner: Mapped[str | None] = mapped_column(String(200))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    change_seq: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime | None]
    # the feed's order: PRIORITY_RANK of ``priority`` (kept with it), and when the event happened
    priority_rank: Mapped[int] = mapped_column(Integer, default=_priority_rank_default, server_default="0")
    occurred_at: Mapped[datetime | None] = mapped_column(default=_occurred_at_default)  # always set


class ChangeCounter(Base):
    """Monotonic counters (one row per name, e.g. ``alerts``): :func:`take_sequence` takes numbers
    under the row's lock, held until the transaction commits, so numbers are visible in order."""

    __tablename__ = "change_counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class SuppressedAlert(Base):
    """Why an event that matched a target group did not alert (cooldown, ...): visible, not silent."""

    __tablename__ = "suppressed_alerts"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    product_group: Mapped[str] = mapped_column(String(100), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """One delivery per idempotency key, written before anything is sent: the notifier's per-sink
    queue (``triggerwatch.core.deliveries``)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_deliveries_idempotency_key"),
        Index("ix_deliveries_due", "sink", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    alert_id: Mapped[str] = mapped_column(String(36), index=True)
    sink: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20))  # pending | sending | delivered | failed | blocked
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    # issue 15: the queue. The alert to send (JSON), when to try next, since when it fails, and the
    # lease of the attempt under way; in_doubt counts attempts whose outcome was lost (the notifier
    # died while sending): each one may have reached the receiver.
    payload: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    failing_since: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None]
    in_doubt: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class CollectorState(Base):
    __tablename__ = "collector_state"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    cursor: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_run_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    events_emitted: Mapped[int] = mapped_column(Integer, default=0)


class SourceCheck(Base):
    """The last ``triggerwatch sources check`` of each configured source (the ops page shows it)."""

    __tablename__ = "source_checks"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    checked_at: Mapped[datetime]
    mode: Mapped[str] = mapped_column(String(10))  # live | offline
    enabled: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20))  # ok | empty | dead | disallowed | no_credentials | ...
    reachable: Mapped[bool | None] = mapped_column(Boolean)
    http_status: Mapped[int | None] = mapped_column(Integer)
    robots_allowed: Mapped[bool | None] = mapped_column(Boolean)
    items: Mapped[int] = mapped_column(Integer, default=0)
    newest_item_at: Mapped[datetime | None]
    credentials_missing: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    next_poll_at: Mapped[datetime | None]


class DeadLetter(Base):
    __tablename__ = "dead_letters"

    dead_letter_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    stage: Mapped[str] = mapped_column(String(40), index=True)
    source: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    error_type: Mapped[str] = mapped_column(String(60))
    raw: Mapped[str] = mapped_column(Text, doc="base64 of the raw payload")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    replayed_at: Mapped[datetime | None]
    dismissed_at: Mapped[datetime | None]  # ops decided it needs no replay (the reason is audited)


class DeadLetterAction(Base):
    """The audit of what ops did with a dead letter: replayed (as it was, or corrected), dismissed,
    or a replay refused, by whom and when, with the event sent or the reason."""

    __tablename__ = "dead_letter_actions"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    dead_letter_id: Mapped[str] = mapped_column(String(32), index=True)
    action: Mapped[str] = mapped_column(String(20))  # replayed | corrected | dismissed | refused
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    event_id: Mapped[str | None] = mapped_column(String(36))
    detail: Mapped[str | None] = mapped_column(Text, doc="the dismissal's or refusal's reason")
    payload: Mapped[str | None] = mapped_column(Text, doc="the corrected event as sent")


class BrokerEpoch(Base):
    """Each broker incarnation the relay has seen; a new one triggers a replay of the outbox."""

    __tablename__ = "broker_epochs"

    epoch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    replayed_rows: Mapped[int] = mapped_column(Integer, default=0)


# --- scoring (issue 6)


class Customer(Base):
    """A customer's totals per product group (``triggerwatch customers import``)."""

    __tablename__ = "scoring_customers"

    business_id: Mapped[str] = mapped_column(String(9), primary_key=True)
    product_group: Mapped[str] = mapped_column(String(100), primary_key=True)
    revenue: Mapped[float] = mapped_column(Float)
    gross_margin: Mapped[float] = mapped_column(Float)
    order_lines: Mapped[list[Any]] = mapped_column(default=list, doc="[[ISO date, amount], ...]")
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScoringRun(Base):
    """One trained model per product group and run: parameters, held-out metrics, the pickled model."""

    __tablename__ = "scoring_runs"

    run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    product_group: Mapped[str] = mapped_column(String(100), primary_key=True)
    trained_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    better_than_baseline: Mapped[bool] = mapped_column(Boolean)
    model: Mapped[bytes | None] = mapped_column(LargeBinary)


class CustomerOffer(Base):
    """Next-best-offer of an existing customer (issue 20): a product group it does not buy yet that
    similar customers buy profitably; ``rank`` 1 is what to offer first. Replaced at every training."""

    __tablename__ = "customer_offers"

    business_id: Mapped[str] = mapped_column(String(9), primary_key=True)
    product_group: Mapped[str] = mapped_column(String(100), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    expected_margin: Mapped[float] = mapped_column(Float)
    adoption_rate: Mapped[float] = mapped_column(Float)
    buyer_margin: Mapped[float] = mapped_column(Float)
    target_group_id: Mapped[str] = mapped_column(String(100))
    rule: Mapped[str] = mapped_column(Text)
    rule_fi: Mapped[str | None] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomerValue(Base):
    """An existing customer's lifetime value with its 90 % interval (issue 20): BG/NBD + Gamma-Gamma,
    or the run-rate model where order history is thin (``model`` says which)."""

    __tablename__ = "customer_values"

    business_id: Mapped[str] = mapped_column(String(9), primary_key=True)
    model: Mapped[str] = mapped_column(String(30))
    clv: Mapped[float] = mapped_column(Float)
    clv_low: Mapped[float] = mapped_column(Float)
    clv_high: Mapped[float] = mapped_column(Float)
    p_alive: Mapped[float | None] = mapped_column(Float)
    expected_orders: Mapped[float | None] = mapped_column(Float)
    orders: Mapped[int | None] = mapped_column(Integer)
    last_order: Mapped[date | None] = mapped_column(Date)
    horizon_years: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- linking (issue 5)


class UnlinkedMention(Base):
    """A company-name hit the linker left unlinked (ambiguous, common word, shared name): for ops."""

    __tablename__ = "unlinked_mentions"

    mention_id: Mapped[str] = mapped_column(
        String(64), primary_key=True, doc="sha256 of event/text + offsets"
    )
    source: Mapped[str | None] = mapped_column(String(100), index=True)
    event_id: Mapped[str | None] = mapped_column(String(36), index=True)
    surface: Mapped[str] = mapped_column(String(500))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    candidates: Mapped[list[Any]] = mapped_column(default=list)
    context: Mapped[str | None] = mapped_column(Text, doc="the text around the mention")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# ---------------------------------------------------------------------------------------------------
# --- matching, rules and delivery (issue 7)


class AlertKey(Base):
    """Corroboration keys: ``business_id|kind|product_group|key`` → the alert it belongs to."""

    __tablename__ = "alert_keys"

    key: Mapped[str] = mapped_column(String(700), primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Objection(Base):
    """GDPR Art. 21 objection register: business IDs, person names and e-mails never to contact."""

    __tablename__ = "objections"
    __table_args__ = (UniqueConstraint("kind", "value_key", name="uq_objections_kind_value"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # business_id | person | email
    value: Mapped[str] = mapped_column(String(500))
    value_key: Mapped[str] = mapped_column(String(500), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationDecision(Base):
    """What the notifier decided for one revision of an alert: deliver, digest or blocked."""

    __tablename__ = "notification_decisions"
    __table_args__ = (Index("ix_notification_decisions_owner", "owner", "created_at"),)

    alert_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(20))  # deliver | digest | blocked
    reason: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    digested_at: Mapped[datetime | None]


# ---------------------------------------------------------------------------------------------------
# --- web: API tokens, feedback, silent-source alarms (issue 8)


class ApiToken(Base):
    """An API token: only its SHA-256 is stored (the token itself is 32 random bytes, shown once)."""

    __tablename__ = "api_tokens"

    token_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # rep | admin | ops | crm
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class WebSession(Base):
    """A UI login: the signed cookie carries a random session id, only its SHA-256 is stored.
    Logging out (or revoking the token) ends it on the server, whatever copy of the cookie exists."""

    __tablename__ = "web_sessions"

    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_id: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Feedback(Base):
    """A rep's verdict on an alert, stored with the alert's features so scoring can learn from it."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    alert_id: Mapped[str] = mapped_column(String(36), index=True)
    label: Mapped[str] = mapped_column(String(30))  # useful | not_useful | wrong_company | already_customer
    note: Mapped[str | None] = mapped_column(Text)
    given_by: Mapped[str] = mapped_column(String(200))
    business_id: Mapped[str] = mapped_column(String(9))
    kind: Mapped[str] = mapped_column(String(40))
    product_group: Mapped[str] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
    target_group_id: Mapped[str | None] = mapped_column(String(100))
    priority: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SilentSourceAlarm(Base):
    """One row per silence episode of a source (keyed by its last success): the ops alert fires once."""

    __tablename__ = "silent_source_alarms"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_success_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(36))
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------------------------------------------
# engine and sessions


class JSONText(str):
    """JSON already serialised (e.g. by pydantic's ``model_dump_json``): a JSON column stores it as
    it is instead of serialising it again. Any other value is serialised with :func:`json.dumps`."""

    __slots__ = ()


def _json_serializer(value: Any) -> str:
    return value if isinstance(value, JSONText) else json.dumps(value)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    kwargs: dict[str, Any] = {"echo": echo, "future": True, "json_serializer": _json_serializer}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

    return engine


class Database:
    """An engine plus a session factory; one per process, passed in."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def upgrade(self) -> None:
        upgrade(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(engine: Engine | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("triggerwatch.core").joinpath("migrations")))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Run Alembic migrations up to ``revision`` (idempotent; safe to call at every start)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def take_sequence(session: Session, name: str, n: int) -> int:
    """Take ``n`` numbers from the counter ``name``; returns the first (they are first..first+n-1).

    The counter row stays locked until the session's transaction ends (PostgreSQL row lock;
    SQLite has one writer anyway), so a number is never visible before every smaller one is: a
    reader following the numbers never skips a row that commits late. Take them last thing before
    writing and keep that transaction short."""
    if n < 1:
        raise ValueError("take at least one number")
    table = ChangeCounter.__table__
    stmt = (
        table.update()  # type: ignore[attr-defined]
        .where(table.c.name == name)
        .values(value=table.c.value + n)
        .returning(table.c.value)
    )
    last = session.execute(stmt).scalar()
    if last is None:  # a database created without the migration's counter row
        insert_ignore(session, ChangeCounter, [{"name": name, "value": 0}], ["name"])
        last = session.execute(stmt).scalar_one()
    return int(last) - n + 1
