"""E-mail sink: stdlib ``smtplib`` in a worker thread; text body with an HTML alternative.

``Message-ID`` is derived from the idempotency key, so a message re-sent after an ambiguous failure
is recognisably the same one. Connection problems and SMTP 4xx are transient; SMTP 5xx is
permanent.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import logging
import smtplib
import ssl
from email.message import EmailMessage
from typing import TYPE_CHECKING

from triggerwatch.core.contracts import AlertV1
from triggerwatch.core.db import utcnow
from triggerwatch.core.errors import PermanentDeliveryError, TransientError
from triggerwatch.notifier.render import render_digest, render_email

if TYPE_CHECKING:
    from triggerwatch.notifier.sinks.base import Digest

log = logging.getLogger(__name__)


def message_id(idempotency_key: str, sender: str) -> str:
    domain = sender.rpartition("@")[2].strip(" >") or "triggerwatch.local"
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"<{digest}.triggerwatch@{domain}>"


class EmailSink:
    name = "email"
    keyed = False  # no deduplication by key at the receiver: a re-send after a crash is a duplicate

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        recipients: list[str],
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout_s: float = 30.0,
        language: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.recipients = list(recipients)
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout_s = timeout_s
        self.language = language

    def build_message(self, alert: AlertV1, idempotency_key: str) -> EmailMessage:
        subject, text, html = render_email(alert, self.language)
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        msg["Date"] = email.utils.format_datetime(utcnow())
        msg["Message-ID"] = message_id(idempotency_key, self.sender)
        msg["X-Triggerwatch-Alert-Id"] = alert.alert_id
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(text)
        msg.add_alternative(html, subtype="html")
        return msg

    def _recipients(self, channels: list[str]) -> list[str]:
        """The rep's address from the routing (``email:<address>``), else the configured ones."""
        own = [c.removeprefix("email:") for c in channels if c.startswith("email:")]
        return own or self.recipients

    async def send(self, alert: AlertV1, idempotency_key: str) -> None:
        msg = self.build_message(alert, idempotency_key)
        recipients = self._recipients(list(alert.routing.channels))
        msg.replace_header("To", ", ".join(recipients))
        if alert.revision > 1:
            msg.replace_header("Subject", f"Update: {msg['Subject']}")
        await asyncio.to_thread(self._send_sync, msg, recipients)

    async def aclose(self) -> None:
        """Nothing held open: each message uses its own SMTP connection."""

    async def send_digest(self, digest: Digest, idempotency_key: str) -> None:
        subject, text, html = render_digest(digest.owner, digest.alerts, digest.period)
        recipients = self._recipients(digest.channels)
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = self.sender
        msg["To"] = ", ".join(recipients)
        msg["Date"] = email.utils.format_datetime(utcnow())
        msg["Message-ID"] = message_id(idempotency_key, self.sender)
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(text)
        msg.add_alternative(html, subtype="html")
        await asyncio.to_thread(self._send_sync, msg, recipients)

    def _send_sync(self, msg: EmailMessage, recipients: list[str] | None = None) -> None:
        recipients = recipients or self.recipients
        where = f"smtp {self.host}:{self.port}"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(msg, from_addr=self.sender, to_addrs=recipients)
        except smtplib.SMTPRecipientsRefused as exc:  # every recipient refused
            codes = [code for code, _ in exc.recipients.values()]
            error = f"{where}: all recipients refused {exc.recipients!r}"
            if any(400 <= code < 500 for code in codes):
                raise TransientError(error) from exc
            raise PermanentDeliveryError(error) from exc
        except smtplib.SMTPResponseException as exc:  # sender refused, DATA refused, auth failed, ...
            error = f"{where}: {exc.smtp_code} {exc.smtp_error!r}"
            if 400 <= exc.smtp_code < 500:
                raise TransientError(error) from exc
            raise PermanentDeliveryError(error) from exc
        except smtplib.SMTPNotSupportedError as exc:  # STARTTLS/AUTH not offered: configuration
            raise PermanentDeliveryError(f"{where}: {exc}") from exc
        except OSError as exc:  # refused, reset, timeout, TLS, disconnected (SMTPException is an OSError)
            raise TransientError(f"{where}: {type(exc).__name__}: {exc}") from exc
        if refused:  # accepted for some recipients: retrying would duplicate it for the others
            log.warning("%s: some recipients refused: %r", where, refused)
