"""Storage: SQLAlchemy 2 models, engine set-up and Alembic migrations.

SQLite by default (WAL, busy timeout: several processes share the file), PostgreSQL by URL.
The database is the durable record: the embedded broker keeps nothing across a restart.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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
)
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


def utcnow() -> datetime:
    return datetime.now(UTC)


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
    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_cooldown", "business_id", "kind", "created_at"),)

    alert_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), index=True)
    business_id: Mapped[str] = mapped_column(String(9))
    kind: Mapped[str] = mapped_column(String(40))
    product_group: Mapped[str] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
    priority: Mapped[str] = mapped_column(String(10))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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


def dialect_insert(session: Session) -> Any:
    """The ``insert`` construct of the session's dialect, the one with ``on_conflict_*``."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def insert_ignore(
    session: Session, model: type[Base], rows: list[dict[str, Any]], keys: list[str], *, count: bool = True
) -> int:
    """INSERT ... ON CONFLICT DO NOTHING on either dialect; returns the number of rows inserted.

    ``count=False`` skips RETURNING (and returns -1): a plain DB-API ``executemany``, several times
    faster for large batches whose caller does not need to know which rows were new.
    """
    if not rows:
        return 0
    insert = dialect_insert(session)
    table = model.__table__
    # One cached statement, executed with the rows as parameters ("insertmanyvalues" batches them
    # and keeps RETURNING on both dialects): no per-batch compilation of a giant VALUES clause.
    stmt = insert(table).on_conflict_do_nothing(index_elements=keys)
    if not count:
        session.connection().execute(stmt, rows)
        return -1
    return len(session.connection().execute(stmt.returning(*(table.c[k] for k in keys)), rows).all())
