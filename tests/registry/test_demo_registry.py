"""A board-change notice flows through the platform path: `triggerwatch demo --once` alerts on it."""

from __future__ import annotations

import pytest

from tests.conftest import DemoRun


@pytest.mark.integration
def test_demo_alerts_on_a_board_change_notice_for_a_target_company(demo_once: DemoRun) -> None:
    result = demo_once.result
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    start = out.index("Digia Oyj (0831312-4) decision_maker_change")
    alert = out[start : start + 1500]
    assert "→ product group recruitment-services" in alert
    assert "Digia Oyj: Board of directors changed (trade register 2019/250695)" in alert
    assert "New decision-makers at Digia Oyj review their suppliers" in alert
    assert "http://avoindata.prh.fi/opendata/tr/v1/publicnotices/2019/250695" in alert
