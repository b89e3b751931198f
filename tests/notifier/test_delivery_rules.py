"""Noise gate (cap, quiet hours, digest), objections, retention, Slack bot mode, Dynamics 365, CRM outage.

Local servers only (aiohttp stubs from conftest, aiosmtpd); clocks and sleeps are injected.
"""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from triggerwatch.core.contracts import AlertV1, CompanyRef, Routing
from triggerwatch.core.db import Alert, Database, Delivery, Event, NotificationDecision
from triggerwatch.core.objections import add_objection, is_objected, list_objections, remove_objection
from triggerwatch.core.rules import DeliveryRules, QuietHours, RoutingRules
from triggerwatch.core.settings import NotifierSettings
from triggerwatch.notifier.digest import run_digest
from triggerwatch.notifier.dispatcher import Dispatcher
from triggerwatch.notifier.noise import NoiseGate
from triggerwatch.notifier.retention import REMOVED, run_retention
from triggerwatch.notifier.sinks.console import ConsoleSink
from triggerwatch.notifier.sinks.crm import CrmSink, verify_signature
from triggerwatch.notifier.sinks.dynamics import DynamicsSink, record_id
from triggerwatch.notifier.sinks.slack import SlackSink

from .conftest import SECRET_NEW, SECRET_OLD, FakeClock, SmtpServer, StubServer, make_email_sink

# 09:00 in Helsinki (UTC+2 in winter)
MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


def settings() -> NotifierSettings:
    return NotifierSettings(max_attempts=5, max_retry_period_s=600)


def variant(alert: AlertV1, n: int, owner: str = "rep-anna", **changes: object) -> AlertV1:
    return alert.model_copy(
        update={"alert_id": f"00000000-0000-5000-8000-{n:012d}", "routing": Routing(owner=owner)} | changes
    )


def test_daily_cap_overflows_into_the_digest_and_quiet_hours(alert: AlertV1, db: Database) -> None:
    db.upgrade()
    now = {"t": MORNING}
    gate = NoiseGate(db, DeliveryRules(daily_cap=2), clock=lambda: now["t"])
    decisions = [gate.decide(variant(alert, i))[0] for i in range(3)]
    assert decisions == ["deliver", "deliver", "digest"]
    assert gate.decide(variant(alert, 2)) == (
        "digest",
        "daily cap of 2 alerts reached for rep-anna",
    )  # replay
    assert gate.decide(variant(alert, 9, owner="rep-ville"))[0] == "deliver"  # caps are per rep
    assert gate.decide(variant(alert, 0, revision=2))[0] == "deliver"  # an update follows its alert
    now["t"] = MORNING + timedelta(days=1)  # a new local day
    assert gate.decide(variant(alert, 3))[0] == "deliver"
    quiet = NoiseGate(
        db, DeliveryRules(quiet_hours=QuietHours(start=time(21), end=time(7))), clock=lambda: now["t"]
    )
    now["t"] = datetime(2026, 11, 24, 20, 30, tzinfo=UTC)  # 22:30 in Helsinki
    assert quiet.decide(variant(alert, 20)) == ("digest", "quiet hours 21:00-07:00 Europe/Helsinki")


async def test_digest_sends_the_overflow_once(alert: AlertV1, db: Database, smtp_server: SmtpServer) -> None:
    db.upgrade()
    gate = NoiseGate(db, DeliveryRules(daily_cap=0), clock=lambda: MORNING)
    held = [variant(alert, i) for i in range(2)]
    assert [gate.decide(a)[0] for a in held] == ["digest", "digest"]
    stream = io.StringIO()
    email = make_email_sink(smtp_server)
    dispatcher = Dispatcher(db, [ConsoleSink(stream=stream), email], settings())
    routing = RoutingRules.model_validate({"reps": {"rep-anna": {"email": "anna@example.fi"}}})
    [digest] = await run_digest(db, dispatcher, channels_for=routing.channels, clock=lambda: MORNING)
    assert digest.owner == "rep-anna" and len(digest.alerts) == 2
    assert "DIGEST triggerwatch daily digest for rep-anna: 2 alert(s)" in stream.getvalue()
    [message] = smtp_server.handler.messages
    assert message["To"] == "anna@example.fi"
    assert "Kela" in message.get_body(("plain",)).get_content()
    assert await run_digest(db, dispatcher, clock=lambda: MORNING) == []  # nothing pending any more
    with db.session() as session:
        rows = session.scalars(select(NotificationDecision)).all()
        assert all(r.digested_at is not None for r in rows)


