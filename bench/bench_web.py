"""Web pages at scale: p95 time of each page a rep, a CRM or ops asks for, beside the bare query.

A database (SQLite; PostgreSQL with ``TRIGGERWATCH_BENCH_PG_URL``) gets 100,000 alerts (and their
events) over 60 days for 2,000 companies, 20 reps, six kinds, three priorities and four product
groups, with one busy company holding 5 % of them, and an objection register of 20 companies and 5
people (so every page also checks every alert it shows against named persons, the worst case).
Each page is then asked for through the whole web stack (FastAPI's test client: routing, session
or bearer authentication, queries, objection checks, templates) 40 times after a warm-up.

* ``web.<page>_p95_ms`` (and ``_p50_ms``) — the page; baseline ``web.<page>_p95_ms.baseline``: the
  bare SQL that reads the same rows (one statement on the same connection pool, rows fetched,
  nothing else). The goal: every page's p95 under 300 ms.

Pages: ``feed`` (``/ui/alerts``), ``feed_owner`` (one rep's), ``feed_kind_priority``,
``feed_page3`` (two "Older" clicks deep), ``company`` (the busy company's page: profile, scores,
the newest 50 timeline items), ``api_alerts_owner`` (100 of one rep's alerts as JSON),
``crm_pull`` (100 triggers after a cursor half-way), ``ops`` (``/ui/ops``).

``TRIGGERWATCH_BENCH_SCALE`` (default 1.0: 100,000 alerts) shrinks it, e.g. ``0.05`` (5,000
alerts, a few seconds): ``TRIGGERWATCH_BENCH_SCALE=0.05 python -m bench web``.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, text

from triggerwatch.core.businessid import check_digit
from triggerwatch.core.db import (
    Alert,
    ChangeCounter,
    Company,
    CompanyScore,
    Database,
    Event,
    Objection,
    TargetGroup,
)
from triggerwatch.core.objections import value_key
from triggerwatch.core.settings import WebSettings
from triggerwatch.web.app import create_app
from triggerwatch.web.auth import Role, create_token

SCALE = float(os.environ.get("TRIGGERWATCH_BENCH_SCALE", "1.0"))
N_ALERTS = max(2_000, int(100_000 * SCALE))
N_COMPANIES = 2_000
RUNS = 40
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
KINDS = [
    "recruitment",
    "decision_maker_change",
    "procurement_open",
    "contract_awarded",
    "registration",
    "news",
]
PRIORITIES = ["high", "medium", "low"]
GROUPS = ["it-services", "recruitment-services", "fleet-services", "cloud"]
REPS = [f"rep-{i:02d}" for i in range(20)]
PEOPLE = ["Maija Meikäläinen", "Matti Virtanen", "Anna Lahti", "Pekka Aalto", "Liisa Mäki"]


def business_ids(n: int) -> list[str]:
    out: list[str] = []
    body = 3_000_000
    while len(out) < n:
        digit = check_digit(str(body))
        if digit is not None:
            out.append(f"{body}-{digit}")
        body += 1
    return out


def alert_payload(i: int, alert_id: str, event_id: str, bid: str, name: str, at: datetime) -> dict[str, Any]:
    kind, group, owner = KINDS[i % 6], GROUPS[i % 4], REPS[i % 20]
    title = f"{name}: avoin työpaikka {i}, Helsinki" if kind == "recruitment" else f"{name}: uutinen {i}"
    return {
        "schema_version": 1,
        "alert_id": alert_id,
        "event_ids": [event_id],
        "kind": kind,
        "company": {"business_id": bid, "name": name, "role": "subject"},
        "product_group": group,
        "target_group_id": f"{group}:tg-{i % 7}",
        "score": 0.7,
        "priority": PRIORITIES[(i // 6) % 3],  # every kind with every priority
        "priority_score": 0.55,
        "explanation": {
            "what_happened": title,
            "why_it_matters": f"{name} is growing, and companies in this target group have bought {group}.",
            "target_group_rule": "TOL J (62) software and region Uusimaa and staff >= 250",
            "next_step": f"Contact {name} about {group} while the new team is being built.",
        },
        "recommended_offer": group,
        "evidence": [
            {
                "url": f"https://www.example.fi/uutiset/{i}",
                "source": "bench-news",
                "title": title,
                "excerpt": "Yritys kertoo laajentavansa toimintaansa ja rekrytoivansa lisää väkeä. " * 3,
            }
        ],
        "routing": {"owner": owner, "channels": [f"#{owner}"]},
        "occurred_at": at.isoformat(),
        "created_at": at.isoformat(),
        "language": "en",
        "confidence": 0.6,
        "sources": ["bench-news"],
        "revision": 1,
        "facts": {"next_step_en": "Contact them.", "next_step_fi": "Ota yhteyttä."},
    }


def rows(n: int, bids: list[str]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    busy = bids[0]
    span = timedelta(days=60).total_seconds()
    for i in range(n):
        bid = busy if i % 20 == 0 else bids[1 + i % (len(bids) - 1)]
        name = f"Yritys {bid} Oy"
        at = NOW - timedelta(seconds=span * (n - i) / n)
        event_id, alert_id = str(uuid.UUID(int=2 * i + 1)), str(uuid.UUID(int=2 * i + 2))
        payload = alert_payload(i, alert_id, event_id, bid, name, at)
        alert = {
            "alert_id": alert_id,
            "event_id": event_id,
            "business_id": bid,
            "kind": payload["kind"],
            "product_group": payload["product_group"],
            "score": 0.7,
            "priority": payload["priority"],
            "payload": payload,
            "created_at": at,
            "owner": payload["routing"]["owner"],
            "revision": 1,
            "change_seq": i + 1,
            "updated_at": None,
        }
        event = {
            "event_id": event_id,
            "source": "bench-news",
            "source_item_id": str(i),
            "kind": payload["kind"],
            "business_id": bid,
            "occurred_at": at,
            "observed_at": at,
            "payload": {
                "schema_version": 1,
                "event_id": event_id,
                "source": "bench-news",
                "source_item_id": str(i),
                "source_url": f"https://www.example.fi/uutiset/{i}",
                "kind": payload["kind"],
                "occurred_at": at.isoformat(),
                "observed_at": at.isoformat(),
                "companies": [{"business_id": bid, "name": name, "role": "subject"}],
                "title": payload["explanation"]["what_happened"],
                "attributes": {"person_name": f"Henkilö {i} Esimerkki"} if i % 6 == 1 else {},
            },
            "created_at": at,
            "processed_at": at,
        }
        yield alert, event


def build(db: Database) -> None:
    db.upgrade()
    bids = business_ids(N_COMPANIES)
    with db.session() as s:
        s.execute(
            insert(TargetGroup),
            [{"target_group_id": f"{g}:tg-{k}", "product_group": g, "rule": "TOL J (62)", "size": 100}
             for g in GROUPS for k in range(7)],
        )  # fmt: skip
        s.execute(
            insert(Company),
            [
                {"business_id": b, "name": f"Yritys {b} Oy", "name_key": f"yritys {b}", "aliases": []}
                for b in bids
            ],
        )
        s.execute(
            insert(CompanyScore),
            [{"business_id": b, "product_group": g, "target_group_id": f"{g}:tg-1", "score": 0.7,
              "rule_path": "TOL J (62)"} for b in bids for g in GROUPS[:2]],
        )  # fmt: skip
        objected = [{"kind": "business_id", "value": b, "value_key": b} for b in bids[-20:]]
        people = [{"kind": "person", "value": p, "value_key": value_key("person", p)} for p in PEOPLE]
        s.execute(insert(Objection), [r | {"created_at": NOW} for r in objected + people])
    chunk: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for pair in rows(N_ALERTS, bids):
        chunk.append(pair)
        if len(chunk) == 5_000:
            _write(db, chunk)
            chunk = []
    _write(db, chunk)
    with db.session() as s:
        s.merge(ChangeCounter(name="alerts", value=N_ALERTS))
    if db.dialect == "postgresql":
        with db.engine.connect() as c:
            c.execute(text("ANALYZE"))
            c.commit()
    else:
        with db.engine.connect() as c:
            c.execute(text("ANALYZE"))


def _write(db: Database, chunk: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    if not chunk:
        return
    with db.session() as s:
        s.execute(insert(Event), [e for _, e in chunk])
        s.execute(insert(Alert), [a for a, _ in chunk])


def timed(fn: Callable[[], Any], runs: int = RUNS) -> list[float]:
    for _ in range(3):
        fn()
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def measure(db: Database) -> list[tuple[str, float, str]]:
    with db.session() as s:
        rep_token = create_token(s, role=Role.ADMIN, name="rep@example.fi")[1]
        crm_token = create_token(s, role=Role.CRM, name="crm@example.fi")[1]
        busy = s.execute(text("SELECT business_id FROM alerts ORDER BY alert_id LIMIT 1")).scalar_one()
    app = create_app(
        WebSettings(), db, clock=lambda: NOW, expected={"bench-news": 3600.0}, silence_watch=False
    )  # type: ignore[call-arg]
    client = TestClient(app)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert csrf
    client.post("/login", data={"token": rep_token, "csrf": csrf.group(1)})
    bearer = {"Authorization": f"Bearer {rep_token}"}
    crm = {"Authorization": f"Bearer {crm_token}"}

    def older(url: str, hops: int) -> str:
        for _ in range(hops):
            m = re.search(r'<a href="([^"]+)" id="older"', client.get(url).text)
            assert m, url
            url = m.group(1).replace("&amp;", "&")
        return url

    half = client.get(f"/api/v1/triggers?limit=1&cursor={_seq_cursor(N_ALERTS // 2)}", headers=crm).json()
    page3 = older("/ui/alerts", 2)
    pages: dict[str, tuple[Callable[[], Any], str, dict[str, Any]]] = {
        "feed": (lambda: client.get("/ui/alerts"), "WHERE kind != 'ops'", {}),
        "feed_owner": (
            lambda: client.get("/ui/alerts?owner=rep-07"),
            "WHERE owner = :owner AND kind != 'ops'",
            {"owner": "rep-07"},
        ),
        "feed_kind_priority": (
            lambda: client.get("/ui/alerts?kind=news&priority=high"),
            "WHERE kind = :kind AND priority = :priority",
            {"kind": "news", "priority": "high"},
        ),
        "feed_page3": (lambda: client.get(page3), "WHERE kind != 'ops'", {"offset": 100}),
        "company": (lambda: client.get(f"/ui/companies/{busy}"), "WHERE business_id = :bid", {"bid": busy}),
        "api_alerts_owner": (
            lambda: client.get("/api/v1/alerts?owner=rep-07&limit=100", headers=bearer),
            "WHERE owner = :owner",
            {"owner": "rep-07", "limit": 100},
        ),
        "crm_pull": (
            lambda: client.get(f"/api/v1/triggers?limit=100&cursor={half['next_cursor']}", headers=crm),
            "WHERE change_seq > :seq AND kind != 'ops'",
            {"seq": N_ALERTS // 2, "limit": 100, "order": "change_seq"},
        ),
        "ops": (lambda: client.get("/ui/ops"), "", {}),
    }
    out: list[tuple[str, float, str]] = []
    for name, (page, where, params) in pages.items():
        resp = page()
        assert resp.status_code == 200, (name, resp.status_code, resp.text[:300])
        samples, bare = timed(page), timed(partial(_bare, db, where, params))
        out.append((f"web.{name}_p50_ms", statistics.median(samples), "ms"))
        out.append((f"web.{name}_p50_ms.baseline", statistics.median(bare), "ms"))
        out.append((f"web.{name}_p95_ms", p95(samples), "ms"))
        out.append((f"web.{name}_p95_ms.baseline", p95(bare), "ms"))
    client.close()
    return out


def _seq_cursor(seq: int) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps({"seq": seq}).encode()).decode().rstrip("=")


def _bare(db: Database, where: str, params: dict[str, Any]) -> Any:
    """The bare query behind a page: the same rows, read and fetched, nothing else."""
    params = dict(params)
    limit, offset = params.pop("limit", 50), params.pop("offset", 0)
    order = params.pop("order", None)
    with db.engine.connect() as c:
        if not where:  # the ops page: counts per source and per day
            return c.execute(text("SELECT source, count(*) FROM events GROUP BY source")).all()
        order_by = order or "created_at DESC, alert_id DESC"
        sql = (
            f"SELECT alert_id, payload FROM alerts {where} ORDER BY {order_by} LIMIT {limit} OFFSET {offset}"
        )
        return c.execute(text(sql), params).all()


def run() -> list[tuple[str, float, str]]:
    pg_url = os.environ.get("TRIGGERWATCH_BENCH_PG_URL")
    with tempfile.TemporaryDirectory() as d:
        db = Database(pg_url or f"sqlite:///{Path(d) / 'web.db'}")
        started = time.perf_counter()
        build(db)
        built_s = time.perf_counter() - started
        figures = measure(db)
        db.dispose()
    return [("web.alerts", float(N_ALERTS), "alerts"), ("web.build_s", built_s, "s"), *figures]


if __name__ == "__main__":
    for figure, value, unit in run():
        print(f"{figure}: {value:.3f} {unit}", flush=True)
