"""The supervisor of ``triggerwatch demo`` / ``up`` (issue 15): a service that exits for good is
started again, with backoff, while the others keep running."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from triggerwatch.core.settings import BaseServiceSettings
from triggerwatch.supervisor import Supervisor

PROGRAMS = {
    "flaky": "import sys; print('flaky up', flush=True); sys.exit(70)",  # a worker that gave up
    "steady": "import time; time.sleep(60)",
}


def test_a_service_that_exits_is_restarted_and_the_others_keep_running(tmp_path: Path) -> None:
    settings = BaseServiceSettings(kafka_bootstrap_servers="127.0.0.1:1")  # no embedded broker
    sup = Supervisor(
        settings,
        env={},
        run_dir=tmp_path,
        services=tuple(PROGRAMS),
        argv_for=lambda name: [sys.executable, "-c", PROGRAMS[name]],
        restart_backoff_s=0.05,
    )
    flaky, steady = sup.children
    sup.start()
    try:
        first = steady.process
        deadline = time.monotonic() + 20
        while flaky.restarts < 3 and time.monotonic() < deadline:
            sup.tick()
            time.sleep(0.02)
        assert flaky.restarts >= 3
        assert steady.process is first and steady.alive() and steady.restarts == 0
    finally:
        sup.stop()
    assert (tmp_path / "logs" / "flaky.log").read_text().count("flaky up") >= 3
    assert not steady.alive()