async def test_objection_blocks_every_sink(
    alert: AlertV1, db: Database, slack_server: StubServer, crm_server: StubServer, smtp_server: SmtpServer
) -> None:
    db.upgrade()
    crm = CrmSink(crm_server.url, [SECRET_NEW], timeout_s=5)
    stream = io.StringIO()
    sinks = [
        ConsoleSink(stream=stream),
        SlackSink(slack_server.url, min_interval_s=0),
        make_email_sink(smtp_server),
        crm,
    ]
    dispatcher = Dispatcher(db, sinks, settings())
    with db.session() as session:
        assert add_objection(session, "business_id", "0246246-0", "asked by phone")
        assert not add_objection(session, "business_id", "02462460")  # same ID, other spelling
    assert await dispatcher.deliver(alert) == dict.fromkeys(["console", "slack", "email", "crm"], "blocked")
    assert stream.getvalue() == "" and slack_server.requests == [] and crm_server.requests == []
    assert smtp_server.handler.messages == []
    with db.session() as session:
        rows = session.scalars(select(Delivery)).all()
        assert {(r.status, r.last_error) for r in rows} == {
            ("blocked", "objection: business ID 0246246-0 is in the objection register")
        }
        assert remove_objection(session, "business_id", "0246246-0")
        named = alert.model_copy(update={"company": CompanyRef(business_id="0831312-4", name="Digia Oyj")})
        named = named.model_copy(
            update={
                "explanation": named.explanation.model_copy(
                    update={"what_happened": "Digia: Maija  MEIKÄLÄINEN CFO"}
                )
            }
        )
        assert is_objected(session, named) is None
        add_objection(session, "person", "Maija Meikäläinen")
        assert is_objected(session, named.model_dump(mode="json")) == (
            "objection: the alert names a person in the objection register"
        )
        assert [o.kind for o in list_objections(session)] == ["person"]
    await crm.aclose()


def test_retention_purges_person_names(db: Database) -> None:
    from triggerwatch.core.contracts import EventKind, TriggerEventV1
    from triggerwatch.core.outbox import event_row

    db.upgrade()
    old = datetime(2026, 1, 1, tzinfo=UTC)
    event = TriggerEventV1.create(
        source="prh-registry",
        source_item_id="r1",
        kind=EventKind.DECISION_MAKER_CHANGE,
        occurred_at=old,
        observed_at=old,
        companies=[CompanyRef(business_id="0831312-4")],
        title="Digia Oyj: talousjohtajaksi Maija Meikäläinen",
        attributes={"role": "cfo", "person_name": "Maija Meikäläinen"},
    )
    with db.session() as session:
        session.add(Event(**(event_row(event) | {"created_at": old})))
        session.add(
            Alert(
                alert_id="a1",
                event_id=event.event_id,
                business_id="0831312-4",
                kind="decision_maker_change",
                product_group="consulting",
                score=0.6,
                priority="medium",
                payload={"event_ids": [event.event_id], "explanation": {"what_happened": event.title}},
                created_at=old,
            )
        )
    result = run_retention(db, 180, clock=lambda: datetime(2026, 11, 24, tzinfo=UTC))
    assert (result.events, result.alerts) == (1, 1)
    with db.session() as session:
        stored = session.get(Event, event.event_id)
        assert stored is not None and "person_name" not in stored.payload["attributes"]
        assert stored.payload["attributes"]["role"] == "cfo"
        alert_row = session.get(Alert, "a1")
        assert alert_row is not None
        assert alert_row.payload["explanation"]["what_happened"] == f"Digia Oyj: talousjohtajaksi {REMOVED}"
    assert run_retention(db, 180, clock=lambda: datetime(2026, 11, 24, tzinfo=UTC)).events == 0


async def test_slack_bot_429_waits_retry_after_and_keeps_channel_order(
    alert: AlertV1, slack_server: StubServer, clock: FakeClock
) -> None:
    json_ct = {"Content-Type": "application/json"}
    slack_server.default = (200, json_ct, '{"ok": true, "ts": "1.2"}')
    slack_server.reply(429, '{"ok": false, "error": "ratelimited"}', json_ct | {"Retry-After": "1"})
    base = slack_server.url.split("/hook/")[0] + "/api/"
    sink = SlackSink(bot_token="xoxb-test", base_url=base, min_interval_s=1.0, clock=clock, sleep=clock.sleep)
    routed = Routing(owner="rep-anna", channels=["slack:#anna"])
    first = variant(alert, 1).model_copy(update={"routing": routed})
    second = variant(alert, 2).model_copy(
        update={"routing": routed, "company": CompanyRef(business_id="0831312-4", name="Digia Oyj")}
    )

    await asyncio.gather(sink.send(first, "k1"), sink.send(second, "k2"))
    bodies = [json.loads(r.body) for r in slack_server.requests]
    assert [r.path for r in slack_server.requests] == ["/api/chat.postMessage"] * 3
    assert [b["channel"] for b in bodies] == ["#anna"] * 3
    texts = [b["text"] for b in bodies]
    assert "Kela" in texts[0] and "Kela" in texts[1]  # the first message was retried ...
    assert "Digia Oyj" in texts[2]  # ... before the second went out
    assert sink.retry_handler.waits == [1.0]
    assert 1.0 in clock.sleeps  # the Retry-After wait (then the 1 msg/s pacing)
    assert slack_server.requests[0].headers["Authorization"] == "Bearer xoxb-test"
    await sink.aclose()


