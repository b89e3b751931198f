from __future__ import annotations

import asyncio
import base64
import io
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from pydantic import SecretStr
from sqlalchemy import select

from triggerwatch.core.contracts import AlertV1
from triggerwatch.core.db import Database, DeadLetter, Delivery, utcnow
from triggerwatch.core.deliveries import mark_retry, requeue_dead_letter
from triggerwatch.core.errors import ConfigError
from triggerwatch.core.settings import NotifierSettings
from triggerwatch.notifier.dispatcher import Dispatcher
from triggerwatch.notifier.sinks.base import Sink
from triggerwatch.notifier.sinks.console import ConsoleSink
from triggerwatch.notifier.sinks.crm import CrmSink
from triggerwatch.notifier.sinks.email import EmailSink
from triggerwatch.notifier.sinks.slack import SlackSink
from triggerwatch.notifier.sinks.table import build_sinks, check_sinks

from .conftest import SECRET_NEW, SECRET_OLD, FakeClock, SmtpServer, StubServer, make_email_sink

ALL = ["console", "slack", "email", "crm"]


def settings(**overrides: object) -> NotifierSettings:
    values: dict[str, object] = {"max_attempts": 3, "max_retry_period_s": 60.0}
    values.update(overrides)
    return NotifierSettings(**values)  # type: ignore[arg-type]


def make(db: Database, sinks: list[Sink], clock: FakeClock, **overrides: object) -> Dispatcher:
    return Dispatcher(db, sinks, settings(**overrides), sleep=clock.sleep, now=clock.wall, monotonic=clock)


def rows(db: Database) -> dict[str, Delivery]:
    with db.session() as session:
        return {row.sink: row for row in session.scalars(select(Delivery))}


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def sinks(
    slack_server: StubServer, crm_server: StubServer, smtp_server: SmtpServer, clock: FakeClock
) -> AsyncIterator[list[Sink]]:
    crm = CrmSink(crm_server.url, [SECRET_NEW, SECRET_OLD], timeout_s=5)
    yield [
        ConsoleSink(stream=io.StringIO()),
        SlackSink(slack_server.url, min_interval_s=0, timeout_s=5, sleep=clock.sleep),
        make_email_sink(smtp_server),
        crm,
    ]
    await crm.aclose()


@pytest.fixture
def dispatcher(db: Database, sinks: list[Sink], clock: FakeClock) -> Dispatcher:
    return make(db, sinks, clock)


async def test_delivers_to_every_sink_and_records_it(
    alert: AlertV1,
    dispatcher: Dispatcher,
    db: Database,
    slack_server: StubServer,
    crm_server: StubServer,
    smtp_server: SmtpServer,
) -> None:
    before = metric("triggerwatch_deliveries_total", sink="crm", outcome="delivered")
    attempts_before = metric("triggerwatch_delivery_attempts_total", sink="slack")
    assert await dispatcher.deliver(alert) == dict.fromkeys(ALL, "delivered")
    assert len(slack_server.requests) == len(crm_server.requests) == len(smtp_server.handler.messages) == 1
    assert crm_server.requests[0].headers["Idempotency-Key"] == f"{alert.alert_id}:crm"
    recorded = rows(db)
    assert sorted(recorded) == sorted(ALL)
    for name, row in recorded.items():
        assert row.idempotency_key == f"{alert.alert_id}:{name}"
        assert (row.status, row.attempts, row.last_error) == ("delivered", 1, None)
        assert row.delivered_at is not None and row.delivered_at.tzinfo is not None
    assert metric("triggerwatch_deliveries_total", sink="crm", outcome="delivered") == before + 1
    assert metric("triggerwatch_delivery_attempts_total", sink="slack") == attempts_before + 1


