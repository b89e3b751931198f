"""Shared fixtures for the notifier tests: a sample alert, a database, real local servers.

The ``db`` fixture comes from ``tests/conftest.py`` (SQLite in tmp_path, and PostgreSQL when
reachable). Slack and the CRM are played by a small aiohttp server on 127.0.0.1 (scripted answers, every
request recorded); e-mail by a real aiosmtpd SMTP server. Nothing here mocks a library.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from triggerwatch.core.contracts import (
    AlertV1,
    CompanyRef,
    EventKind,
    Evidence,
    Explanation,
    Priority,
    decode_alert,
    example_payloads,
)
from triggerwatch.notifier.sinks.email import EmailSink

SECRET_NEW = "new-secret-0123456789abcdef"
SECRET_OLD = "old-secret-fedcba9876543210"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _constructed_alert() -> AlertV1:
    return AlertV1(
        alert_id="c9a93418-55a0-5e49-8dd9-9b37cc402ac6",
        event_ids=["ca64b658-6cd0-52ec-85dd-118ec7fcfd5d"],
        kind=EventKind.RECRUITMENT,
        company=CompanyRef(business_id="0246246-0", name="Kela"),
        product_group="it-services",
        target_group_id="it-services:public-sector-central-finland",
        score=0.82,
        priority=Priority.HIGH,
        priority_score=0.57,
        explanation=Explanation(
            what_happened="Kela is recruiting: IT asiantuntija (Jyväskylä)",
            why_it_matters="Organisations that hire IT experts buy IT services within months.",
            target_group_rule="TOL O (84) and region Keski-Suomi",
            next_step="Contact the hiring manager about IT services before the role is filled.",
        ),
        recommended_offer="it-services",
        evidence=[
            Evidence(
                url="http://www.mol.fi/tyopaikat/tyopaikkatiedotus/haku/8474437_fi.htm?rss=true",
                source="te-jobs-jyvaskyla",
                title="IT asiantuntija, Kela, Jyväskylä",
            )
        ],
        occurred_at=datetime(2014, 5, 16, 5, 32, 31, tzinfo=UTC),
        created_at=datetime(2014, 5, 16, 9, 0, 5, tzinfo=UTC),
    )


def sample_alert() -> AlertV1:
    """The shipped English high-priority example when there is one, else an equivalent."""
    try:
        examples = example_payloads("alerts")
    except (FileNotFoundError, ModuleNotFoundError):
        examples = {}
    for raw in examples.values():
        alert = decode_alert(raw)
        if alert.language == "en" and alert.priority == Priority.HIGH and alert.evidence:
            return alert
    return _constructed_alert()


@pytest.fixture
def alert() -> AlertV1:
    return sample_alert()


@pytest.fixture
def hostile_alert(alert: AlertV1) -> AlertV1:
    """Source-derived text trying Slack mentions, HTML injection, header injection, bad links."""
    return alert.model_copy(
        update={
            "company": CompanyRef(
                business_id="0246246-0", name="<!channel> Evil & Co <script>alert(1)</script>"
            ),
            "explanation": Explanation(
                what_happened="<!here> hired <@U123> <script>alert('x')</script>\x1b[31m",
                why_it_matters="a > b & c < d",
                target_group_rule="<b>bold</b>",
                next_step="Call <https://evil.example|your bank>",
            ),
            "evidence": [
                Evidence(url="javascript:alert(1)", source="evil", title="<script>steal()</script>"),
                Evidence(
                    url="https://ok.example/a?x=1&y=2", source="news", title="Fair | title > <!channel>"
                ),
            ],
        }
    )


class FakeClock:
    """A monotonic clock that only moves when someone sleeps on it (or a test advances it);
    ``wall()`` is the same time as a timezone-aware datetime (the delivery queue's clock)."""

    EPOCH = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wall(self) -> datetime:
        return self.EPOCH + timedelta(seconds=self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# ---------------------------------------------------------------------------------------------------
# HTTP stub (Slack webhook, CRM webhook)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class StubServer:
    """Answers from ``script`` in order (then ``default``) and records every request."""

    default: tuple[int, dict[str, str], str] = (200, {}, "ok")
    script: list[tuple[int, dict[str, str], str]] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None
    _arrived: asyncio.Condition | None = None

    def reply(self, status: int, text: str = "", headers: dict[str, str] | None = None) -> None:
        self.script.append((status, headers or {}, text))

    async def wait_for_requests(self, count: int, timeout: float = 5.0) -> None:
        assert self._arrived is not None
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.requests) >= count), timeout)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        assert self._arrived is not None
        async with self._arrived:
            self.requests.append(Recorded(request.method, request.path, dict(request.headers), body))
            self._arrived.notify_all()
        status, headers, text = self.script.pop(0) if self.script else self.default
        return web.Response(status=status, headers=headers, text=text)

    async def start(self) -> None:
        self._arrived = asyncio.Condition()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hook/T000/B000/secretpath"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def slack_server() -> AsyncIterator[StubServer]:
    server = StubServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def crm_server() -> AsyncIterator[StubServer]:
    server = StubServer(default=(202, {}, '{"status":"accepted"}'))
    await server.start()
    yield server
    await server.stop()


# ---------------------------------------------------------------------------------------------------
# SMTP (aiosmtpd, in its own thread)


class SmtpRecorder:
    """aiosmtpd handler: keeps every accepted message; ``data_replies`` answer DATA first."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Envelope] = []
        self.data_replies: list[str] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_replies:
            return self.data_replies.pop(0)
        raw = envelope.original_content or b""
        message: Any = BytesParser(policy=policy.default).parsebytes(raw)
        self.envelopes.append(envelope)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    handler: SmtpRecorder
    host: str
    port: int


def make_email_sink(server: SmtpServer, **overrides: Any) -> EmailSink:
    options: dict[str, Any] = {
        "host": server.host,
        "port": server.port,
        "sender": "triggerwatch@example.fi",
        "recipients": ["sales@example.fi", "lead@example.fi"],
        "timeout_s": 5.0,
    }
    options.update(overrides)
    return EmailSink(**options)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    handler = SmtpRecorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(handler, "127.0.0.1", controller.port)
    finally:
        controller.stop()
