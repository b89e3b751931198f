"""The worker's batch runners: the processing in a child process gives what it gives in a thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.exc import OperationalError

from tests.conftest import package_file
from triggerwatch.core.contracts import CompanyRef, CompanyRole, EventKind, TriggerEventV1, encode
from triggerwatch.core.db import Database
from triggerwatch.core.settings import DatabaseSettings, WorkerSettings
from triggerwatch.core.targets import load_targets, read_target_file
from triggerwatch.worker.offload import (
    RETRIES,
    OrderedProcessing,
    ProcessRunner,
    ThreadRunner,
    make_processor,
    make_runner,
)
from triggerwatch.worker.outcome import Outcome, count

DEMO_TARGETS = package_file("triggerwatch.demo", "targets.yaml")
KELA = "0246246-0"


def events(prefix: str) -> list[bytes]:
    """One event that alerts (Kela scores for it-services in the demo targets) and one malformed."""
    now = datetime.now(UTC)
    good = TriggerEventV1.create(
        source="offload-test",
        source_item_id=f"{prefix}-1",
        kind=EventKind.RECRUITMENT,
        occurred_at=now - timedelta(hours=1),
        observed_at=now,
        companies=[CompanyRef(business_id=KELA, role=CompanyRole.EMPLOYER)],
        title="Ohjelmistokehittäjä",
    )
    return [encode(good), b'{"schema_version": 1, "not": "an event"}']


async def test_the_child_process_and_a_thread_give_the_same_results(tmp_path: Path) -> None:
    results = {}
    for mode in ("process", "thread"):
        db = Database(f"sqlite:///{tmp_path / mode}.db")
        db.upgrade()
        load_targets(db, read_target_file(DEMO_TARGETS))
        settings = WorkerSettings(database=DatabaseSettings(url=db.url), worker_processing=mode)
        runner = make_runner(settings)
        assert isinstance(runner, ProcessRunner if mode == "process" else ThreadRunner)
        try:
            results[mode] = await runner.process(events(mode))
        finally:
            runner.close()
    for mode, (alerted, dead) in results.items():
        assert alerted.kind == "recruitment" and len(alerted.messages) == 1, mode
        key, value = alerted.messages[0]
        assert key == KELA.encode() and b'"alert_id"' in value
        assert alerted.alert_labels == (("recruitment", "it-services", "high"),)
        assert dead.kind is None and dead.dead_letter is not None and dead.error_type == "schema_violation"
        assert dead.dead_letter[0] == b"worker"


async def test_the_worker_counts_what_the_child_did(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'count.db'}")
    db.upgrade()
    load_targets(db, read_target_file(DEMO_TARGETS))
    runner = ThreadRunner(make_processor(WorkerSettings(database=DatabaseSettings(url=db.url)), db))

    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = (
        sample("triggerwatch_worker_events_total", kind="recruitment", outcome="alert"),
        sample("triggerwatch_worker_dead_letters_total", error_type="schema_violation"),
        sample("triggerwatch_alerts_total", kind="recruitment", product_group="it-services", priority="high"),
    )
    results = await runner.process(events("count"))
    assert before == (  # processing alone counts nothing: the stream side does
        sample("triggerwatch_worker_events_total", kind="recruitment", outcome="alert"),
        sample("triggerwatch_worker_dead_letters_total", error_type="schema_violation"),
        sample("triggerwatch_alerts_total", kind="recruitment", product_group="it-services", priority="high"),
    )
    count(results, datetime.now(UTC))
    after = (
        sample("triggerwatch_worker_events_total", kind="recruitment", outcome="alert"),
        sample("triggerwatch_worker_dead_letters_total", error_type="schema_violation"),
        sample("triggerwatch_alerts_total", kind="recruitment", product_group="it-services", priority="high"),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [1.0, 1.0, 1.0]


class FakeProcessor:
    """Records the batches it is given; ``hold`` blocks a batch until released; ``errors`` are raised
    in turn, before the batch is recorded as done."""

    def __init__(self, errors: list[BaseException] | None = None) -> None:
        self.log: list[str] = []
        self.hold: dict[bytes, threading.Event] = {}
        self.started: dict[bytes, threading.Event] = {}
        self.errors = list(errors or [])

    def process_batch(self, raws: Sequence[bytes], *, record_metrics: bool = True) -> list[Outcome]:
        name = raws[0]
        self.log.append(f"start {name.decode()}")
        self.started.setdefault(name, threading.Event()).set()
        if name in self.hold:
            assert self.hold[name].wait(WAIT_S)
        if self.errors:
            raise self.errors.pop(0)
        self.log.append(f"end {name.decode()}")
        return []


WAIT_S = 10.0


async def test_the_thread_runner_takes_batches_one_at_a_time_in_submission_order() -> None:
    fake = FakeProcessor()
    fake.hold[b"1"] = threading.Event()
    runner = ThreadRunner(fake)  # type: ignore[arg-type]
    try:
        first = asyncio.ensure_future(runner.process([b"1"]))
        second = asyncio.ensure_future(runner.process([b"2"]))
        started = fake.started.setdefault(b"1", threading.Event())
        assert await asyncio.to_thread(started.wait, WAIT_S)
        assert "start 2" not in fake.log  # submitted, but waits for the batch before it
        fake.hold[b"1"].set()
        await asyncio.wait_for(asyncio.gather(first, second), WAIT_S)
        assert fake.log == ["start 1", "end 1", "start 2", "end 2"]
    finally:
        runner.close()


def test_a_database_error_is_retried_with_back_off() -> None:
    locked = OperationalError("INSERT ...", {}, Exception("database is locked"))
    fake = FakeProcessor(errors=[locked, locked])
    waits: list[float] = []
    runner = OrderedProcessing(fake, sleep=waits.append)  # type: ignore[arg-type]
    assert runner.run([b"1"]) == []
    assert fake.log == ["start 1", "start 1", "start 1", "end 1"]
    assert len(waits) == 2 and 0 < waits[0] <= waits[1]


def test_after_a_batch_fails_for_good_no_later_batch_is_processed() -> None:
    fake = FakeProcessor(errors=[ValueError("a bug")])
    runner = OrderedProcessing(fake, sleep=lambda s: None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="a bug"):
        runner.run([b"1"])
    with pytest.raises(RuntimeError, match="an earlier batch failed"):
        runner.run([b"2"])
    assert fake.log == ["start 1"]  # batch 2 never reached the processor


def test_a_database_error_that_persists_fails_the_batch() -> None:
    locked = OperationalError("INSERT ...", {}, Exception("database is locked"))
    fake = FakeProcessor(errors=[locked] * RETRIES)
    runner = OrderedProcessing(fake, sleep=lambda s: None)  # type: ignore[arg-type]
    with pytest.raises(OperationalError):
        runner.run([b"1"])
    assert fake.log == ["start 1"] * RETRIES
