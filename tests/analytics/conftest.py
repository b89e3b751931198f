"""A small known history for the analytics tests: demo target groups, events of three weeks, the
alerts the worker made of them, reps' feedback, deliveries and objections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import package_file
from triggerwatch.core.contracts import CompanyRef, CompanyRole, EventKind, Evidence, TriggerEventV1, encode
from triggerwatch.core.db import Alert, Database, Delivery
from triggerwatch.core.feedback import FeedbackLabel, record_feedback
from triggerwatch.core.objections import add_objection
from triggerwatch.core.outbox import store_events
from triggerwatch.core.rules import load_rules
from triggerwatch.core.settings import CONFIG_DIR
from triggerwatch.core.targets import load_targets, read_target_file
from triggerwatch.worker.processing import Processor

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # a Monday
KELA, DIGIA, VALMET = "0246246-0", "0831312-4", "2883807-5"


def job(item: str, business_id: str, at: datetime, title: str) -> TriggerEventV1:
    return TriggerEventV1.create(
        source="test-jobs",
        source_item_id=item,
        kind=EventKind.RECRUITMENT,
        occurred_at=at - timedelta(hours=2),
        observed_at=at,
        companies=[CompanyRef(business_id=business_id, role=CompanyRole.EMPLOYER)],
        title=title,
        source_url=f"https://jobs.example.fi/{item}",
        evidence=[Evidence(url=f"https://jobs.example.fi/{item}", source="test-jobs", title=title)],
    )


def history() -> list[TriggerEventV1]:
    """Kela hires every week (three alerts), Digia twice (one title tries a formula), Valmet once."""
    return [
        job("k1", KELA, START, "IT-asiantuntija, Kela"),
        job("k2", KELA, START + timedelta(days=7), "Ohjelmistokehittäjä, Kela"),
        job("k3", KELA, START + timedelta(days=14), "Arkkitehti, Kela"),
        job("d1", DIGIA, START + timedelta(days=1), '=HYPERLINK("http://evil.example","Digia")'),
        job("d2", DIGIA, START + timedelta(days=9), "Myyjä, Digia, yhteyshenkilö Maija Meikäläinen"),
        job("v1", VALMET, START + timedelta(days=2), "Akkuasentaja, Valmet Automotive"),
    ]


@dataclass
class Filled:
    db: Database
    alert_ids: list[str]


def fill(db: Database) -> Filled:
    """The history processed the way the worker would (each event at the time it was observed)."""
    load_targets(db, read_target_file(package_file("triggerwatch.demo", "targets.yaml")))
    events = history()
    with db.session() as s:
        store_events(s, events)
    rules = load_rules(CONFIG_DIR / "rules.yaml")
    ids: list[str] = []
    for e in events:
        outcome = Processor(db, rules, clock=lambda e=e: e.observed_at).process_batch([encode(e)])[0]
        ids += [a.alert_id for a in outcome.alerts]
    with db.session() as s:
        alerts = {a.alert_id: a for a in s.query(Alert)}
        kela = sorted((a for a in alerts.values() if a.business_id == KELA), key=lambda a: a.created_at)
        record_feedback(s, kela[0], FeedbackLabel.USEFUL, given_by="anna")
        record_feedback(s, kela[1], FeedbackLabel.NOT_USEFUL, given_by="anna")
        for a in alerts.values():
            s.add(
                Delivery(
                    alert_id=a.alert_id,
                    sink="crm",
                    idempotency_key=f"{a.alert_id}:crm",
                    status="delivered",
                    attempts=1,
                    created_at=a.created_at,
                    delivered_at=a.created_at,
                )
            )
        add_objection(s, "business_id", VALMET, "asked by phone")
        add_objection(s, "person", "Maija Meikäläinen")
    return Filled(db, ids)


@pytest.fixture
def filled(db: Database) -> Filled:
    return fill(db)
