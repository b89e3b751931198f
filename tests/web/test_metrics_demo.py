"""``/metrics`` after one real ``triggerwatch demo --once`` run: the named series with the right counts."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import RECORDINGS, DemoRun
from triggerwatch.core.db import Database
from triggerwatch.core.settings import WebSettings
from triggerwatch.web.app import create_app
from triggerwatch.web.auth import Role, create_token

pytestmark = pytest.mark.integration


def test_metrics_after_a_demo_run(demo_once: DemoRun) -> None:
    result = demo_once.result
    assert result.returncode == 0, result.stdout + result.stderr
    run_dir = demo_once.run_dir
    db = Database(f"sqlite:///{run_dir / 'triggerwatch.db'}")
    with db.session() as s:
        _row, token = create_token(s, role=Role.OPS, name="prometheus")
    # the demo runs its web service in replay mode: it watches the sources the demo replays
    settings = WebSettings(replay_dir=RECORDINGS)
    client = TestClient(create_app(settings, db, silence_watch=False))
    text = client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).text
    m = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }
    # the recordings: 17 job ads, 50 news items, 1 TED award, 2 PRH notices; four alerts: Kela (high),
    # Digia Oyj's job ad (medium) and board change, Matka-Rengas Niemelä Oy's contract award
    assert m[("triggerwatch_events_stored", (("kind", "recruitment"), ("source", "te-jobs-jyvaskyla")))] == 17
    assert m[("triggerwatch_events_stored", (("kind", "news"), ("source", "ampparit-news")))] == 50
    assert m[("triggerwatch_alerts_stored", (("kind", "recruitment"), ("priority", "high")))] == 1
    assert m[("triggerwatch_alerts_stored", (("kind", "recruitment"), ("priority", "medium")))] == 1
    assert m[("triggerwatch_events_stored", (("kind", "contract_awarded"), ("source", "ted-fi")))] == 1
    n_alerts = sum(v for (name, _labels), v in m.items() if name == "triggerwatch_alerts_stored")
    assert n_alerts == 4
    assert m[("triggerwatch_deliveries_stored", (("sink", "console"), ("status", "delivered")))] == 4
    assert m[("triggerwatch_delivery_attempts_stored", (("sink", "console"),))] == 4
    assert m[("triggerwatch_delivery_failures_stored", (("sink", "console"),))] == 0
    assert m[("triggerwatch_alert_latency_seconds_count", ())] == 4
    assert m[("triggerwatch_outbox_unpublished", ())] == 0
    assert m[("triggerwatch_events_unprocessed", ())] == 0
    for source in ("te-jobs-jyvaskyla", "ampparit-news"):
        assert m[("triggerwatch_source_last_success_timestamp_seconds", (("source", source),))] > 1.7e9
        assert m[("triggerwatch_source_failing", (("source", source),))] == 0
        assert m[("triggerwatch_source_silent", (("source", source),))] == 0
    assert m[("triggerwatch_source_expected_interval_seconds", (("source", "te-jobs-jyvaskyla"),))] == 7200
    assert not any(k[0] == "triggerwatch_dead_letters_stored" for k in m)  # the recordings parse cleanly
