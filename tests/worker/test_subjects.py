"""An event about several companies alerts each one whose part in it matters (issue 16): a merger
the acquirer and the target, a decision-maker change the company joined, not the one left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import package_file
from triggerwatch.core.contracts import AlertV1, CompanyRef, CompanyRole, EventKind, TriggerEventV1, encode
from triggerwatch.core.db import Database
from triggerwatch.core.rules import load_rules
from triggerwatch.core.settings import CONFIG_DIR
from triggerwatch.core.targets import load_targets, read_target_file
from triggerwatch.worker.processing import Processor

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
KELA, DIGIA, VALMET, MATKA = "0246246-0", "0831312-4", "2883807-5", "1992155-5"


@pytest.fixture
def processor(db: Database) -> Processor:
    load_targets(db, read_target_file(package_file("triggerwatch.demo", "targets.yaml")))
    return Processor(db, load_rules(CONFIG_DIR / "rules.yaml"), clock=lambda: NOW)


def news(item: str, kind: EventKind, companies: list[CompanyRef], title: str, **attrs: str) -> TriggerEventV1:
    return TriggerEventV1.create(
        source="news",
        source_item_id=item,
        kind=kind,
        occurred_at=NOW - timedelta(hours=2),
        observed_at=NOW,
        companies=companies,
        title=title,
        attributes=attrs,
    )


def test_a_merger_alerts_the_acquirer_and_the_target_with_their_parts(processor: Processor) -> None:
    event = news(
        "m1",
        EventKind.MERGER,
        [
            CompanyRef(business_id=DIGIA, name="Digia", role=CompanyRole.ACQUIRER),
            CompanyRef(business_id=VALMET, name="Valmet Automotive EV Power", role=CompanyRole.TARGET),
        ],
        "Digia ostaa Valmet Automotive EV Powerin",
        deal_role="acquirer",
        counterparty="Valmet Automotive EV Power",
    )
    [outcome] = processor.process_batch([encode(event)])
    by_company = {a.company.business_id: a for a in outcome.alerts}
    assert set(by_company) == {DIGIA, VALMET}
    digia, valmet = by_company[DIGIA], by_company[VALMET]
    assert digia.company.role is CompanyRole.ACQUIRER and valmet.company.role is CompanyRole.TARGET
    assert (
        digia.facts["counterparty"] == "Valmet Automotive EV Power"
        and "Buying" in digia.facts["next_step_en"]
    )
    assert valmet.facts["counterparty"] == "Digia" and "Being bought by Digia" in valmet.facts["next_step_en"]
    assert valmet.facts["next_step_fi"].endswith("Yrityskauppa: ostajana Digia.")
    # the first subject keeps the event's own alert id; the second has one of its own
    assert digia.alert_id == AlertV1.make_id(event.event_id, digia.product_group)
    assert valmet.alert_id != digia.alert_id
    [again] = processor.process_batch([encode(event)])  # a replay returns the same two alerts
    assert sorted(a.alert_id for a in again.alerts) == sorted(a.alert_id for a in outcome.alerts)


def test_a_seller_an_investor_and_a_company_left_do_not_alert_by_default(processor: Processor) -> None:
    sale = news(
        "m2",
        EventKind.MERGER,
        [CompanyRef(business_id=KELA, name="Kela", role=CompanyRole.SELLER)],
        "Kela myy liiketoimintansa",
    )
    funding = news(
        "f1",
        EventKind.FUNDING,
        [CompanyRef(business_id=DIGIA, name="Digia", role=CompanyRole.INVESTOR)],
        "Digia sijoittaa startupiin",
    )
    move = news(
        "d1",
        EventKind.DECISION_MAKER_CHANGE,
        [
            CompanyRef(business_id=VALMET, name="Valmet Automotive", role=CompanyRole.APPOINTED),
            CompanyRef(business_id=DIGIA, name="Digia", role=CompanyRole.LEAVING),
        ],
        "Digian talousjohtaja siirtyy Valmet Automotiveen",
        role="cfo",
        change="appointed",
        person_name="Maija Meikäläinen",
    )
    outcomes = processor.process_batch([encode(sale), encode(funding), encode(move)])
    assert outcomes[0].alerts == [] and outcomes[1].alerts == []
    [alert] = outcomes[2].alerts
    assert alert.company.business_id == VALMET and alert.company.role is CompanyRole.APPOINTED
    assert alert.facts["change"] == "appointed" and alert.facts["person_name"] == "Maija Meikäläinen"
    assert "Congratulate the new CFO" in alert.facts["next_step_en"]


def test_the_rules_can_make_a_company_left_alert_with_the_right_next_step(db: Database) -> None:
    load_targets(db, read_target_file(package_file("triggerwatch.demo", "targets.yaml")))
    base = load_rules(CONFIG_DIR / "rules.yaml")
    rules = base.model_copy(
        update={
            "company_roles": {EventKind.DECISION_MAKER_CHANGE: [CompanyRole.APPOINTED, CompanyRole.LEAVING]}
        }
    )
    processor = Processor(db, rules, clock=lambda: NOW)
    move = news(
        "d2",
        EventKind.DECISION_MAKER_CHANGE,
        [CompanyRef(business_id=DIGIA, name="Digia", role=CompanyRole.LEAVING)],
        "Digian talousjohtaja eroaa",
        role="cfo",
        change="leaving",
    )
    [outcome] = processor.process_batch([encode(move)])
    [alert] = outcome.alerts
    assert alert.facts["change"] == "leaving"
    assert "The CFO is leaving: reach the successor early." in alert.facts["next_step_en"]
    assert "Talousjohtaja vaihtuu: tavoita seuraaja ajoissa." in alert.facts["next_step_fi"]
    assert "Congratulate" not in alert.facts["next_step_en"]


def test_a_contract_award_alerts_the_winner_not_the_buyer(processor: Processor) -> None:
    award = news(
        "c1",
        EventKind.CONTRACT_AWARDED,
        [
            CompanyRef(business_id=KELA, name="Kela", role=CompanyRole.BUYER),
            CompanyRef(business_id=MATKA, name="Matka-Rengas Niemelä Oy", role=CompanyRole.WINNER),
        ],
        "Kela: kuljetuspalvelut, voittaja Matka-Rengas Niemelä Oy",
    )
    [outcome] = processor.process_batch([encode(award)])
    assert [a.company.business_id for a in outcome.alerts] == [MATKA]
