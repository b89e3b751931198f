"""Matching topology figures on the embedded broker, each next to a same-run baseline.

* ``matching.events_per_s`` — events pre-published on the events topic → one Faust worker
  (``triggerwatch worker``: batches → resolve, join, rules, dedup/corroboration, alert stored →
  alerts topic, the next batch processing while this one is sent) per second, after a warm-up
  alert. Baseline: a plain aiokafka consumer loop (``getmany`` → the same batch runner as the
  worker, i.e. the :class:`Processor` in a child process → aiokafka producer, one step after the
  other) over the same events, on its own copy of the database.
* ``matching.processing_events_per_s`` — for reference, the worker's batch runner (the
  :class:`Processor` in its child process) fed the same events directly from this process, every
  batch submitted at once, without Kafka.
* ``matching.latency_p50_s`` / ``matching.latency_p99_s`` — publish → alert stored (the alert's
  ``created_at`` minus the event's ``observed_at``, stamped at publish) at a paced 500 events/s.
  Baseline: the same paced run through the plain loop.

``TRIGGERWATCH_BENCH_SCALE`` (default 1.0: 20,000 events and 20 s at 500 events/s) shrinks it for a
smoke run, e.g. ``0.05``.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bench.bench_pipeline import bench_db, business_ids, free_port, wait
from triggerwatch.core.broker import EmbeddedBroker
from triggerwatch.core.contracts import (
    CompanyRef,
    CompanyRole,
    EventKind,
    TriggerEventV1,
    encode,
    topic_names,
)
from triggerwatch.core.db import Alert, Database, Event
from triggerwatch.core.kafka import KafkaEventPublisher, Message
from triggerwatch.core.settings import (
    BaseServiceSettings,
    DatabaseSettings,
    KafkaSettings,
    WorkerSettings,
)
from triggerwatch.supervisor import Supervisor, child_env
from triggerwatch.worker.app import BATCH_SIZE
from triggerwatch.worker.offload import BatchRunner, make_runner

SCALE = float(os.environ.get("TRIGGERWATCH_BENCH_SCALE", "1.0"))
N_EVENTS = max(200, int(20_000 * SCALE))
RATE = 500.0
LATENCY_S = max(2.0, 20.0 * SCALE)
N_LATENCY = int(RATE * LATENCY_S)


def event(bid: str, i: int, observed: datetime | None = None) -> bytes:
    now = observed or datetime.now(UTC)
    return encode(
        TriggerEventV1.create(
            source="bench",
            source_item_id=f"job-{i}",
            kind=EventKind.RECRUITMENT,
            occurred_at=now - timedelta(minutes=1),
            observed_at=now,
            companies=[CompanyRef(business_id=bid, role=CompanyRole.EMPLOYER)],
            title=f"Ohjelmistokehittäjä {i}",
            attributes={"job_title": "Ohjelmistokehittäjä", "dedup_key": f"bench:{i}"},
        )
    )


def alerts(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Alert)) or 0)


def latencies(db: Database, first: int) -> list[float]:
    """Alert stored (its row's ``created_at``) minus the event's ``observed_at`` (stamped at publish)."""
    with db.session() as s:
        rows = s.execute(
            select(Alert.created_at, Event.payload).join(Event, Event.event_id == Alert.event_id)
        ).all()
    out = []
    for created, payload in rows:
        if int(str(payload["attributes"]["dedup_key"]).split(":")[1]) >= first:
            out.append((created - datetime.fromisoformat(str(payload["observed_at"]))).total_seconds())
    return out


def publish(bootstrap: str, topic: str, ids: list[str], start: int) -> None:
    pub = KafkaEventPublisher(bootstrap)
    results = pub.publish([Message(topic, b, event(b, start + i)) for i, b in enumerate(ids)])
    pub.close()
    assert all(r.ok for r in results)


def paced(bootstrap: str, topic: str, ids: list[str], start: int) -> None:
    """Publish at RATE events/s in 20 ms slices; observed_at is the publish time."""
    pub = KafkaEventPublisher(bootstrap)
    t0 = time.monotonic()
    per_slice = max(1, int(RATE * 0.02))
    for k in range(0, len(ids), per_slice):
        due = t0 + k / RATE
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        chunk = ids[k : k + per_slice]
        results = pub.publish([Message(topic, b, event(b, start + k + j)) for j, b in enumerate(chunk)])
        assert all(r.ok for r in results)
    pub.close()


def percentile(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]
    )


def worker_runner(db: Database) -> BatchRunner:
    """The batch runner a worker with default settings uses (its child process), on ``db``, started
    before any clock does (the worker's own is started by its warm-up alert)."""
    runner = make_runner(WorkerSettings(database=DatabaseSettings(url=db.url)))

    async def start() -> None:
        await runner.process([])  # spawns the child and connects it

    asyncio.run(start())
    return runner


# --- the plain aiokafka loop (baseline) ----------------------------------------------------------


async def plain_loop(bootstrap: str, topic: str, out_topic: str, runner: BatchRunner, n: int) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    kafka = KafkaSettings()  # the worker's fetch wait and producer batch size, for a like-for-like loop
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=kafka.fetch_max_wait_ms,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=kafka.producer_max_batch_size
    )
    await consumer.start()
    await producer.start()
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        consumer.assign([TopicPartition(topic, p) for p in parts])
        await consumer.seek_to_beginning()
        done = 0
        async with asyncio.timeout(600):
            while done < n:
                batch = await consumer.getmany(timeout_ms=200, max_records=500)
                raws = [r.value for records in batch.values() for r in records]
                if not raws:
                    continue
                results = await runner.process(raws)
                sends = [
                    await producer.send(out_topic, key=key, value=value)
                    for r in results
                    for key, value in r.messages
                ]
                await asyncio.gather(*sends)
                done += len(raws)
    finally:
        await consumer.stop()
        await producer.stop()


def baseline(tmp: Path, ids: list[str]) -> tuple[float, list[float]]:
    port = free_port()
    settings = BaseServiceSettings(
        kafka_bootstrap_servers=f"127.0.0.1:{port}", kafka=KafkaSettings(embedded_port=port)
    )
    db = bench_db(tmp / "baseline.db", ids)
    runner = worker_runner(db)
    names = topic_names()
    with EmbeddedBroker(settings) as broker:
        publish(broker.bootstrap, names["events"], ids[:N_EVENTS], 0)
        t0 = time.monotonic()
        asyncio.run(plain_loop(broker.bootstrap, names["events"], names["alerts"], runner, N_EVENTS))
        rate = N_EVENTS / (time.monotonic() - t0)
    # latency: a fresh broker, the loop running while events are paced in
    port = free_port()
    settings = BaseServiceSettings(
        kafka_bootstrap_servers=f"127.0.0.1:{port}", kafka=KafkaSettings(embedded_port=port)
    )
    lat_ids = ids[N_EVENTS : N_EVENTS + N_LATENCY]
    with EmbeddedBroker(settings) as broker:
        loop = asyncio.new_event_loop()
        import threading

        thread = threading.Thread(
            target=lambda: loop.run_until_complete(
                plain_loop(broker.bootstrap, names["events"], names["alerts"], runner, N_LATENCY)
            )
        )
        thread.start()
        time.sleep(1.0)  # the consumer is assigned and polling
        paced(broker.bootstrap, names["events"], lat_ids, N_EVENTS)
        thread.join(120)
    runner.close()
    return rate, latencies(db, N_EVENTS)


# --- the matching topology (Faust worker) ---------------------------------------------------------


def topology(tmp: Path, ids: list[str]) -> tuple[float, list[float]]:
    db = bench_db(tmp / "topology.db", ids)
    port = free_port()
    env = child_env(
        {
            "TRIGGERWATCH_DATABASE__URL": db.url,
            "TRIGGERWATCH_KAFKA__EMBEDDED_PORT": str(port),
            "TRIGGERWATCH_WORKER_PORT": str(free_port()),
            "TRIGGERWATCH_WORKER_DATA_DIR": str(tmp / "worker"),
            "TRIGGERWATCH_LOG_LEVEL": "WARNING",
        }
    )
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    settings = BaseServiceSettings(kafka=KafkaSettings(embedded_port=port))
    sup = Supervisor(settings, env=env, run_dir=tmp, services=("worker",))
    for child in sup.children:
        child.passthrough_stdout = False
    names = topic_names()
    bootstrap = f"127.0.0.1:{port}"
    sup.start()
    try:
        warm = ids[-1]
        publish(bootstrap, names["events"], [warm], 10_000_000)
        wait(lambda: alerts(db) >= 1, "the warm-up alert")
        publish(bootstrap, names["events"], ids[:N_EVENTS], 0)  # published before the clock starts
        t0 = time.monotonic()
        wait(lambda: alerts(db) >= N_EVENTS + 1, f"{N_EVENTS} alerts")
        rate = N_EVENTS / (time.monotonic() - t0)
        lat_ids = ids[N_EVENTS : N_EVENTS + N_LATENCY]
        paced(bootstrap, names["events"], lat_ids, N_EVENTS)
        wait(lambda: alerts(db) >= N_EVENTS + N_LATENCY + 1, "the paced alerts")
    finally:
        sup.stop()
    return rate, latencies(db, N_EVENTS)


def processing_only(tmp: Path, ids: list[str]) -> float:
    """The worker's batch runner (its child process) fed directly, without Kafka."""
    db = bench_db(tmp / "processing.db", ids)
    runner = worker_runner(db)
    raws = [event(b, i) for i, b in enumerate(ids[:N_EVENTS])]

    async def feed() -> float:
        # every batch submitted at once, as the worker keeps the next one queued: the child never waits
        t0 = time.monotonic()
        await asyncio.gather(
            *(runner.process(raws[k : k + BATCH_SIZE]) for k in range(0, len(raws), BATCH_SIZE))
        )
        return len(raws) / (time.monotonic() - t0)

    try:
        return asyncio.run(feed())
    finally:
        runner.close()


def run() -> list[tuple[str, float, str]]:
    ids = list(business_ids(N_EVENTS + N_LATENCY + 1))
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        base_rate, base_lat = baseline(tmp, ids)
        rate, lat = topology(tmp, ids)
        alone = processing_only(tmp, ids)
    return [
        ("matching.events_per_s", rate, "events/s"),
        ("matching.events_per_s.baseline", base_rate, "events/s"),
        ("matching.processing_events_per_s", alone, "events/s"),
        ("matching.latency_p50_s", percentile(lat, 50), "s"),
        ("matching.latency_p50_s.baseline", percentile(base_lat, 50), "s"),
        ("matching.latency_p99_s", percentile(lat, 99), "s"),
        ("matching.latency_p99_s.baseline", percentile(base_lat, 99), "s"),
    ]


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name}: {value:.3f} {unit}", flush=True)
