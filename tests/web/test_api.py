from __future__ import annotations

import base64
import csv
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select, text

from tests.web.conftest import NOW, Web
from triggerwatch.core.contracts import DeadLetterV1, decode_event, example_payloads
from triggerwatch.core.db import Alert, ApiToken, DeadLetter, Feedback, Outbox
from triggerwatch.core.feedback import feedback_precision, training_labels
from triggerwatch.core.objections import add_objection
from triggerwatch.core.outbox import store_dead_letter
from triggerwatch.web.auth import Role, hash_token
from triggerwatch.web.queries import AlertFilters, trigger_page

KELA_ALERT = "c9a93418-55a0-5e49-8dd9-9b37cc402ac6"  # Kela (0246246-0) recruitment → it-services, high
DIGIA_ALERT = "ffd2caef-1c6a-5574-a3e3-98d0d0822f97"  # Digia Oyj (0831312-4) → recruitment-services

ALL = set(Role)
REP_ADMIN = {Role.REP, Role.ADMIN}
ADMIN_OPS = {Role.ADMIN, Role.OPS}
# (method, path, roles allowed): every endpoint the API has, and who may call it.
ENDPOINTS: list[tuple[str, str, set[Role]]] = [
    ("GET", "/api/v1/alerts", REP_ADMIN),
    ("GET", f"/api/v1/alerts/{KELA_ALERT}", REP_ADMIN),
    ("POST", f"/api/v1/alerts/{KELA_ALERT}/feedback", REP_ADMIN),
    ("GET", "/api/v1/feedback/precision", {Role.ADMIN}),
    ("GET", "/api/v1/companies/0246246-0", REP_ADMIN),
    ("GET", "/api/v1/target-groups", REP_ADMIN),
    ("GET", "/api/v1/rules", REP_ADMIN),
    ("GET", "/api/v1/sources", ADMIN_OPS),
    ("GET", "/api/v1/ops/summary", ADMIN_OPS),
    ("GET", "/api/v1/dead-letters", ADMIN_OPS),
    ("GET", "/api/v1/dead-letters/DL", ADMIN_OPS),
    ("POST", "/api/v1/dead-letters/DL/replay", ADMIN_OPS),
    ("GET", "/api/v1/triggers", {Role.CRM, Role.ADMIN}),
    ("GET", "/api/v1/triggers.csv", {Role.CRM, Role.ADMIN}),
    ("GET", "/metrics", ADMIN_OPS),
    ("GET", "/ui/alerts", REP_ADMIN),
    ("GET", "/ui/companies/0246246-0", REP_ADMIN),
    ("GET", "/ui/target-groups", REP_ADMIN),
    ("GET", "/ui/ops", ADMIN_OPS),
]


def worker_dead_letter(web: Web) -> str:
    """A dead letter as the worker writes it: a valid event the worker failed on."""
    raw = example_payloads("events")["decision_maker_change_business_id.json"]
    dl = DeadLetterV1.from_raw(
        stage="worker", reason="database busy", raw=raw, error_type="operational_error", source="prh"
    )
    with web.db.session() as s:
        store_dead_letter(s, dl, publish=False)
    return dl.dead_letter_id


def call(web: Web, method: str, path: str, headers: dict[str, str] | None):
    body = {"label": "useful"} if path.endswith("/feedback") else None
    return web.client.request(method, path, headers=headers, json=body, follow_redirects=False)


@pytest.mark.parametrize(("method", "path", "allowed"), ENDPOINTS)
def test_each_role_may_do_what_it_should_and_nothing_else(
    web: Web, method: str, path: str, allowed: set[Role]
) -> None:
    path = path.replace("DL", worker_dead_letter(web))
    anonymous = call(web, method, path, None)
    assert anonymous.status_code in (401, 303)  # the UI redirects to /login
    if anonymous.status_code == 303:
        assert anonymous.headers["location"] == "/login"
    for role in Role:
        resp = call(web, method, path, web.as_(role))
        if role in allowed:
            assert resp.status_code in (200, 201), (role, path, resp.text)
        else:
            assert resp.status_code == 403, (role, path, resp.status_code)


