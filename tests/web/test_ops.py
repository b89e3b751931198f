from __future__ import annotations

import re
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from tests.conftest import free_port
from tests.web.conftest import EXPECTED, NOW, Web, make_web, recorded_events, seed
from tests.web.showcase import stream_service
from triggerwatch.core.contracts import EventKind, decode_alert
from triggerwatch.core.db import Alert, CollectorState, Database, Outbox, SilentSourceAlarm
from triggerwatch.core.settings import WebSettings
from triggerwatch.web.auth import Role
from triggerwatch.web.watchdog import check_silent_sources


def test_a_silent_source_raises_one_ops_alert_per_episode_through_the_outbox(web: Web) -> None:
    assert check_silent_sources(web.db, EXPECTED, NOW + timedelta(hours=1)) == []  # within 2 h
    later = NOW + timedelta(hours=2, minutes=1)
    [alert] = check_silent_sources(web.db, EXPECTED, later)
    assert alert.kind is EventKind.OPS and alert.routing.owner == "ops"
    assert "te-jobs-jyvaskyla" in alert.explanation.what_happened
    assert "2.0 h" in alert.explanation.what_happened  # silent for 2.0 h, expected every 2.0 h
    assert check_silent_sources(web.db, EXPECTED, later + timedelta(hours=5)) == []  # same episode
    with web.db.session() as s:
        [row] = s.scalars(select(Outbox).where(Outbox.topic_kind == "alerts")).all()
        assert decode_alert(row.payload).alert_id == alert.alert_id
        assert s.get(Alert, alert.alert_id) is not None
        # the source recovers, then falls silent again: a new episode, a new alert
        state = s.get(CollectorState, "te-jobs-jyvaskyla")
        assert state is not None
        state.last_success_at = later
    [again] = check_silent_sources(web.db, EXPECTED, later + timedelta(hours=3))
    assert again.alert_id != alert.alert_id
    with web.db.session() as s:
        assert s.scalar(select(func.count()).select_from(SilentSourceAlarm)) == 2


def test_ops_summary_and_silent_metric_follow_the_clock(web: Web) -> None:
    ops = web.as_(Role.OPS)
    src = {s["source"]: s for s in web.client.get("/api/v1/sources", headers=ops).json()}
    assert src["te-jobs-jyvaskyla"]["silent"] is False
    assert src["te-jobs-jyvaskyla"]["events_stored"] == 17
    assert src["te-jobs-jyvaskyla"]["expected_events_in_window"] == 12.0
    web.clock[0] = NOW + timedelta(hours=3)
    summary = web.client.get("/api/v1/ops/summary", headers=ops).json()
    src = {s["source"]: s for s in summary["sources"]}
    assert src["te-jobs-jyvaskyla"]["silent"] is True
    assert src["te-jobs-jyvaskyla"]["silent_for_s"] == 3 * 3600
    assert summary["backlog"]["events_unprocessed"] == 0
    assert summary["backlog"]["outbox_unpublished"] >= 17
    assert (
        sum(d["events"] for d in summary["daily"]) == 17 and sum(d["alerts"] for d in summary["daily"]) == 2
    )
    metrics = web.client.get("/metrics", headers=ops).text
    values = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(metrics)
        for s in fam.samples
    }
    assert values[("triggerwatch_source_silent", (("source", "te-jobs-jyvaskyla"),))] == 1.0
    assert values[("triggerwatch_events_unprocessed", ())] == 0


def test_ops_page_shows_the_silent_source(web: Web) -> None:
    login(web, Role.OPS)
    page = web.client.get("/ui/ops").text
    assert "SILENT" not in page
    web.clock[0] = NOW + timedelta(hours=2, minutes=30)
    page = web.client.get("/ui/ops").text
    row = re.search(r'<tr class="source-row" data-source="te-jobs-jyvaskyla">(.*?)</tr>', page, re.S)
    assert row and "SILENT" in row.group(1) and "2.5 h" in row.group(1)
    assert "<svg" in page


