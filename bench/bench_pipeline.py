"""Whole-path figures on the embedded broker, each next to a baseline measured in the same run.

* ``pipeline.events_per_s`` — events written to the outbox → relay → Kafka → worker (resolve, join,
  rules, alert) → Kafka → notifier (delivery recorded) per second, end to end.
  Baseline: the bare transport on the same broker (kafka-python producer → aiokafka reader).
* ``pipeline.cold_start_to_first_alert_s`` — from starting the broker and the services to the first
  delivered alert. Baseline: broker start + a bare Faust agent receiving its first message.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from triggerwatch.core.broker import EmbeddedBroker
from triggerwatch.core.businessid import check_digit
from triggerwatch.core.contracts import CompanyRef, CompanyRole, EventKind, TriggerEventV1
from triggerwatch.core.db import Database, Delivery
from triggerwatch.core.kafka import KafkaEventPublisher, Message
from triggerwatch.core.outbox import store_events
from triggerwatch.core.settings import BaseServiceSettings, KafkaSettings
from triggerwatch.core.targets import CompanyIn, ScoreIn, TargetFile, TargetGroupIn, load_targets
from triggerwatch.supervisor import Supervisor, child_env

N_EVENTS = int(os.environ.get("BENCH_EVENTS", "2000"))
TIMEOUT_S = 300.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def business_ids(n: int) -> Iterator[str]:
    body = 3_000_000
    made = 0
    while made < n:
        digit = check_digit(f"{body:07d}")
        if digit is not None:
            yield f"{body:07d}-{digit}"
            made += 1
        body += 1


def bench_db(path: Path, ids: list[str]) -> Database:
    """A SQLite database where every company of ``ids`` scores 0.9 in one target group."""
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    load_targets(
        db,
        TargetFile(
            companies=[CompanyIn(business_id=b, name=f"Bench {i} Oy") for i, b in enumerate(ids)],
            target_groups=[TargetGroupIn(target_group_id="tg", product_group="pg", rule="bench")],
            scores=[ScoreIn(business_id=b, product_group="pg", target_group_id="tg", score=0.9) for b in ids],
        ),
    )
    return db


def wait(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"benchmark timed out waiting for {what}")
        time.sleep(0.05)


def delivered(db: Database) -> int:
    with db.session() as s:
        return int(
            s.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "delivered")) or 0
        )


def events(ids: list[str], offset: int = 0) -> list[TriggerEventV1]:
    now = datetime.now(UTC)
    return [
        TriggerEventV1.create(
            source="bench",
            source_item_id=f"job-{offset + i}",
            kind=EventKind.RECRUITMENT,
            occurred_at=now - timedelta(minutes=1),
            observed_at=now,
            companies=[CompanyRef(business_id=b, role=CompanyRole.EMPLOYER)],
            title=f"Ohjelmistokehittäjä {offset + i}",
        )
        for i, b in enumerate(ids)
    ]


def pipeline(tmp: Path) -> tuple[float, float]:
    ids = list(business_ids(N_EVENTS + 1))
    db = bench_db(tmp / "bench.db", ids)
    with db.session() as s:
        store_events(s, events(ids[:1]))
    port = free_port()
    env = child_env(
        {
            "TRIGGERWATCH_DATABASE__URL": db.url,
            "TRIGGERWATCH_KAFKA__EMBEDDED_PORT": str(port),
            "TRIGGERWATCH_SINKS": '["console"]',
            "TRIGGERWATCH_WORKER_PORT": str(free_port()),
            "TRIGGERWATCH_NOTIFIER_PORT": str(free_port()),
            "TRIGGERWATCH_WORKER_DATA_DIR": str(tmp / "worker"),
            "TRIGGERWATCH_NOTIFIER_DATA_DIR": str(tmp / "notifier"),
            "TRIGGERWATCH_POLL_INTERVAL_S": "0.05",
            "TRIGGERWATCH_LOG_LEVEL": "WARNING",
        }
    )
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    settings = BaseServiceSettings(kafka=KafkaSettings(embedded_port=port))
    sup = Supervisor(settings, env=env, run_dir=tmp, services=("relay", "worker", "notifier"))
    for child in sup.children:
        child.passthrough_stdout = False  # alerts go to the log, not the benchmark's output
    started = time.monotonic()
    sup.start()
    try:
        wait(lambda: delivered(db) >= 1, "the first alert")
        cold_start = time.monotonic() - started
        t0 = time.monotonic()
        with db.session() as s:
            store_events(s, events(ids[1:], offset=1))
        wait(lambda: delivered(db) >= N_EVENTS + 1, f"{N_EVENTS} deliveries")
        rate = N_EVENTS / (time.monotonic() - t0)
    finally:
        sup.stop()
    return rate, cold_start


def transport_baseline() -> float:
    port = free_port()
    settings = BaseServiceSettings(
        kafka_bootstrap_servers=f"127.0.0.1:{port}", kafka=KafkaSettings(embedded_port=port)
    )
    payload = events(list(business_ids(1)))[0].model_dump_json().encode()
    with EmbeddedBroker(settings) as broker:
        pub = KafkaEventPublisher(broker.bootstrap)
        t0 = time.monotonic()
        results = pub.publish([Message("triggerwatch.events.v1", f"k{i}", payload) for i in range(N_EVENTS)])
        pub.close()
        assert all(r.ok for r in results)
        asyncio.run(_read(broker.bootstrap, N_EVENTS))
        return N_EVENTS / (time.monotonic() - t0)


async def _read(bootstrap: str, n: int) -> None:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        parts = consumer.partitions_for_topic("triggerwatch.events.v1") or set()
        consumer.assign([TopicPartition("triggerwatch.events.v1", p) for p in parts])
        await consumer.seek_to_beginning()
        got = 0
        async with asyncio.timeout(TIMEOUT_S):
            while got < n:
                batch = await consumer.getmany(timeout_ms=500)
                got += sum(len(v) for v in batch.values())
    finally:
        await consumer.stop()


def faust_baseline(tmp: Path) -> float:
    port = free_port()
    settings = BaseServiceSettings(
        kafka_bootstrap_servers=f"127.0.0.1:{port}", kafka=KafkaSettings(embedded_port=port)
    )
    env = child_env({"KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}", "BENCH_DATA_DIR": str(tmp / "faust")})
    started = time.monotonic()
    broker = EmbeddedBroker(settings)
    broker.start()
    try:
        from triggerwatch.core.kafka import admin_client

        admin = admin_client(broker.bootstrap)
        from kafka.admin import NewTopic

        admin.create_topics([NewTopic("bench.baseline", settings.kafka.partitions, 1)])
        admin.close()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.faust_baseline"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=(tmp / "faust-baseline.log").open("wb"),
            cwd=Path(__file__).resolve().parents[1],
        )
        pub = KafkaEventPublisher(broker.bootstrap)
        assert pub.publish([Message("bench.baseline", "k", b"x")])[0].ok
        pub.close()
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        proc.wait(30)
        if "FIRST" not in line:  # Faust may write terminal control codes before it
            raise RuntimeError("the baseline Faust agent did not receive its message")
        return time.monotonic() - started
    finally:
        broker.stop()


def run() -> list[tuple[str, float, str]]:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        baseline_rate = transport_baseline()
        baseline_cold = faust_baseline(tmp)
        rate, cold = pipeline(tmp)
    out: list[tuple[str, Any, str]] = [
        ("pipeline.events_per_s", rate, "events/s"),
        ("pipeline.events_per_s.baseline", baseline_rate, "events/s"),
        ("pipeline.cold_start_to_first_alert_s", cold, "s"),
        ("pipeline.cold_start_to_first_alert_s.baseline", baseline_cold, "s"),
    ]
    return out
