"""The delivery queue (issue 15): each sink its own lane and retry schedule, persisted; outages lose
nothing and stall nothing; a delivery given up is dead-lettered and replayable from the ops page;
deliveries resume after a restart, and those in doubt after a crash are sent again and counted.

Real local Slack/CRM servers and SMTP; the long outages run on a fake clock (the schedule is in the
database, so the clock is all there is to move), the Retry-After test in real time.
"""

from __future__ import annotations

import asyncio
import io
import re
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from tests.web.conftest import make_web
from tests.web.test_ops import login
from triggerwatch.core import deliveries as queue
from triggerwatch.core.contracts import AlertV1, CompanyRef
from triggerwatch.core.db import Database, DeadLetter, Delivery, utcnow
from triggerwatch.core.objections import add_objection
from triggerwatch.core.settings import NotifierSettings
from triggerwatch.notifier.dispatcher import Dispatcher, owner_id
from triggerwatch.notifier.sinks.base import Sink
from triggerwatch.notifier.sinks.console import ConsoleSink
from triggerwatch.notifier.sinks.crm import CrmSink
from triggerwatch.notifier.sinks.slack import SlackSink
from triggerwatch.web.auth import Role

from .conftest import SECRET_NEW, FakeClock, SmtpServer, StubServer, make_email_sink


def alerts(alert: AlertV1, n: int, start: int = 0) -> list[AlertV1]:
    """``n`` alerts with their own ids (``start`` keeps the tests sharing a database apart)."""
    return [
        alert.model_copy(
            update={
                "alert_id": f"{i:08d}-0000-5000-8000-000000000000",
                "company": CompanyRef(business_id="0246246-0", name=f"Yritys {i} Oy"),
            }
        )
        for i in range(start, start + n)
    ]


def rows(db: Database, sink: str) -> list[Delivery]:
    with db.session() as s:
        return list(s.scalars(select(Delivery).where(Delivery.sink == sink).order_by(Delivery.id)))


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def until(predicate: Callable[[], Any], what: str, timeout: float = 15.0) -> None:
    """Wait (bounded) for a condition on what the servers received or the database holds."""
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(predicate):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def receiver_counts(server: StubServer) -> dict[str, int]:
    """Accepted requests per idempotency key, as the receiver saw them."""
    counts: dict[str, int] = {}
    for r in server.requests:
        key = r.headers.get("Idempotency-Key", "")
        counts[key] = counts.get(key, 0) + 1
    return counts


@pytest.fixture
async def crm(crm_server: StubServer) -> AsyncIterator[CrmSink]:
    sink = CrmSink(crm_server.url, [SECRET_NEW], timeout_s=5)
    yield sink
    await sink.aclose()


def settings(**overrides: Any) -> NotifierSettings:
    return NotifierSettings(**overrides)


# ------------------------------------------------------------------------- lanes, in real time
async def test_one_sinks_outage_never_delays_the_others(
    alert: AlertV1,
    module_db: Database,
    crm: CrmSink,
    crm_server: StubServer,
    slack_server: StubServer,
    smtp_server: SmtpServer,
) -> None:
    db = module_db
    crm_server.default = (500, {}, "down")
    sinks: list[Sink] = [
        ConsoleSink(stream=io.StringIO()),
        SlackSink(slack_server.url, min_interval_s=0, timeout_s=5),
        make_email_sink(smtp_server),
        crm,
    ]
    dispatcher = Dispatcher(db, sinks, settings(delivery_initial_backoff_s=0.3, delivery_max_backoff_s=0.3))
    stop = asyncio.Event()
    lanes = asyncio.create_task(dispatcher.serve(stop))
    batch = alerts(alert, 12)
    try:
        for a in batch:
            await dispatcher.enqueue(a)
        await slack_server.wait_for_requests(12)  # all of them, while the CRM keeps failing
        await until(lambda: len(smtp_server.handler.messages) == 12, "every e-mail")
        crm_rows = rows(db, "crm")
        assert len(crm_rows) == 12 and {r.status for r in crm_rows} <= {"pending", "sending"}
        assert all(r.failing_since is not None or r.status == "sending" for r in crm_rows)
        crm_server.default = (202, {}, "ok")  # back
        await until(lambda: {r.status for r in rows(db, "crm")} == {"delivered"}, "the CRM after its outage")
    finally:
        stop.set()
        await lanes
    assert dispatcher.lanes and not dispatcher.lanes_alive()  # stopped cleanly
    accepted = {k: n for k, n in receiver_counts(crm_server).items()}
    assert len(accepted) == 12  # every alert reached the CRM (each request carries its key)
    assert len(slack_server.requests) == 12 and len(smtp_server.handler.messages) == 12  # once each


