"""Caps and quiet hours govern people's channels only: the CRM and Dynamics get every alert."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time

from sqlalchemy import select

from triggerwatch.core.contracts import AlertV1, Routing
from triggerwatch.core.db import Database, Delivery
from triggerwatch.core.rules import DeliveryRules, QuietHours
from triggerwatch.core.settings import NotifierSettings
from triggerwatch.notifier.app import queue_alerts
from triggerwatch.notifier.dispatcher import Dispatcher
from triggerwatch.notifier.noise import RECORD_SINKS, NoiseGate
from triggerwatch.notifier.sinks.console import ConsoleSink
from triggerwatch.notifier.sinks.crm import CrmSink

from .conftest import SECRET_NEW, StubServer

MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 09:00 in Helsinki
NIGHT = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)  # 23:00 in Helsinki


async def test_cap_and_quiet_hours_hold_back_people_not_the_crm(
    alert: AlertV1, sqlite_db: Database, crm_server: StubServer
) -> None:
    assert {"crm", "dynamics"} == RECORD_SINKS
    now = {"t": MORNING}
    stream = io.StringIO()
    crm = CrmSink(crm_server.url, [SECRET_NEW], timeout_s=5)
    settings = NotifierSettings(max_attempts=1)
    console = ConsoleSink(stream=stream)
    dispatcher = Dispatcher(sqlite_db, [console, crm], settings)
    rules = DeliveryRules(daily_cap=3, quiet_hours=QuietHours(start=time(22), end=time(7)))
    gate = NoiseGate(sqlite_db, rules, clock=lambda: now["t"])
    queued = []
    for i in range(10):
        if i == 8:
            now["t"] = NIGHT
        a = alert.model_copy(
            update={"alert_id": f"00000000-0000-5000-8000-{i:012d}", "routing": Routing(owner="rep-anna")}
        )
        queued.append(queue_alerts([a], db=sqlite_db, dispatcher=dispatcher, gate=gate))
    assert queued == [2] * 3 + [1] * 7  # 5 over the cap and 2 in quiet hours: the CRM only
    assert await dispatcher.run_due() == 13
    assert len(crm_server.requests) == 10
    assert stream.getvalue().count("ALERT") == 3
    with sqlite_db.session() as s:
        rows = s.execute(select(Delivery.sink, Delivery.status)).all()
    assert sorted(rows) == [("console", "delivered")] * 3 + [("crm", "delivered")] * 10
    await crm.aclose()
