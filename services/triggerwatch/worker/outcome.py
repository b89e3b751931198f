"""A processed batch's results: what to send and what to count.

:class:`Outcome` is the processor's result per event; :class:`Emitted` is what crosses from the
processing child process to the stream side (messages to send, labels to count) as plain values;
:func:`count` adds a batch's results to the worker's Prometheus metrics.
"""

from __future__ import annotations

from collections import Counter as Counter_
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from prometheus_client import Counter, Histogram

from triggerwatch.core.contracts import AlertV1, DeadLetterV1, TriggerEventV1, encode

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
