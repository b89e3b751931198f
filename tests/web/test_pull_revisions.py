"""A CRM polling ``GET /api/v1/triggers?cursor=…`` gets every new alert and every new revision of
one exactly once, with its revision number (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from tests.web.conftest import NOW, Web
from tests.web.test_api import DIGIA_ALERT, KELA_ALERT
from triggerwatch.core.contracts import CompanyRef, EventKind, Evidence, TriggerEventV1, encode
from triggerwatch.core.rules import load_rules
from triggerwatch.core.settings import CONFIG_DIR
from triggerwatch.web.auth import Role
from triggerwatch.worker.processing import Processor


def appointment(source: str, item: str, url: str) -> TriggerEventV1:
    return TriggerEventV1.create(
        source=source,
        source_item_id=item,
        kind=EventKind.DECISION_MAKER_CHANGE,
        occurred_at=NOW - timedelta(hours=2),
        observed_at=NOW,
        companies=[CompanyRef(business_id="0831312-4")],
        title="Digia Oyj: new CFO",
        evidence=[Evidence(url=url, source=source, title="Digia Oyj: new CFO")],
        attributes={"role": "cfo"},
    )


def test_a_corroboration_between_two_polls_reaches_the_pull_client_once(web: Web) -> None:
    crm = web.as_(Role.CRM)
    processor = Processor(web.db, load_rules(CONFIG_DIR / "rules.yaml"), clock=lambda: NOW)

    def poll(cursor: str | None) -> tuple[list[tuple[str, int]], str]:
        query = f"?cursor={cursor}" if cursor else ""
        page = web.client.get(f"/api/v1/triggers{query}", headers=crm).json()
        return [(i["alert_id"], i["revision"]) for i in page["items"]], page["next_cursor"]

    seen, cursor = poll(None)
    assert sorted(seen) == sorted([(KELA_ALERT, 1), (DIGIA_ALERT, 1)])
    [first] = processor.process_batch([encode(appointment("prh-registry", "r1", "https://ytj.fi/n/1"))])[
        0
    ].alerts
    seen, cursor = poll(cursor)
    assert seen == [(first.alert_id, 1)]
    # another source corroborates the appointment: the same alert, revision 2, stored in place
    [update] = processor.process_batch(
        [encode(appointment("ampparit-news", "n1", "https://ampparit.com/1"))]
    )[0].alerts
    assert update.alert_id == first.alert_id and update.revision == 2
    seen, cursor = poll(cursor)
    assert seen == [(first.alert_id, 2)]  # the update, once, with its revision number
    assert poll(cursor) == ([], cursor)  # nothing new: the cursor stays
    # a silent twin (same source again) is no new revision: nothing to pull
    processor.process_batch([encode(appointment("ampparit-news", "n1", "https://ampparit.com/1"))])
    assert poll(cursor) == ([], cursor)
    page = web.client.get(f"/api/v1/triggers?cursor={cursor}&limit=5", headers=crm).json()
    assert page["items"] == [] and page["skipped_objected"] == 0
