"""A Faust app whose consumer hands each fetched batch to the streams in one step.

faust-streaming's consumer loop (``Consumer._drain_messages``) races *every* message's delivery
against the "flow suspended" event with ``Service.wait_first``: four tasks created and cancelled
per message. On this project's workload that costs more CPU than everything else Faust does per
message (measured here with a bare agent using ``take()`` on the embedded broker: 136 µs → 49 µs of
CPU per message; the whole worker's figures are in ``bench/bench_matching.py``).
:class:`BatchDeliveryConsumer` keeps every rule of that loop — the
read offset set after delivery, gaps recorded for acked topics, commits every
``broker_commit_every`` acks, delivery stopped as soon as flow stops (a rebalance) — but races
*one* delivery of the whole fetched batch against the flow being suspended, checking
``flow_active`` before each message.

The app class is a drop-in :class:`faust.App` (``make_app`` uses it); only the consumer differs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import faust
from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, Message

YIELD_EVERY = 100  # as Faust: hand the event loop back every N messages


class BatchDeliveryConsumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer with one flow-control race per fetched batch, not per message."""

    async def _deliver(self, batch: list[tuple[TP, Message]]) -> None:
        callback = self.callback
        get_read_offset = self._read_offset.__getitem__
        set_read_offset = self._read_offset.__setitem__
        acks_enabled_for = self.app.topics.acks_enabled_for
        commit_every = self._commit_every
        since_yield = 0
        for tp, message in batch:
            if not self.flow_active:  # a rebalance began: the rest is fetched again later
                return
            since_yield += 1
            if since_yield > YIELD_EVERY:
                await asyncio.sleep(0)
                since_yield = 0
            offset = message.offset
            r_offset = get_read_offset(tp)
            if r_offset is not None and offset < r_offset:
                continue  # already delivered (Faust drops these too)
            gap = offset - (r_offset or 0)
            if gap > 1 and r_offset and acks_enabled_for(message.topic):
                await self._add_gap(tp, r_offset + 1, offset)
            if commit_every is not None and self._n_acked >= commit_every:
                self._n_acked = 0
                await self.commit()
            await callback(message)
            set_read_offset(tp, offset)

    async def _drain_messages(self, fetcher: Any) -> None:  # pragma: no cover - runs in the worker
        consumer_should_stop = self._stopped.is_set
        fetcher_should_stop = fetcher._stopped.is_set
        try:
            while not (consumer_should_stop() or fetcher_should_stop()):
                self.diag.set_flag(CONSUMER_FETCHING)
                records: AsyncIterator[tuple[TP, Message]] = self.getmany(timeout=1.0)
                await self.sleep(0)
                if not self.should_stop:
                    batch = [item async for item in records]
                    if batch:
                        await self.wait_first(self._deliver(batch), self.suspend_flow.wait())
                self.diag.unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                self.log.info("Broker stopped consumer, shutting down...")
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                self.log.info("Consumer shutting down for user cancel.")
                return
            raise
        except Exception as exc:
            self.log.exception("Drain messages raised: %r", exc)
            raise
        finally:
            self.diag.unset_flag(CONSUMER_FETCHING)

    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return ShortPollConsumerThread(self, loop=self.loop, beacon=self.beacon)


class ShortPollConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """Faust fixes the consumer's fetch wait at 1500 ms. Apache Kafka answers a waiting fetch as
    soon as data arrives, so the value costs nothing there; the embedded broker (Tansu) holds it
    for the full wait (measured: p50 delivery 0.38 s at 1500 ms, 3 ms at 100 ms), so the app's
    ``fetch_max_wait_ms`` replaces it before the consumer starts (aiokafka reads it at start)."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = getattr(self.app, "fetch_max_wait_ms", 1500)
        return consumer


class BatchDeliveryTransport(faust_aiokafka.Transport):
    Consumer = BatchDeliveryConsumer


class App(faust.App):
    """:class:`faust.App` with :class:`BatchDeliveryConsumer` (Kafka URLs only), and tasks that start
    with the app instead of after it has joined its consumer group (:attr:`early_tasks`: Faust's
    own ``app.task`` waits for partitions; a task that needs no topic need not wait for Kafka)."""

    fetch_max_wait_ms: int = 1500  # make_app sets it from KafkaSettings
    early_tasks: list[Callable[[], Awaitable[None]]]
    _early_started = False

    async def on_start(self) -> None:
        await super().on_start()
        if not self._early_started:
            self._early_started = True
            for task in getattr(self, "early_tasks", []):
                self.add_future(task())

    def _new_transport(self) -> Any:
        url = self.conf.broker_consumer[0]
        if url.scheme not in ("kafka", "aiokafka"):  # e.g. memory:// in tests: Faust's own
            return super()._new_transport()
        return BatchDeliveryTransport(self.conf.broker_consumer, self)