async def test_a_429_retry_after_is_honoured_in_real_time(
    alert: AlertV1, sqlite_db: Database, crm: CrmSink, crm_server: StubServer
) -> None:
    crm_server.reply(429, "slow down", {"Retry-After": "1"})
    dispatcher = Dispatcher(sqlite_db, [crm], settings())
    stop = asyncio.Event()
    lanes = asyncio.create_task(dispatcher.serve(stop))
    try:
        started = time.monotonic()
        await dispatcher.enqueue(alert)
        await crm_server.wait_for_requests(1)
        first = time.monotonic()
        await crm_server.wait_for_requests(2, timeout=5)
        second = time.monotonic()
        await until(lambda: rows(sqlite_db, "crm")[0].status == "delivered", "the delivery")
    finally:
        stop.set()
        await lanes
    assert first - started < 1.0  # the first attempt at once
    assert 1.0 <= second - first < 1.8, second - first  # then exactly the server's Retry-After


# --------------------------------------------------------------------- outages, on a fake clock
async def test_an_outage_shorter_than_the_retry_period_loses_nothing(
    alert: AlertV1, module_db: Database, crm: CrmSink, crm_server: StubServer, clock: FakeClock
) -> None:
    db = module_db
    crm_server.default = (503, {}, "maintenance")
    dispatcher = Dispatcher(db, [crm], settings(), now=clock.wall, sleep=clock.sleep, monotonic=clock)
    batch = alerts(alert, 5, start=100)
    keys = {a.delivery_key("crm") for a in batch}
    for a in batch:
        assert (await dispatcher.send(a))["crm"] == "retrying"
    # six hours of outage: each delivery retried on its own schedule (backoff up to 30 min)
    while clock.now < 1000 + 6 * 3600:
        clock.advance(600)
        await dispatcher.run_due()
    attempts = {r.idempotency_key: r.attempts for r in rows(db, "crm") if r.idempotency_key in keys}
    assert all(12 <= n <= 25 for n in attempts.values()), attempts  # ~log2(1800/5) + 6 h / 30 min
    crm_server.default = (202, {}, "ok")
    clock.advance(1800)
    await dispatcher.run_due()
    assert {r.status for r in rows(db, "crm") if r.idempotency_key in keys} == {"delivered"}
    accepted = {k for k, n in receiver_counts(crm_server).items() if k in keys}
    assert accepted == keys


async def test_an_outage_longer_than_the_retry_period_is_dead_lettered_and_replayed_from_the_ops_page(
    alert: AlertV1, module_db: Database, crm: CrmSink, crm_server: StubServer, clock: FakeClock
) -> None:
    db = module_db
    crm_server.default = (500, {}, "down")
    dispatcher = Dispatcher(
        db, [crm], settings(max_retry_period_s=3600), now=clock.wall, sleep=clock.sleep, monotonic=clock
    )
    (a,) = alerts(alert, 1, start=200)
    key = a.delivery_key("crm")
    assert (await dispatcher.send(a))["crm"] == "retrying"
    while next(r for r in rows(db, "crm") if r.idempotency_key == key).status == "pending":
        clock.advance(300)
        await dispatcher.run_due()
    (row,) = [r for r in rows(db, "crm") if r.idempotency_key == key]
    assert row.status == "failed" and "failing for 3600s" in (row.last_error or "")
    with db.session() as s:
        dl = s.scalars(select(DeadLetter).where(DeadLetter.reason.startswith(key))).one()
    assert (dl.stage, dl.source, dl.error_type, dl.replayed_at) == (
        "delivery",
        "crm",
        "delivery_gave_up",
        None,
    )

    web = make_web(db, now=clock.wall())
    login(web, Role.OPS)
    page = web.client.get("/ui/ops").text
    assert f'data-dead-letter="{dl.dead_letter_id}"' in page  # listed, with its replay button
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    crm_server.default = (202, {}, "ok")  # the CRM is back
    resp = web.client.post(
        f"/ui/dead-letters/{dl.dead_letter_id}/replay", data={"csrf": csrf.group(1)}, follow_redirects=False
    )
    assert resp.status_code == 303 and "what=delivery" in resp.headers["location"]
    assert "Delivery queued again" in web.client.get(resp.headers["location"]).text
    web.client.close()
    clock.now = (utcnow() - clock.EPOCH).total_seconds() + 1  # the replay queued it on the real clock
    assert await dispatcher.run_due("crm") >= 1
    (row,) = [r for r in rows(db, "crm") if r.idempotency_key == key]
    assert row.status == "delivered"
    assert receiver_counts(crm_server)[key] == int(row.attempts)  # every attempt reached it; the last won


