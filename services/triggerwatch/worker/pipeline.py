"""The worker's batches in flight: the next batch is processing while the one before is delivered.

The worker's agent hands each batch of events to :meth:`BatchPipeline.submit`, which starts its
processing at once (the runner queues it behind the batches already submitted: see
:mod:`triggerwatch.worker.offload`) and returns; one delivery task then takes the batches in
submission order, waits for each one's processing, *delivers* it — sends its alerts and waits for
the broker's acknowledgements — and acks its events so that their offsets may be committed. The
processing child therefore always has the next batch waiting, and the worker's sending overlaps the
child's work instead of alternating with it.

What stays as it was without the overlap:

* the runner processes batches one after another, in submission order (so cooldowns and
  corroboration see the same database state), and none after a batch that failed for good;
* results are delivered in submission order (the alerts of a company keep their order in its
  partition);
* a batch's events are acked only after every one of its messages is acknowledged by the broker,
  and after every earlier batch's events (at-least-once: nothing is committed before it is sent);
* a failed processing or delivery is fatal (``on_failure``; the worker exits without committing,
  and a restarted worker processes the unacked batches again — every effect is idempotent).

``depth`` bounds the batches submitted but not yet taken by the delivery task; :meth:`submit`
waits when they are full, so Faust's buffer applies the back pressure.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

E = TypeVar("E")  # an event (acked after delivery)
R = TypeVar("R")  # the processing's result for a batch


class BatchPipeline(Generic[E, R]):
    def __init__(
        self,
        process: Callable[[Sequence[E]], Awaitable[R]],
        deliver: Callable[[R], Awaitable[None]],
        ack: Callable[[Sequence[E]], Awaitable[None]],
        *,
        on_failure: Callable[[BaseException], None],
        depth: int = 2,
    ) -> None:
        self._process = process
        self._deliver = deliver
        self._ack = ack
        self._on_failure = on_failure
        # (batch, its processing) in submission order; None: the end (drain)
        self._in_flight: asyncio.Queue[tuple[Sequence[E], asyncio.Future[R]] | None] = asyncio.Queue()
        self._slots = asyncio.Semaphore(depth)  # batches submitted and not yet taken by the delivery
        self._task: asyncio.Task[None] | None = None
        self._error: BaseException | None = None
        self.delivered = 0  # batches delivered and acked

    async def submit(self, batch: Sequence[E]) -> None:
        """Start processing ``batch``; waits while ``depth`` batches wait for their delivery.
        Raises the error that stopped the pipeline, if one did."""
        if self._task is None:
            self._task = asyncio.create_task(self._delivering(), name="worker-delivering")
        await self._put(batch)

    async def drain(self) -> None:
        """Finish every submitted batch (processed, delivered, acked), then stop."""
        if self._task is None:
            return
        await self._put(None)
        task, self._task = self._task, None
        await task

    def cancel(self) -> None:
        """Stop now: what was not acked is processed again by whoever reads the partition next."""
        if self._task is not None:
            self._task.cancel()
            self._reap()
            self._task = None
        self._cancel_in_flight()

    async def _put(self, batch: Sequence[E] | None) -> None:
        if self._error is None:
            assert self._task is not None
            if batch is None:
                self._in_flight.put_nowait(None)
                return
            if self._slots.locked():  # full: wait for the delivery to take one, or to stop
                room = asyncio.ensure_future(self._slots.acquire())
                await asyncio.wait([room, self._task], return_when=asyncio.FIRST_COMPLETED)
                if not room.done():
                    room.cancel()  # the delivery stopped while we waited: nothing takes the batch
                elif self._error is None:
                    self._in_flight.put_nowait((batch, self._start(batch)))
                    return
            else:
                await self._slots.acquire()  # free: returns at once
                self._in_flight.put_nowait((batch, self._start(batch)))
                return
        self._reap()
        raise self._error or RuntimeError("the worker's delivery stopped")

    def _start(self, batch: Sequence[E]) -> asyncio.Future[R]:
        # called in submission order; a runner hands the batch over within the call
        return asyncio.ensure_future(self._process(batch))

    def _reap(self) -> None:
        """Mark the delivery task's error as seen (it was reported through ``on_failure``)."""
        if self._task is not None and self._task.done() and not self._task.cancelled():
            self._task.exception()

    def _cancel_in_flight(self) -> None:
        while not self._in_flight.empty():
            item = self._in_flight.get_nowait()
            if item is not None:
                future = item[1]
                if future.done():
                    if not future.cancelled():
                        future.exception()  # seen: the batch is not delivered either way
                else:
                    future.cancel()

    async def _delivering(self) -> None:
        try:
            while True:
                item = await self._in_flight.get()
                if item is None:
                    return
                self._slots.release()
                batch, processing = item
                result = await processing
                await self._deliver(result)
                await self._ack(batch)
                self.delivered += 1
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self._error = exc
            self._cancel_in_flight()  # nothing after the failed batch is delivered or acked
            self._on_failure(exc)
            raise
