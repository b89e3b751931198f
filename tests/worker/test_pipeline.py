"""The worker's batches in flight: the next one processing while the one before is delivered,
without giving up order or at-least-once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from triggerwatch.worker.pipeline import BatchPipeline

WAIT_S = 5.0


class Recorder:
    """Stages whose steps are logged and can be held until the test releases them."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.hold_delivery: dict[int, asyncio.Event] = {}
        self.hold_processing: dict[int, asyncio.Event] = {}
        self.started: dict[str, asyncio.Event] = {}
        self.failures: list[BaseException] = []

    def started_event(self, name: str) -> asyncio.Event:
        return self.started.setdefault(name, asyncio.Event())

    async def process(self, batch: Sequence[int]) -> list[int]:
        n = batch[0]
        self.log.append(f"process {n} start")
        self.started_event(f"process {n}").set()
        if n in self.hold_processing:
            await self.hold_processing[n].wait()
        if n < 0:
            raise RuntimeError("the processing failed")
        self.log.append(f"process {n} end")
        return [x * 10 for x in batch]

    async def deliver(self, result: list[int]) -> None:
        n = result[0] // 10
        self.log.append(f"deliver {n} start")
        self.started_event(f"deliver {n}").set()
        if n in self.hold_delivery:
            await self.hold_delivery[n].wait()
        self.log.append(f"deliver {n} end")

    async def ack(self, batch: Sequence[int]) -> None:
        self.log.append(f"ack {batch[0]}")

    def pipeline(self, depth: int = 1) -> BatchPipeline[int, list[int]]:
        return BatchPipeline(
            self.process, self.deliver, self.ack, on_failure=self.failures.append, depth=depth
        )


async def test_the_next_batch_is_processed_while_the_previous_one_is_delivered() -> None:
    rec = Recorder()
    rec.hold_delivery[1] = asyncio.Event()
    pipeline = rec.pipeline()
    await pipeline.submit([1, 2])
    await pipeline.submit([3, 4])
    # batch 1's delivery is held: batch 3 is processed meanwhile
    await asyncio.wait_for(rec.started_event("deliver 1").wait(), WAIT_S)
    await asyncio.wait_for(rec.started_event("process 3").wait(), WAIT_S)
    assert "ack 1" not in rec.log  # not acked before it is delivered
    rec.hold_delivery[1].set()
    await asyncio.wait_for(pipeline.drain(), WAIT_S)
    assert rec.log.index("process 3 start") < rec.log.index("deliver 1 end")
    # order kept in each stage, and acks only after the batch's delivery
    assert [x for x in rec.log if x.startswith("deliver") and x.endswith("end")] == [
        "deliver 1 end",
        "deliver 3 end",
    ]
    assert [x for x in rec.log if x.startswith("ack")] == ["ack 1", "ack 3"]
    assert rec.log.index("ack 1") > rec.log.index("deliver 1 end")
    assert rec.log.index("ack 3") > rec.log.index("deliver 3 end")
    assert pipeline.delivered == 2


async def test_processing_starts_at_submission_in_submission_order() -> None:
    rec = Recorder()
    rec.hold_delivery[1] = asyncio.Event()
    pipeline = rec.pipeline(depth=3)
    for n in (1, 2, 3):
        await pipeline.submit([n])
    await asyncio.wait_for(rec.started_event("process 3").wait(), WAIT_S)
    # all three handed to the runner (which queues them) while the first is still being delivered
    starts = [x for x in rec.log if x.startswith("process") and x.endswith("start")]
    assert starts == ["process 1 start", "process 2 start", "process 3 start"]
    assert "deliver 2 start" not in rec.log
    rec.hold_delivery[1].set()
    await asyncio.wait_for(pipeline.drain(), WAIT_S)
    assert [x for x in rec.log if x.startswith("ack")] == ["ack 1", "ack 2", "ack 3"]


async def test_submit_waits_when_depth_batches_wait_for_delivery() -> None:
    rec = Recorder()
    rec.hold_processing[1] = asyncio.Event()
    pipeline = rec.pipeline(depth=1)
    await pipeline.submit([1])  # taken by the processing stage (held)
    await asyncio.wait_for(rec.started_event("process 1").wait(), WAIT_S)
    await pipeline.submit([2])  # waits in the queue
    third = asyncio.create_task(pipeline.submit([3]))
    await asyncio.sleep(0.01)
    assert not third.done()  # back pressure: the caller (Faust's buffer) waits
    rec.hold_processing[1].set()
    await asyncio.wait_for(third, WAIT_S)
    await asyncio.wait_for(pipeline.drain(), WAIT_S)
    assert [x for x in rec.log if x.startswith("ack")] == ["ack 1", "ack 2", "ack 3"]


async def test_a_failed_processing_is_reported_and_nothing_after_it_is_acked() -> None:
    rec = Recorder()
    rec.hold_processing[-1] = rec.started_event("deliver 1")  # fails after batch 1 is delivered
    pipeline = rec.pipeline()
    await pipeline.submit([1])
    await pipeline.submit([-1])
    with pytest.raises(RuntimeError, match="the processing failed"):  # raised to whoever submits next
        await pipeline.submit([2])
        await asyncio.wait_for(pipeline.drain(), WAIT_S)
    pipeline.cancel()
    assert len(rec.failures) == 1 and isinstance(rec.failures[0], RuntimeError)
    assert "ack 1" in rec.log  # what came before the failed batch was delivered
    assert not [x for x in rec.log if x in ("ack -1", "deliver 2 start", "ack 2")]


async def test_a_failed_delivery_is_reported_and_its_batch_is_not_acked() -> None:
    rec = Recorder()

    async def broken(result: list[int]) -> None:
        raise ConnectionError("the broker is gone")

    pipeline: BatchPipeline[int, list[int]] = BatchPipeline(
        rec.process, broken, rec.ack, on_failure=rec.failures.append
    )
    await pipeline.submit([1])
    with pytest.raises(ConnectionError):
        await asyncio.wait_for(pipeline.drain(), WAIT_S)
    assert isinstance(rec.failures[0], ConnectionError)
    assert not [x for x in rec.log if x.startswith("ack")]


async def test_cancel_stops_the_delivery_without_acking() -> None:
    rec = Recorder()
    rec.hold_processing[1] = asyncio.Event()
    pipeline = rec.pipeline()
    await pipeline.submit([1])
    await asyncio.wait_for(rec.started_event("process 1").wait(), WAIT_S)
    task = pipeline._task
    assert task is not None
    pipeline.cancel()
    await asyncio.wait([task], timeout=WAIT_S)
    assert task.cancelled()
    assert not rec.failures and not [x for x in rec.log if x.startswith("ack")]
