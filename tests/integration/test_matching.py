"""Matching, rules and delivery end to end on the embedded broker, several scenarios in one run
(one broker, one relay, one worker, one notifier): corroboration, twins, cooldown and cap into the
digest, an objection blocking every sink, routing to the owner.

Events are hand-made about the demo companies (real business IDs of Kela and Digia Oyj) and a few
synthetic companies with valid check digits.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from tests.integration.conftest import HttpStub, Services, SmtpCollector, wait_for
from tests.integration.test_pipeline import DEMO_TARGETS, SINKS, count, synthetic_targets
from triggerwatch.core.contracts import CompanyRef, EventKind, Evidence, TriggerEventV1
from triggerwatch.core.db import Alert, Database, Delivery, NotificationDecision, SuppressedAlert
from triggerwatch.core.objections import add_objection
from triggerwatch.core.outbox import store_events
from triggerwatch.core.settings import CONFIG_DIR, NotifierSettings
from triggerwatch.core.targets import load_targets, read_target_file
from triggerwatch.notifier.digest import run_digest
from triggerwatch.notifier.dispatcher import Dispatcher
from triggerwatch.notifier.sinks.console import ConsoleSink

pytestmark = pytest.mark.integration

KELA, DIGIA = "0246246-0", "0831312-4"


def event(source: str, item: str, kind: EventKind, bid: str, title: str, **attrs: str) -> TriggerEventV1:
    now = datetime.now(UTC)
    return TriggerEventV1.create(
        source=source,
        source_item_id=item,
        kind=kind,
        occurred_at=now - timedelta(hours=1),
        observed_at=now,
        companies=[CompanyRef(business_id=bid)],
        title=title,
        evidence=[Evidence(url=f"https://{source}.example.fi/{item}", source=source, title=title)],
        attributes=dict(attrs),
    )


def test_matching_scenarios_through_the_broker(
    tmp_path: Path,
    services: Services,
    sqlite_db: Database,
    slack_stub: HttpStub,
    crm_stub: HttpStub,
    smtp_server: tuple[SmtpCollector, int],
) -> None:
    db = sqlite_db
    data, ids = synthetic_targets(4)
    lapland = [c.model_copy(update={"region": "Lappi"}) for c in data.companies[:3]]
    load_targets(db, data.model_copy(update={"companies": lapland + data.companies[3:]}))
    load_targets(db, read_target_file(DEMO_TARGETS))
    capped, objected = ids[:3], ids[3]
    with db.session() as s:
        add_objection(s, "business_id", objected, "GDPR Art. 21 objection by e-mail")
    rules = yaml.safe_load((CONFIG_DIR / "rules.yaml").read_text())
    rules["routing"] |= {
        "by_business_id": {KELA: "rep-anna"},
        "by_region": {"Lappi": "rep-lapland"},
        "reps": {"rep-anna": {"email": "anna@example.fi"}, "rep-lapland": {"daily_cap": 1}},
    }
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump(rules, allow_unicode=True))
    services.env |= {
        "TRIGGERWATCH_DATABASE__URL": db.url,
        "TRIGGERWATCH_RULES_FILE": str(rules_file),
        "TRIGGERWATCH_SCHEDULER": "false",
    }
    deadline = (datetime.now(UTC) + timedelta(days=12)).isoformat()
    tender = {"dedup_key": "notice:475939-2026", "cpv_main": "72000000", "deadline": deadline}
    events = [
        # corroboration: the registry and the news report the same new CFO
        event(
            "prh-registry",
            "r1",
            EventKind.DECISION_MAKER_CHANGE,
            DIGIA,
            "Digia Oyj: uusi talousjohtaja",
            role="cfo",
        ),
        event(
            "ampparit-news",
            "n1",
            EventKind.DECISION_MAKER_CHANGE,
            DIGIA,
            "Digia appoints a new CFO",
            role="cfo",
        ),
        # twins: one tender in TED and in Hilma
        event("ted", "475939-2026", EventKind.PROCUREMENT_OPEN, KELA, "Kela: IT services tender", **tender),
        event("hilma", "2026-1", EventKind.PROCUREMENT_OPEN, KELA, "Kela: IT-palveluiden hankinta", **tender),
        # cap: three companies of one rep (daily cap 1), and a cooldown for the first
        *[
            event("te", f"job-{i}", EventKind.RECRUITMENT, bid, f"Koodari #{i}")
            for i, bid in enumerate(capped)
        ],
        event("te", "job-again", EventKind.RECRUITMENT, capped[0], "Koodari taas"),
        # objection
        event("te", "job-obj", EventKind.RECRUITMENT, objected, "Koodari (objected)"),
    ]
    with db.session() as s:
        store_events(s, events)
    for name in ("relay", "worker", "notifier"):
        services.start(name)
    # delivered: Digia r1 + r2, Kela, one capped company (each x 4 sinks), and the two alerts over
    # the cap to the CRM (a system of record gets every alert); the objected company gets no alert
    try:
        wait_for(
            lambda: (
                count(db, select(func.count()).select_from(Delivery).where(Delivery.status == "delivered"))
                == 4 * len(SINKS) + 2
            ),
            120,
            "deliveries",
        )
        wait_for(
            lambda: count(db, select(func.count()).select_from(NotificationDecision)) == 6, 30, "decisions"
        )
    except AssertionError:
        print(services.logs())
        raise
    with db.session() as s:
        alerts = {a.business_id: a for a in s.scalars(select(Alert))}
        decisions = Counter(d.decision for d in s.scalars(select(NotificationDecision)))
        suppressed = s.scalars(select(SuppressedAlert.reason)).all()
        keys = Counter(d.idempotency_key for d in s.scalars(select(Delivery)))
    assert len(alerts) == 5 and objected not in alerts  # Digia, Kela, 3 capped; none for the objected
    digia = alerts[DIGIA].payload
    assert digia["revision"] == 2 and digia["sources"] == ["prh-registry", "ampparit-news"]
    assert [e["url"] for e in digia["evidence"]] == [
        "https://prh-registry.example.fi/r1",
        "https://ampparit-news.example.fi/n1",
    ]
    kela = alerts[KELA].payload
    assert kela["revision"] == 1 and {e["source"] for e in kela["evidence"]} == {"ted", "hilma"}
    assert "Tender deadline in 12 days" in kela["explanation"]["next_step"]
    assert kela["routing"]["owner"] == "rep-anna"
    assert decisions == {"deliver": 4, "digest": 2}  # Digia r1 and r2 are two
    assert sorted(r.split(":")[0] for r in suppressed) == ["cooldown", "objection"]
    assert set(keys.values()) == {1}
    # what the outside world saw
    crm = Counter((b["alert_id"], b["revision"]) for b in crm_stub.json_bodies())
    assert set(crm.values()) == {1} and len(crm) == 6  # the two held for the digest as well
    assert {r for (a, r) in crm if a == alerts[DIGIA].alert_id} == {1, 2}
    assert count(db, select(func.count()).select_from(Delivery).where(Delivery.status == "blocked")) == 0
    smtp = smtp_server[0]
    with smtp.lock:
        to_kela = [m["To"] for m in smtp.messages if m["X-Triggerwatch-Alert-Id"] == alerts[KELA].alert_id]
    assert to_kela == ["anna@example.fi"]  # routed to the owner's address
    # the overflow is in the digest
    stream = io.StringIO()
    dispatcher = Dispatcher(db, [ConsoleSink(stream=stream)], NotifierSettings())
    import asyncio

    [digest] = asyncio.run(run_digest(db, dispatcher))
    assert digest.owner == "rep-lapland" and len(digest.alerts) == 2
    assert "2 alert(s)" in stream.getvalue()
