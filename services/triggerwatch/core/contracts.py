"""Versioned event contracts: the only shapes that travel through Kafka.

Topics (names from :func:`topic_names`):

* ``<prefix>.events.v1``     — :class:`TriggerEventV1`, keyed by company (business ID, else name)
* ``<prefix>.alerts.v1``     — :class:`AlertV1`, keyed by company
* ``<prefix>.targets.v1``    — :class:`TargetScoreV1`, compacted, keyed ``business_id:product_group``
* ``<prefix>.deadletter.v1`` — :class:`DeadLetterV1`, keyed by stage

Every topic has example payloads in ``examples/<topic-kind>/*.json``; the contract tests feed
every example to every consumer. A new *compatible* field may be added to a V1 model with a
default; anything else is a new model (``...V2``) and a new topic version.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from importlib import resources
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from triggerwatch.core.businessid import normalise_business_id
from triggerwatch.core.errors import InvalidInputError

EVENT_NAMESPACE = uuid.UUID("6f1c2b8e-3c1e-4d5a-9a53-7b1f0f3e2a10")
_NAMESPACE_BYTES = EVENT_NAMESPACE.bytes


def name_id(name: str) -> str:
    """``str(uuid.uuid5(EVENT_NAMESPACE, name))``, the same string, without building a ``UUID``
    (the worker makes one per alert: a third of the time)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


SUPPORTED_SCHEMA_VERSIONS = (1,)

# Text every database, encoder and terminal accepts. PostgreSQL refuses NUL in text; a lone
# surrogate (valid JSON as "\ud800", not encodable as UTF-8) can be neither stored nor sent. Events
# made by a collector (:meth:`TriggerEventV1.create`) and events and alerts read from a topic
# (:func:`decode_event`, :func:`decode_alert`) are cleaned here, at the contract boundary.
_UNSAFE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# A decoded message takes the fast path (pydantic parses and validates in one pass) unless it holds
# an escaped NUL, the one character a database refuses that the fast path lets through (it refuses
# lone surrogates itself, and raw control characters are not JSON): the slow path cleans every text.
_JSON_NUL = b"\\u0000"


def _replace_unsafe(match: re.Match[str]) -> str:
    return "\ufffd" if "\ud800" <= match.group() <= "\udfff" else ""


def clean_text(value: str) -> str:
    """``value`` without C0 control characters (tab, newline and carriage return stay) and DEL, and
    with every lone surrogate replaced by U+FFFD."""
    if _UNSAFE_TEXT.search(value) is None:
        return value
    return _UNSAFE_TEXT.sub(_replace_unsafe, value)


def clean_value(value: Any) -> Any:
    """:func:`clean_text` on a string, on each string of a list and on each key and string of a dict."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_value(v) for v in value]
    if isinstance(value, dict):
        return {clean_value(k): clean_value(v) for k, v in value.items()}
    return value


def escaped_bytes(value: object) -> bytes:
    """Any raw payload as bytes, never raising: bytes as they are (invalid UTF-8 too); text as UTF-8
    with what UTF-8 cannot hold (lone surrogates) kept as backslash escapes (``\\ud800``); anything
    else as its ``repr``."""
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    text = value if isinstance(value, str) else repr(value)
    return text.encode("utf-8", errors="backslashreplace")


class EventKind(StrEnum):
    REGISTRATION = "registration"
    DECISION_MAKER_CHANGE = "decision_maker_change"
    RECRUITMENT = "recruitment"
    PROCUREMENT_PLANNED = "procurement_planned"
    PROCUREMENT_OPEN = "procurement_open"
    CONTRACT_AWARDED = "contract_awarded"
    NEWS = "news"
    EXPANSION = "expansion"
    FUNDING = "funding"
    LAYOFFS = "layoffs"
    REGISTRY_CHANGE = "registry_change"
    BANKRUPTCY = "bankruptcy"
    MERGER = "merger"
    OPS = "ops"


class CompanyRole(StrEnum):
    SUBJECT = "subject"
    BUYER = "buyer"
    WINNER = "winner"
    EMPLOYER = "employer"
    # issue 16 (compatible additions): the company's part in a text-borne trigger
    ACQUIRER = "acquirer"  # merger: buys
    TARGET = "target"  # merger: is bought (or merged into another)
    SELLER = "seller"  # merger: sells a company or a business
    APPOINTED = "appointed"  # decision-maker change: the company a person joins (or is appointed at)
    LEAVING = "leaving"  # decision-maker change: the company a person leaves
    INVESTOR = "investor"  # funding: puts money in (the funded company is the subject)


class Priority(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CompanyRef(_Frozen):
    business_id: str | None = None
    name: str | None = Field(None, max_length=500)
    role: CompanyRole = CompanyRole.SUBJECT

    @field_validator("business_id")
    @classmethod
    def _bid(cls, v: str | None) -> str | None:
        if v is None:
            return None
        normalised = normalise_business_id(v)
        if normalised is None:
            raise ValueError(f"not a valid Finnish business ID: {v!r}")
        return normalised

    def key(self) -> str:
        return self.business_id or (self.name or "").strip().lower()


WEB_URL_SCHEMES = ("http", "https")
_NOT_IN_URL = re.compile(r"[\s\x00-\x1f\x7f]")  # whitespace and control characters


def web_url(value: object) -> str | None:
    """``value`` when it is an absolute http(s) URL with a host, stripped; else None.

    Only such URLs are links anywhere (UI, Slack, e-mail, CRM, exports): ``javascript:``,
    ``data:``, ``file:``, relative or malformed references never are."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or _NOT_IN_URL.search(text):
        return None
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in WEB_URL_SCHEMES or not host:
        return None
    return text


