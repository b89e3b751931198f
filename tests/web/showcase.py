"""A small, fixed world for the pages a rep and ops read (the screenshot tests and the readable-UI
tests): the demo targets and the recorded job feed (as in ``conftest.seed``), a decision-maker
change at Digia and an acquisition between two demo companies a month old, through the worker's
own processing at a fixed clock; a verdict with a note; a source check, a dead letter and
deliveries as the notifier leaves them."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import select

from tests.web.conftest import NOW, recorded_events, seed
from triggerwatch.collectors.check import CheckResult, store
from triggerwatch.core.contracts import CompanyRef, CompanyRole, DeadLetterV1, EventKind, TriggerEventV1
from triggerwatch.core.db import (
    Alert,
    Company,
    CustomerOffer,
    CustomerValue,
    Database,
    DeadLetter,
    Delivery,
)
from triggerwatch.core.feedback import FeedbackLabel, record_feedback
from triggerwatch.core.outbox import store_dead_letter

KELA, DIGIA, VALMET, NIEMELA = "0246246-0", "0831312-4", "2883807-5", "1992155-5"
CLIENT_NOTE = "Our client since 2019"
HILMA_KEY = "TRIGGERWATCH_HILMA_SUBSCRIPTION_KEY"
GONE = "GET https://api.lever.co/v0/postings/gone: HTTP 404"


def board_change(now: datetime = NOW) -> TriggerEventV1:
    """A PRH-style notice whose title already names the company (the alert adds it once more)."""
    return TriggerEventV1.create(
        source="prh-notices",
        source_item_id="digia-cfo-2026",
        source_url="https://www.prh.fi/",
        kind=EventKind.DECISION_MAKER_CHANGE,
        occurred_at=now - timedelta(days=2, hours=3),
        observed_at=now - timedelta(hours=5),
        companies=[CompanyRef(business_id=DIGIA, name="Digia Oyj", role=CompanyRole.APPOINTED)],
        title="Digia Oyj: Maija Virtanen appointed CFO",
        attributes={"role": "cfo", "person_name": "Maija Virtanen", "change": "appointed"},
    )


def acquisition(now: datetime = NOW) -> TriggerEventV1:
    """Valmet Automotive EV Power buys Matka-Rengas Niemelä: a month old, so medium priority."""
    return TriggerEventV1.create(
        source="nasdaq-helsinki",
        source_item_id="valmet-niemela-2026",
        source_url="https://www.nasdaq.com/",
        kind=EventKind.MERGER,
        occurred_at=now - timedelta(days=40),
        observed_at=now - timedelta(days=1),
        companies=[
            CompanyRef(business_id=VALMET, name="Valmet Automotive EV Power Oy", role=CompanyRole.ACQUIRER),
            CompanyRef(business_id=NIEMELA, name="Matka-Rengas Niemelä Oy", role=CompanyRole.TARGET),
        ],
        title="Valmet Automotive EV Power acquires Matka-Rengas Niemelä",
    )


def seed_showcase(db: Database, now: datetime = NOW) -> dict[str, str]:
    """Seed the world; returns the alert ids by name (kela, digia_job, digia_cfo, valmet, niemela)."""
    seed(db, [*recorded_events(now), board_change(now), acquisition(now)], now)
    with db.session() as s:
        kela = s.get(Company, KELA)
        assert kela is not None
        kela.website = "https://www.kela.fi/"
        kela.registered_on = datetime(1937, 10, 1, tzinfo=now.tzinfo)
        digia = s.get(Company, DIGIA)
        assert digia is not None
        digia.website = "https://digia.com/"
        digia.registered_on = datetime(1990, 4, 9, tzinfo=now.tzinfo)
        # Digia is an existing customer: scoring's next-best-offers and lifetime value (issue 20)
        s.add(
            CustomerValue(
                business_id=DIGIA,
                model="bgnbd+gamma-gamma",
                clv=152_000.0,
                clv_low=98_000.0,
                clv_high=231_000.0,
                p_alive=0.93,
                expected_orders=11.2,
                orders=27,
                last_order=date(2026, 10, 30),
                horizon_years=3,
                computed_at=now - timedelta(days=1),
            )
        )
        for rank, group, margin, adoption, score, rule in (
            (1, "it-services", 18_400.0, 0.42, 0.77, "TOL J (62) software and staff >= 250"),
            (2, "fleet-services", 6_200.0, 0.18, 0.55, "region Uusimaa and staff >= 250"),
        ):
            s.add(
                CustomerOffer(
                    business_id=DIGIA,
                    product_group=group,
                    rank=rank,
                    score=score,
                    expected_margin=margin,
                    adoption_rate=adoption,
                    buyer_margin=margin / adoption,
                    target_group_id=f"{group}:customers",
                    rule=rule,
                    rule_fi=None,
                    computed_at=now - timedelta(days=1),
                )
            )
        ids: dict[str, str] = {}
        for alert in s.scalars(select(Alert)):
            name = {KELA: "kela", VALMET: "valmet", NIEMELA: "niemela"}.get(alert.business_id)
            if alert.business_id == DIGIA:
                name = "digia_cfo" if alert.kind == EventKind.DECISION_MAKER_CHANGE else "digia_job"
            assert name is not None and name not in ids, (alert.business_id, alert.kind)
            ids[name] = alert.alert_id
        digia_job = s.get(Alert, ids["digia_job"])
        assert digia_job is not None
        feedback = record_feedback(
            s,
            digia_job,
            FeedbackLabel.ALREADY_CUSTOMER,
            given_by="anna@example.fi",
            note="Our client since 2019",
        )
        feedback.created_at = now - timedelta(minutes=20)
        store_dead_letter(
            s,
            DeadLetterV1.from_raw(
                stage="collect",
                reason="no company name in the item",
                raw=b'{"title": "???"}',
                error_type="InvalidInputError",
                source="te-jobs-jyvaskyla",
            ),
        )
        for letter in s.scalars(select(DeadLetter)):
            letter.created_at = now - timedelta(hours=2)
        deliveries = [
            ("kela", "slack", "delivered", 1, None),
            ("kela", "crm", "failed", 3, "TransientError: crm: HTTP 500 Internal Server Error"),
            ("digia_job", "slack", "delivered", 1, None),
            ("digia_job", "crm", "delivered", 2, "TransientError: crm: HTTP 503"),
            ("digia_cfo", "email", "pending", 1, "TransientError: SMTP 451 try again later"),
        ]
        for name, sink, status, attempts, error in deliveries:
            s.add(
                Delivery(
                    alert_id=ids[name],
                    sink=sink,
                    idempotency_key=f"{ids[name]}:{sink}",
                    status=status,
                    attempts=attempts,
                    last_error=error,
                    created_at=now - timedelta(minutes=50),
                    delivered_at=now - timedelta(minutes=49) if status == "delivered" else None,
                )
            )
    checked, newest = now - timedelta(hours=3), now - timedelta(hours=4)
    ok = CheckResult("te-jobs-jyvaskyla", "rss", True, "live", "ok", True, 200, True, 17, 0, newest)
    dead = CheckResult("gone-jobs", "lever", True, "live", "dead", True, 404, True, error=GONE)
    off = CheckResult("hilma", "hilma", False, "live", "no_credentials", credentials_missing=HILMA_KEY)
    store(db, [ok, dead, off], checked)
    return ids


LAG_PAGE = (
    "# HELP triggerwatch_consumer_lag High-watermark minus last read offset\n"
    "# TYPE triggerwatch_consumer_lag gauge\n"
    'triggerwatch_consumer_lag{{app="{app}",partition="1",topic="triggerwatch.{topic}.v1"}} 42.0\n'
    'triggerwatch_consumer_lag{{app="{app}",partition="0",topic="triggerwatch.{topic}.v1"}} 7.0\n'
)


@contextmanager
def stream_service(app: str, topic: str, *, ready: bool = True) -> Iterator[int]:
    """A stand-in for the worker's or notifier's web port: its /ready (200, or 503 while it
    rebalances) and /metrics with its consumer lag, as ``core/streams.py`` serves them. Yields the port."""

    class Pages(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/ready":
                body = {"status": "ready" if ready else "not_ready", "app": app, "rebalancing": not ready}
                body["assignment"] = [f"triggerwatch.{topic}.v1:0"] if ready else []
                self._send(200 if ready else 503, "application/json", json.dumps(body).encode())
            elif self.path == "/metrics":
                self._send(200, "text/plain; version=0.0.4", LAG_PAGE.format(app=app, topic=topic).encode())
            else:
                self._send(404, "text/plain", b"not found")

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
