"""No orphans (issue 15): when the worker dies — SIGKILL included — its processing child (and the
multiprocessing resource tracker) die with it, instead of writing alerts that no one sends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import clean_env

PARENT = """
import asyncio, sys
from triggerwatch.core.db import Database
from triggerwatch.core.settings import DatabaseSettings, WorkerSettings
from triggerwatch.worker.offload import ProcessRunner

url = sys.argv[1]
Database(url).upgrade()
runner = ProcessRunner(WorkerSettings(database=DatabaseSettings(url=url)))

async def main():
    await runner.process([])  # the child is spawned and initialised
    print(" ".join(str(p.pid) for p in runner._pool._processes.values()), flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.add(int(entry.name))
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie is its new parent's to reap)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_the_processing_child_dies_with_a_killed_worker(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, f"sqlite:///{tmp_path / 'tw.db'}"],
        stdout=subprocess.PIPE,
        env=clean_env(PYTHONPATH=os.environ.get("PYTHONPATH", "")),
        text=True,
    )
    try:
        assert parent.stdout is not None
        line = parent.stdout.readline()  # the child's pid, once it has processed a batch
        (child,) = (int(p) for p in line.split())
        spawned = children(parent.pid)
        assert child in spawned  # the processing child (and the resource tracker, when there is one)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 10
        while any(running(pid) for pid in spawned) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in spawned if running(pid)], "orphans left running"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(10)
