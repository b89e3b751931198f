"""Console sink: the alert as plain text on stdout (also the default, zero-configuration sink)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from triggerwatch.core.contracts import AlertV1
from triggerwatch.core.errors import TransientError
from triggerwatch.notifier.render import company_label, one_line, render_digest, render_text, resolve_language

if TYPE_CHECKING:
    from triggerwatch.notifier.sinks.base import Digest

RULE = "-" * 72


def console_header(alert: AlertV1) -> str:
    """``ALERT [high] Kela (0246246-0) recruitment → product group X``"""
    company = company_label(alert, resolve_language(alert))
    return f"ALERT [{alert.priority}] {company} {alert.kind} → product group {one_line(alert.product_group)}"


class ConsoleSink:
    name = "console"
    keyed = False  # no deduplication by key at the receiver: a re-send after a crash is a duplicate

    def __init__(self, *, language: str | None = None, stream: TextIO | None = None) -> None:
        self.language = language
        self._stream = stream  # None: sys.stdout at the time of sending (so redirection works)

    async def send(self, alert: AlertV1, idempotency_key: str) -> None:
        header = console_header(alert)
        if alert.revision > 1:
            header = f"UPDATE r{alert.revision} ({len(alert.sources)} sources) {header}"
        self._write(f"{RULE}\n{header}\n{render_text(alert, self.language)}{RULE}\n")

    async def send_digest(self, digest: Digest, idempotency_key: str) -> None:
        _, text, _ = render_digest(digest.owner, digest.alerts, digest.period)
        self._write(f"{RULE}\nDIGEST {text}{RULE}\n")

    async def aclose(self) -> None:
        """Nothing held open."""

    def _write(self, text: str) -> None:
        stream = self._stream or sys.stdout
        try:
            try:
                stream.write(text)
            except UnicodeEncodeError:  # a non-UTF-8 terminal: degrade, don't fail
                encoding = getattr(stream, "encoding", None) or "ascii"
                stream.write(text.encode(encoding, errors="replace").decode(encoding))
            stream.flush()
        except OSError as exc:  # closed pipe, full disk behind a redirect
            raise TransientError(f"console: {exc!r}") from exc
