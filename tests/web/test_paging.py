"""Feeds and company timelines are pages of SQL on indexed columns: filters by owner, kind,
priority and company never read alerts' JSON into Python, and a page reads a page of rows; the ops
page does not wait for a stream service that hangs."""

from __future__ import annotations

import re
import socket
import time
from datetime import timedelta

from sqlalchemy import event as sa_event
from sqlalchemy import select, update

from tests.web.conftest import NOW, Web, make_web, recorded_events, seed
from tests.web.test_api import KELA_ALERT
from tests.web.test_ops import login
from triggerwatch.core.db import Alert, Database, Event
from triggerwatch.web.auth import Role
from triggerwatch.web.queries import AlertFilters, alert_page


def many_kela_alerts(web: Web, n: int) -> list[str]:
    """``n`` more alerts of Kela, one a minute before the seeded one, alternately for two owners."""
    with web.db.session() as s:
        template = s.get(Alert, KELA_ALERT)
        assert template is not None
        ids = []
        for i in range(n):
            alert_id = f"kela-{i:04d}"
            s.add(
                Alert(
                    alert_id=alert_id,
                    event_id=template.event_id,
                    business_id=template.business_id,
                    kind=template.kind,
                    product_group=template.product_group,
                    score=template.score,
                    priority="low" if i % 2 else "high",
                    payload={**template.payload, "alert_id": alert_id},
                    created_at=NOW - timedelta(minutes=i + 1),
                    owner="rep-anna" if i % 2 else "rep-ville",
                    revision=1,
                    change_seq=1000 + i,
                )
            )
            ids.append(alert_id)
    return ids


def test_the_feed_pages_through_every_alert_once(sqlite_web: Web) -> None:
    web = sqlite_web
    many_kela_alerts(web, 120)
    login(web, Role.REP)
    seen: list[str] = []
    url: str | None = "/ui/alerts"
    pages = 0
    while url:
        page = web.client.get(url).text
        seen += re.findall(r'<article class="alert prio-\w+" id="alert-([^"]+)"', page)
        older = re.search(r'<a href="([^"]+)" id="older"', page)
        url = older.group(1).replace("&amp;", "&") if older else None
        pages += 1
    assert pages == 3 and len(seen) == 122 == len(set(seen))  # 50 + 50 + 22, newest first
    rep = web.as_(Role.REP)
    first = web.client.get("/api/v1/alerts?owner=rep-anna&limit=40", headers=rep)
    assert len(first.json()) == 40 and {a["owner"] for a in first.json()} == {"rep-anna"}
    rest = web.client.get(
        f"/api/v1/alerts?owner=rep-anna&limit=40&before={first.headers['X-Next-Before']}", headers=rep
    )
    assert len(rest.json()) == 20 and "X-Next-Before" not in rest.headers
    high = web.client.get("/ui/alerts?priority=high&owner=rep-ville").text
    assert high.count('<article class="alert prio-high"') == 50 and 'id="older"' in high


def test_filters_are_sql_on_columns_and_a_page_reads_a_page(sqlite_web: Web) -> None:
    web = sqlite_web
    many_kela_alerts(web, 120)
    with web.db.session() as s:  # the owner column decides, not the JSON payload
        s.execute(update(Alert).where(Alert.alert_id == "kela-0000").values(owner="rep-maija"))
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    sa_event.listen(web.db.engine, "before_cursor_execute", record)
    try:
        with web.db.session() as s:
            page = alert_page(s, AlertFilters(owner="rep-maija", kind="recruitment", priority="high"), 50)
            feed = alert_page(s, AlertFilters(), 50)
    finally:
        sa_event.remove(web.db.engine, "before_cursor_execute", record)
    assert [a.alert_id for a in page.alerts] == ["kela-0000"]
    alert_queries = [
        q for q in statements if "FROM alerts" in q and "objections" not in q.split("FROM alerts")[0]
    ]
    assert all("LIMIT" in q for q in alert_queries), alert_queries
    assert any(
        "alerts.owner = " in q and "alerts.priority = " in q and "alerts.kind = " in q for q in statements
    )
    assert len(feed.alerts) == 50 and feed.next_before is not None


def test_the_company_timeline_is_paged(sqlite_web: Web) -> None:
    web = sqlite_web
    many_kela_alerts(web, 70)
    rep = web.as_(Role.REP)
    with web.db.session() as s:
        n_events = len(s.scalars(select(Event.event_id).where(Event.business_id == "0246246-0")).all())
    seen: list[str] = []
    before = ""
    while True:
        page = web.client.get(f"/api/v1/companies/0246246-0?limit=30{before}", headers=rep).json()
        assert len(page["timeline"]) <= 30
        seen += [i.get("alert_id") or i["event_id"] for i in page["timeline"]]
        if not page["timeline_next"]:
            break
        before = f"&before={page['timeline_next']}"
    assert len(seen) == len(set(seen)) == 71 + n_events
    login(web, Role.REP)
    html = web.client.get("/ui/companies/0246246-0").text
    assert html.count('<li class="timeline-') == 50 and 'id="older"' in html


def test_the_ops_page_does_not_wait_for_hanging_services(sqlite_db: Database) -> None:
    """Two stream services whose /metrics accept the connection and never answer: the page reads
    them at the same time and gives them one second together, then names them."""
    hanging = [socket.socket(), socket.socket()]
    for s in hanging:
        s.bind(("127.0.0.1", 0))
        s.listen(8)  # never accepted: the request is sent, no answer comes
    urls = [f"http://127.0.0.1:{s.getsockname()[1]}/metrics" for s in hanging]
    try:
        seed(sqlite_db, recorded_events())
        web = make_web(sqlite_db, lag_metrics_urls=urls)
        login(web, Role.OPS)
        started = time.monotonic()
        page = web.client.get("/ui/ops").text
        elapsed = time.monotonic() - started
    finally:
        for s in hanging:
            s.close()
    assert elapsed < 1.8, elapsed
    assert all(f"{url}: no answer within 1 s" in page for url in urls)
