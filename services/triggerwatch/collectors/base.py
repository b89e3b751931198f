"""The collector contract.

A collector is one module per source with a ``{Name}Collector`` class:

* ``Options`` — a frozen pydantic model validated when the source config is loaded (bad config
  fails at start);
* ``default_schedule`` — how often it polls unless the config says otherwise;
* ``fetch(http, state)`` — I/O only: returns raw payloads (none when the server says 304) and the
  new conditional-request validators / cursor;
* ``split(raw)`` — pure: one payload into its items (raises ``InvalidInputError`` when the whole
  payload is malformed);
* ``parse_item(item)`` — pure: one item into ``TriggerEventV1`` events (raises
  ``InvalidInputError`` for that item alone; the runner dead-letters it and goes on);
* ``parse(raw)`` — pure: ``split`` + ``parse_item`` for the whole payload.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from triggerwatch.core.contracts import TriggerEventV1
from triggerwatch.core.http import HttpFetcher
from triggerwatch.core.sources import Schedule

if TYPE_CHECKING:
    from triggerwatch.core.settings import CollectorSettings


class CollectorOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True)
class RawPayload:
    """One fetched (or replayed) document, exactly as received."""

    source: str
    url: str | None
    content: bytes
    fetched_at: datetime
    content_type: str | None = None
    ref: str | None = None  # where the raw payload can be found again (URL, file, archive key)


@dataclass(frozen=True)
class RawItem:
    """One item of a payload, with the raw text to dead-letter if it fails."""

    payload: RawPayload
    data: Any
    raw: str


@dataclass
class CursorState:
    etag: str | None = None
    last_modified: str | None = None
    cursor: dict[str, Any] = field(default_factory=dict)


@dataclass
class FetchOutcome:
    payloads: list[RawPayload]
    state: CursorState


OptionsT = TypeVar("OptionsT", bound=CollectorOptions)


class Collector(ABC, Generic[OptionsT]):
    type_name: ClassVar[str]
    Options: ClassVar[type[CollectorOptions]]
    default_schedule: ClassVar[Schedule]
    licence_note: ClassVar[str] = ""

    def __init__(self, name: str, options: OptionsT) -> None:
        self.name = name
        self.options = options

    def check_url(self) -> str | None:
        """The URL a poll starts from (``sources check`` reports its robots.txt verdict)."""
        url = getattr(self.options, "url", None)
        return str(url) if url else None

    def configure(self, settings: CollectorSettings) -> None:
        """At start, before any poll: take secrets from the settings; raise ConfigError when missing."""

    @abstractmethod
    def fetch(self, http: HttpFetcher, state: CursorState) -> FetchOutcome:
        """I/O only."""

    @abstractmethod
    def split(self, raw: RawPayload) -> list[RawItem]:
        """Pure: the items of one payload."""

    @abstractmethod
    def parse_item(self, item: RawItem) -> list[TriggerEventV1]:
        """Pure: the events of one item."""

    def parse(self, raw: RawPayload) -> list[TriggerEventV1]:
        events: list[TriggerEventV1] = []
        for item in self.split(raw):
            events.extend(self.parse_item(item))
        return events
