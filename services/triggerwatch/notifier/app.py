"""The notifier (Faust): alerts topic → the delivery queue → every configured sink.

The stream agent decides what to do with each alert (objection register, noise gate) and queues its
deliveries in the database; the alert is acknowledged on the topic only after that. Each sink's
lane (:meth:`Dispatcher.serve`, a task of this app) sends its queued deliveries, retries them on
their own schedule and resumes after a restart. Alerts may arrive more than once (at-least-once
streams, replays after a broker loss); a key already queued (``alert_id:sink``) is never queued again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import faust

from triggerwatch.core.contracts import AlertV1, DeadLetterV1, decode_alert, encode, topic_names
from triggerwatch.core.db import Database
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.core.objections import ObjectionRegister
from triggerwatch.core.outbox import store_dead_letter
from triggerwatch.core.rules import load_rules
from triggerwatch.core.settings import NotifierSettings
from triggerwatch.core.streams import add_early_task, add_ready_check, make_app
from triggerwatch.notifier.dispatcher import Dispatcher
from triggerwatch.notifier.noise import BLOCKED, DIGEST, RECORD_SINKS, NoiseGate
from triggerwatch.notifier.sinks.table import build_sinks

log = logging.getLogger(__name__)

BATCH_SIZE = 50
BATCH_WITHIN_S = 0.05


def queue_alerts(
    alerts: list[AlertV1], *, db: Database, dispatcher: Dispatcher, gate: NoiseGate
) -> int:
    """Decide and queue a batch of alerts, in one thread: the objection register read once for the
    batch, the noise gate's decision per alert, the deliveries queued in one transaction each.
    Caps and quiet hours govern people's channels only: an alert the gate holds for the digest is
    still queued for the systems of record (:data:`RECORD_SINKS`, the CRM and Dynamics 365).
    Returns how many deliveries were queued."""
    with db.session() as session:
        register = ObjectionRegister.load(
            session, business_ids={a.company.business_id for a in alerts if a.company.business_id}
        )
    to_all: list[AlertV1] = []
    to_records: list[AlertV1] = []
    for alert in alerts:
        objection = register.reason(alert)  # the one check per alert
        if objection is not None:
            gate.record(alert, BLOCKED, objection)
            dispatcher.block_now(alert, objection)
            continue
        decision, reason = gate.decide(alert)
        if decision == DIGEST:
            log.info("alert %s held for the digest: %s; systems of record get it now", alert.alert_id, reason)
            to_records.append(alert)
        elif decision == BLOCKED:
            log.info("alert %s blocked: %s", alert.alert_id, reason)
        else:
            to_all.append(alert)
    queued = dispatcher.enqueue_now(to_all) if to_all else 0
    if to_records:
        queued += dispatcher.enqueue_now(to_records, sinks=RECORD_SINKS)
    if alerts:
        log.info("%d alert(s): %d deliveries queued", len(alerts), queued)
    return queued


def create_app(settings: NotifierSettings, db: Database | None = None) -> faust.App:
    sinks = build_sinks(settings)  # misconfigured sinks fail at start
    rules = load_rules(settings.rules_file)  # routing, reps and delivery rules; bad ones fail at start
    db = db or Database(settings.database.url)
    dispatcher = Dispatcher(db, sinks, settings)
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

    @app.agent(alerts, name="deliver-alerts")
    async def deliver(stream: faust.StreamT[bytes]) -> None:
        # Queueing only (a few rows per alert): the sinks' lanes send, each at its own pace, so a
        # slow or failing sink never holds up this stream or another sink. The batch is acked (its
        # offsets committed) only after its deliveries are in the database.
        async for batch in stream.take(BATCH_SIZE, within=BATCH_WITHIN_S):
            decoded = [alert for alert in [await decode(raw) for raw in batch] if alert is not None]
            await asyncio.to_thread(queue_alerts, decoded, db=db, dispatcher=dispatcher, gate=gate)
            dispatcher.wake()

    stop_lanes = asyncio.Event()

    async def delivery_lanes() -> None:
        await dispatcher.serve(stop_lanes)

    add_early_task(app, delivery_lanes)  # from the start: the queue is in the database, not on Kafka

    @app.on_before_shutdown.connect
    def _stop_lanes(app: Any, /, *args: Any, **kwargs: Any) -> None:
        stop_lanes.set()  # the lanes finish the attempts under way and record them

    add_ready_check(app, "delivery_lanes", dispatcher.lanes_alive)

    if settings.scheduler:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        from triggerwatch.notifier.jobs import schedule_jobs

        @app.task
        async def start_jobs() -> None:
            scheduler = AsyncIOScheduler()
            schedule_jobs(scheduler, db, dispatcher, rules, retention_days=settings.retention_days)
            scheduler.start()

    return app
