"""Kill tests (issue 15): SIGKILL of the notifier several times during thousands of deliveries, and of
the relay mid-publish, with real processes on the embedded broker and local stand-ins for Slack,
SMTP, a CRM webhook that deduplicates by Idempotency-Key and a Dataverse (Dynamics 365) that
creates a record once per id. What the receivers actually got is counted:

* nothing lost: every alert reached every sink, every outbox row reached the topic;
* no duplicate effect at the keyed sinks (CRM webhook, Dynamics upsert);
* duplicates at Slack, e-mail and the console only for deliveries left in doubt by a kill, each one
  counted in ``deliveries.in_doubt`` (the documented bound: at most ``delivery_concurrency`` per
  sink and kill).

Two notifiers share the queue throughout (no delivery is claimed twice), one of them killed at a
time.

The default run is small (60 alerts × 5 sinks, 3 kills; the relay: 600 rows, 1 kill);
``TRIGGERWATCH_FULL_FAULT_TESTS=1`` runs the full size (700 alerts × 5 sinks = 3 500 deliveries,
5 kills; the relay: 5 000 rows, 4 kills). Each run prints its figures (``FAULT FIGURES``), quoted
in docs/architecture.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import func, select

from tests.conftest import TRIGGERWATCH, free_port
from tests.integration.conftest import HttpStub, Services, SmtpCollector, wait_for
from tests.notifier.conftest import sample_alert
from triggerwatch.core.broker import EmbeddedBroker
from triggerwatch.core.contracts import AlertV1, CompanyRef, EventKind, TriggerEventV1, encode, topic_names
from triggerwatch.core.db import Database, Delivery, Outbox
from triggerwatch.core.kafka import KafkaEventPublisher, Message
from triggerwatch.core.outbox import store_events

pytestmark = pytest.mark.integration

FULL = os.environ.get("TRIGGERWATCH_FULL_FAULT_TESTS") == "1"
SINKS = ("console", "slack", "email", "crm", "dynamics")
CONCURRENCY = 4
ACCOUNT = "11111111-2222-3333-4444-555555555555"


class DataverseStub:
    """Token endpoint, account lookup and ``PATCH …/tasks(<id>)``: a record is created once per id;
    with ``If-None-Match: *`` an existing one answers 412 and nothing changes."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.patches: Counter[str] = Counter()
        self.refused = 0
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status: int, body: dict[str, Any] | None = None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # the OAuth2 token
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self._reply(200, {"access_token": "tok", "expires_in": 3600, "token_type": "Bearer"})

            def do_GET(self) -> None:  # the account by business ID
                self._reply(200, {"value": [{"accountid": ACCOUNT}]})

            def do_PATCH(self) -> None:
                try:
                    body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                except ValueError:  # the sender was killed mid-request
                    self._reply(400)
                    return
                match = re.search(r"/tasks\(([0-9a-f-]+)\)$", self.path)
                assert match, self.path
                with stub.lock:
                    stub.patches[match.group(1)] += 1
                    if match.group(1) in stub.records and self.headers.get("If-None-Match") == "*":
                        stub.refused += 1
                        status = 412
                    else:
                        stub.records[match.group(1)] = body
                        status = 204
                self._reply(status)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def dataverse() -> Iterator[DataverseStub]:
    stub = DataverseStub()
    yield stub
    stub.stop()


def fault_alerts(n: int) -> list[AlertV1]:
    base = sample_alert()
    return [
        base.model_copy(
            update={
                "alert_id": f"{i:08d}-0000-5000-8000-00000000fa17",
                "company": CompanyRef(business_id="0246246-0", name=f"Vikasieto {i} Oy"),
            }
        )
        for i in range(n)
    ]


def delivered(db: Database) -> int:
    with db.session() as s:
        return int(
            s.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "delivered")) or 0
        )


def company_counts(messages: list[str]) -> Counter[int]:
    """Alerts per company number, one per message (a message names its company more than once)."""
    return Counter(n for text in messages for n in {int(m) for m in re.findall(r"Vikasieto (\d+) Oy", text)})


