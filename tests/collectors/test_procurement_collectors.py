"""TED and Hilma collectors against a real local HTTP server replaying recorded pages.

The server (``http.server`` on 127.0.0.1, port 0) answers POSTed searches with recorded pages,
follows the iteration token, serves the eForms XML of the award notice, throttles with 429 once and
serves a malformed notice; only the retry *sleep* is injected (backoffs recorded, not waited).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from tests.conftest import FIXTURES
from triggerwatch.collectors.base import CursorState
from triggerwatch.collectors.hilma import HilmaCollector, decode_notice_xml, parse_winners
from triggerwatch.collectors.registry import Source, build_source
from triggerwatch.collectors.runner import run_once
from triggerwatch.collectors.service import CollectorService
from triggerwatch.core.contracts import CompanyRole, EventKind, TriggerEventV1
from triggerwatch.core.db import CollectorState, Database, DeadLetter, Event
from triggerwatch.core.errors import ConfigError
from triggerwatch.core.http import HttpFetcher, RetryPolicy
from triggerwatch.core.settings import CollectorSettings
from triggerwatch.core.sources import SourceConfig

TED = FIXTURES / "procurement" / "ted"
HILMA = FIXTURES / "procurement" / "hilma"
CAN_XML = (TED / "eforms_can29_FI_00525037-2024_kristiinankaupunki.xml").read_bytes()
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class ApiServer:
    """Scripted replies per (method, path); ``handler`` decides from the request."""

    def __init__(self, handler: Callable[[Seen], Reply]) -> None:
        self.handler = handler
        self.seen: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                seen = Seen(method, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                server.seen.append(seen)
                reply = server.handler(seen)
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def fetcher(sleeps: list[float]) -> Iterator[HttpFetcher]:
    client = httpx.Client(timeout=5.0)
    yield HttpFetcher(
        user_agent="triggerwatch-test/0.1",
        client=client,
        policy=RetryPolicy(max_attempts=3, initial_backoff_s=0.5, sleep=sleeps.append),
        respect_robots=False,
    )
    client.close()


def json_reply(path_or_data: Any) -> Reply:
    body = (
        path_or_data.read_bytes()
        if hasattr(path_or_data, "read_bytes")
        else json.dumps(path_or_data).encode()
    )
    return Reply(body=body, headers={"Content-Type": "application/json"})


def stored(db: Database, source: str) -> list[TriggerEventV1]:
    with db.session() as s:
        return [
            TriggerEventV1.model_validate(r.payload)
            for r in s.scalars(select(Event).where(Event.source == source))
        ]


# ------------------------------------------------------------------------------------------- TED
def ted_source(server: ApiServer, **options: Any) -> Source:
    return build_source(
        SourceConfig(
            name="ted-fi",
            type="ted",
            options={
                "url": f"{server.base}/v3/notices/search",
                "xml_url": server.base + "/en/notice/{publication_number}/xml",
                "limit": 3,
                **options,
            },
        )
    )


@pytest.fixture
def ted_server() -> Iterator[ApiServer]:
    state = {"throttled": False}

    def handle(req: Seen) -> Reply:
        if req.method == "POST" and req.path == "/v3/notices/search":
            if not state["throttled"]:  # the first search is throttled once
                state["throttled"] = True
                return Reply(429, b'{"message":"Too many requests"}', {"Retry-After": "7"})
            token = (req.body or {}).get("iterationNextToken")
            page = {None: 1, "tok-page-2": 2, "tok-page-3": 3}[token]
            return json_reply(TED / f"search_page_{page}.json")
        if req.path == "/en/notice/00525037-2024/xml":
            return Reply(body=CAN_XML, headers={"Content-Type": "application/xml"})
        return Reply(404, b"not found")

    server = ApiServer(handle)
    yield server
    server.close()


def test_ted_iterates_pages_until_an_empty_one_fetches_award_xml_and_backs_off(
    ted_server: ApiServer, fetcher: HttpFetcher, sleeps: list[float], db: Database
) -> None:
    source = ted_source(ted_server)
    report = run_once(source, db, fetcher, clock=lambda: NOW)
    assert report.error is None and report.dead_letters == []
    assert sleeps == [7.0]  # Retry-After of the 429 honoured once
    searches = [r for r in ted_server.seen if r.method == "POST"]
    assert len(searches) == 4  # 429, page 1, page 2, empty page 3 (its token was still non-null)
    first = searches[1].body
    assert first["query"].startswith("buyer-country=FIN AND publication-date>=")
    assert first["query"].endswith(" SORT BY publication-date ASC")
    assert first["paginationMode"] == "ITERATION" and first["limit"] == 3
    assert "notice-identifier" in first["fields"] and "winner-name" in first["fields"]
    assert "iterationNextToken" not in first
    assert [s.body.get("iterationNextToken") for s in searches[2:]] == ["tok-page-2", "tok-page-3"]
    assert [r.path for r in ted_server.seen if r.method == "GET"] == ["/en/notice/00525037-2024/xml"]

    events = {e.attributes["notice_id"]: e for e in stored(db, "ted-fi")}
    assert sorted(events) == [
        "00525037-2024",
        "00536143-2023",
        "00574413-2023",
        "00583624-2023",
        "00615708-2023",
    ]
    kinds = {k: e.kind for k, e in events.items()}
    assert kinds["00574413-2023"] == EventKind.PROCUREMENT_PLANNED
    assert kinds["00615708-2023"] == EventKind.PROCUREMENT_OPEN
    award = events["00525037-2024"]
    # the XML's exact pairing won over the unaligned search arrays (one stored event per notice)
    assert [(c.business_id, c.role) for c in award.companies] == [
        ("1992155-5", CompanyRole.WINNER),
        ("2450271-8", CompanyRole.WINNER),
        ("2626335-1", CompanyRole.WINNER),
        ("0216509-5", CompanyRole.BUYER),
    ]
    assert award.raw_ref == f"{ted_server.base}/en/notice/00525037-2024/xml"
    assert events["00615708-2023"].attributes["deadline"] == "2023-11-10T14:00:00+02:00"

    with db.session() as s:
        row = s.get(CollectorState, "ted-fi")
        assert row is not None
        assert row.cursor == {"publication_date": "2024-09-02", "publication_number": "00525037-2024"}

    # the next poll starts at the cursor and fetches no XML for notices already seen
    before = len(ted_server.seen)
    again = run_once(source, db, fetcher, clock=lambda: NOW)
    assert again.new_events == []
    new_requests = ted_server.seen[before:]
    assert "publication-date>=20240902" in new_requests[0].body["query"]
    assert all(r.method == "POST" for r in new_requests)


def test_ted_search_record_without_xml_keeps_names_without_guessing_ids(
    ted_server: ApiServer, fetcher: HttpFetcher
) -> None:
    source = ted_source(ted_server, fetch_award_xml=False)
    outcome = source.collector.fetch(fetcher, CursorState())
    assert all(p.content_type == "application/json" for p in outcome.payloads)
    events = [e for p in outcome.payloads for e in source.collector.parse(p)]
    [award] = [e for e in events if e.kind == EventKind.CONTRACT_AWARDED]
    winners = [c for c in award.companies if c.role == CompanyRole.WINNER]
    assert {c.name for c in winners} == {
        "Matka-Rengas Niemelä Oy",
        "Hellman Transport Ab",
        "Ingves Svanbäck Ab",
    }
    assert all(c.business_id is None for c in winners)  # three names, three ids: no certain pairing
    assert award.attributes["dedup_key"] == "notice:14ccbc47-6890-49a9-93d5-73e036f17956"


def test_ted_malformed_notice_is_dead_lettered_and_the_rest_flows(fetcher: HttpFetcher, db: Database) -> None:
    page = json.loads((TED / "search_page_1.json").read_text())
    award = json.loads((TED / "search_page_2.json").read_text())["notices"][-1]
    page["notices"] = [award, *page["notices"], {"notice-type": "cn-standard"}]  # last one: no number
    page["iterationNextToken"] = None

    def handle(req: Seen) -> Reply:
        if req.method == "POST":
            return json_reply(page)
        return Reply(body=(TED / "malformed_truncated_notice.xml").read_bytes())

    server = ApiServer(handle)
    try:
        report = run_once(ted_source(server), db, fetcher, clock=lambda: NOW)
    finally:
        server.close()
    reasons = sorted(d.reason for d in report.dead_letters)
    assert len(reasons) == 2
    assert reasons[0].startswith("TED record has no publication-number")
    assert reasons[1].startswith("not well-formed XML")
    with db.session() as s:
        rows = s.scalars(select(DeadLetter)).all()
        assert {r.error_type for r in rows} == {"malformed_xml", "no_notice_id"}
    # the three good notices (and the award from its search record) are stored
    assert sorted(e.attributes["notice_id"] for e in report.new_events) == [
        "00525037-2024",
        "00536143-2023",
        "00574413-2023",
        "00583624-2023",
    ]


# ----------------------------------------------------------------------------------------- Hilma
def hilma_source(server: ApiServer, key: str = "k3y-for-tests", **options: Any) -> Source:
    source = build_source(
        SourceConfig(
            name="hilma",
            type="hilma",
            options={
                "url": f"{server.base}/avp/eformnotices/docs/search",
                "notice_xml_url": server.base + "/avp-eforms/external-read/v1/notice/{notice_id}",
                "top": 2,
                **options,
            },
        )
    )
    source.collector.configure(CollectorSettings(hilma_subscription_key=SecretStr(key)))
    return source


def test_hilma_pages_with_top_skip_count_key_header_and_base64_xml(
    fetcher: HttpFetcher, db: Database
) -> None:
    e4 = (HILMA / "hilma_sdk_example_E4_minimum.xml").read_bytes()

    def handle(req: Seen) -> Reply:
        if req.headers.get("ocp-apim-subscription-key") != "k3y-for-tests":
            return Reply(401, b'{"statusCode": 401}')
        if req.method == "POST":
            return json_reply(HILMA / f"search_page_{1 + req.body['skip'] // 2}.json")
        if req.path.endswith("/notice/48630"):  # base64 of the (synthetic) E4 example
            return Reply(body=base64.b64encode(e4), headers={"Content-Type": "text/plain"})
        return Reply(404, b"")

    server = ApiServer(handle)
    try:
        report = run_once(hilma_source(server, lookback_days=365), db, fetcher, clock=lambda: NOW)
    finally:
        server.close()
    assert report.error is None and report.dead_letters == []
    searches = [r.body for r in server.seen if r.method == "POST"]
    assert [(b["top"], b["skip"]) for b in searches] == [(2, 0), (2, 2)]  # stops at @odata.count = 3
    assert searches[0]["filter"].startswith("datePublished ge ") and searches[0]["count"] is True
    assert searches[0]["orderby"] == "datePublished asc"
    gets = sorted(r.path for r in server.seen if r.method == "GET")
    assert gets == ["/avp-eforms/external-read/v1/notice/48618", "/avp-eforms/external-read/v1/notice/48630"]

    events = stored(db, "hilma")
    by_key = {str(e.attributes["dedup_key"]): e for e in events}
    e3 = by_key["notice:432c851d-4098-495a-ae82-280af58d6804"]
    assert e3.kind == EventKind.PROCUREMENT_OPEN
    assert (e3.attributes["notice_type"], e3.attributes["notice_subtype"]) == ("national", "E3")
    assert e3.attributes["deadline"] == "2026-05-26T09:00:00+00:00"
    assert e3.attributes["cpv_codes"] == "33191110,33191000"
    assert [(c.business_id, c.role) for c in e3.companies] == [("1567535-0", CompanyRole.BUYER)]
    assert e3.source_url == "https://www.hankintailmoitukset.fi/fi/public/procedure/32400/enotice/48640/"
    # the award without XML (404) falls back to the record's "name (Y-tunnus)" winners
    tivoli = by_key["notice:85960dc9-3fde-4f1a-8bc0-5e59e6b7449e"]
    assert (tivoli.companies[0].business_id, tivoli.companies[0].role) == ("0489098-7", CompanyRole.WINNER)
    # the decoded base64 XML became an event of its own notice
    assert by_key["notice:13e6bd2f-56e8-4d60-b09e-a685b74dd4ee"].companies[0].name == "Testiyritys"
    with db.session() as s:
        row = s.get(CollectorState, "hilma")
        assert row is not None and row.cursor["date_published"] == "2026-05-10T13:05:05.064000+00:00"


def test_hilma_enabled_without_key_fails_at_start(tmp_path: Any, sqlite_db: Database) -> None:
    sources_file = tmp_path / "sources.yaml"
    sources_file.write_text("sources:\n  - name: hilma\n    type: hilma\n    enabled: true\n")
    settings = CollectorSettings(sources_file=sources_file, hilma_subscription_key=None)
    with pytest.raises(ConfigError, match="TRIGGERWATCH_HILMA_SUBSCRIPTION_KEY"):
        CollectorService(settings, sqlite_db)
    with pytest.raises(ValueError, match="placeholder"):
        CollectorSettings(hilma_subscription_key=SecretStr("changeme"))
    ok = CollectorSettings(sources_file=sources_file, hilma_subscription_key=SecretStr("a-real-key-123"))
    assert "a-real-key-123" not in repr(ok)
    CollectorService(ok, sqlite_db)  # no error with a key


def test_hilma_winner_strings_and_base64_bodies() -> None:
    winners = parse_winners("TALVEA Julkishallinnon Palvelut Oy (0998761-4), Tivoli Sariola Oy (FI04890987)")
    assert [(w.organisation.name, w.organisation.business_id) for w in winners] == [
        ("TALVEA Julkishallinnon Palvelut Oy", "0998761-4"),
        ("Tivoli Sariola Oy", "0489098-7"),
    ]
    assert [w.organisation.name for w in parse_winners("Yritys ilman tunnusta")] == ["Yritys ilman tunnusta"]
    xml = b"<ContractNotice/>"
    assert decode_notice_xml(base64.b64encode(xml)) == xml
    assert decode_notice_xml(json.dumps(base64.b64encode(xml).decode()).encode()) == xml
    assert decode_notice_xml(xml) == xml


def test_hilma_collector_type_is_registered() -> None:
    from triggerwatch.collectors.formats import PARSE_FORMATS
    from triggerwatch.collectors.registry import COLLECTOR_TYPES

    assert COLLECTOR_TYPES["hilma"] is HilmaCollector
    assert {"ted-xml", "ted-search", "hilma-search"} <= set(PARSE_FORMATS)
