from __future__ import annotations

import asyncio
import json
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from triggerwatch.core.contracts import AlertV1
from triggerwatch.core.errors import PermanentDeliveryError, TransientError
from triggerwatch.notifier.render import render_blocks, render_text, trigger_record
from triggerwatch.notifier.sinks.base import Sink
from triggerwatch.notifier.sinks.console import ConsoleSink
from triggerwatch.notifier.sinks.crm import CrmSink, sign, verify_signature
from triggerwatch.notifier.sinks.email import EmailSink, message_id
from triggerwatch.notifier.sinks.slack import SlackSink

from .conftest import (
    SECRET_NEW,
    SECRET_OLD,
    FakeClock,
    SmtpRecorder,
    SmtpServer,
    StubServer,
    free_port,
    make_email_sink,
)

KEY = "c9a93418-55a0-5e49-8dd9-9b37cc402ac6:test"


def test_every_sink_fulfils_the_protocol(smtp_server: SmtpServer) -> None:
    sinks = [
        ConsoleSink(),
        SlackSink("http://127.0.0.1:9/hook"),
        make_email_sink(smtp_server),
        CrmSink("http://127.0.0.1:9/crm", [SECRET_NEW]),
    ]
    assert all(isinstance(sink, Sink) for sink in sinks)
    assert [s.name for s in sinks] == ["console", "slack", "email", "crm"]


# console -------------------------------------------------------------------------------------------


async def test_console_prints_header_and_text(alert: AlertV1, capsys: pytest.CaptureFixture[str]) -> None:
    await ConsoleSink().send(alert, KEY)
    out = capsys.readouterr().out
    assert "ALERT [high] Kela (0246246-0) recruitment → product group it-services\n" in out
    assert render_text(alert) in out


# slack ---------------------------------------------------------------------------------------------


async def test_slack_posts_text_and_blocks(alert: AlertV1, slack_server: StubServer) -> None:
    await SlackSink(slack_server.url, min_interval_s=0).send(alert, KEY)
    [request] = slack_server.requests
    assert request.method == "POST" and request.path == "/hook/T000/B000/secretpath"
    assert request.headers["Content-Type"].startswith("application/json")
    payload = json.loads(request.body)
    assert payload["blocks"] == render_blocks(alert)
    assert payload["text"].startswith("[HIGH] Kela (0246246-0)")
    assert payload["unfurl_links"] is False


async def test_slack_429_surfaces_with_retry_after(alert: AlertV1, slack_server: StubServer) -> None:
    slack_server.reply(429, "rate_limited", {"Retry-After": "7"})
    with pytest.raises(TransientError) as caught:
        await SlackSink(slack_server.url, min_interval_s=0, max_inline_wait_s=5).send(alert, KEY)
    assert caught.value.retry_after == 7.0
    assert len(slack_server.requests) == 1  # slack-sdk did not retry on its own


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, TransientError),
        (503, TransientError),
        (400, PermanentDeliveryError),
        (404, PermanentDeliveryError),
    ],
)
async def test_slack_status_classification(
    alert: AlertV1, slack_server: StubServer, status: int, error: type[Exception]
) -> None:
    slack_server.reply(status, "invalid_payload" if status < 500 else "oops")
    with pytest.raises(error, match=f"HTTP {status}"):
        await SlackSink(slack_server.url, min_interval_s=0).send(alert, KEY)
    assert len(slack_server.requests) == 1


async def test_slack_unreachable_is_transient_and_hides_the_url(alert: AlertV1) -> None:
    url = f"http://127.0.0.1:{free_port()}/services/T0/B0/very-secret"
    with pytest.raises(TransientError) as caught:
        await SlackSink(url, min_interval_s=0, timeout_s=5).send(alert, KEY)
    assert "very-secret" not in str(caught.value)


async def test_slack_paces_messages(alert: AlertV1, slack_server: StubServer, clock: FakeClock) -> None:
    sink = SlackSink(slack_server.url, min_interval_s=1.0, clock=clock, sleep=clock.sleep)
    await asyncio.gather(*(sink.send(alert, f"{KEY}{i}") for i in range(3)))
    assert clock.sleeps == [pytest.approx(1.0), pytest.approx(1.0)]
    clock.now += 5.0  # after a quiet spell the next message goes at once
    await sink.send(alert, KEY)
    assert len(clock.sleeps) == 2
    assert len(slack_server.requests) == 4


# e-mail --------------------------------------------------------------------------------------------


async def test_email_sends_text_and_html(hostile_alert: AlertV1, smtp_server: SmtpServer) -> None:
    sink = make_email_sink(smtp_server)
    await sink.send(hostile_alert, KEY)
    [envelope] = smtp_server.handler.envelopes
    assert envelope.mail_from == "triggerwatch@example.fi"
    assert envelope.rcpt_tos == ["sales@example.fi", "lead@example.fi"]
    [msg] = smtp_server.handler.messages
    assert msg["Message-ID"] == message_id(KEY, "triggerwatch@example.fi")
    assert msg["X-Triggerwatch-Alert-Id"] == hostile_alert.alert_id
    assert msg["From"] == "triggerwatch@example.fi"
    assert msg["To"] == "sales@example.fi, lead@example.fi"
    assert msg.get_content_type() == "multipart/alternative"
    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    assert text_part is not None and html_part is not None
    assert "What happened:" in text_part.get_content()
    html = html_part.get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_message_id_is_stable_per_key() -> None:
    first = message_id(KEY, "Triggerwatch <tw@example.fi>")
    assert first == message_id(KEY, "Triggerwatch <tw@example.fi>")
    assert first != message_id(KEY + "x", "Triggerwatch <tw@example.fi>")
    assert first.startswith("<") and first.endswith("@example.fi>")