def console_counts(logs: list[str]) -> Counter[int]:
    """Alerts printed by the console sink: one header line each."""
    return Counter(int(m) for text in logs for m in re.findall(r"ALERT \[\w+\] Vikasieto (\d+) Oy", text))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sigkill_the_notifier_during_deliveries(
    backend: str,
    request: pytest.FixtureRequest,
    services: Services,
    embedded_broker: EmbeddedBroker,
    slack_stub: HttpStub,
    crm_stub: HttpStub,
    smtp_server: tuple[SmtpCollector, int],
    dataverse: DataverseStub,
    tmp_path: Path,
) -> None:
    db: Database = request.getfixturevalue("sqlite_db" if backend == "sqlite" else "pg_db")
    n, kills = (700, 5) if FULL else (60, 3)
    total = n * len(SINKS)
    services.env.update(
        {
            "TRIGGERWATCH_DATABASE__URL": db.url,
            "TRIGGERWATCH_SINKS": json.dumps(list(SINKS)),
            "TRIGGERWATCH_DYNAMICS_API_URL": f"{dataverse.url}/api/data/v9.2",
            "TRIGGERWATCH_DYNAMICS_TOKEN_URL": f"{dataverse.url}/tenant/oauth2/v2.0/token",
            "TRIGGERWATCH_DYNAMICS_CLIENT_ID": "fault-test",
            "TRIGGERWATCH_DYNAMICS_CLIENT_SECRET": "dataverse-client-secret-0123",
            "TRIGGERWATCH_DYNAMICS_SCOPE": "https://org.crm4.dynamics.com/.default",
            "TRIGGERWATCH_DELIVERY_CONCURRENCY": str(CONCURRENCY),
            "TRIGGERWATCH_SCHEDULER": "false",
            # the embedded broker holds a JoinGroup for half the session timeout: rejoin fast
            "TRIGGERWATCH_KAFKA__SESSION_TIMEOUT_S": "2",
            "TRIGGERWATCH_KAFKA__HEARTBEAT_INTERVAL_S": "0.5",
        }
    )
    batch = fault_alerts(n)
    pub = KafkaEventPublisher(embedded_broker.bootstrap)
    results = pub.publish([Message(topic_names()["alerts"], a.company.key(), encode(a)) for a in batch])
    pub.close()
    assert all(r.ok for r in results)

    # Two notifiers share the queue (as scaled notifiers would); each kill takes one down mid-delivery
    # while the other goes on, and a replacement starts at once (so its start-up is off the critical
    # path). A killed notifier's leases are taken over by whichever notifier looks first.
    notifiers: list[subprocess.Popen[bytes]] = []

    def spawn() -> subprocess.Popen[bytes]:
        log = (tmp_path / "logs" / f"notifier.{len(notifiers) + 1}.log").open("wb")
        notifiers.append(
            subprocess.Popen(
                [*TRIGGERWATCH, "notifier"],
                env={**services.env, "TRIGGERWATCH_NOTIFIER_PORT": str(free_port())},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        return notifiers[-1]

    started = time.monotonic()
    running = [spawn(), spawn()]
    try:
        for k in range(1, kills + 1):
            wait_for(
                lambda k=k: delivered(db) >= total * k // (kills + 1), 120, f"delivery {k}/{kills + 1}", 0.02
            )
            assert all(proc.poll() is None for proc in running), "a notifier exited by itself"
            victim = running.pop(0)
            victim.send_signal(signal.SIGKILL)  # mid-delivery
            victim.wait(10)
            running.append(spawn())
        wait_for(lambda: delivered(db) == total, 180, "every delivery", 0.05)
    except AssertionError:
        print(services.logs())
        raise
    finally:
        elapsed = time.monotonic() - started
        for proc in notifiers:  # done: nothing is under way (every delivery is recorded delivered)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)

    ids = range(n)
    with db.session() as s:
        statuses = Counter(s.scalars(select(Delivery.status)))
        in_doubt = dict(
            s.execute(select(Delivery.sink, func.sum(Delivery.in_doubt)).group_by(Delivery.sink)).all()
        )
    assert statuses == {"delivered": total}
    # the bound: a kill leaves at most delivery_concurrency attempts per sink in doubt
    assert all(int(v or 0) <= kills * CONCURRENCY for v in in_doubt.values()), in_doubt
    # what the receivers got
    slack = company_counts([body.decode() for _, body in slack_stub.requests])
    with smtp_server[0].lock:
        mail = Counter(int(m["X-Triggerwatch-Alert-Id"][:8]) for m in smtp_server[0].messages)
    console = console_counts(
        [p.read_text(errors="replace") for p in (tmp_path / "logs").glob("notifier.*.log")]
    )
    crm_requests = Counter(h["idempotency-key"] for h, _ in crm_stub.requests)
    crm_effects = {json.loads(b)["alert_id"] for _, b in crm_stub.requests}  # deduplicated by key
    for name, got in (("slack", slack), ("email", mail), ("console", console)):
        assert set(got) == set(ids), f"{name} lost {sorted(set(ids) - set(got))[:10]}"
        duplicates = sum(got.values()) - n
        assert duplicates <= int(in_doubt.get(name) or 0) <= kills * CONCURRENCY, (name, duplicates, in_doubt)
    assert len(crm_requests) == n and len(crm_effects) == n  # every alert, one effect each
    assert len(dataverse.records) == n  # one record per delivery, however often it was sent
    crm_resent = sum(crm_requests.values()) - n
    dyn_resent = sum(dataverse.patches.values()) - n
    assert dataverse.refused == dyn_resent <= int(in_doubt.get("dynamics") or 0)
    assert crm_resent <= int(in_doubt.get("crm") or 0)
    print(
        f"\nFAULT FIGURES notifier {backend}: {n} alerts x {len(SINKS)} sinks = {total} deliveries, "
        f"{kills} SIGKILLs (two notifiers sharing the queue), {elapsed:.1f}s; lost 0; "
        f"in doubt {dict(sorted(in_doubt.items()))}; "
        f"duplicates slack {sum(slack.values()) - n}, email {sum(mail.values()) - n}, "
        f"console {sum(console.values()) - n}; keyed: crm {crm_resent} re-sent / 0 duplicate effects, "
        f"dynamics {dyn_resent} re-sent / 0 duplicate records"
    )


def read_topic(bootstrap: str, topic: str, want: set[str]) -> Counter[str]:
    """Every message of ``topic`` by event id, read until ``want`` is covered and a second passes idle."""

    async def run() -> Counter[str]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
        await consumer.start()
        try:
            parts = consumer.partitions_for_topic(topic) or set()
            consumer.assign([TopicPartition(topic, p) for p in parts])
            await consumer.seek_to_beginning()
            got: Counter[str] = Counter()
            async with asyncio.timeout(60):
                while True:
                    batch = await consumer.getmany(timeout_ms=1000)
                    if not batch and want <= set(got):
                        return got
                    for records in batch.values():
                        got.update(json.loads(r.value)["event_id"] for r in records)
        finally:
            await consumer.stop()

    return asyncio.run(run())


def test_sigkill_the_relay_mid_publish(
    services: Services, embedded_broker: EmbeddedBroker, sqlite_db: Database
) -> None:
    db = sqlite_db
    n, kills, batch_size = (5000, 4, 200) if FULL else (600, 1, 25)
    services.env.update({"TRIGGERWATCH_DATABASE__URL": db.url, "TRIGGERWATCH_BATCH_SIZE": str(batch_size)})
    now = sample_alert().created_at
    events = [
        TriggerEventV1.create(
            source="fault-relay",
            source_item_id=f"item-{i}",
            kind=EventKind.NEWS,
            occurred_at=now,
            observed_at=now,
            title=f"Uutinen {i}",
        )
        for i in range(n)
    ]
    with db.session() as s:
        store_events(s, events)

    def published() -> int:
        with db.session() as s:
            return int(
                s.scalar(select(func.count()).select_from(Outbox).where(Outbox.published_at.is_not(None)))
                or 0
            )

    services.start("relay")
    try:
        for k in range(1, kills + 1):
            wait_for(lambda k=k: published() >= n * k // (kills + 1), 60, f"publishing {k}/{kills + 1}", 0.01)
            services.kill("relay")  # SIGKILL, between acks and the commit or mid-batch
            services.start("relay")
        wait_for(lambda: published() == n, 120, "every outbox row published", 0.1)
    except AssertionError:
        print(services.logs())
        raise
    services.kill("relay")
    want = {e.event_id for e in events}
    got = read_topic(embedded_broker.bootstrap, topic_names()["events"], want)
    assert set(got) == want  # nothing lost
    duplicates = sum(got.values()) - n
    assert duplicates <= kills * batch_size  # at most the batch under way at each kill, sent again
    figures = f"{n} rows, {kills} SIGKILLs, batch {batch_size}: lost 0, duplicates {duplicates}"
    print(f"\nFAULT FIGURES relay: {figures}")