async def test_second_delivery_is_skipped_also_after_a_restart(
    alert: AlertV1,
    dispatcher: Dispatcher,
    db: Database,
    sinks: list[Sink],
    slack_server: StubServer,
    crm_server: StubServer,
    smtp_server: SmtpServer,
) -> None:
    await dispatcher.deliver(alert)
    skipped_before = metric("triggerwatch_deliveries_total", sink="slack", outcome="skipped")
    assert await dispatcher.deliver(alert) == dict.fromkeys(ALL, "skipped")
    restarted_db = Database(db.url)  # another process: a new engine on the same database
    try:
        restarted = Dispatcher(restarted_db, sinks, settings())
        assert await restarted.deliver(alert) == dict.fromkeys(ALL, "skipped")
    finally:
        restarted_db.dispose()
    assert len(slack_server.requests) == len(crm_server.requests) == len(smtp_server.handler.messages) == 1
    assert metric("triggerwatch_deliveries_total", sink="slack", outcome="skipped") == skipped_before + 2
    assert {row.attempts for row in rows(db).values()} == {1}


async def test_slack_429_is_retried_after_the_hinted_delay(
    alert: AlertV1, dispatcher: Dispatcher, db: Database, slack_server: StubServer, clock: FakeClock
) -> None:
    slack_server.reply(429, "rate_limited", {"Retry-After": "3"})
    outcome = await dispatcher.deliver(alert)
    assert outcome["slack"] == "delivered"
    assert clock.sleeps == [3.0]
    assert len(slack_server.requests) == 2
    row = rows(db)["slack"]
    # the 429 is retried inside the sink (in the channel's turn, so order is kept): one attempt
    assert (row.status, row.attempts, row.last_error) == ("delivered", 1, None)


async def test_permanent_failure_is_not_retried_but_dead_lettered(
    alert: AlertV1, dispatcher: Dispatcher, db: Database, crm_server: StubServer, clock: FakeClock
) -> None:
    crm_server.reply(400, '{"error":"bad business id"}')
    outcome = await dispatcher.deliver(alert)
    assert outcome == {"console": "delivered", "slack": "delivered", "email": "delivered", "crm": "failed"}
    assert len(crm_server.requests) == 1 and clock.sleeps == []
    row = rows(db)["crm"]
    assert (row.status, row.attempts, row.delivered_at, row.next_attempt_at) == ("failed", 1, None, None)
    assert row.last_error is not None
    assert "PermanentDeliveryError" in row.last_error and "400" in row.last_error
    with db.session() as session:
        (dl,) = session.scalars(select(DeadLetter)).all()
    assert (dl.stage, dl.source, dl.error_type) == ("delivery", "crm", "delivery_refused")
    assert json.loads(base64.b64decode(dl.raw))["idempotency_key"] == f"{alert.alert_id}:crm"
    assert await dispatcher.run_due() == 0  # given up: nothing is due any more


async def test_a_failing_sink_is_retried_later_and_does_not_hold_up_the_others(
    alert: AlertV1, dispatcher: Dispatcher, db: Database, crm_server: StubServer, clock: FakeClock
) -> None:
    crm_server.default = (500, {}, "down")
    retrying_before = metric("triggerwatch_deliveries_total", sink="crm", outcome="retrying")
    outcome = await dispatcher.deliver(alert)
    assert outcome == {"console": "delivered", "slack": "delivered", "email": "delivered", "crm": "retrying"}
    assert len(crm_server.requests) == 1 and clock.sleeps == []  # nobody waits: the next try is scheduled
    row = rows(db)["crm"]
    assert (row.status, row.attempts, row.failing_since) == ("pending", 1, clock.wall())
    assert row.next_attempt_at is not None
    waited = (row.next_attempt_at - clock.wall()).total_seconds()
    assert 5.0 <= waited <= 10.0  # exponential backoff with jitter: 5 s, plus up to 5 s
    assert metric("triggerwatch_deliveries_total", sink="crm", outcome="retrying") == retrying_before + 1
    assert await dispatcher.run_due() == 0  # not due yet
    clock.advance(waited)
    crm_server.default = (202, {}, "ok")
    assert await dispatcher.run_due() == 1
    row = rows(db)["crm"]
    assert (row.status, row.attempts, row.failing_since) == ("delivered", 2, None)


class GateSink:
    """A slow sink: answers only when the test opens the gate (bounded by a timeout)."""

    name = "gate"

    def __init__(self) -> None:
        self.gate = asyncio.Event()

    async def send(self, alert: AlertV1, idempotency_key: str) -> None:
        await asyncio.wait_for(self.gate.wait(), timeout=5)


