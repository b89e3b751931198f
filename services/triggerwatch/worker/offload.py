"""Where the worker's CPU-bound batch processing runs: a child process (default) or a thread.

The Faust side of the worker (fetching, batching, sending, committing) and the processing of a
batch (validation, company resolution, rules, SQL) are both CPU-bound Python. In one process they
take turns on one core (the GIL); with the processing in a child process they run on two cores and
overlap — Faust fetches, buffers and sends while the child processes, and the next batch waits
queued at the child (see :mod:`triggerwatch.worker.pipeline`). Measured on this project's 2-core
machine: see ``bench/bench_matching.py`` and ``docs/architecture.md``.

The child owns its own database connection, rules and name index; it returns plain
:class:`~triggerwatch.worker.outcome.Emitted` values (bytes to send, labels to count), and the
worker counts the metrics (a child's Prometheus registry is never scraped). If the child dies,
``process`` raises ``BrokenProcessPool``: the worker exits without committing, and a restarted
worker processes the batch again (at-least-once; every effect is idempotent). If the worker dies,
however it dies, the child dies with it (:func:`die_with_parent`): no orphan goes on writing.

Either runner processes batches one after another in submission order, retrying a batch on a
database error; after a batch has failed for good no later batch is processed.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Protocol

from sqlalchemy.exc import OperationalError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from triggerwatch.core.db import Database
from triggerwatch.core.rules import load_rules
from triggerwatch.core.settings import WorkerSettings
from triggerwatch.worker.outcome import Emitted, emitted
from triggerwatch.worker.processing import Processor
from triggerwatch.worker.resolve import LinkingResolver

log = logging.getLogger(__name__)


class BatchRunner(Protocol):
    """``process`` hands the batch over at once, in call order, and returns what to await for its
    results: batches are processed one after another in the order they were handed over."""

    def process(self, raws: Sequence[bytes]) -> Awaitable[list[Emitted]]: ...

    def close(self) -> None: ...


def make_processor(settings: WorkerSettings, db: Database | None = None) -> Processor:
    db = db or Database(settings.database.url)
    return Processor(db, load_rules(settings.rules_file), resolver=LinkingResolver(db, freeze_gc=True))


RETRIES = 8  # a locked or briefly unreachable database: retried, then the worker crashes
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class OrderedProcessing:
    """Runs batches one after another, in submission order, each retried on a database error
    (``OperationalError``: locked, connection lost) with exponential back-off. Once a batch has failed
    for good, every later batch is refused: nothing after a failed batch may be processed (the worker
    exits and a restarted one processes them all again, in order)."""

    def __init__(self, processor: Processor, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.processor = processor
        self.sleep = sleep
        self.failed: BaseException | None = None

    def run(self, raws: Sequence[bytes]) -> list[Emitted]:
        if self.failed is not None:
            raise RuntimeError("an earlier batch failed: no later batch is processed") from self.failed
        try:
            for attempt in Retrying(
                retry=retry_if_exception_type(OperationalError),
                stop=stop_after_attempt(RETRIES),
                wait=wait_exponential(0.1, max=5),
                sleep=self.sleep,
                reraise=True,
            ):
                with attempt:
                    return emitted(self.processor.process_batch(raws, record_metrics=False))
        except BaseException as exc:
            self.failed = exc
            raise
        raise AssertionError("unreachable")


class ThreadRunner:
    """The processing in one worker thread of this process (no second core). Batches submitted
    before earlier ones finish are queued and run in order."""

    def __init__(self, processor: Processor) -> None:
        self._ordered = OrderedProcessing(processor)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="worker-processing")

    def process(self, raws: Sequence[bytes]) -> Awaitable[list[Emitted]]:
        return asyncio.get_running_loop().run_in_executor(self._thread, self._ordered.run, raws)

    def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)


# --- the child process ---------------------------------------------------------------------------
_CHILD: OrderedProcessing | None = None


def die_with_parent(parent_pid: int, *, check_interval_s: float = 1.0) -> None:
    """Make this (child) process end when ``parent_pid`` does, however the parent ends (SIGKILL too):
    Linux delivers SIGKILL at the parent's death (``prctl(PR_SET_PDEATHSIG)``); elsewhere, and as a
    second line, a daemon thread checks every ``check_interval_s`` that the parent is still ours.
    An orphaned child would go on writing alerts that no one sends, with no health page left."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(70)

    def watch() -> None:
        while True:
            time.sleep(check_interval_s)
            if os.getppid() != parent_pid:
                os._exit(70)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _child_init(settings: WorkerSettings, parent_pid: int) -> None:
    global _CHILD
    die_with_parent(parent_pid)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    _CHILD = OrderedProcessing(make_processor(settings))
    gc.collect()
    gc.freeze()  # what start-up built lives as long as the process: keep it out of every collection
    # A batch allocates tens of thousands of short-lived objects, nearly all freed by reference
    # counting; collecting every 700 allocations costs ~15 % of the processing (measured).
    gc.set_threshold(50_000, 20, 100)


def _child_process(raws: Sequence[bytes]) -> list[Emitted]:
    assert _CHILD is not None, "the processing child was not initialised"
    return _CHILD.run(raws)


class ProcessRunner:
    """The processing in one child process (spawned: the worker already runs threads). One child
    takes the batches in submission order, so a batch may be submitted while the one before is still
    processed: the child never waits for the worker between two batches."""

    def __init__(self, settings: WorkerSettings) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_child_init,
            initargs=(settings, os.getpid()),
        )

    def process(self, raws: Sequence[bytes]) -> Awaitable[list[Emitted]]:
        return asyncio.get_running_loop().run_in_executor(self._pool, _child_process, list(raws))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def make_runner(settings: WorkerSettings, db: Database | None = None) -> BatchRunner:
    """The runner ``worker_processing`` asks for; an injected database (tests) cannot cross into a
    child process, so it always gets a thread."""
    if settings.worker_processing == "process" and db is None:
        return ProcessRunner(settings)
    return ThreadRunner(make_processor(settings, db))
