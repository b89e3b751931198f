"""Where the worker's CPU-bound batch processing runs: a child process (default) or a thread.

The Faust side of the worker (fetching, batching, sending, committing) and the processing of a
batch (validation, company resolution, rules, SQL) are both CPU-bound Python. In one process they
take turns on one core (the GIL); with the processing in a child process they run on two cores and
overlap — Faust fetches and buffers the next batch while the child processes this one. Measured
on this project's 2-core machine: see ``bench/bench_matching.py`` and the README.

The child owns its own database connection, rules and name index; it returns plain
:class:`~triggerwatch.worker.processing.Emitted` values (bytes to send, labels to count), and the
worker counts the metrics (a child's Prometheus registry is never scraped). If the child dies,
``process`` raises ``BrokenProcessPool``: the worker exits without committing, and a restarted
worker processes the batch again (at-least-once; every effect is idempotent).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Protocol

from triggerwatch.core.db import Database
from triggerwatch.core.settings import WorkerSettings
from triggerwatch.worker.processing import Emitted, Processor, emitted
from triggerwatch.worker.resolve import LinkingResolver
from triggerwatch.worker.rules import load_rules

log = logging.getLogger(__name__)


class BatchRunner(Protocol):
    async def process(self, raws: Sequence[bytes]) -> list[Emitted]: ...

    def close(self) -> None: ...


def make_processor(settings: WorkerSettings, db: Database | None = None) -> Processor:
    db = db or Database(settings.database.url)
    return Processor(db, load_rules(settings.rules_file), resolver=LinkingResolver(db, freeze_gc=True))


class ThreadRunner:
    """The processing in a worker thread of this process (no second core)."""

    def __init__(self, processor: Processor) -> None:
        self.processor = processor

    async def process(self, raws: Sequence[bytes]) -> list[Emitted]:
        return await asyncio.to_thread(self._run, raws)

    def _run(self, raws: Sequence[bytes]) -> list[Emitted]:
        return emitted(self.processor.process_batch(raws, record_metrics=False))

    def close(self) -> None:
        pass


# --- the child process ---------------------------------------------------------------------------
_CHILD: ThreadRunner | None = None


def _child_init(settings: WorkerSettings) -> None:
    global _CHILD
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    _CHILD = ThreadRunner(make_processor(settings))
    gc.collect()
    gc.freeze()  # what start-up built lives as long as the process: keep it out of every collection
    # A batch allocates tens of thousands of short-lived objects, nearly all freed by reference
    # counting; collecting every 700 allocations costs ~15 % of the processing (measured).
    gc.set_threshold(50_000, 20, 100)


def _child_process(raws: Sequence[bytes]) -> list[Emitted]:
    assert _CHILD is not None, "the processing child was not initialised"
    return _CHILD._run(raws)


class ProcessRunner:
    """The processing in one child process (spawned: the worker already runs threads)."""

    def __init__(self, settings: WorkerSettings) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_child_init,
            initargs=(settings,),
        )

    async def process(self, raws: Sequence[bytes]) -> list[Emitted]:
        return await asyncio.get_running_loop().run_in_executor(self._pool, _child_process, list(raws))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def make_runner(settings: WorkerSettings, db: Database | None = None) -> BatchRunner:
    """The runner ``worker_processing`` asks for; an injected database (tests) cannot cross into a
    child process, so it always gets a thread."""
    if settings.worker_processing == "process" and db is None:
        return ProcessRunner(settings)
    return ThreadRunner(make_processor(settings, db))
