"""Matching rules on the Processor directly: corroboration, twins, relevance, facts, routing, resolver.

Hand-made events about the demo target companies (real business IDs of Kela and Digia Oyj, see
``services/triggerwatch/demo/targets.yaml``); the TED publication number 475939-2026 is a real one from
``/work/shared/samples/procurement/ted``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import package_file
from triggerwatch.core.contracts import CompanyRef, EventKind, Evidence, TriggerEventV1, encode
from triggerwatch.core.db import Alert, Database
from triggerwatch.core.rules import RuleSet, load_rules
from triggerwatch.core.settings import CONFIG_DIR
from triggerwatch.core.targets import load_targets, read_target_file
from triggerwatch.worker.processing import Processor
from triggerwatch.worker.resolve import NameResolver, Resolution

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DEMO_TARGETS = package_file("triggerwatch.demo", "targets.yaml")
KELA, DIGIA = "0246246-0", "0831312-4"


def rules(**changes: object) -> RuleSet:
    base = load_rules(CONFIG_DIR / "rules.yaml")
    return base.model_copy(update=changes)


@pytest.fixture
def targets(db: Database) -> Database:
    load_targets(db, read_target_file(DEMO_TARGETS))
    return db


def ev(
    source: str,
    item: str,
    kind: EventKind,
    business_id: str | None = KELA,
    *,
    name: str | None = None,
    title: str = "event",
    url: str | None = None,
    **attributes: str | int,
) -> TriggerEventV1:
    return TriggerEventV1.create(
        source=source,
        source_item_id=item,
        kind=kind,
        occurred_at=NOW - timedelta(hours=2),
        observed_at=NOW,
        companies=[CompanyRef(business_id=business_id, name=name)] if (business_id or name) else [],
        title=title,
        evidence=[Evidence(url=url, source=source, title=title)] if url else [],
        attributes=dict(attributes),
    )


def test_corroboration_across_two_sources_updates_one_alert(targets: Database) -> None:
    processor = Processor(targets, rules(), clock=lambda: NOW)
    registry = ev(
        "prh-registry",
        "r1",
        EventKind.DECISION_MAKER_CHANGE,
        DIGIA,
        title="Digia Oyj: talousjohtaja vaihtui",
        url="https://tietopalvelu.ytj.fi/notice/1",
        role="cfo",
        person_name="Maija Meikäläinen",
    )
    news = ev(
        "ampparit-news",
        "n1",
        EventKind.DECISION_MAKER_CHANGE,
        DIGIA,
        title="Digia appoints a new CFO",
        url="https://www.ampparit.com/uutiset/1",
        role="cfo",
    )
    [first] = processor.process_batch([encode(registry)])[0].alerts
    assert first.revision == 1 and first.confidence == 0.6 and first.sources == ["prh-registry"]
    assert "Congratulate the new CFO." in first.explanation.next_step
    assert first.facts["role"] == "cfo"
    assert "Onnittele uutta talousjohtajaa." in first.facts["next_step_fi"]
    [update] = processor.process_batch([encode(news)])[0].alerts
    assert update.alert_id == first.alert_id and update.revision == 2
    assert update.sources == ["prh-registry", "ampparit-news"]
    assert [e.url for e in update.evidence] == [
        "https://tietopalvelu.ytj.fi/notice/1",
        "https://www.ampparit.com/uutiset/1",
    ]
    assert update.confidence == 0.84 > first.confidence
    assert update.priority_score == round(first.priority_score * 1.25, 4)
    with targets.session() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 1
        stored = session.get(Alert, first.alert_id)
        assert stored is not None and stored.payload["revision"] == 2
    # replaying the news event re-emits the stored update unchanged (lost sends are re-sent)
    [again] = processor.process_batch([encode(news)])[0].alerts
    assert again.revision == 2 and len(again.evidence) == 2


def test_twins_with_one_dedup_key_alert_once(targets: Database) -> None:
    processor = Processor(targets, rules(), clock=lambda: NOW)
    deadline = (NOW + timedelta(days=12)).isoformat()
    common = {"dedup_key": "notice:475939-2026", "cpv_main": "72000000", "deadline": deadline}
    ted = ev(
        "ted", "475939-2026", EventKind.PROCUREMENT_OPEN, url="https://ted.europa.eu/n/475939-2026", **common
    )
    hilma = ev(
        "hilma",
        "2026-123",
        EventKind.PROCUREMENT_OPEN,
        url="https://www.hankintailmoitukset.fi/fi/n/1",
        **common,
    )
    fi_twin = ev("ted", "475939-2026-fi", EventKind.PROCUREMENT_OPEN, **common)
    first, second, third = processor.process_batch([encode(ted), encode(hilma), encode(fi_twin)])
    [alert] = first.alerts
    assert alert.dedup_key == "notice:475939-2026"
    assert "Tender deadline in 12 days" in alert.explanation.next_step
    assert alert.facts["days_to_deadline"] == "12" and alert.facts["relevance"] == "cpv 72000000"
    assert second.alerts == [] and second.joined == [alert.alert_id]
    assert third.alerts == [] and third.joined == [alert.alert_id]
    with targets.session() as session:
        [stored] = session.scalars(select(Alert)).all()
        assert stored.payload["revision"] == 1
        assert len(stored.payload["event_ids"]) == 3
        assert {e["source"] for e in stored.payload["evidence"]} == {"ted", "hilma"}


def test_relevance_filter_drops_other_cpv_and_job_titles(targets: Database) -> None:
    processor = Processor(targets, rules(), clock=lambda: NOW)
    roadworks = ev("ted", "x1", EventKind.PROCUREMENT_OPEN, cpv_main="45233000", cpv_codes="45000000")
    [outcome] = processor.process_batch([encode(roadworks)])
    assert outcome.alerts == []
    strict = load_rules(CONFIG_DIR / "rules.yaml")
    recruit = strict.rules[0].model_copy(
        update={
            "relevance": strict.rules[0].relevance.model_copy(
                update={"job_titles": [r"\bIT\b", "ohjelmoija"]}
            )
        }
    )
    processor = Processor(targets, strict.model_copy(update={"rules": [recruit]}), clock=lambda: NOW)
    it_job = ev(
        "te",
        "j1",
        EventKind.RECRUITMENT,
        title="IT asiantuntija, Kela, Jyväskylä",
        job_title="IT asiantuntija",
    )
    nurse = ev("te", "j2", EventKind.RECRUITMENT, title="Sairaanhoitaja, Kela", job_title="Sairaanhoitaja")
    it_out, nurse_out = processor.process_batch([encode(it_job), encode(nurse)])
    assert [a.facts["relevance"] for a in it_out.alerts] == ["job title '\\\\bIT\\\\b'"]
    assert nurse_out.alerts == []


def test_routing_picks_the_crm_owner_then_territory(targets: Database) -> None:
    base = load_rules(CONFIG_DIR / "rules.yaml")
    routing = base.routing.model_validate(
        {
            "fallback_owner": "sales-team",
            "fallback_channel": "#sales-triggers",
            "by_business_id": {KELA: "rep-anna"},
            "by_region": {"Uusimaa": "rep-ville"},
            "reps": {"rep-anna": {"slack_channel": "#anna", "email": "anna@example.fi"}},
        }
    )
    processor = Processor(targets, base.model_copy(update={"routing": routing}), clock=lambda: NOW)
    kela, digia = processor.process_batch(
        [encode(ev("te", "1", EventKind.RECRUITMENT)), encode(ev("te", "2", EventKind.RECRUITMENT, DIGIA))]
    )
    assert kela.alerts[0].routing.owner == "rep-anna"
    assert kela.alerts[0].routing.channels == ["slack:#anna", "email:anna@example.fi"]
    assert digia.alerts[0].routing.owner == "rep-ville"  # territory: Digia is in Uusimaa
    assert digia.alerts[0].routing.channels == ["slack:#sales-triggers"]


@dataclass(frozen=True)
class FoundMention:
    company_id: str
    name: str
    confidence: float


class FakeLinker:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def prepare(self, session: Session, texts: Iterable[str]) -> None:
        pass

    def forget(self) -> None:
        pass

    def resolve(self, text: str) -> Resolution | None:
        self.asked.append(text)
        return FoundMention(KELA, "Kela", 0.5) if "Kansaneläkelaitos" in text else None


def test_injected_name_resolver_links_names_and_titles(targets: Database) -> None:
    linker = FakeLinker()
    assert isinstance(linker, NameResolver)
    processor = Processor(targets, rules(), clock=lambda: NOW, resolver=linker)
    named = ev("te", "1", EventKind.RECRUITMENT, None, name="Kansaneläkelaitos")
    untitled = ev("news", "2", EventKind.DECISION_MAKER_CHANGE, None, title="Kansaneläkelaitos: uusi CIO")
    a, b = processor.process_batch([encode(named), encode(untitled)])
    assert a.alerts[0].company.business_id == KELA and a.alerts[0].confidence == 0.3
    assert b.alerts[0].company.business_id == KELA  # no company named: the title was linked
    assert set(linker.asked) == {"Kansaneläkelaitos", "Kansaneläkelaitos: uusi CIO"}


def test_default_resolver_keeps_the_exact_name_match(targets: Database) -> None:
    processor = Processor(targets, rules(), clock=lambda: NOW)
    [outcome] = processor.process_batch([encode(ev("te", "1", EventKind.RECRUITMENT, None, name="KELA"))])
    assert outcome.alerts[0].company.business_id == KELA and outcome.alerts[0].confidence == 0.6


def test_corroboration_within_one_batch_writes_the_latest_revision(targets: Database) -> None:
    """Both reports in one batch: the alert created by the first is still pending when the second
    joins it; the stored row must carry the joined (latest) revision and both emissions go out."""
    processor = Processor(targets, rules(), clock=lambda: NOW)
    registry = ev("prh-registry", "r9", EventKind.DECISION_MAKER_CHANGE, DIGIA, role="cfo")
    news = ev("ampparit-news", "n9", EventKind.DECISION_MAKER_CHANGE, DIGIA, role="cfo")
    first, second = processor.process_batch([encode(registry), encode(news)])
    [created], [updated] = first.alerts, second.alerts
    assert (created.revision, updated.revision) == (1, 2) and updated.alert_id == created.alert_id
    assert [len(o.encoded) for o in (first, second)] == [1, 1]
    assert second.messages()[0] == (DIGIA.encode(), encode(updated))
    with targets.session() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 1
        stored = session.get(Alert, created.alert_id)
        assert stored is not None and stored.payload["revision"] == 2
        assert stored.payload["sources"] == ["prh-registry", "ampparit-news"]