@pytest.mark.parametrize(
    ("reply", "error"),
    [("451 4.3.0 try again later", TransientError), ("554 5.7.1 rejected as spam", PermanentDeliveryError)],
)
async def test_email_smtp_codes(
    alert: AlertV1, smtp_server: SmtpServer, reply: str, error: type[Exception]
) -> None:
    smtp_server.handler.data_replies.append(reply)
    with pytest.raises(error, match=reply[:3]):
        await make_email_sink(smtp_server).send(alert, KEY)
    assert smtp_server.handler.messages == []


async def test_email_unreachable_server_is_transient(alert: AlertV1) -> None:
    sink = EmailSink(
        host="127.0.0.1", port=free_port(), sender="a@example.fi", recipients=["b@example.fi"], timeout_s=5.0
    )
    with pytest.raises(TransientError):
        await sink.send(alert, KEY)


def _authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: object
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"tw", b"correct-horse-battery")
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
async def test_email_login(alert: AlertV1) -> None:
    handler = SmtpRecorder()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=_authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        server = SmtpServer(handler, "127.0.0.1", controller.port)
        await make_email_sink(server, username="tw", password="correct-horse-battery").send(alert, KEY)
        assert len(handler.messages) == 1
        with pytest.raises(PermanentDeliveryError, match="535"):
            await make_email_sink(server, username="tw", password="wrong-password-here").send(alert, KEY)
        with pytest.raises(PermanentDeliveryError, match="530"):  # authentication required
            await make_email_sink(server).send(alert, KEY)
        assert len(handler.messages) == 1
    finally:
        controller.stop()


# CRM -----------------------------------------------------------------------------------------------


async def test_crm_posts_signed_json(alert: AlertV1, crm_server: StubServer) -> None:
    sink = CrmSink(crm_server.url, [SECRET_NEW, SECRET_OLD], now=lambda: 1_700_000_000.0)
    try:
        await sink.send(alert, KEY)
    finally:
        await sink.aclose()
    [request] = crm_server.requests
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == KEY
    assert request.headers["X-Triggerwatch-Timestamp"] == "1700000000"
    assert json.loads(request.body) == trigger_record(alert)  # the one shape for webhook, pull API, CSV
    header = request.headers["X-Triggerwatch-Signature"]
    assert len(header.split(",")) == 2 and all(p.startswith("v1=") for p in header.split(","))
    now = 1_700_000_030.0
    for secrets in ([SECRET_NEW], [SECRET_OLD], [SECRET_OLD, SECRET_NEW]):
        assert verify_signature(request.body, "1700000000", header, secrets, now=now)


def test_signature_rejects_tampering_staleness_and_unknown_secrets() -> None:
    body, ts = b'{"alert_id":"a"}', str(int(time.time()))
    header = sign(body, ts, [SECRET_NEW])
    now = float(ts)
    assert verify_signature(body, ts, header, [SECRET_NEW], now=now)
    assert not verify_signature(body + b" ", ts, header, [SECRET_NEW], now=now)  # body tampered
    assert not verify_signature(body, str(int(ts) + 1), header, [SECRET_NEW], now=now)  # timestamp tampered
    assert not verify_signature(body, ts, header, [SECRET_OLD], now=now)  # not signed with this secret
    assert not verify_signature(body, ts, header, [SECRET_NEW], now=now + 301)  # stale
    assert not verify_signature(body, ts, header, [SECRET_NEW], now=now - 301)  # from the future
    assert verify_signature(body, ts, header, [SECRET_NEW], now=now + 600, tolerance_s=900)
    assert not verify_signature(body, ts, header.replace("v1=", "v0="), [SECRET_NEW], now=now)
    assert not verify_signature(body, ts, "", [SECRET_NEW], now=now)
    assert not verify_signature(body, "not-a-number", header, [SECRET_NEW], now=now)
    assert verify_signature(body, ts, f"v0=abc, {header}", [SECRET_NEW], now=now)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (408, TransientError),
        (500, TransientError),
        (503, TransientError),
        (400, PermanentDeliveryError),
        (401, PermanentDeliveryError),
        (404, PermanentDeliveryError),
        (422, PermanentDeliveryError),
    ],
)
async def test_crm_status_classification(
    alert: AlertV1, crm_server: StubServer, status: int, error: type[Exception]
) -> None:
    crm_server.reply(status, "nope")
    sink = CrmSink(crm_server.url, [SECRET_NEW])
    try:
        with pytest.raises(error, match=f"HTTP {status}"):
            await sink.send(alert, KEY)
    finally:
        await sink.aclose()


async def test_crm_429_carries_retry_after(alert: AlertV1, crm_server: StubServer) -> None:
    crm_server.reply(429, "slow down", {"Retry-After": "12"})
    sink = CrmSink(crm_server.url, [SECRET_NEW])
    try:
        with pytest.raises(TransientError) as caught:
            await sink.send(alert, KEY)
    finally:
        await sink.aclose()
    assert caught.value.retry_after == 12.0


async def test_crm_unreachable_is_transient(alert: AlertV1) -> None:
    sink = CrmSink(f"http://127.0.0.1:{free_port()}/crm", [SECRET_NEW], timeout_s=5)
    try:
        with pytest.raises(TransientError):
            await sink.send(alert, KEY)
    finally:
        await sink.aclose()
