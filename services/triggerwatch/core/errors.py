"""The error tree every service shares.

``TriggerwatchError``
├── ``ConfigError``      — wrong or missing configuration: fail at start, never retried.
├── ``TransientError``   — may succeed later (network, 5xx, 429, broker away): retried with an
│                          injected policy and clock; ``retry_after`` carries a server's hint.
├── ``PermanentDeliveryError`` — a sink refused a delivery for good (4xx other than 408/429):
│                          recorded as failed, never retried.
└── ``InvalidInputError`` — the input itself is bad (malformed feed, JSON, schema): never retried;
                           the item goes to the dead-letter table/topic with ``reason`` and its raw
                           payload, and the rest flows on.
"""

from __future__ import annotations


class TriggerwatchError(Exception):
    """Base of every error triggerwatch raises on purpose."""


class ConfigError(TriggerwatchError):
    """Configuration is wrong or incomplete. Raised at start; the process exits with a clear message."""


class TransientError(TriggerwatchError):
    """A failure that may go away: retry with backoff."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentDeliveryError(TriggerwatchError):
    """A sink refused the delivery for good (e.g. HTTP 400/401/403/404): do not retry."""


class InvalidInputError(TriggerwatchError):
    """The input is malformed: dead-letter it with its reason and raw payload."""

    def __init__(self, reason: str, *, raw: bytes | str | None = None, error_type: str = "invalid") -> None:
        super().__init__(reason)
        self.reason = reason
        self.raw = raw
        self.error_type = error_type
