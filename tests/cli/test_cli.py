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


@pytest.mark.integration
def test_demo_prints_the_web_ui_and_a_login_that_works(demo_once: DemoRun) -> None:
    import re

    from triggerwatch.core.db import Database
    from triggerwatch.web.auth import Role, verify_token

    result = demo_once.result
    [token] = re.findall(r"web UI: http://127\.0\.0\.1:\d+/  log in with this token: (tw_\S+)", result.stderr)
    db_url = f"sqlite:///{(demo_once.run_dir / 'triggerwatch.db').resolve()}"
    assert f"TRIGGERWATCH_DATABASE__URL={db_url}" in result.stderr  # how export and backtest reach it
    db = Database(db_url)
    try:
        with db.session() as s:
            principal = verify_token(s, token)
        assert principal is not None and principal.role is Role.ADMIN
    finally:
        db.dispose()


def test_demo_with_own_recordings_names_the_missing_ones(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from triggerwatch.cli import app
    from triggerwatch.core.errors import ConfigError

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "mol_fi_tyopaikat_rss_2014.xml").write_bytes(
        (RECORDINGS / "mol_fi_tyopaikat_rss_2014.xml").read_bytes()
    )
    run_dir = tmp_path / "run"
    result = CliRunner().invoke(app, ["demo", "--once", "--recordings", str(mine), "--run-dir", str(run_dir)])
    assert isinstance(result.exception, ConfigError)  # `triggerwatch` prints it and exits 2
    message = str(result.exception)
    assert message.startswith("no recording for the enabled sources")
    assert "te-jobs-jyvaskyla" not in message  # that one is there
    assert f"ampparit-news (expects {mine / 'ampparit_georss_atom_2013.xml'})" in message
    assert not run_dir.exists()  # refused before anything started


def test_own_recordings_are_checked_against_the_sources(tmp_path: Path) -> None:
    from triggerwatch.collectors.registry import load_sources
    from triggerwatch.core.errors import ConfigError
    from triggerwatch.core.settings import CONFIG_DIR
    from triggerwatch.onboarding.recordings import check_recordings

    sources = load_sources(CONFIG_DIR / "sources.yaml")
    assert sorted(check_recordings(sources, RECORDINGS)) == sorted(
        s.config.replay_file for s in sources.values()
    )
    with pytest.raises(ConfigError, match="no such directory"):
        check_recordings(sources, tmp_path / "nowhere")
