from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import package_file
from triggerwatch.core.contracts import (
    AlertV1,
    CompanyRef,
    CompanyRole,
    EventKind,
    Priority,
    TriggerEventV1,
    encode,
    example_payloads,
)
from triggerwatch.core.db import Alert, Database, DeadLetter, Event, SuppressedAlert
from triggerwatch.core.rules import load_rules
from triggerwatch.core.settings import CONFIG_DIR
from triggerwatch.core.targets import load_targets, read_target_file
from triggerwatch.worker.processing import Processor

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DEMO_TARGETS = package_file("triggerwatch.demo", "targets.yaml")


@pytest.fixture
def processor(db: Database) -> Processor:
    load_targets(db, read_target_file(DEMO_TARGETS))
    return Processor(db, load_rules(CONFIG_DIR / "rules.yaml"), clock=lambda: NOW)


def event(
    item: str,
    *,
    name: str | None = None,
    business_id: str | None = None,
    kind: EventKind = EventKind.RECRUITMENT,
    age: timedelta = timedelta(hours=1),
) -> TriggerEventV1:
    return TriggerEventV1.create(
        source="test-jobs",
        source_item_id=item,
        kind=kind,
        occurred_at=NOW - age,
        observed_at=NOW,
        companies=[CompanyRef(name=name, business_id=business_id, role=CompanyRole.EMPLOYER)],
        title=f"Ohjelmoija, {name or business_id}, Jyväskylä",
    )


def test_name_resolves_and_alert_is_explained(processor: Processor, db: Database) -> None:
    [outcome] = processor.process_batch([encode(event("1", name="kela"))])  # case-folded exact match
    [alert] = outcome.alerts
    assert alert.company.business_id == "0246246-0"
    assert alert.company.name == "Kela"
    assert alert.product_group == "it-services" == alert.recommended_offer
    assert alert.priority == Priority.HIGH
    assert "Kela is hiring" in alert.explanation.why_it_matters
    assert "TOL O (84)" in alert.explanation.target_group_rule
    assert alert.score == 0.82
    assert alert.explanation.what_happened.startswith("Kela: Ohjelmoija")
    assert alert.routing.owner == "sales-team"
    with db.session() as s:
        row = s.get(Event, outcome.event.event_id if outcome.event else "")
        assert row is not None and row.processed_at is not None and row.business_id == "0246246-0"


def test_business_id_resolves(processor: Processor) -> None:
    [outcome] = processor.process_batch([encode(event("2", business_id="0831312-4"))])
    assert [a.product_group for a in outcome.alerts] == ["recruitment-services"]


def test_unknown_or_unscored_company_gives_no_alert(processor: Processor) -> None:
    outcomes = processor.process_batch(
        [encode(event("3", name="Nodeon Oy")), encode(event("4", name="Kela", kind=EventKind.NEWS))]
    )
    assert [o.alerts for o in outcomes] == [[], []]
    assert all(o.event is not None for o in outcomes)


def test_reprocessing_returns_the_same_alert_and_creates_none(processor: Processor, db: Database) -> None:
    raw = encode(event("5", name="Kela"))
    [first] = processor.process_batch([raw])
    [again] = processor.process_batch([raw])
    assert [a.alert_id for a in again.alerts] == [a.alert_id for a in first.alerts]
    assert again.alerts[0] == first.alerts[0]
    assert first.alerts[0].alert_id == AlertV1.make_id(first.alerts[0].event_ids[0], "it-services")
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Alert)) == 1


def test_cooldown_per_company_kind_and_product_group(processor: Processor, db: Database) -> None:
    outcomes = processor.process_batch([encode(event("6", name="Kela")), encode(event("7", name="Kela"))])
    assert len(outcomes[0].alerts) == 1
    assert outcomes[1].alerts == []
    assert "cooldown" in outcomes[1].suppressed[0]
    with db.session() as s:
        [row] = s.scalars(select(SuppressedAlert)).all()
        assert row.reason.startswith("cooldown")
    # a different kind is not under the same cooldown
    [dmc] = processor.process_batch([encode(event("8", name="Kela", kind=EventKind.DECISION_MAKER_CHANGE))])
    assert len(dmc.alerts) == 1


def test_a_restarted_worker_still_knows_the_cooldown(processor: Processor, db: Database) -> None:
    [first] = processor.process_batch([encode(event("11", name="Kela"))])
    assert first.alerts
    restarted = Processor(db, processor.rules, clock=lambda: NOW)  # no in-memory state carried over
    [second] = restarted.process_batch([encode(event("12", name="Kela"))])
    assert second.alerts == []
    assert "cooldown" in second.suppressed[0]


def test_stale_events_do_not_alert(processor: Processor) -> None:
    [outcome] = processor.process_batch([encode(event("9", name="Kela", age=timedelta(days=90)))])
    assert outcome.alerts == []
    assert "stale" in outcome.suppressed[0]


@pytest.mark.parametrize(
    ("raw", "error_type"),
    [
        (b"{not json", "malformed_json"),
        (b'{"schema_version": 99, "event_id": "x"}', "unknown_schema_version"),
        (b'{"schema_version": 1, "event_id": "x"}', "schema_violation"),
        (b"[1, 2]", "malformed_json"),
    ],
)
def test_invalid_input_is_dead_lettered_and_the_batch_goes_on(
    processor: Processor, db: Database, raw: bytes, error_type: str
) -> None:
    good = encode(event("10", name="Kela"))
    bad_outcome, good_outcome = processor.process_batch([raw, good])
    assert bad_outcome.dead_letter is not None
    assert bad_outcome.dead_letter.error_type == error_type
    assert bad_outcome.dead_letter.raw() == raw
    assert len(good_outcome.alerts) == 1
    with db.session() as s:
        [row] = s.scalars(select(DeadLetter)).all()
        assert row.stage == "worker" and row.error_type == error_type and row.reason


def test_every_event_example_goes_through_the_worker(processor: Processor) -> None:
    examples = example_payloads("events")
    assert examples
    outcomes = processor.process_batch(list(examples.values()))
    assert all(o.dead_letter is None and o.event is not None for o in outcomes)