def login(web: Web, role: Role) -> None:
    form = web.client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf
    resp = web.client.post(
        "/login", data={"token": web.tokens[role], "csrf": csrf.group(1)}, follow_redirects=False
    )
    assert resp.status_code == 303 and resp.headers["location"] == "/"


def test_ops_page_shows_health_and_lag_of_the_configured_stream_services(db: Database) -> None:
    """The worker and notifier on the ports they are configured with (TRIGGERWATCH_WORKER_PORT /
    _NOTIFIER_PORT, read by the web service too): each one's /ready and its Kafka lag per
    partition from /metrics; a notifier that rebalances is "not ready", a page nobody answers is
    named, never an error."""
    seed(db, recorded_events())
    with (
        stream_service("triggerwatch-worker", "events") as worker,
        stream_service("triggerwatch-notifier", "alerts", ready=False) as notifier,
    ):
        web = make_web(db, worker_port=worker, notifier_port=notifier)
        login(web, Role.OPS)
        page = web.client.get("/ui/ops").text
        dead = f"http://127.0.0.1:{free_port()}/metrics"
        other = make_web(
            db, lag_metrics_urls=[f"http://127.0.0.1:{worker}/metrics", dead], worker_port=worker
        )
        login(other, Role.OPS)
        named = other.client.get("/ui/ops").text
    services = dict(re.findall(r'<tr class="service-row svc-(\w+)" data-service="([^"]+)">', page))
    assert services == {"ready": "worker", "not_ready": "notifier"}
    assert f"http://127.0.0.1:{worker}/metrics" in page and "rebalancing; no partitions assigned" in page
    table = re.search(r'<table id="consumer-lag">(.*?)</table>', page, re.S)
    assert table
    rows = re.findall(
        r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", table.group(1)
    )
    assert rows == [  # by service, then topic and partition
        ("triggerwatch-worker", "triggerwatch.events.v1", "0", "7"),
        ("triggerwatch-worker", "triggerwatch.events.v1", "1", "42"),
        ("triggerwatch-notifier", "triggerwatch.alerts.v1", "0", "7"),
        ("triggerwatch-notifier", "triggerwatch.alerts.v1", "1", "42"),
    ]
    # explicit URLs: one on the worker's port is named "worker", an unknown one by its URL
    assert 'data-service="worker"' in named
    assert f'<tr class="service-row svc-unreachable" data-service="{dead}">' in named
    assert "ConnectError" in named


def test_the_stream_services_come_from_the_configured_ports_unless_urls_are_given() -> None:
    settings = WebSettings(worker_port=7001, notifier_port=0, worker_host="0.0.0.0")  # type: ignore[call-arg]
    assert settings.stream_services() == [("worker", "http://127.0.0.1:7001/metrics")]  # port 0: off
    explicit = WebSettings(lag_metrics_urls=["http://worker:6066/metrics", "http://x:9/metrics"])  # type: ignore[call-arg]
    assert explicit.stream_services() == [
        ("worker", "http://worker:6066/metrics"),
        ("http://x:9/metrics", "http://x:9/metrics"),
    ]


def test_ops_page_says_nothing_can_alert_without_scores(sqlite_db: Database) -> None:
    web = make_web(sqlite_db)
    login(web, Role.OPS)
    page = web.client.get("/ui/ops").text
    warning = re.search(r'<div class="warning" id="readiness-warning" role="alert">(.*?)</div>', page, re.S)
    assert warning and "no target-group scores to match against (0 companies" in warning.group(1)
    assert "triggerwatch init --registry URL|FILE" in warning.group(1)
    web.client.get("/lang/fi")
    assert "ei kohderyhmäpisteitä" in web.client.get("/ui/ops").text
    for empty in ("no-dead-letters", "no-deliveries", "no-checks"):
        assert f'id="{empty}"' in page  # empty sections say so (and what to do)
    seed(sqlite_db, recorded_events())
    assert 'id="readiness-warning"' not in web.client.get("/ui/ops").text