def test_bad_revoked_and_unauthenticated_tokens_are_refused(web: Web) -> None:
    assert web.client.get("/api/v1/alerts", headers={"Authorization": "Bearer tw_nope"}).status_code == 401
    with web.db.session() as s:
        row = s.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(web.tokens[Role.REP])))
        assert row is not None and row.token_hash != web.tokens[Role.REP]  # stored hashed
        row.revoked_at = NOW
    assert web.client.get("/api/v1/alerts", headers=web.as_(Role.REP)).status_code == 401
    assert web.client.get("/health").status_code == 200
    assert web.client.get("/ready").status_code == 200
    with web.db.session() as s:  # no clear token anywhere in the table
        dump = json.dumps([list(r) for r in s.execute(text("SELECT * FROM api_tokens"))], default=str)
    assert all(tok not in dump for tok in web.tokens.values())


def test_openapi_is_published(web: Web) -> None:
    spec = web.client.get("/openapi.json").json()
    assert {"/api/v1/alerts", "/api/v1/triggers", "/api/v1/dead-letters/{dead_letter_id}/replay"} <= set(
        spec["paths"]
    )
    assert web.client.get("/docs").status_code == 200


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {KELA_ALERT, DIGIA_ALERT}),
        ("?priority=high", {KELA_ALERT}),
        ("?product_group=recruitment-services", {DIGIA_ALERT}),
        ("?kind=recruitment&owner=sales-team", {KELA_ALERT, DIGIA_ALERT}),
        ("?owner=someone-else", set()),
        ("?kind=news", set()),
        ("?business_id=0246246-0", {KELA_ALERT}),
        ("?since=2026-11-24T11:59:00Z", {KELA_ALERT, DIGIA_ALERT}),
        ("?since=2026-11-24T12:01:00Z", set()),
        ("?until=2026-11-24T12:00:00Z", set()),
    ],
)
def test_alert_filters(web: Web, query: str, expected: set[str]) -> None:
    resp = web.client.get(f"/api/v1/alerts{query}", headers=web.as_(Role.REP))
    assert resp.status_code == 200
    assert {a["alert_id"] for a in resp.json()} == expected


def test_naive_dates_are_refused(web: Web) -> None:
    resp = web.client.get("/api/v1/alerts?since=2026-11-24T11:00:00", headers=web.as_(Role.REP))
    assert resp.status_code == 400


def test_company_profile_scores_and_timeline(web: Web) -> None:
    c = web.client.get("/api/v1/companies/0246246-0", headers=web.as_(Role.REP)).json()
    assert c["name"] == "Kela"
    [score] = c["scores"]
    assert score["product_group"] == "it-services" and score["score"] == 0.82
    assert score["rule_path"] == "TOL O (84) public administration and age >= 20 years"
    assert score["target_group_size"] == 1830
    kinds = [(i["type"], i["title"]) for i in c["timeline"]]
    assert ("alert", "Kela: IT asiantuntija, Kela, Jyväskylä") in kinds
    assert ("event", "IT-asiantuntija, Kela, Jyväskylä") in kinds  # the earlier, cooled-down ad
    assert web.client.get("/api/v1/companies/0000000-0", headers=web.as_(Role.REP)).status_code == 404


def test_target_groups_with_rule_and_size(web: Web) -> None:
    groups = {
        g["target_group_id"]: g
        for g in web.client.get("/api/v1/target-groups", headers=web.as_(Role.REP)).json()
    }
    assert groups["recruitment-services:software-uusimaa"]["size"] == 140
    assert "Uusimaa" in groups["recruitment-services:software-uusimaa"]["rule"]


def test_rules_are_shown(web: Web) -> None:
    rules = web.client.get("/api/v1/rules", headers=web.as_(Role.ADMIN)).json()
    assert rules["cooldown_hours"] == 72
    recruitment = next(r for r in rules["rules"] if r["kind"] == "recruitment")
    assert (recruitment["min_score"], recruitment["weight"], recruitment["freshness_days"]) == (0.5, 0.8, 45)