async def test_failed_deliveries_resume_after_a_restart(
    alert: AlertV1, module_db: Database, crm: CrmSink, crm_server: StubServer, clock: FakeClock
) -> None:
    db = module_db
    (a,) = alerts(alert, 1, start=300)
    crm_server.default = (502, {}, "bad gateway")
    first = Dispatcher(db, [crm], settings(), now=clock.wall, sleep=clock.sleep, monotonic=clock)
    assert (await first.send(a))["crm"] == "retrying"
    # the notifier stops; a new one (a new process: its own engine) starts an hour later
    crm_server.default = (202, {}, "ok")
    clock.advance(3600)
    restarted_db = Database(db.url)
    try:
        restarted = Dispatcher(
            restarted_db, [crm], settings(), now=clock.wall, sleep=clock.sleep, monotonic=clock
        )
        assert await restarted.run_due() >= 1
    finally:
        restarted_db.dispose()
    (row,) = [r for r in rows(db, "crm") if r.idempotency_key == a.delivery_key("crm")]
    assert (row.status, row.attempts) == ("delivered", 2)


async def test_deliveries_left_in_doubt_by_a_crash_are_sent_again_and_counted(
    alert: AlertV1, module_db: Database, crm: CrmSink, crm_server: StubServer, clock: FakeClock
) -> None:
    db = module_db
    batch = alerts(alert, 3, start=400)
    dispatcher = Dispatcher(db, [crm], settings(), now=clock.wall, sleep=clock.sleep, monotonic=clock)
    for a in batch:
        await dispatcher.enqueue(a)
    keys = [a.delivery_key("crm") for a in batch]
    host = owner_id().split(":")[0]
    with db.session() as s:  # a notifier on this host (long gone) and one elsewhere were sending
        mine = queue.claim(
            s, "crm", clock.wall(), owner=f"{host}:4194304:1", lease_s=150, limit=2, keys=keys[:2]
        )
        theirs = queue.claim(
            s, "crm", clock.wall(), owner="elsewhere:1:1", lease_s=150, limit=1, keys=keys[2:]
        )
    assert len(mine) == 2 and len(theirs) == 1
    before = metric("triggerwatch_delivery_in_doubt_total", sink="crm")
    assert await dispatcher.reclaim() == 2  # the dead local owner's rows at once
    assert await dispatcher.run_due() == 2
    clock.advance(151)  # the other host's lease runs out
    assert await dispatcher.reclaim() == 1
    assert await dispatcher.run_due() == 1
    got = {r.idempotency_key: r for r in rows(db, "crm") if r.idempotency_key in keys}
    assert {(r.status, r.in_doubt, r.attempts) for r in got.values()} == {("delivered", 1, 2)}
    assert metric("triggerwatch_delivery_in_doubt_total", sink="crm") == before + 3


async def test_an_objection_registered_during_an_outage_blocks_the_retry(
    alert: AlertV1, module_db: Database, crm: CrmSink, crm_server: StubServer, clock: FakeClock
) -> None:
    db = module_db
    (a,) = alerts(alert, 1, start=500)
    a = a.model_copy(update={"company": CompanyRef(business_id="0112038-9", name="X Oy")})
    crm_server.default = (500, {}, "down")
    dispatcher = Dispatcher(db, [crm], settings(), now=clock.wall, sleep=clock.sleep, monotonic=clock)
    assert (await dispatcher.send(a))["crm"] == "retrying"
    with db.session() as s:
        add_objection(s, "business_id", "0112038-9", "asked not to be contacted")
    clock.advance(3600)
    crm_server.default = (202, {}, "ok")
    await dispatcher.run_due()
    (row,) = [r for r in rows(db, "crm") if r.idempotency_key == a.delivery_key("crm")]
    assert row.status == "blocked"
    assert receiver_counts(crm_server) == {a.delivery_key("crm"): 1}  # only the first, failed, attempt
