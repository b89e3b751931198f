"""Settings: one frozen pydantic-settings object per service, built once at start and passed in.

Every variable has the prefix ``TRIGGERWATCH_`` (nested with ``__``), except the Kafka bootstrap
servers, which also accept the conventional ``KAFKA_BOOTSTRAP_SERVERS``. Secrets are
``SecretStr`` (masked in ``repr`` and logs) and well-known placeholder values are refused at start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from triggerwatch.core.errors import ConfigError

ENV_PREFIX = "TRIGGERWATCH_"
# Defaults for the config files: the repository's deploy/config (editable installs and the image).
CONFIG_DIR = Path(__file__).resolve().parents[3] / "deploy" / "config"
PLACEHOLDER_SECRETS = frozenset({"changeme", "change-me", "secret", "password", "default", "xxx", "test"})


def refuse_placeholder(value: SecretStr | None, name: str) -> SecretStr | None:
    if value is not None and value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
        raise ValueError(f"{name} is a placeholder secret; set a real one")
    return value


class KafkaSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    partitions: int = Field(4, ge=1, description="partitions per topic (Tansu auto-creates 4)")
    replication_factor: int = Field(1, ge=1)
    topic_prefix: str = Field("triggerwatch", pattern=r"^[a-zA-Z0-9._-]+$")
    # Tansu holds JoinGroup for half the session timeout: short timeouts make consumers join fast.
    session_timeout_s: float = Field(6.0, gt=0)
    heartbeat_interval_s: float = Field(1.0, gt=0)
    embedded_port: int = Field(19092, ge=1, le=65535)
    # Stream throughput (Faust): a buffer deep enough that a busy agent never starves while the
    # consumer refetches (Faust stops fetching a partition at 80 % full and resumes at 40 %), and
    # producer batches large enough for a burst of alerts (the broker's default limit is ~1 MB).
    # Tansu answers a waiting fetch only when the wait is over, never when data arrives: a short
    # wait bounds delivery latency (on Apache Kafka it only means a few more idle fetches).
    fetch_max_wait_ms: int = Field(100, ge=1, le=30_000)
    stream_buffer_maxsize: int = Field(16384, ge=16, description="events buffered per stream")
    producer_max_batch_size: int = Field(512 * 1024, ge=16384, le=1_000_000, description="bytes")


class DatabaseSettings(BaseModel):
    """The one database every command uses (``up`` included; only ``demo`` keeps its own)."""

    model_config = ConfigDict(frozen=True)

    url: str = "sqlite:///triggerwatch.db"
    echo: bool = False


class BaseServiceSettings(BaseSettings):
    """What every service shares: where Kafka and the database are."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", frozen=True, extra="ignore"
    )

    kafka_bootstrap_servers: str | None = Field(
        None,
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", f"{ENV_PREFIX}KAFKA_BOOTSTRAP_SERVERS"),
        description="host:port[,host:port]; unset means the embedded broker on loopback",
    )
    kafka: KafkaSettings = KafkaSettings()
    database: DatabaseSettings = DatabaseSettings()
    log_level: str = "INFO"

    @property
    def bootstrap_servers(self) -> str:
        return self.kafka_bootstrap_servers or f"127.0.0.1:{self.kafka.embedded_port}"

    @property
    def embedded_broker(self) -> bool:
        return self.kafka_bootstrap_servers is None

    def with_overrides(self, **changes: Any) -> BaseServiceSettings:
        return self.model_copy(update=changes)


class RelaySettings(BaseServiceSettings):
    poll_interval_s: float = Field(0.2, gt=0)
    batch_size: int = Field(500, ge=1)
    replay_window_s: float = Field(
        24 * 3600, ge=0, description="re-publish events this recent after a broker loss"
    )
    epoch_check_interval_s: float = Field(1.0, gt=0)


