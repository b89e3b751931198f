"""The stream worker (Faust): events topic → processing → alerts topic (+ dead-letter topic).

Scales by partitions: run more ``triggerwatch worker`` processes with the same app id and the
events topic's partitions are shared among them. Events are keyed by company, so all events of
one company meet in one worker (cooldowns stay consistent). Each worker processes its batches in a
child process (``TRIGGERWATCH_WORKER_PROCESSING=process``, see :mod:`triggerwatch.worker.offload`)
so that Faust's side and the processing use a core each.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from typing import Any, cast

import faust
from faust.types import EventT

from triggerwatch.core.contracts import topic_names
from triggerwatch.core.db import Database, utcnow
from triggerwatch.core.rules import load_rules
from triggerwatch.core.settings import WorkerSettings
from triggerwatch.core.streams import make_app
from triggerwatch.worker.offload import make_runner
from triggerwatch.worker.outcome import Emitted, count
from triggerwatch.worker.pipeline import BatchPipeline

log = logging.getLogger(__name__)

BATCH_SIZE = 500  # per-batch costs (fetch wait, send acks) amortised; small batches when the stream is slow
BATCH_WITHIN_S = 0.05


def create_app(settings: WorkerSettings, db: Database | None = None) -> faust.App:
    load_rules(settings.rules_file)  # a bad rules file fails at start, not in the processing child
    runner = make_runner(settings, db)
    names = topic_names(settings.kafka.topic_prefix)
    app = make_app(
        settings,
        app_id=settings.worker_app_id,
        web_host=settings.worker_host,
        web_port=settings.worker_port,
        data_dir=str(settings.worker_data_dir),
    )
    events = app.topic(
        names["events"],
        key_type=bytes,
        value_type=bytes,
        value_serializer="raw",
        key_serializer="raw",
        partitions=settings.kafka.partitions,
    )
    alerts_topic, dead_topic = names["alerts"], names["deadletter"]  # created at broker start

    async def deliver(results: list[Emitted]) -> None:
        # Straight to the producer (the alerts are serialised already; Faust's Topic.send adds
        # per-message work that halves throughput). Every send is acknowledged before the batch's
        # events are acked, so nothing is committed before it is sent.
        send = app.producer.send
        pending = []
        for result in results:
            for key, value in result.messages:
                pending.append(await send(alerts_topic, key, value, None, None, None))
            if result.dead_letter is not None:
                pending.append(await send(dead_topic, *result.dead_letter, None, None, None))
                log.warning("dead-lettered an event: %s", result.dead_letter_reason)
        if pending:
            await asyncio.gather(*pending)
        count(results, utcnow())

    def fail(exc: BaseException) -> None:
        log.error("processing failed for good; exiting so that a restart re-reads the batch", exc_info=exc)
        os._exit(70)

    @app.agent(events, name="process-events")
    async def process_events(stream: faust.StreamT[bytes]) -> None:
        async def ack(batch: Sequence[EventT]) -> None:
            for event in batch:
                await stream.ack(event)

        # The next batch is processing while this one is delivered (see pipeline.py); the runner
        # retries a batch on a database error and processes the batches in order.
        pipeline: BatchPipeline[EventT, list[Emitted]] = BatchPipeline(
            lambda batch: runner.process([e.value for e in batch]), deliver, ack, on_failure=fail
        )
        batches = cast("faust.Stream[bytes]", stream).noack_take(BATCH_SIZE, within=BATCH_WITHIN_S)
        try:
            async for batch in batches:
                await pipeline.submit(cast("Sequence[EventT]", batch))
        finally:  # stopping: what was not acked is processed again after the restart
            pipeline.cancel()

    @app.on_before_shutdown.connect
    def _stop_processing(app: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        runner.close()

    return app