async def test_a_slow_sink_does_not_block_the_others(
    alert: AlertV1, db: Database, sinks: list[Sink], slack_server: StubServer, crm_server: StubServer
) -> None:
    slow = GateSink()
    dispatcher = Dispatcher(db, [slow, *sinks], settings())
    task = asyncio.create_task(dispatcher.deliver(alert))
    await slack_server.wait_for_requests(1)  # delivered while the slow sink is still busy
    await crm_server.wait_for_requests(1)
    assert not task.done()
    slow.gate.set()
    outcome = await asyncio.wait_for(task, timeout=10)
    assert outcome == dict.fromkeys(["gate", *ALL], "delivered")


class HangingSink:
    name = "hanging"

    async def send(self, alert: AlertV1, idempotency_key: str) -> None:
        await asyncio.Event().wait()


async def test_a_hanging_sink_times_out(alert: AlertV1, db: Database, sinks: list[Sink]) -> None:
    dispatcher = Dispatcher(
        db, [HangingSink(), *sinks], settings(max_attempts=1, delivery_attempt_timeout_s=0.2)
    )
    outcome = await asyncio.wait_for(dispatcher.deliver(alert), timeout=10)
    assert outcome == {"hanging": "failed", **dict.fromkeys(ALL, "delivered")}  # one attempt allowed
    assert "no answer within 0.2s" in (rows(db)["hanging"].last_error or "")


class BuggySink:
    name = "buggy"

    async def send(self, alert: AlertV1, idempotency_key: str) -> None:
        raise RuntimeError("a bug")


async def test_a_buggy_sink_is_recorded_failed(alert: AlertV1, db: Database, sinks: list[Sink]) -> None:
    outcome = await Dispatcher(db, [BuggySink(), *sinks], settings()).deliver(alert)
    assert outcome == {"buggy": "failed", **dict.fromkeys(ALL, "delivered")}
    row = rows(db)["buggy"]
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "RuntimeError: a bug")


async def test_a_given_up_delivery_is_sent_again_only_when_replayed(
    alert: AlertV1,
    dispatcher: Dispatcher,
    db: Database,
    slack_server: StubServer,
    crm_server: StubServer,
    smtp_server: SmtpServer,
    clock: FakeClock,
) -> None:
    crm_server.reply(400, "not yet")
    assert (await dispatcher.deliver(alert))["crm"] == "failed"
    assert await dispatcher.deliver(alert) == {  # the alert again (a replay of the topic): no re-send
        "console": "skipped",
        "slack": "skipped",
        "email": "skipped",
        "crm": "failed",
    }
    with db.session() as session:
        (dl,) = session.scalars(select(DeadLetter)).all()
        assert (
            requeue_dead_letter(session, dl, clock.wall()) == f"{alert.alert_id}:crm"
        )  # the ops page's replay
    assert await dispatcher.run_due() == 1
    assert len(crm_server.requests) == 2
    assert len(slack_server.requests) == len(smtp_server.handler.messages) == 1
    row = rows(db)["crm"]
    assert (row.status, row.attempts, row.last_error) == ("delivered", 2, None)  # attempts accumulate
    assert row.delivered_at is not None
    with db.session() as session:
        assert len(session.scalars(select(Delivery).where(Delivery.sink == "crm")).all()) == 1
        assert session.get(DeadLetter, dl.dead_letter_id).replayed_at is not None  # type: ignore[union-attr]


async def test_retries_give_up_after_the_retry_period_honouring_retry_after(
    alert: AlertV1, db: Database, crm_server: StubServer, clock: FakeClock
) -> None:
    crm_server.default = (503, {"Retry-After": "4"}, "busy")
    crm = CrmSink(crm_server.url, [SECRET_NEW])
    try:
        dispatcher = make(db, [crm], clock, max_attempts=100, max_retry_period_s=10)
        assert await dispatcher.deliver(alert) == {"crm": "retrying"}
        waits = []
        while rows(db)["crm"].status == "pending":
            due = rows(db)["crm"].next_attempt_at
            assert due is not None
            waits.append((due - clock.wall()).total_seconds())
            clock.advance(waits[-1])
            await dispatcher.run_due()
    finally:
        await crm.aclose()
    assert waits == [4.0, 4.0, 4.0]  # exactly Retry-After; failing for 12 s >= 10 s: given up
    assert clock.sleeps == []
    row = rows(db)["crm"]
    assert (row.status, row.attempts) == ("failed", 4)
    assert "failing for 10s" in (row.last_error or "")