class CollectorSettings(BaseServiceSettings):
    sources_file: Path = CONFIG_DIR / "sources.yaml"
    replay_dir: Path | None = Field(None, description="read recorded payloads from here instead of HTTP")
    replay_time_shift: bool = True
    user_agent: str = "triggerwatch/0.1 (+https://github.com/triggerwatch/triggerwatch)"
    http_timeout_s: float = Field(20.0, gt=0)
    http_max_attempts: int = Field(4, ge=1)
    http_max_backoff_s: float = Field(300.0, gt=0)
    # fetch limits (a source may set its own max_body_mb and poll_deadline_s in sources.yaml)
    http_max_body_mb: float = Field(50.0, gt=0, description="a response body past this is refused")
    http_request_deadline_s: float = Field(120.0, gt=0, description="one request, body included")
    http_poll_deadline_s: float = Field(900.0, gt=0, description="one poll: every request, retry, backoff")
    hilma_subscription_key: SecretStr | None = Field(
        None, description="Ocp-Apim-Subscription-Key of the Hilma AVP-Read API (from Hansel Oy)"
    )

    @field_validator("hilma_subscription_key")
    @classmethod
    def _hilma_key(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().strip():
            return None
        return refuse_placeholder(v, "TRIGGERWATCH_HILMA_SUBSCRIPTION_KEY")


class WorkerSettings(BaseServiceSettings):
    rules_file: Path = CONFIG_DIR / "rules.yaml"
    worker_app_id: str = "triggerwatch-worker"
    worker_port: int = Field(6066, ge=0, le=65535, description="/health, /ready, /metrics; 0 = off")
    worker_host: str = "127.0.0.1"
    worker_data_dir: Path = Path(".triggerwatch/worker")
    worker_processing: Literal["process", "thread"] = Field(
        "process", description="process: batches are processed in a child process, on a second core"
    )


class NotifierSettings(BaseServiceSettings):
    notifier_app_id: str = "triggerwatch-notifier"
    notifier_port: int = Field(6067, ge=0, le=65535, description="/health, /ready, /metrics; 0 = off")
    notifier_host: str = "127.0.0.1"
    notifier_data_dir: Path = Path(".triggerwatch/notifier")
    sinks: list[str] = Field(default_factory=lambda: ["console"])
    language: str = Field("en", pattern="^(en|fi)$")
    # delivery queue and retries (issue 15): each sink its own lane; a failing delivery is retried
    # for max_retry_period_s (a day) with backoff, or exactly the server's Retry-After, then given up
    # (dead-lettered, replayable from the ops page)
    max_attempts: int = Field(10_000, ge=1, description="attempts per delivery (the period decides)")
    max_retry_period_s: float = Field(86_400.0, gt=0, description="retry a failing delivery this long")
    delivery_initial_backoff_s: float = Field(5.0, gt=0)
    delivery_max_backoff_s: float = Field(1800.0, gt=0, description="longest wait between two attempts")
    delivery_attempt_timeout_s: float = Field(
        120.0, gt=0, description="one attempt, inline 429 waits included"
    )
    delivery_concurrency: int = Field(4, ge=1, le=64, description="attempts under way at once per sink")
    delivery_poll_s: float = Field(2.0, gt=0, description="how often a lane looks for work queued elsewhere")
    slack_webhook_url: SecretStr | None = None
    slack_min_interval_s: float = Field(1.0, ge=0, description="Slack allows ~1 message/s per channel")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    email_from: str = "triggerwatch@localhost"
    email_to: list[str] = Field(default_factory=list)
    crm_webhook_url: str | None = None
    crm_webhook_secrets: list[SecretStr] = Field(
        default_factory=list, description="first signs; several are active during rotation"
    )
    crm_timeout_s: float = Field(10.0, gt=0)
    # issue 7: rules file (routing, reps, delivery: cap, quiet hours, digest), Slack bot, Dynamics 365,
    # retention
    rules_file: Path = CONFIG_DIR / "rules.yaml"
    slack_bot_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_default_channel: str | None = None
    dynamics_api_url: str | None = None
    dynamics_token_url: str | None = None
    dynamics_client_id: str | None = None
    dynamics_client_secret: SecretStr | None = None
    dynamics_scope: str | None = None
    dynamics_business_id_field: str = "accountnumber"
    dynamics_entity: str = Field("task", pattern="^(task|annotation)$")
    retention_days: float = Field(180, gt=0, description="personal data purged after this many days")
    scheduler: bool = Field(True, description="run the digest and retention jobs in the notifier")

    @field_validator("smtp_password")
    @classmethod
    def _smtp_password(cls, v: SecretStr | None) -> SecretStr | None:
        return refuse_placeholder(v, "smtp_password")

    @field_validator("crm_webhook_secrets")
    @classmethod
    def _crm_secrets(cls, v: list[SecretStr]) -> list[SecretStr]:
        for s in v:
            refuse_placeholder(s, "crm_webhook_secrets")
            if len(s.get_secret_value()) < 16:
                raise ValueError("crm_webhook_secrets: each secret needs at least 16 characters")
        return v


class WebSettings(BaseServiceSettings):
    replay_dir: Path | None = Field(
        None, description="set in replay mode (the demo): the sources the demo replays are watched"
    )
    web_host: str = "127.0.0.1"
    web_port: int = Field(8000, ge=1, le=65535)
    sources_file: Path = CONFIG_DIR / "sources.yaml"
    rules_file: Path = CONFIG_DIR / "rules.yaml"
    # Signs the UI's session cookie; unset: a random key per process (sessions end at a restart).
    web_session_secret: SecretStr | None = None
    web_secure_cookies: bool = Field(False, description="mark the session cookie Secure (behind HTTPS)")
    # How often the web service checks for silent sources (0 turns the check off).
    silent_check_interval_s: float = Field(60.0, ge=0)
    # A stage is stalled when its oldest waiting item (outbox row, event, due delivery) has waited this
    # long: /ready answers 503 and the ops page names it.
    stall_after_s: float = Field(300.0, gt=0)
    # The worker's and notifier's /metrics pages: the ops page shows their health (/ready next to
    # each) and Kafka consumer lag. Unset: from the same TRIGGERWATCH_WORKER_HOST/_PORT and
    # TRIGGERWATCH_NOTIFIER_HOST/_PORT the worker and notifier read (port 0: not watched).
    lag_metrics_urls: list[str] | None = None
    worker_host: str = "127.0.0.1"
    worker_port: int = Field(6066, ge=0, le=65535)
    notifier_host: str = "127.0.0.1"
    notifier_port: int = Field(6067, ge=0, le=65535)

    def stream_services(self) -> list[tuple[str, str]]:
        """(name, /metrics URL) of each stream service the ops page asks for its health and lag."""
        ports = {self.worker_port: "worker", self.notifier_port: "notifier"}
        if self.lag_metrics_urls is not None:
            out = []
            for url in self.lag_metrics_urls:
                port = urlsplit(url).port
                out.append((ports.get(port, url) if port else url, url))
            return out
        return [
            (name, f"http://{_reachable(host)}:{port}/metrics")
            for name, host, port in (
                ("worker", self.worker_host, self.worker_port),
                ("notifier", self.notifier_host, self.notifier_port),
            )
            if port > 0
        ]

    @field_validator("web_session_secret")
    @classmethod
    def _session_secret(cls, v: SecretStr | None) -> SecretStr | None:
        v = refuse_placeholder(v, "TRIGGERWATCH_WEB_SESSION_SECRET")
        if v is not None and len(v.get_secret_value()) < 32:
            raise ValueError("TRIGGERWATCH_WEB_SESSION_SECRET must be at least 32 characters")
        return v


def _reachable(host: str) -> str:
    """The address to reach a service on that binds ``host`` (a wildcard bind: loopback)."""
    if host in ("", "0.0.0.0", "::", "[::]"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def load(cls: type[BaseServiceSettings], **overrides: Any) -> Any:
    """Build settings, turning validation failures into a ``ConfigError`` with a readable message."""
    from pydantic import ValidationError

    try:
        return cls(**overrides)
    except ValidationError as exc:
        lines = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("invalid settings:\n  " + "\n  ".join(lines)) from exc