def test_feedback_is_stored_with_the_alerts_features_and_feeds_precision(web: Web) -> None:
    rep = web.as_(Role.REP)
    resp = web.client.post(
        f"/api/v1/alerts/{KELA_ALERT}/feedback", headers=rep, json={"label": "useful", "note": "called"}
    )
    assert resp.status_code == 201
    web.client.post(f"/api/v1/alerts/{DIGIA_ALERT}/feedback", headers=rep, json={"label": "useful"})
    # a later verdict replaces the earlier one for precision
    web.client.post(f"/api/v1/alerts/{DIGIA_ALERT}/feedback", headers=rep, json={"label": "already_customer"})
    bad = web.client.post(f"/api/v1/alerts/{KELA_ALERT}/feedback", headers=rep, json={"label": "meh"})
    assert bad.status_code == 422
    missing = web.client.post("/api/v1/alerts/nope/feedback", headers=rep, json={"label": "useful"})
    assert missing.status_code == 404
    with web.db.session() as s:
        rows = s.scalars(select(Feedback).order_by(Feedback.id)).all()
        first = rows[0]
        assert (
            first.label,
            first.kind,
            first.product_group,
            first.score,
            first.target_group_id,
            first.priority,
            first.given_by,
        ) == (
            "useful",
            "recruitment",
            "it-services",
            0.82,
            "it-services:public-administration",
            "high",
            "rep@example.fi",
        )
        assert rows[0].note == "called"
        precision = {(p.kind, p.product_group): (p.n, p.useful, p.precision) for p in feedback_precision(s)}
        labels = training_labels(s)
    assert precision == {
        ("recruitment", "it-services"): (1, 1, 1.0),
        ("recruitment", "recruitment-services"): (1, 0, 0.0),
    }
    assert [(t.business_id, t.product_group, t.label) for t in labels] == [
        ("0831312-4", "recruitment-services", "already_customer")
    ]
    api = web.client.get("/api/v1/feedback/precision", headers=web.as_(Role.ADMIN)).json()
    assert {
        "kind": "recruitment",
        "product_group": "it-services",
        "n": 1,
        "useful": 1,
        "precision": 1.0,
    } in api


def test_dead_letter_inspect_and_replay_queues_the_event_on_the_events_topic(web: Web) -> None:
    dl_id = worker_dead_letter(web)
    ops = web.as_(Role.OPS)
    listed = web.client.get("/api/v1/dead-letters?stage=worker", headers=ops).json()
    assert [d["dead_letter_id"] for d in listed] == [dl_id]
    one = web.client.get(f"/api/v1/dead-letters/{dl_id}", headers=ops).json()
    assert one["reason"] == "database busy"
    event = decode_event(one["raw_text"])
    resp = web.client.post(f"/api/v1/dead-letters/{dl_id}/replay", headers=ops)
    assert resp.status_code == 200 and resp.json()["event_id"] == event.event_id
    with web.db.session() as s:
        [row] = s.scalars(select(Outbox).where(Outbox.ref_id == event.event_id)).all()
        assert row.topic_kind == "events" and row.published_at is None
        assert decode_event(row.payload) == event
        assert s.get(DeadLetter, dl_id).replayed_at is not None


def test_replay_of_a_non_event_needs_a_corrected_payload(web: Web) -> None:
    dl = DeadLetterV1.from_raw(
        stage="worker", reason="not JSON", raw=b"{not json", error_type="malformed_json", source=None
    )
    with web.db.session() as s:
        store_dead_letter(s, dl, publish=False)
    ops = web.as_(Role.OPS)
    assert web.client.post(f"/api/v1/dead-letters/{dl.dead_letter_id}/replay", headers=ops).status_code == 422
    fixed = json.loads(example_payloads("events")["news_no_company.json"])
    resp = web.client.post(
        f"/api/v1/dead-letters/{dl.dead_letter_id}/replay", headers=ops, json={"event": fixed}
    )
    assert resp.status_code == 200 and resp.json()["event_id"] == fixed["event_id"]