async def test_a_retry_after_longer_than_the_period_is_honoured(
    alert: AlertV1, db: Database, crm_server: StubServer, clock: FakeClock
) -> None:
    crm_server.default = (429, {"Retry-After": "3600"}, "come back in an hour")
    crm = CrmSink(crm_server.url, [SECRET_NEW])
    try:
        dispatcher = make(db, [crm], clock)  # retry period 60 s
        assert await dispatcher.deliver(alert) == {"crm": "retrying"}
        row = rows(db)["crm"]
        assert row.next_attempt_at == clock.wall() + timedelta(hours=1)
        clock.advance(3599)
        assert await dispatcher.run_due() == 0 and len(crm_server.requests) == 1
        clock.advance(1)
        crm_server.default = (202, {}, "ok")
        assert await dispatcher.run_due() == 1
    finally:
        await crm.aclose()
    assert rows(db)["crm"].status == "delivered"


async def test_the_same_alert_at_once_is_delivered_once(
    alert: AlertV1, dispatcher: Dispatcher, slack_server: StubServer, smtp_server: SmtpServer
) -> None:
    first, second = await asyncio.gather(dispatcher.deliver(alert), dispatcher.deliver(alert))
    assert sorted([first["slack"], second["slack"]]) == ["delivered", "skipped"]
    assert len(slack_server.requests) == len(smtp_server.handler.messages) == 1


async def test_a_delivered_row_is_never_downgraded(
    alert: AlertV1, dispatcher: Dispatcher, db: Database
) -> None:
    await dispatcher.deliver(alert)
    row = rows(db)["slack"]
    # another process that lost a race records a failure for the same row afterwards
    with db.session() as session:
        mark_retry(session, row.id, utcnow(), utcnow(), "late failure")
    row = rows(db)["slack"]
    assert (row.status, row.attempts, row.last_error) == ("delivered", 1, None)


def test_sink_names_must_be_unique(db: Database) -> None:
    with pytest.raises(ConfigError, match="unique"):
        Dispatcher(db, [ConsoleSink(), ConsoleSink()], settings())


# build_sinks ---------------------------------------------------------------------------------------


def test_build_sinks_constructs_the_configured_sinks() -> None:
    built = build_sinks(
        settings(
            sinks=["console", "slack", "email", "crm", "console"],
            slack_webhook_url=SecretStr("https://hooks.slack.invalid/services/T/B/x"),
            email_to=["sales@example.fi"],
            crm_webhook_url="https://crm.invalid/hooks/triggers",
            crm_webhook_secrets=[SecretStr(SECRET_NEW), SecretStr(SECRET_OLD)],
        )
    )
    assert [type(s) for s in built] == [ConsoleSink, SlackSink, EmailSink, CrmSink]
    assert [s.name for s in built] == ALL
    assert all(getattr(s, "language", None) is None for s in built[:3])  # follow each alert's language
    finnish = build_sinks(settings(language="fi"))
    assert isinstance(finnish[0], ConsoleSink) and finnish[0].language == "fi"


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"sinks": ["pager"]}, "unknown sinks"),
        ({"sinks": ["slack"]}, "SLACK_WEBHOOK_URL"),
        ({"sinks": ["email"]}, "EMAIL_TO"),
        ({"sinks": ["crm"], "crm_webhook_url": "https://crm.invalid/x"}, "CRM_WEBHOOK"),
    ],
)
def test_build_sinks_refuses_misconfiguration(overrides: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        build_sinks(settings(**overrides))


def test_enabled_sink_without_its_settings_fails_at_start() -> None:
    with pytest.raises(ConfigError, match="SLACK_WEBHOOK_URL"):
        check_sinks(NotifierSettings(sinks=["console", "slack"]))
    with pytest.raises(ConfigError, match="EMAIL_TO"):
        check_sinks(NotifierSettings(sinks=["email"]))
    with pytest.raises(ConfigError, match="unknown sinks"):
        check_sinks(NotifierSettings(sinks=["pager"]))
    check_sinks(NotifierSettings(sinks=["console"]))