async def test_crm_down_then_back_delivers_exactly_once_signed(
    alert: AlertV1, db: Database, crm_server: StubServer, clock: FakeClock
) -> None:
    db.upgrade()
    for _ in range(3):
        crm_server.reply(503, "down for maintenance")
    crm = CrmSink(crm_server.url, [SECRET_NEW, SECRET_OLD], timeout_s=5, now=lambda: 1_700_000_000.0)
    dispatcher = Dispatcher(db, [crm], settings(), sleep=clock.sleep, now=clock.wall, monotonic=clock)
    assert await dispatcher.deliver(alert) == {"crm": "retrying"}
    waits = []
    while True:  # the lane's schedule, on the fake clock: wait until due, attempt
        with db.session() as session:
            row = session.scalars(select(Delivery)).one()
        if row.status != "pending":
            break
        assert row.next_attempt_at is not None
        waits.append((row.next_attempt_at - clock.wall()).total_seconds())
        clock.advance(waits[-1])
        await dispatcher.run_due()
    assert row.status == "delivered" and row.attempts == 4
    assert await dispatcher.deliver(alert) == {"crm": "skipped"}
    assert len(waits) == 3 and waits == sorted(waits)  # backoff grows
    requests = crm_server.requests
    assert len(requests) == 4
    assert len({r.headers["Idempotency-Key"] for r in requests}) == 1
    last = requests[-1]
    assert verify_signature(
        last.body,
        last.headers["X-Triggerwatch-Timestamp"],
        last.headers["X-Triggerwatch-Signature"],
        [SECRET_OLD],
        now=1_700_000_000.0,
    )
    update = alert.model_copy(update={"revision": 2})
    assert await dispatcher.deliver(update) == {"crm": "delivered"}  # an update is delivered once more
    assert crm_server.requests[-1].headers["Idempotency-Key"] == f"{alert.alert_id}:crm:r2"
    assert json.loads(crm_server.requests[-1].body)["revision"] == 2
    await crm.aclose()


async def test_dynamics_creates_a_task_on_the_account(alert: AlertV1, crm_server: StubServer) -> None:
    json_ct = {"Content-Type": "application/json"}
    crm_server.reply(200, '{"access_token": "tok-1", "expires_in": 3600, "token_type": "Bearer"}', json_ct)
    crm_server.reply(200, '{"value": [{"accountid": "11111111-2222-3333-4444-555555555555"}]}', json_ct)
    crm_server.reply(204, "")
    root = crm_server.url.split("/hook/")[0]
    sink = DynamicsSink(
        api_url=f"{root}/api/data/v9.2",
        token_url=f"{root}/tenant/oauth2/v2.0/token",
        client_id="app-id",
        client_secret="app-secret-value",
        scope="https://org.crm4.dynamics.com/.default",
        business_id_field="accountnumber",
    )
    key = f"{alert.alert_id}:dynamics"
    await sink.send(alert, key)
    token, lookup, create = crm_server.requests
    assert token.path == "/tenant/oauth2/v2.0/token" and b"grant_type=client_credentials" in token.body
    assert lookup.path == "/api/data/v9.2/accounts"
    assert lookup.headers["OData-Version"] == "4.0" and lookup.headers["Authorization"] == "Bearer tok-1"
    body = json.loads(create.body)
    # a create-only upsert on a record id derived from the idempotency key
    assert (create.method, create.path) == ("PATCH", f"/api/data/v9.2/tasks({record_id(key)})")
    assert create.headers["If-None-Match"] == "*"
    assert body["regardingobjectid_account@odata.bind"] == "/accounts(11111111-2222-3333-4444-555555555555)"
    assert body["subject"].startswith("Kela")
    assert alert.alert_id in body["description"]
    # the same delivery again (in doubt after a crash): Dataverse has the record (412), nothing new
    crm_server.reply(200, '{"value": [{"accountid": "11111111-2222-3333-4444-555555555555"}]}', json_ct)
    crm_server.reply(412, '{"error": {"message": "A record with matching key values already exists."}}')
    await sink.send(alert, key)
    assert crm_server.requests[-1].path == create.path
    assert sink.keyed
    await sink.aclose()


@pytest.mark.parametrize("entity", ["annotation"])
async def test_dynamics_note_and_missing_account(alert: AlertV1, crm_server: StubServer, entity: str) -> None:
    from triggerwatch.core.errors import PermanentDeliveryError

    json_ct = {"Content-Type": "application/json"}
    crm_server.reply(200, '{"access_token": "tok-1", "expires_in": 3600}', json_ct)
    crm_server.reply(200, '{"value": []}', json_ct)
    root = crm_server.url.split("/hook/")[0]
    sink = DynamicsSink(
        api_url=f"{root}/api/data/v9.2",
        token_url=f"{root}/token",
        client_id="a",
        client_secret="b",
        scope="s",
        entity=entity,
    )
    with pytest.raises(PermanentDeliveryError, match="no account with accountnumber = 0246246-0"):
        await sink.send(alert, "k")
    _, record = sink.record(alert, "x", "k")
    assert record["objectid_account@odata.bind"] == "/accounts(x)"
    await sink.aclose()