def test_crm_pull_pages_with_a_stable_cursor(web: Web) -> None:
    crm = web.as_(Role.CRM)
    first = web.client.get("/api/v1/triggers?limit=1", headers=crm).json()
    assert len(first["items"]) == 1
    second = web.client.get(f"/api/v1/triggers?limit=1&cursor={first['next_cursor']}", headers=crm).json()
    third = web.client.get(f"/api/v1/triggers?limit=1&cursor={second['next_cursor']}", headers=crm).json()
    ids = [first["items"][0]["alert_id"], second["items"][0]["alert_id"]]
    assert sorted(ids) == sorted([KELA_ALERT, DIGIA_ALERT]) and ids == sorted(ids)  # same created_at
    assert third["items"] == [] and third["next_cursor"] == second["next_cursor"]  # poll again later
    assert web.client.get("/api/v1/triggers?cursor=%%%", headers=crm).status_code == 400
    only = web.client.get("/api/v1/triggers?priority=high&product_group=it-services", headers=crm).json()
    assert [i["alert_id"] for i in only["items"]] == [KELA_ALERT]
    assert web.client.get("/api/v1/triggers?owner=nobody", headers=crm).json()["items"] == []


def test_crm_pull_and_csv_skip_objected_companies(web: Web) -> None:
    crm = web.as_(Role.CRM)
    rows = list(csv.DictReader(io.StringIO(web.client.get("/api/v1/triggers.csv", headers=crm).text)))
    assert {r["company"] for r in rows} == {"Kela", "Digia Oyj"}
    assert {r["business_id"]: r["product_group"] for r in rows}["0246246-0"] == "it-services"
    with web.db.session() as s:
        add_objection(s, "business_id", "0831312-4", "asked not to be contacted")
    page = web.client.get("/api/v1/triggers", headers=crm).json()
    assert [i["alert_id"] for i in page["items"]] == [KELA_ALERT] and page["skipped_objected"] == 1
    rows = list(csv.DictReader(io.StringIO(web.client.get("/api/v1/triggers.csv", headers=crm).text)))
    assert [r["company"] for r in rows] == ["Kela"]


def test_cursor_is_opaque_base64_of_the_change_number_and_old_cursors_still_work(web: Web) -> None:
    crm = web.as_(Role.CRM)
    page = web.client.get("/api/v1/triggers?limit=1", headers=crm).json()
    cursor = page["next_cursor"]
    decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert decoded == {"seq": page["items"][0]["change_seq"]}
    # a cursor of the earlier [created_at, alert_id] form: what was created after it comes next
    first = page["items"][0]
    legacy = base64.urlsafe_b64encode(json.dumps([first["stored_at"], first["alert_id"]]).encode()).decode()
    rest = web.client.get(f"/api/v1/triggers?cursor={legacy}", headers=crm).json()
    assert [i["alert_id"] for i in rest["items"]] == [DIGIA_ALERT] and first["alert_id"] == KELA_ALERT
    assert (NOW - timedelta(0)).isoformat() == first["stored_at"]


def test_a_pull_page_costs_the_same_queries_however_many_alerts_it_checks(web: Web) -> None:
    """The objection register and each chunk's events are read once, not once per alert."""
    with web.db.session() as s:
        add_objection(s, "person", "No Such Person")  # forces the text check on every alert
        template = s.get(Alert, KELA_ALERT)
        assert template is not None
        for i in range(60):  # more alerts of the same event: the page must check them all
            s.add(
                Alert(
                    alert_id=f"copy-{i:03d}",
                    event_id=template.event_id,
                    business_id=template.business_id,
                    kind=template.kind,
                    product_group=template.product_group,
                    score=template.score,
                    priority=template.priority,
                    payload={**template.payload, "alert_id": f"copy-{i:03d}"},
                    created_at=template.created_at,
                    change_seq=1000 + i,
                )
            )
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    sa_event.listen(web.db.engine, "before_cursor_execute", record)
    try:
        with web.db.session() as s:
            items, _cursor, skipped = trigger_page(s, AlertFilters(), None, 500)
    finally:
        sa_event.remove(web.db.engine, "before_cursor_execute", record)
    assert len(items) == 62 and skipped == 0
    assert len(statements) <= 4, statements  # register, alerts, the events of the one chunk