def _url_or_text(data: Any, url_field: str, text_field: str) -> Any:
    """Keep an http(s) URL in ``url_field``; move anything else there into ``text_field`` (a
    reference kept as text, never a link)."""
    if not isinstance(data, dict):
        return data
    url = data.get(url_field)
    if url is None:
        return data
    link = web_url(url)
    if link == url:
        return data
    data = {**data, url_field: link}
    if link is None and isinstance(url, str) and url.strip() and not data.get(text_field):
        data[text_field] = url.strip()[:2000]
    return data


class Evidence(_Frozen):
    url: str | None = None  # an absolute http(s) URL, or None (see ``url_text``)
    source: str
    title: str | None = None
    excerpt: str | None = Field(None, max_length=2000)
    published_at: AwareDatetime | None = None
    # a reference that is not an http(s) URL (written only when there is one)
    url_text: str | None = Field(None, max_length=2000, exclude_if=lambda v: v is None)

    @model_validator(mode="before")
    @classmethod
    def _web_links_only(cls, data: Any) -> Any:
        return _url_or_text(data, "url", "url_text")


class TriggerEventV1(_Frozen):
    schema_version: Literal[1] = 1
    event_id: str
    source: str = Field(min_length=1, max_length=100)
    source_item_id: str = Field(min_length=1, max_length=1000)
    source_url: str | None = None
    kind: EventKind
    occurred_at: AwareDatetime
    observed_at: AwareDatetime
    companies: list[CompanyRef] = Field(default_factory=list)
    title: str = Field(max_length=1000)
    summary: str | None = Field(None, max_length=5000)
    language: str | None = Field(None, max_length=8)
    evidence: list[Evidence] = Field(default_factory=list)
    attributes: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    raw_ref: str | None = None
    # a source reference that is not an http(s) URL (written only when there is one)
    source_url_text: str | None = Field(None, max_length=2000, exclude_if=lambda v: v is None)

    @model_validator(mode="before")
    @classmethod
    def _web_links_only(cls, data: Any) -> Any:
        return _url_or_text(data, "source_url", "source_url_text")

    @classmethod
    def make_id(cls, source: str, source_item_id: str) -> str:
        """Deterministic: the same item from the same source always has the same id."""
        return name_id(f"{source}\x1f{source_item_id}")

    @classmethod
    def create(cls, **fields: Any) -> TriggerEventV1:
        """A collector's event: its id from source and item id, its texts cleaned (:func:`clean_text`):
        the fields given as text, lists and dicts before validation (pydantic refuses a lone
        surrogate), the nested models' texts after it. (A model built with a lone surrogate in it
        was refused when it was built: its item is dead-lettered.)"""
        fields.setdefault("event_id", cls.make_id(fields["source"], fields["source_item_id"]))
        event = cls(**{name: clean_value(value) for name, value in fields.items()})
        data = event.model_dump()
        cleaned = clean_value(data)
        return event if cleaned == data else cls.model_validate(cleaned)

    def partition_key(self) -> str:
        for ref in self.companies:
            if ref.key():
                return ref.key()
        return self.source


class Explanation(_Frozen):
    what_happened: str
    why_it_matters: str
    target_group_rule: str
    next_step: str


class Routing(_Frozen):
    owner: str | None = None
    channels: list[str] = Field(default_factory=list)


class AlertV1(_Frozen):
    schema_version: Literal[1] = 1
    alert_id: str
    event_ids: list[str] = Field(min_length=1)
    kind: EventKind
    company: CompanyRef
    product_group: str
    target_group_id: str
    score: Annotated[float, Field(ge=0.0, le=1.0)]
    priority: Priority
    priority_score: Annotated[float, Field(ge=0.0)]
    explanation: Explanation
    recommended_offer: str
    evidence: list[Evidence] = Field(default_factory=list)
    routing: Routing = Routing()
    occurred_at: AwareDatetime
    created_at: AwareDatetime
    language: Literal["en", "fi"] = "en"
    # issue 7 (compatible additions): corroboration and updates. An alert re-emitted with the same
    # alert_id and a higher revision is an *update* (more evidence), never a second alert.
    confidence: Annotated[float, Field(ge=0.0, le=1.0)] = 0.6
    sources: list[str] = Field(default_factory=list)
    revision: Annotated[int, Field(ge=1)] = 1
    dedup_key: str | None = None
    facts: dict[str, str] = Field(default_factory=dict)

    def delivery_key(self, sink: str) -> str:
        """Idempotency key per sink: ``alert_id:sink`` for the first revision, ``…:rN`` for updates."""
        base = f"{self.alert_id}:{sink}"
        return base if self.revision == 1 else f"{base}:r{self.revision}"

    @classmethod
    def make_id(cls, dedup_key: str, product_group: str) -> str:
        return name_id(f"alert\x1f{dedup_key}\x1f{product_group}")


