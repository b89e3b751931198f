"""The console script as a newcomer runs it: `triggerwatch broker`, `triggerwatch demo --once`."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from tests.conftest import RECORDINGS, TRIGGERWATCH, DemoRun, clean_env, free_port
from tests.integration.conftest import wait_for
from triggerwatch.core.broker import port_open
from triggerwatch.core.contracts import topic_names
from triggerwatch.core.kafka import admin_client

REPO = Path(__file__).resolve().parents[2]


def wait_for_line(proc: subprocess.Popen[bytes], needle: str, timeout_s: float) -> list[str]:
    """The child's stdout lines up to and including the first containing ``needle``; fails after
    ``timeout_s`` or when the child closes stdout first (a bounded wait, no sleeps)."""
    assert proc.stdout is not None
    stream = proc.stdout
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        for raw in iter(stream.readline, b""):
            lines.append(raw.decode())
            if needle in lines[-1]:
                found.set()
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert found.wait(timeout_s), f"no line with {needle!r} within {timeout_s}s: {lines}"
    return lines


@pytest.mark.integration
def test_broker_command_starts_creates_topics_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [*TRIGGERWATCH, "broker", "--port", str(port)],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        # The ready line is printed once the broker answers and topics exist; a broker still
        # starting is no error, so nothing before it may be logged at ERROR.
        lines = wait_for_line(proc, f"embedded broker listening on 127.0.0.1:{port}", 30.0)
        assert not [line for line in lines if " ERROR " in line], lines
        admin = admin_client(f"127.0.0.1:{port}")
        try:
            assert set(topic_names().values()) <= set(admin.list_topics())
        finally:
            admin.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        wait_for(lambda: not port_open("127.0.0.1", port), 5, "the broker port to close")
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.integration
def test_demo_once_prints_an_explained_alert_and_exits_zero(demo_once: DemoRun) -> None:
    result = demo_once.result
    assert result.returncode == 0, result.stdout + result.stderr
    assert demo_once.elapsed_s < 90
    out = result.stdout
    assert "ALERT [high] Kela (0246246-0) recruitment" in out
    for needed in (
        "What happened:",
        "Why it matters:",
        "Recommended offer:",
        "Next step:",
        "http://www.mol.fi/",
    ):
        assert needed in out
    assert "drained" in result.stderr


def test_config_errors_exit_2_with_a_clear_message(tmp_path: Path) -> None:
    result = subprocess.run(
        [*TRIGGERWATCH, "collect", "no-such-source", "--once"],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "unknown source 'no-such-source'" in result.stderr
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules: []\n")
    result = subprocess.run(
        [*TRIGGERWATCH, "worker"],
        env=clean_env(TRIGGERWATCH_RULES_FILE=str(bad)),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "rules file" in result.stderr


def test_parse_accepts_a_registered_format_as_well_as_a_source() -> None:
    from typer.testing import CliRunner

    from triggerwatch.cli import app

    feed = RECORDINGS / "ampparit_georss_atom_2013.xml"
    result = CliRunner().invoke(app, ["parse", "rss", str(feed)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines and all(e["kind"] == "news" and e["source"] == "rss" for e in lines)
    bad = CliRunner().invoke(app, ["parse", "no-such-format", str(feed)])
    assert bad.exit_code != 0
