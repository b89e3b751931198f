"""PRH collectors against a real local HTTP server replaying pages built from the real Nokia record.

Paging quirk (a page past the end is page 1 again), 429 with Retry-After, 503, and a malformed
record dead-lettered while the rest loads; the notices collector with fetched and fallback code lists.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.collectors.test_http import FeedServer, Reply, SleepRecorder
from tests.conftest import FIXTURES
from triggerwatch.collectors.base import CursorState
from triggerwatch.collectors.registry import build_source
from triggerwatch.collectors.runner import run_once
from triggerwatch.core.businessid import check_digit
from triggerwatch.core.db import CollectorState, Database, DeadLetter, Event
from triggerwatch.core.http import HttpFetcher, RateLimiter, RetryPolicy
from triggerwatch.core.sources import SourceConfig
from triggerwatch.registry.ytj import HELSINKI

NOKIA = json.loads((FIXTURES / "registry" / "ytj_v3_companies_businessId_0112038-9.json").read_text())
TR_V1 = (FIXTURES / "registry" / "legacy_tr_v1_company_0877830-0.json").read_bytes()
SINCE = "2026-11-30"


def business_ids(n: int, start: int = 3100000) -> list[str]:
    out: list[str] = []
    body = start
    while len(out) < n:
        digit = check_digit(str(body))
        if digit is not None:
            out.append(f"{body}-{digit}")
        body += 1
    return out


def company(business_id: str, name: str) -> dict[str, Any]:
    rec = copy.deepcopy(NOKIA["companies"][0])
    rec["businessId"]["value"] = business_id
    rec["names"] = [
        {"name": name, "type": "1", "registrationDate": "2026-11-30", "version": 1, "source": "1"}
    ]
    rec["registrationDate"] = "2026-11-30"
    return rec


def page(total: int, records: list[dict[str, Any]]) -> bytes:
    return json.dumps({"totalResults": total, "companies": records}).encode()


def path(n: int) -> str:
    return f"/companies?registrationDateStart={SINCE}&page={n}"


@pytest.fixture
def http(sleeps: SleepRecorder) -> Iterator[HttpFetcher]:
    client = httpx.Client(timeout=5.0, trust_env=False)
    yield HttpFetcher(user_agent="triggerwatch-test/0.1", client=client, policy=RetryPolicy(sleep=sleeps))
    client.close()


def companies_source(server: FeedServer, db: Database) -> Any:
    source = build_source(
        SourceConfig(name="prh-new", type="prh_companies", options={"url": f"{server.url}/companies"})
    )
    with db.session() as s:
        s.add(CollectorState(source="prh-new", items_seen=0, events_emitted=0, cursor={"since": SINCE}))
    return source


def stored(db: Database) -> list[Event]:
    with db.session() as s:
        return list(s.scalars(select(Event).order_by(Event.source_item_id)))


def test_paging_stops_on_total_results_and_survives_429_503_and_a_bad_record(
    server: FeedServer, http: HttpFetcher, sleeps: SleepRecorder, sqlite_db: Database
) -> None:
    ids = business_ids(3)
    bad = company(ids[2], "Rikki Oy")
    bad["businessId"]["value"] = "3100000-0"  # wrong check digit: dead-lettered alone
    page1 = page(3, [company(ids[0], "Alku Oy"), company(ids[1], "Toinen Oy")])
    page2 = page(3, [bad])
    server.routes[path(1)] = [Reply(503, b"busy"), Reply(200, page1)]
    server.routes[path(2)] = [Reply(429, b"slow down", {"Retry-After": "7"}), Reply(200, page2)]
    server.routes[path(3)] = [Reply(200, page1)]  # the API's answer past the end: page 1 again
    report = run_once(companies_source(server, sqlite_db), sqlite_db, http)

    assert report.error is None
    assert [r.path for r in server.requests if r.path.startswith("/companies")] == [
        path(1),
        path(1),
        path(2),
        path(2),
    ]
    assert sleeps.calls[1] == 7.0  # Retry-After honoured exactly
    assert 0 < sleeps.calls[0] <= 300  # exponential backoff after the 503
    events = stored(sqlite_db)
    assert [e.source_item_id for e in events] == [f"registration:{ids[0]}", f"registration:{ids[1]}"]
    first = events[0].payload
    assert first["kind"] == "registration"
    assert first["companies"][0] == {"business_id": ids[0], "name": "Alku Oy", "role": "subject"}
    assert first["attributes"]["industry_section"] == "N"
    assert first["attributes"]["tol_version"] == "2025"
    assert first["attributes"]["region_code"] == "01"
    with sqlite_db.session() as s:
        dead = list(s.scalars(select(DeadLetter)))
    assert len(dead) == 1
    assert "invalid business ID '3100000-0'" in dead[0].reason
    assert server.to(path(1))[0].header("User-Agent") == "triggerwatch-test/0.1"


def test_a_page_past_the_end_is_detected_even_when_total_results_lies(
    server: FeedServer, http: HttpFetcher, sqlite_db: Database
) -> None:
    ids = business_ids(2, start=3200000)
    page1 = page(500, [company(ids[0], "Eka Oy"), company(ids[1], "Toka Oy")])
    server.routes[path(1)] = [Reply(200, page1)]
    server.routes[path(2)] = [Reply(200, page1)]
    report = run_once(companies_source(server, sqlite_db), sqlite_db, http)
    assert report.error is None
    assert len(stored(sqlite_db)) == 2
    assert path(3) not in server.paths()


def test_rate_limiter_token_bucket() -> None:
    now = [100.0]
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        now[0] += s

    limiter = RateLimiter(300, burst=2, clock=lambda: now[0], sleep=sleep)
    assert [limiter.acquire() for _ in range(2)] == [0.0, 0.0]
    assert limiter.acquire() == pytest.approx(0.2)  # 300/min = one request per 0.2 s
    now[0] += 10
    assert limiter.acquire() == 0.0
    assert waits == [pytest.approx(0.2)]


def test_notices_collector_fetches_code_lists_and_pages(
    server: FeedServer, http: HttpFetcher, sqlite_db: Database
) -> None:
    data = json.loads(TR_V1)
    body = json.dumps({"totalResults": 1, "companies": data["results"]}).encode()
    server.routes["/rn/description?code=EC&lang=FI"] = [
        Reply(200, b"HAL\tHallitus\nTILTAR\tTilintarkastajat\n")
    ]
    # NRT list unavailable (404): the shipped snapshot fills in
    source = build_source(
        SourceConfig(name="prh-rn", type="prh_notices", options={"url": f"{server.url}/rn"})
    )
    with sqlite_db.session() as s:
        s.add(CollectorState(source="prh-rn", items_seen=0, events_emitted=0, cursor={"since": SINCE}))
    today = datetime.now(UTC).astimezone(HELSINKI).date().isoformat()
    search = f"/rn?noticeRegistrationDateStart={SINCE}&noticeRegistrationDateEnd={today}&page=1"
    server.routes[search] = [Reply(200, body)]
    report = run_once(source, sqlite_db, http)
    assert report.error is None
    events = {e.source_item_id: e.payload for e in stored(sqlite_db)}
    assert len(events) == 9
    hal = events["2019/250695:HAL"]
    assert hal["kind"] == "decision_maker_change"
    assert hal["attributes"]["role"] == "board_member"
    assert hal["attributes"]["notice_label"] == "Hallitus"  # from the fetched list
    assert hal["attributes"]["notice_type_label"] == "Muutosilmoitus"  # from the snapshot
    assert events["2015/739492:TILTAR"]["attributes"]["role"] == "auditor"
    assert events["2020/290401:M"]["kind"] == "registry_change"
    assert "/rn/description?code=NRT&lang=FI" in server.paths()
    assert server.paths().count(search) == 1  # one page: totalResults reached


def test_fetcher_rate_limits_a_host_after_its_burst(server: FeedServer, sleeps: SleepRecorder) -> None:
    server.routes["/x"] = [Reply(200, b"{}")]
    client = httpx.Client(timeout=5.0, trust_env=False)
    now = [0.0]
    http = HttpFetcher(user_agent="t", client=client, policy=RetryPolicy(sleep=sleeps), respect_robots=False)
    limiter = http.limit_rate(server.url, 300, burst=2)
    limiter.clock = lambda: now[0]
    for _ in range(3):
        http.get(f"{server.url}/x")
    client.close()
    assert sleeps.calls == [pytest.approx(0.2)]  # the third request waited for a token
    assert http.limit_rate(server.url, 10) is limiter  # the first limit of a host is kept


def test_notices_per_company_lookup(server: FeedServer, http: HttpFetcher) -> None:
    data = json.loads(TR_V1)["results"][0]
    server.routes["/rn/0877830-0"] = [Reply(200, json.dumps(data).encode())]
    options = {"url": f"{server.url}/rn", "business_id": "0877830-0"}
    source = build_source(SourceConfig(name="prh-one", type="prh_notices", options=options))
    outcome = source.collector.fetch(http, CursorState())
    events = source.collector.parse(outcome.payloads[0])
    assert len(events) == 9
    assert {e.companies[0].business_id for e in events} == {"0877830-0"}
    # both code lists unavailable here: labels from the shipped snapshot
    hal = next(e for e in events if e.attributes["notice_code"] == "HAL")
    assert hal.attributes["notice_label"] == "HALLITUS"


def test_shipped_prh_sources(sqlite_db: Database) -> None:
    from tests.conftest import RECORDINGS, REPO
    from triggerwatch.collectors.registry import load_sources

    sources = load_sources(REPO / "deploy" / "config" / "sources.yaml", include_disabled=True)
    notices, companies = sources["prh-trade-notices"], sources["prh-new-companies"]
    assert notices.config.enabled and not companies.config.enabled
    assert notices.schedule.cron == "30 6 * * *" and companies.schedule.cron == "15 6 * * *"
    for src in (notices, companies):
        assert src.config.licence == "Lähde: Patentti- ja rekisterihallitus (PRH), CC BY 4.0"
    report = run_once(notices, sqlite_db, None, replay_dir=RECORDINGS)
    kinds = sorted(e.kind.value for e in report.new_events)
    assert kinds == ["decision_maker_change", "registry_change"]
    assert {e.companies[0].business_id for e in report.new_events} == {"0831312-4"}
