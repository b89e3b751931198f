"""The notifier and its digests ask the one objection decision: an alert naming a registered
person in any inflected form reaches no sink and no digest."""

from __future__ import annotations

import io

from sqlalchemy import select

from triggerwatch.core.contracts import AlertV1
from triggerwatch.core.db import Database, Delivery, NotificationDecision
from triggerwatch.core.objections import add_objection
from triggerwatch.core.rules import DeliveryRules
from triggerwatch.notifier.digest import run_digest
from triggerwatch.notifier.dispatcher import Dispatcher
from triggerwatch.notifier.noise import NoiseGate
from triggerwatch.notifier.sinks.console import ConsoleSink

from .test_delivery_rules import MORNING, settings, variant


def naming(alert: AlertV1, text: str, n: int) -> AlertV1:
    explanation = alert.explanation.model_copy(update={"what_happened": text})
    return variant(alert, n, explanation=explanation)


async def test_an_alert_naming_an_objected_person_inflected_is_blocked(
    alert: AlertV1, sqlite_db: Database
) -> None:
    stream = io.StringIO()
    dispatcher = Dispatcher(sqlite_db, [ConsoleSink(stream=stream)], settings())
    with sqlite_db.session() as s:
        add_objection(s, "person", "Maija Meikäläinen")
    blocked = naming(alert, "Digia nimitti Maija Meikäläisen talousjohtajaksi", 1)
    assert await dispatcher.deliver(blocked) == {"console": "blocked"}
    assert stream.getvalue() == ""
    other = naming(alert, "Digia nimitti Matti Virtasen talousjohtajaksi", 2)
    assert await dispatcher.deliver(other) == {"console": "delivered"}
    with sqlite_db.session() as s:
        statuses = {r.alert_id: r.status for r in s.scalars(select(Delivery))}
    assert statuses == {blocked.alert_id: "blocked", other.alert_id: "delivered"}


async def test_a_digest_leaves_out_an_alert_naming_an_objected_person(
    alert: AlertV1, sqlite_db: Database
) -> None:
    gate = NoiseGate(sqlite_db, DeliveryRules(daily_cap=0), clock=lambda: MORNING)
    held = [naming(alert, "Onnittelut Maija Meikäläiselle", 1), naming(alert, "Kela rekrytoi", 2)]
    assert [gate.decide(a)[0] for a in held] == ["digest", "digest"]
    with sqlite_db.session() as s:
        add_objection(s, "person", "Maija Meikäläinen")  # after the alert was held for the digest
    stream = io.StringIO()
    dispatcher = Dispatcher(sqlite_db, [ConsoleSink(stream=stream)], settings())
    [digest] = await run_digest(sqlite_db, dispatcher, clock=lambda: MORNING)
    assert [a.alert_id for a in digest.alerts] == [held[1].alert_id]
    assert "Meikäläiselle" not in stream.getvalue()
    with sqlite_db.session() as s:
        decisions = {r.alert_id: r.decision for r in s.scalars(select(NotificationDecision))}
    assert decisions[held[0].alert_id] == "blocked"
