"""Two ordered stages, overlapped: the processing of one batch and the delivery of the one before.

The worker's agent hands each batch of events to :meth:`BatchPipeline.submit`. A first task
*processes* the batches one after another (in the processing child: see
:mod:`triggerwatch.worker.offload`); a second task *delivers* each processed batch — sends its
alerts, waits for the broker's acknowledgements, acks its events so that their offsets may be
committed, counts its metrics — while the first already processes the next one. Without it the
processing child sits idle while the worker sends, and the worker idles while the child works.

What stays as it was without the overlap:

* batches are processed strictly one after another, in arrival order (the next one starts only when
  the previous one's processing — retries included — has ended), so cooldowns and corroboration see
  the same database state;
* results are delivered in arrival order (the alerts of a company keep their order in its partition);
* a batch's events are acked only after every one of its messages is acknowledged by the broker,
  and after every earlier batch's events (at-least-once: nothing is committed before it is sent);
* a failure in either stage is fatal (``on_failure``; the worker exits without committing, and a
  restarted worker processes the unacked batches again — every effect is idempotent).

``depth`` bounds the batches between the stages (waiting to be processed, or processed and waiting
to be delivered); :meth:`submit` waits when they are full, so Faust's buffer applies the back
pressure.
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
        depth: int = 1,
    ) -> None:
        self._process = process
        self._deliver = deliver
        self._ack = ack
        self._on_failure = on_failure
        # None: the end (drain)
        self._to_process: asyncio.Queue[Sequence[E] | None] = asyncio.Queue(depth)
        self._to_deliver: asyncio.Queue[tuple[Sequence[E], R] | None] = asyncio.Queue(depth)
        self._tasks: list[asyncio.Task[None]] = []
        self._error: BaseException | None = None
        self.processed = 0  # batches (for tests and the log)
        self.delivered = 0

    def start(self) -> None:
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._processing(), name="worker-processing"),
                asyncio.create_task(self._delivering(), name="worker-delivering"),
            ]

    async def submit(self, batch: Sequence[E]) -> None:
        """Queue ``batch``; waits while ``depth`` batches are already waiting to be processed.
        Raises the error that stopped the stages, if one did."""
        self.start()
        await self._put(batch)

    async def drain(self) -> None:
        """Finish every submitted batch (processed, delivered, acked), then stop the stages."""
        if not self._tasks:
            return
        await self._put(None)
        await asyncio.gather(*self._tasks)
        self._tasks = []

    async def _put(self, item: Sequence[E] | None) -> None:
        if self._error is None:
            put = asyncio.ensure_future(self._to_process.put(item))
            await asyncio.wait([put, *self._tasks], return_when=asyncio.FIRST_COMPLETED)
            if put.done():
                return
            put.cancel()  # a stage stopped while we waited: nothing takes the batch any more
        self._reap()
        raise self._error or RuntimeError("the worker's stages stopped")

    def _failed(self, exc: BaseException) -> None:
        self._error = exc
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()  # the other stage: nothing after the failed batch is delivered or acked
        self._on_failure(exc)

    def cancel(self) -> None:
        """Stop now: what was not acked is processed again by whoever reads the partition next."""
        for task in self._tasks:
            task.cancel()
        self._reap()
        self._tasks = []

    def _reap(self) -> None:
        """Mark the stages' errors as seen (they were reported through ``on_failure``)."""
        for task in self._tasks:
            if task.done() and not task.cancelled():
                task.exception()

    async def _processing(self) -> None:
        try:
            while True:
                batch = await self._to_process.get()
                if batch is None:
                    await self._to_deliver.put(None)
                    return
                result = await self._process(batch)
                self.processed += 1
                await self._to_deliver.put((batch, result))
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self._failed(exc)
            raise

    async def _delivering(self) -> None:
        try:
            while True:
                item = await self._to_deliver.get()
                if item is None:
                    return
                events, result = item
                await self._deliver(result)
                await self._ack(events)
                self.delivered += 1
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self._failed(exc)
            raise
