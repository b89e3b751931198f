"""An existing customer's trigger alerts with its cross-sell offer when a rule's audience takes in
customers (issue 20): through the Processor, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete

from tests.conftest import package_file
from triggerwatch.core.contracts import CompanyRef, CompanyRole, EventKind, TriggerEventV1, encode
from triggerwatch.core.db import CompanyScore, CustomerOffer, Database
from triggerwatch.core.rules import RuleSet
from triggerwatch.core.targets import load_targets, read_target_file
from triggerwatch.notifier.render import headline
from triggerwatch.worker.processing import Processor

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DEMO_TARGETS = package_file("triggerwatch.demo", "targets.yaml")
KELA = "0246246-0"  # a prospect: scored for it-services (0.82)
DIGIA = "0831312-4"  # an existing customer: offered it-services first, fleet-services second
OFFER_RULE = "TOL J (58–63) and region Uusimaa"


@pytest.fixture
def customer_db(db: Database) -> Database:
    load_targets(db, read_target_file(DEMO_TARGETS))
    with db.session() as s:  # a customer is never scored as a prospect: it has offers instead
        s.execute(delete(CompanyScore).where(CompanyScore.business_id == DIGIA))
        for pg, rank, score, adoption, margin in (
            ("it-services", 1, 0.8, 0.42, 12_500.0),
            ("fleet-services", 2, 0.3, 0.1, 900.0),  # below every rule's minimum score
        ):
            s.add(
                CustomerOffer(
                    business_id=DIGIA,
                    product_group=pg,
                    rank=rank,
                    score=score,
                    expected_margin=margin,
                    adoption_rate=adoption,
                    buyer_margin=margin / adoption,
                    target_group_id=f"{pg}:abc123",
                    rule=OFFER_RULE,
                    rule_fi="TOL J (58–63) ja maakunta Uusimaa",
                    computed_at=NOW,
                )
            )
    return db


def rules(audience: str | None, language: str = "en") -> RuleSet:
    rule: dict[str, Any] = {
        "kind": "recruitment",
        "min_score": 0.5,
        "why": {"en": "{company} is hiring.", "fi": "{company} rekrytoi."},
        "next_step": {"en": "Call {company} about {product_group}.", "fi": "Soita: {product_group}."},
    }
    if audience is not None:
        rule["audience"] = audience
    return RuleSet.model_validate({"language": language, "rules": [rule]})


def hiring(bid: str, item: str) -> bytes:
    return encode(
        TriggerEventV1.create(
            source="test-jobs",
            source_item_id=item,
            kind=EventKind.RECRUITMENT,
            occurred_at=NOW - timedelta(hours=1),
            observed_at=NOW,
            companies=[CompanyRef(business_id=bid, role=CompanyRole.EMPLOYER)],
            title="Ohjelmoija",
        )
    )


def alerted(db: Database, ruleset: RuleSet) -> dict[str, list[Any]]:
    processor = Processor(db, ruleset, clock=lambda: NOW)
    customer, prospect = processor.process_batch([hiring(DIGIA, "1"), hiring(KELA, "2")])
    return {DIGIA: customer.alerts, KELA: prospect.alerts}


def test_a_customers_trigger_alerts_with_its_cross_sell_offer(customer_db: Database) -> None:
    out = alerted(customer_db, rules("all"))
    [cross] = out[DIGIA]  # the fleet-services offer is below the minimum score
    assert cross.product_group == "it-services" and cross.score == 0.8
    assert cross.recommended_offer == "cross-sell: it-services"
    assert cross.explanation.next_step == (
        "Existing customer: offer it-services as a cross-sell (42% of similar customers buy it; "
        "expected margin 12 500). Call Digia Oyj about it-services."
    )
    assert cross.explanation.target_group_rule == OFFER_RULE
    assert cross.target_group_id == "it-services:abc123"
    assert cross.facts["offer"] == "cross-sell" and cross.facts["offer_rank"] == "1"
    assert cross.facts["adoption_rate"] == "0.4200" and cross.facts["expected_margin"] == "12500.00"
    assert cross.facts["next_step_fi"].startswith(
        "Nykyinen asiakas: tarjoa lisämyyntinä it-services (42 % samankaltaisista asiakkaista ostaa sitä;"
        " odotettu kate 12 500)."
    )
    assert "→ cross-sell: it-services" in headline(cross)
    [prospect] = out[KELA]  # a prospect's alert is unchanged
    assert prospect.recommended_offer == "it-services" and "offer" not in prospect.facts
    assert not prospect.explanation.next_step.startswith("Existing customer")


def test_the_alert_speaks_finnish_when_the_rules_do(customer_db: Database) -> None:
    [cross] = alerted(customer_db, rules("all", "fi"))[DIGIA]
    assert cross.recommended_offer == "lisämyynti: it-services"
    assert cross.explanation.next_step.startswith("Nykyinen asiakas: tarjoa lisämyyntinä it-services")
    assert cross.explanation.target_group_rule == "TOL J (58–63) ja maakunta Uusimaa"


@pytest.mark.parametrize(
    ("audience", "customer_alerts", "prospect_alerts"),
    [(None, 0, 1), ("prospects", 0, 1), ("customers", 1, 0), ("all", 1, 1)],
)
def test_the_rules_audience_decides_who_alerts(
    customer_db: Database, audience: str | None, customer_alerts: int, prospect_alerts: int
) -> None:
    out = alerted(customer_db, rules(audience))
    assert (len(out[DIGIA]), len(out[KELA])) == (customer_alerts, prospect_alerts)


def test_an_unknown_audience_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="audience"):
        rules("everyone")