class TargetScoreV1(_Frozen):
    schema_version: Literal[1] = 1
    business_id: str
    product_group: str
    target_group_id: str
    score: Annotated[float, Field(ge=0.0, le=1.0)]
    rule: str
    scored_at: AwareDatetime

    def key(self) -> str:
        return f"{self.business_id}:{self.product_group}"


class DeadLetterV1(_Frozen):
    schema_version: Literal[1] = 1
    dead_letter_id: str
    stage: str
    source: str | None = None
    reason: str
    error_type: str
    raw_b64: str
    created_at: AwareDatetime

    @classmethod
    def from_raw(
        cls, *, stage: str, reason: str, raw: bytes | str | None, error_type: str, source: str | None
    ) -> DeadLetterV1:
        """Never raises, whatever ``raw`` holds: bytes are kept as they are (invalid UTF-8 too), text
        as UTF-8 with lone surrogates escaped (:func:`escaped_bytes`); the texts are cleaned
        (:func:`clean_text`) and cut to their columns' sizes, so that every database stores it."""
        data = escaped_bytes(raw)
        stage, error_type = clean_text(str(stage))[:40], clean_text(str(error_type))[:60]
        reason = clean_text(str(reason))[:4000]
        source = clean_text(str(source))[:100] if source is not None else None
        digest = hashlib.sha256(stage.encode() + b"\x1f" + reason.encode() + b"\x1f" + data).hexdigest()
        return cls(
            dead_letter_id=digest[:32],
            stage=stage,
            source=source,
            reason=reason,
            error_type=error_type,
            raw_b64=base64.b64encode(data).decode(),
            created_at=datetime.now(UTC),
        )

    def raw(self) -> bytes:
        return base64.b64decode(self.raw_b64)


TOPIC_KINDS = ("events", "alerts", "targets", "deadletter")
MODEL_BY_TOPIC_KIND: dict[str, type[_Frozen]] = {
    "events": TriggerEventV1,
    "alerts": AlertV1,
    "targets": TargetScoreV1,
    "deadletter": DeadLetterV1,
}


def topic_names(prefix: str = "triggerwatch") -> dict[str, str]:
    return {kind: f"{prefix}.{kind}.v1" for kind in TOPIC_KINDS}


def _decode(model: type[_Frozen], raw: bytes | str) -> Any:
    # Fast path: pydantic parses and validates in one pass. It must also have seen the version
    # written (the field has a default); anything else takes the slow path, which says what is wrong.
    try:
        decoded = model.model_validate_json(raw)
    except ValidationError:
        pass
    else:
        has_nul = (_JSON_NUL.decode() in raw) if isinstance(raw, str) else (_JSON_NUL in raw)
        if "schema_version" in decoded.model_fields_set and not has_nul:
            return decoded
    try:
        data = clean_value(json.loads(raw))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"not JSON: {exc}", raw=raw, error_type="malformed_json") from exc
    if not isinstance(data, dict):
        raise InvalidInputError("not a JSON object", raw=raw, error_type="malformed_json")
    version = data.get("schema_version")
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        raise InvalidInputError(
            f"unknown schema_version {version!r} (supported: {list(SUPPORTED_SCHEMA_VERSIONS)})",
            raw=raw,
            error_type="unknown_schema_version",
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise InvalidInputError(
            f"schema violation at {loc}: {first['msg']} ({exc.error_count()} errors)",
            raw=raw,
            error_type="schema_violation",
        ) from exc


def decode_event(raw: bytes | str) -> TriggerEventV1:
    event: TriggerEventV1 = _decode(TriggerEventV1, raw)
    return event


def decode_alert(raw: bytes | str) -> AlertV1:
    alert: AlertV1 = _decode(AlertV1, raw)
    return alert


def decode_target(raw: bytes | str) -> TargetScoreV1:
    target: TargetScoreV1 = _decode(TargetScoreV1, raw)
    return target


def decode_dead_letter(raw: bytes | str) -> DeadLetterV1:
    dl: DeadLetterV1 = _decode(DeadLetterV1, raw)
    return dl


def encode(model: BaseModel) -> bytes:
    return model.model_dump_json().encode()


def example_payloads(topic_kind: str) -> dict[str, bytes]:
    """The example payloads shipped for a topic kind, by file name."""
    folder = resources.files("triggerwatch.core").joinpath("examples", topic_kind)
    return {
        entry.name: entry.read_bytes()
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    }
