from __future__ import annotations

import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from tests.conftest import free_port
from tests.web.conftest import EXPECTED, NOW, Web, make_web, recorded_events, seed
from triggerwatch.core.contracts import EventKind, decode_alert
from triggerwatch.core.db import Alert, CollectorState, Database, Outbox, SilentSourceAlarm
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


def test_ops_page_shows_kafka_consumer_lag_from_the_stream_services(db: Database) -> None:
    """The worker's /metrics (a local server with its real series) gives the lag; a dead page is named."""
    body = (
        b"# HELP triggerwatch_consumer_lag High-watermark minus last read offset\n"
        b"# TYPE triggerwatch_consumer_lag gauge\n"
        b'triggerwatch_consumer_lag{app="triggerwatch-worker",partition="1",'
        b'topic="triggerwatch.events.v1"} 42.0\n'
        b'triggerwatch_consumer_lag{app="triggerwatch-worker",partition="0",'
        b'topic="triggerwatch.events.v1"} 7.0\n'
    )

    class Metrics(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Metrics)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dead = f"http://127.0.0.1:{free_port()}/metrics"
    try:
        seed(db, recorded_events())
        web = make_web(db, lag_metrics_urls=[f"http://127.0.0.1:{server.server_address[1]}/metrics", dead])
        login(web, Role.OPS)
        page = web.client.get("/ui/ops").text
    finally:
        server.shutdown()
    table = re.search(r'<table id="consumer-lag">(.*?)</table>', page, re.S)
    assert table
    rows = re.findall(
        r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", table.group(1)
    )
    assert rows == [
        ("triggerwatch-worker", "triggerwatch.events.v1", "0", "7"),
        ("triggerwatch-worker", "triggerwatch.events.v1", "1", "42"),
    ]
    assert f"Metrics not reachable: {dead}: ConnectError" in page
