"""The worker's Faust consumer: batch delivery keeps Faust's rules; the fetch wait comes from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from faust.types import TP

from triggerwatch.core.faust_consumer import App, BatchDeliveryConsumer, ShortPollConsumerThread
from triggerwatch.core.settings import BaseServiceSettings, KafkaSettings
from triggerwatch.core.streams import make_app

T0 = TP("events", 0)


@dataclass
class FakeConsumer:
    """The attributes ``BatchDeliveryConsumer._deliver`` uses, recording what it does."""

    flow_active: bool = True
    stop_flow_after: int | None = None
    _commit_every: int | None = 3
    _n_acked: int = 0
    _read_offset: dict[TP, int | None] = field(default_factory=lambda: {T0: None})
    delivered: list[int] = field(default_factory=list)
    gaps: list[tuple[int, int]] = field(default_factory=list)
    commits: int = 0
    app: Any = field(
        default_factory=lambda: SimpleNamespace(topics=SimpleNamespace(acks_enabled_for=lambda t: True))
    )

    async def callback(self, message: Any) -> None:
        self.delivered.append(message.offset)
        self._n_acked += 1
        if self.stop_flow_after is not None and len(self.delivered) >= self.stop_flow_after:
            self.flow_active = False  # a rebalance began while delivering

    async def _add_gap(self, tp: TP, start: int, end: int) -> None:
        self.gaps.append((start, end))

    async def commit(self) -> None:
        self.commits += 1


def batch(*offsets: int) -> list[tuple[TP, Any]]:
    return [(T0, SimpleNamespace(offset=o, topic="events")) for o in offsets]


async def test_batch_delivery_sets_read_offsets_records_gaps_and_commits_every_n() -> None:
    fake = FakeConsumer()
    await BatchDeliveryConsumer._deliver(fake, batch(0, 1, 2, 5, 6))  # type: ignore[arg-type]
    assert fake.delivered == [0, 1, 2, 5, 6]
    assert fake._read_offset[T0] == 6
    assert fake.gaps == [(3, 5)]  # offsets 3 and 4 never came (compacted / aborted): a gap
    assert fake.commits == 1  # after 3 acks


async def test_batch_delivery_skips_what_was_read_and_stops_when_the_flow_stops() -> None:
    fake = FakeConsumer(stop_flow_after=2, _commit_every=None)
    fake._read_offset[T0] = 1
    await BatchDeliveryConsumer._deliver(fake, batch(0, 1, 2, 3, 4, 5))  # type: ignore[arg-type]
    assert fake.delivered == [1, 2]  # below the read offset: skipped (Faust's rule); then the flow stopped
    assert fake._read_offset[T0] == 2


async def test_the_app_uses_the_batch_consumer_and_the_configured_fetch_wait(tmp_path: Path) -> None:
    settings = BaseServiceSettings(
        kafka_bootstrap_servers="127.0.0.1:1", kafka=KafkaSettings(fetch_max_wait_ms=37)
    )
    app = make_app(settings, app_id="t", web_host="127.0.0.1", web_port=0, data_dir=str(tmp_path))
    assert isinstance(app, App) and app.conf.stream_buffer_maxsize == settings.kafka.stream_buffer_maxsize
    consumer = app.consumer
    assert isinstance(consumer, BatchDeliveryConsumer)
    thread = consumer._new_consumer_thread()
    assert isinstance(thread, ShortPollConsumerThread)
    aiokafka_consumer = thread._create_worker_consumer(app.transport)
    assert aiokafka_consumer._fetch_max_wait_ms == 37  # read by aiokafka when the consumer starts
