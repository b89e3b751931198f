"""The worker asks the objection register before it builds or updates an alert: an objected
company or person gets none, and the event is recorded as suppressed with the reason."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.worker.test_matching import DIGIA, KELA, ev, rules
from triggerwatch.core.contracts import EventKind, encode
from triggerwatch.core.db import Alert, Database, SuppressedAlert
from triggerwatch.core.objections import add_objection
from triggerwatch.core.targets import load_targets, read_target_file
from triggerwatch.worker.processing import Processor

from .test_matching import DEMO_TARGETS, NOW


@pytest.fixture
def targets(sqlite_db: Database) -> Database:
    load_targets(sqlite_db, read_target_file(DEMO_TARGETS))
    return sqlite_db


def suppressed(db: Database) -> list[str]:
    with db.session() as s:
        return [r.reason for r in s.scalars(select(SuppressedAlert))]


def test_no_alert_for_an_objected_company(targets: Database) -> None:
    with targets.session() as s:
        add_objection(s, "business_id", KELA, "asked not to be contacted")
    [outcome] = Processor(targets, rules(), clock=lambda: NOW).process_batch(
        [encode(ev("te-jobs", "k1", EventKind.RECRUITMENT, KELA, title="IT-asiantuntija, Kela"))]
    )
    assert outcome.alerts == []
    assert suppressed(targets) == [f"objection: business ID {KELA} is in the objection register"]
    with targets.session() as s:
        assert s.scalar(select(func.count()).select_from(Alert)) == 0


def test_no_alert_and_no_update_naming_an_objected_person(targets: Database) -> None:
    processor = Processor(targets, rules(), clock=lambda: NOW)
    with targets.session() as s:
        add_objection(s, "person", "Maija Meikäläinen")
    named = ev(
        "prh-registry", "r1", EventKind.DECISION_MAKER_CHANGE, DIGIA, title="Digia Oyj: uusi talousjohtaja",
        role="cfo", person_name="Maija Meikäläinen",
    )  # fmt: skip
    assert processor.process_batch([encode(named)])[0].alerts == []
    # the news names nobody: it alerts; a later source naming her (inflected) updates nothing
    news = ev("ampparit-news", "n1", EventKind.DECISION_MAKER_CHANGE, DIGIA, title="Digia appoints a CFO",
              role="cfo")  # fmt: skip
    [alert] = processor.process_batch([encode(news)])[0].alerts
    third = ev("stt-info", "s1", EventKind.DECISION_MAKER_CHANGE, DIGIA, role="cfo",
               title="Digia nimitti Maija Meikäläisen talousjohtajaksi")  # fmt: skip
    assert processor.process_batch([encode(third)])[0].alerts == []
    with targets.session() as s:
        stored = s.get(Alert, alert.alert_id)
        assert stored is not None and stored.revision == 1 and stored.payload["sources"] == ["ampparit-news"]
    assert all(r.endswith("names a person in the objection register") for r in suppressed(targets))
    assert len(suppressed(targets)) == 2
