"""A database seeded like the demo: the demo targets, the real recorded job feed (time-shifted to
now) through the worker's processing, one token per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import RECORDINGS, package_file
from triggerwatch.collectors.base import RawPayload
from triggerwatch.collectors.registry import load_sources
from triggerwatch.collectors.runner import RunReport, parse_payloads
from triggerwatch.core.contracts import CompanyRef, CompanyRole, EventKind, TriggerEventV1, encode
from triggerwatch.core.db import CollectorState, Database
from triggerwatch.core.outbox import store_events
from triggerwatch.core.rules import load_rules
from triggerwatch.core.settings import CONFIG_DIR, WebSettings
from triggerwatch.core.targets import load_targets, read_target_file
from triggerwatch.web.app import create_app
from triggerwatch.web.auth import Role, create_token
from triggerwatch.worker.processing import Processor

REPO = Path(__file__).resolve().parents[2]
DEMO_TARGETS = package_file("triggerwatch.demo", "targets.yaml")
JOB_FEED = RECORDINGS / "mol_fi_tyopaikat_rss_2014.xml"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


def xss_job_ad(**fields: object) -> TriggerEventV1:
    """A Kela job ad whose title carries script and markup (as a hostile feed could send it)."""
    return TriggerEventV1.create(
        source="te-jobs-jyvaskyla",
        source_item_id="xss-1",
        kind=EventKind.RECRUITMENT,
        occurred_at=NOW - timedelta(hours=1),
        observed_at=NOW,
        companies=[CompanyRef(name="Kela", role=CompanyRole.EMPLOYER)],
        title=f"{XSS}, Kela, Jyväskylä",
        **fields,
    )


EXPECTED = {"te-jobs-jyvaskyla": 7200.0, "ampparit-news": 3600.0}


def recorded_events(now: datetime = NOW) -> list[TriggerEventV1]:
    source = load_sources(CONFIG_DIR / "sources.yaml", include_disabled=True)["te-jobs-jyvaskyla"]
    raw = RawPayload(
        source=source.name, url=None, content=JOB_FEED.read_bytes(), fetched_at=now, ref="file:job-feed"
    )
    events = list(parse_payloads(source, [raw], RunReport(source=source.name)))
    shift = now - timedelta(hours=1) - max(e.occurred_at for e in events)
    return [e.model_copy(update={"occurred_at": e.occurred_at + shift, "observed_at": now}) for e in events]


def seed(db: Database, events: list[TriggerEventV1], now: datetime = NOW) -> None:
    load_targets(db, read_target_file(DEMO_TARGETS))
    with db.session() as s:
        store_events(s, events)
        s.add(CollectorState(source="te-jobs-jyvaskyla", last_run_at=now, last_success_at=now))
    Processor(db, load_rules(CONFIG_DIR / "rules.yaml"), clock=lambda: now).process_batch(
        [encode(e) for e in events]
    )


@dataclass
class Web:
    db: Database
    client: TestClient
    tokens: dict[Role, str]
    clock: list[datetime]

    def as_(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def make_web(db: Database, now: datetime = NOW, lag_metrics_urls: list[str] | None = None) -> Web:
    clock = [now]
    tokens: dict[Role, str] = {}
    with db.session() as s:
        for role in Role:
            tokens[role] = create_token(s, role=role, name=f"{role.value}@example.fi")[1]
    settings = WebSettings(lag_metrics_urls=lag_metrics_urls or [])  # type: ignore[call-arg]
    app = create_app(settings, db, clock=lambda: clock[0], expected=EXPECTED, silence_watch=False)
    return Web(db, TestClient(app), tokens, clock)


@pytest.fixture
def web(db: Database) -> Iterator[Web]:
    seed(db, recorded_events())
    w = make_web(db)
    yield w
    w.client.close()


@pytest.fixture
def sqlite_web(sqlite_db: Database) -> Iterator[Web]:
    """``web`` on SQLite only: for tests of what the pages and the API show (the queries run on
    both databases in the tests that use ``web``)."""
    seed(sqlite_db, recorded_events())
    w = make_web(sqlite_db)
    yield w
    w.client.close()


def clone_alert(db: Database, alert_id: str, new_id: str, **payload: object) -> None:
    """A copy of a stored alert under ``new_id`` (numbered like a new one), its payload changed."""
    from sqlalchemy import func, select

    from triggerwatch.core.db import Alert

    with db.session() as s:
        template = s.get(Alert, alert_id)
        assert template is not None
        last = s.scalar(select(func.max(Alert.change_seq))) or 0
        s.add(
            Alert(
                alert_id=new_id,
                event_id=template.event_id,
                business_id=template.business_id,
                kind=template.kind,
                product_group=template.product_group,
                score=template.score,
                priority=template.priority,
                payload={**template.payload, "alert_id": new_id, **payload},
                created_at=template.created_at,
                owner=template.owner,
                revision=1,
                change_seq=last + 1,
            )
        )
