"""A board-change notice flows through the platform path: `triggerwatch demo --once` alerts on it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.cli.test_cli import TRIGGERWATCH, clean_env
from tests.conftest import free_port


@pytest.mark.integration
def test_demo_alerts_on_a_board_change_notice_for_a_target_company(tmp_path: Path) -> None:
    env = clean_env(
        TRIGGERWATCH_KAFKA__EMBEDDED_PORT=str(free_port()),
        TRIGGERWATCH_WORKER_PORT=str(free_port()),
        TRIGGERWATCH_NOTIFIER_PORT=str(free_port()),
        TRIGGERWATCH_WEB_PORT=str(free_port()),
    )
    result = subprocess.run(
        [*TRIGGERWATCH, "demo", "--once", "--run-dir", str(tmp_path / "demo")],
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    start = out.index("Digia Oyj (0831312-4) decision_maker_change")
    alert = out[start : start + 1500]
    assert "→ product group recruitment-services" in alert
    assert "Digia Oyj: Board of directors changed (trade register 2019/250695)" in alert
    assert "New decision-makers at Digia Oyj review their suppliers" in alert
    assert "http://avoindata.prh.fi/opendata/tr/v1/publicnotices/2019/250695" in alert
