"""The notifier (Faust): alerts topic → every configured sink, each delivery recorded once.

Alerts may arrive more than once (at-least-once streams, replays after a broker loss); the
deliveries table's idempotency keys (``alert_id:sink``) make every delivery happen once.
"""

from __future__ import annotations

import asyncio
import logging

import faust

from triggerwatch.core.contracts import AlertV1, DeadLetterV1, decode_alert, encode, topic_names
from triggerwatch.core.db import Database
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.core.outbox import store_dead_letter
from triggerwatch.core.rules import load_rules
from triggerwatch.core.settings import NotifierSettings
from triggerwatch.core.streams import make_app
from triggerwatch.notifier.dispatcher import Dispatcher
from triggerwatch.notifier.noise import BLOCKED, DIGEST, RECORD_SINKS, NoiseGate
from triggerwatch.notifier.sinks.table import build_sinks

log = logging.getLogger(__name__)

BATCH_SIZE = 50
BATCH_WITHIN_S = 0.05


async def handle_alert(
    alert: AlertV1, *, dispatcher: Dispatcher, records: Dispatcher, gate: NoiseGate
) -> dict[str, str]:
    """One alert: objection check, then the noise gate for people's channels; ``records`` (the
    dispatcher of the systems of record, :data:`RECORD_SINKS`) gets every alert the gate holds back."""
    objection = await asyncio.to_thread(dispatcher.objection, alert)  # the one check per alert
    if objection is not None:
        await asyncio.to_thread(gate.record, alert, BLOCKED, objection)
        return await dispatcher.block(alert, objection)
    decision, reason = await asyncio.to_thread(gate.decide, alert)
    if decision == BLOCKED:
        log.info("alert %s blocked: %s", alert.alert_id, reason)
        return {}
    if decision == DIGEST:
        log.info("alert %s held for the digest: %s; systems of record get it now", alert.alert_id, reason)
        return await records.send(alert) if records.sinks else {}
    return await dispatcher.send(alert)


def create_app(settings: NotifierSettings, db: Database | None = None) -> faust.App:
    sinks = build_sinks(settings)  # misconfigured sinks fail at start
    rules = load_rules(settings.rules_file)  # routing, reps and delivery rules; bad ones fail at start
    db = db or Database(settings.database.url)
    dispatcher = Dispatcher(db, sinks, settings)
    records = Dispatcher(db, [sink for sink in sinks if sink.name in RECORD_SINKS], settings)
    gate = NoiseGate(db, rules.delivery, rules.routing)
    names = topic_names(settings.kafka.topic_prefix)
    app = make_app(
        settings,
        app_id=settings.notifier_app_id,
        web_host=settings.notifier_host,
        web_port=settings.notifier_port,
        data_dir=str(settings.notifier_data_dir),
    )
    alerts = app.topic(
        names["alerts"],
        key_type=bytes,
        value_type=bytes,
        value_serializer="raw",
        key_serializer="raw",
        partitions=settings.kafka.partitions,
    )
    dead = app.topic(
        names["deadletter"],
        key_type=bytes,
        value_type=bytes,
        value_serializer="raw",
        key_serializer="raw",
        partitions=settings.kafka.partitions,
    )

    def dead_letter(dl: DeadLetterV1) -> None:
        with db.session() as session:
            store_dead_letter(session, dl, publish=False)

    async def decode(raw: bytes) -> AlertV1 | None:
        try:
            return decode_alert(raw)
        except InvalidInputError as exc:
            dl = DeadLetterV1.from_raw(
                stage="notifier", reason=exc.reason, raw=raw, error_type=exc.error_type, source=None
            )
            await asyncio.to_thread(dead_letter, dl)
            await (await dead.send(key=b"notifier", value=encode(dl)))
            log.warning("dead-lettered an alert: %s", exc.reason)
            return None

    async def handle(alert: AlertV1) -> None:
        outcome = await handle_alert(alert, dispatcher=dispatcher, records=records, gate=gate)
        log.info("alert %s: %s", alert.alert_id, outcome)

    async def handle_in_order(group: list[AlertV1]) -> None:
        for alert in group:
            await handle(alert)

    @app.agent(alerts, name="deliver-alerts")
    async def deliver(stream: faust.StreamT[bytes]) -> None:
        # Alerts of a batch for different channels are delivered concurrently; alerts for the same
        # channel one after the other, in stream order (each sink also paces itself, Slack ~1 msg/s).
        async for batch in stream.take(BATCH_SIZE, within=BATCH_WITHIN_S):
            groups: dict[tuple[str, ...], list[AlertV1]] = {}
            for raw in batch:
                alert = await decode(raw)
                if alert is not None:
                    groups.setdefault(tuple(alert.routing.channels), []).append(alert)
            await asyncio.gather(*(handle_in_order(group) for group in groups.values()))

    if settings.scheduler:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        from triggerwatch.notifier.jobs import schedule_jobs

        @app.task
        async def start_jobs() -> None:
            scheduler = AsyncIOScheduler()
            schedule_jobs(scheduler, db, dispatcher, rules, retention_days=settings.retention_days)
            scheduler.start()

    return app
