"""Baseline: a bare Faust agent on the embedded broker, no database, no rules (cold-start floor)."""

from __future__ import annotations

import os
import sys
import time

import faust

from triggerwatch.core.settings import BaseServiceSettings
from triggerwatch.core.streams import make_app

settings = BaseServiceSettings()
app = make_app(
    settings,
    app_id="bench-baseline",
    web_host="127.0.0.1",
    web_port=0,
    data_dir=os.environ.get("BENCH_DATA_DIR", "/tmp/bench-baseline"),
)
topic = app.topic("bench.baseline", value_serializer="raw", partitions=settings.kafka.partitions)


@app.agent(topic)
async def first(stream: faust.StreamT[bytes]) -> None:
    async for _ in stream:
        sys.stdout.write(f"FIRST {time.time()}\n")
        sys.stdout.flush()
        os._exit(0)


if __name__ == "__main__":
    from triggerwatch.core.streams import run_worker

    run_worker(app, loglevel="warning")
