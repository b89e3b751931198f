"""Issue 19, part 2: the pages a rep reads in ten seconds, and ops' view of deliveries, without a
browser (the Chromium checks are in test_screenshots.py): the feed's order, counts and states in
SQL on both databases, what the deliveries came to, the migration's backfill, errors as pages, and
how times, names and texts are said (display.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.web.conftest import NOW, Web, make_web, recorded_events, seed
from tests.web.showcase import CLIENT_NOTE, DIGIA, KELA, seed_showcase
from tests.web.test_ops import login
from tests.web.test_ui import csrf_of
from triggerwatch.core.db import Alert, Database, Feedback, upgrade
from triggerwatch.core.objections import add_objection
from triggerwatch.core.rules import load_rules
from triggerwatch.core.settings import CONFIG_DIR
from triggerwatch.web.auth import Role
from triggerwatch.web.display import Display
from triggerwatch.web.ops_queries import delivery_outcomes
from triggerwatch.web.queries import AlertFilters, alert_counts, alert_page

RULES = load_rules(CONFIG_DIR / "rules.yaml")


def test_the_feed_is_priority_then_freshness_paged_and_counted_on_both_databases(db: Database) -> None:
    ids = seed_showcase(db)
    with db.session() as s:
        pages, before = [], None
        while True:
            page = alert_page(s, AlertFilters(), limit=2, before=before, order="priority")
            pages.append([a.alert_id for a in page.alerts])
            before = page.next_before
            if before is None:
                break
        assert [len(p) for p in pages] == [2, 2, 1]
        names = {v: k for k, v in ids.items()}
        order = [names[i] for p in pages for i in p]
        # high: Kela (an hour ago), Digia's new CFO (2 days); medium: the job ad of 24 October
        # (stored by the worker at the same moment as the rest), then the deal of 15 October
        assert order[:3] == ["kela", "digia_cfo", "digia_job"] and set(order[3:]) == {"valmet", "niemela"}
        assert alert_counts(s, AlertFilters()) == {"high": 2, "medium": 3}
        assert alert_counts(s, AlertFilters(handled=True)) == {"medium": 1}  # Digia's job ad has a verdict
        new = alert_page(s, AlertFilters(handled=False), order="priority").alerts
        assert ids["digia_job"] not in {a.alert_id for a in new} and len(new) == 4
        # the newest-first order the API keeps
        created = alert_page(s, AlertFilters(), order="created").alerts
        assert [a.created_at for a in created] == sorted((a.created_at for a in created), reverse=True)
        add_objection(s, "business_id", KELA, "Art. 21")
    with db.session() as s:
        assert alert_counts(s, AlertFilters()) == {"high": 1, "medium": 3}
        # what deliveries came to: a sink that answered 500 three times failed, it was not delivered
        by_sink = {o.sink: o for o in delivery_outcomes(s)}
    crm, email, slack = by_sink["crm"], by_sink["email"], by_sink["slack"]
    assert (crm.delivered, crm.delivered_after_retries, crm.failed) == (1, 1, 1)
    assert crm.last_error is not None and "HTTP 500" in crm.last_error
    assert (email.delivered, email.retrying, email.queued) == (0, 1, 0)
    assert (slack.delivered, slack.failed, slack.total) == (2, 0, 2)


def test_the_migration_gives_stored_alerts_their_rank_and_event_time(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0022_scoring_offers")
    happened = "2026-10-01 08:00:00.000000"
    with engine.begin() as c:
        c.execute(
            sa.text(
                "INSERT INTO events (event_id, source, source_item_id, kind, occurred_at, observed_at, "
                "created_at, payload, business_id) "
                "VALUES ('e1', 's', '1', 'news', :at, :at, :at, '{}', '0246246-0')"
            ),
            {"at": happened},
        )
        for alert_id, event_id, priority in (("a1", "e1", "medium"), ("a2", "ops-x", "high")):
            c.execute(
                sa.text(
                    "INSERT INTO alerts (alert_id, event_id, business_id, kind, product_group, score, "
                    "priority, payload, created_at, revision) VALUES (:id, :ev, '0246246-0', 'news', 'x', "
                    "0.5, :p, '{}', '2026-11-24 12:00:00.000000', 1)"
                ),
                {"id": alert_id, "ev": event_id, "p": priority},
            )
    upgrade(engine, "heads")
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    with db.session() as s:
        a1, a2 = s.get(Alert, "a1"), s.get(Alert, "a2")
        assert a1 is not None and a2 is not None
        assert (a1.priority_rank, a1.occurred_at) == (2, datetime(2026, 10, 1, 8, tzinfo=UTC))
        assert (a2.priority_rank, a2.occurred_at) == (3, a2.created_at)  # no event: when it was created
    db.dispose()
    engine.dispose()


def test_feed_states_filters_and_empty_states(sqlite_db: Database) -> None:
    web = make_web(sqlite_db)
    login(web, Role.REP)
    empty = web.client.get("/ui/alerts").text
    assert 'id="empty"' in empty and "No alerts yet." in empty and 'href="/ui/target-groups"' in empty
    ids = seed_showcase(sqlite_db)
    feed = web.client.get("/ui/alerts").text
    assert re.search(r'<strong id="total">5</strong>', feed)
    assert f'id="state-{ids["digia_job"]}" class="badge state handled">Handled<' in feed
    assert f'id="state-{ids["kela"]}" class="badge state new">New<' in feed
    assert CLIENT_NOTE in feed
    handled = web.client.get("/ui/alerts?state=handled").text
    assert handled.count('<article class="alert') == 1 and 'id="clear-filters"' in handled
    nothing = web.client.get("/ui/alerts?kind=bankruptcy").text
    assert "No alerts match these filters." in nothing and '<option value="bankruptcy" selected>' in nothing
    # the kind, priority and product-group selects name things as people do
    assert '<option value="decision_maker_change">Decision-maker change</option>' in feed
    assert '<option value="recruitment-services">Recruitment services</option>' in feed
    web.client.get("/lang/fi")
    fi = web.client.get("/ui/alerts").text
    assert '<option value="decision_maker_change">Päättäjävaihdos</option>' in fi
    assert "Onnittele uutta talousjohtajaa." in fi  # the alert's own Finnish next step


def test_a_note_goes_with_the_verdict_and_a_too_long_one_is_refused_with_a_page(sqlite_web: Web) -> None:
    web = sqlite_web
    login(web, Role.REP)
    feed = web.client.get("/ui/alerts").text
    alert_id = re.findall(r'<article class="alert prio-\w+" id="alert-([^"]+)"', feed)[0]
    url = f"/ui/alerts/{alert_id}/feedback"
    resp = web.client.post(
        url,
        data={"label": "wrong_company", "note": "not this Kela", "csrf": csrf_of(feed)},
        headers={"HX-Request": "1"},
    )
    assert resp.status_code == 200 and "not this Kela" in resp.text and 'hx-swap-oob="true"' in resp.text
    too_long = web.client.post(url, data={"label": "useful", "note": "x" * 2001, "csrf": csrf_of(feed)})
    assert (
        too_long.status_code == 422
        and "<nav>" in too_long.text
        and "at most 2000 characters" in too_long.text
    )
    with web.db.session() as s:
        assert [(f.label, f.note) for f in s.query(Feedback)] == [("wrong_company", "not this Kela")]
    assert "Handled:</strong>" in web.client.get("/ui/alerts").text


def test_errors_are_pages_with_navigation_for_people_and_json_for_programs(sqlite_web: Web) -> None:
    web = sqlite_web
    login(web, Role.REP)
    missing = web.client.get("/ui/companies/0000000-0")
    assert missing.status_code == 404 and "Not found" in missing.text and 'href="/ui/alerts"' in missing.text
    forbidden = web.client.get("/ui/ops")
    assert (
        forbidden.status_code == 403
        and "You may not see this page" in forbidden.text
        and "<nav>" in forbidden.text
    )
    invalid = web.client.get("/ui/alerts?start=-1")
    assert invalid.status_code == 422 and "That input was not accepted" in invalid.text
    bad_cursor = web.client.get("/ui/alerts?before=xyz")
    assert bad_cursor.status_code == 400 and "<nav>" in bad_cursor.text
    unknown = web.client.get("/no/such/page", headers={"Accept": "text/html"})
    assert unknown.status_code == 404 and "<nav>" in unknown.text
    web.client.get("/lang/fi")
    assert "Sivua ei löytynyt" in web.client.get("/ui/companies/0000000-0").text
    api = web.client.get("/api/v1/alerts/nope", headers=web.as_(Role.REP))
    assert api.status_code == 404 and api.json() == {"detail": "no such alert"}
    assert web.client.get("/api/v1/alerts?limit=0", headers=web.as_(Role.REP)).json()["detail"][0]["type"]


def test_a_crash_in_a_page_is_a_page_and_in_the_api_plain_text(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(sqlite_db, recorded_events())
    web = make_web(sqlite_db)
    login(web, Role.REP)

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("triggerwatch.web.ui.company_profile", crash)
    monkeypatch.setattr("triggerwatch.web.api.company_profile", crash)
    client = TestClient(web.client.app, raise_server_exceptions=False, cookies=web.client.cookies)
    page = client.get(f"/ui/companies/{KELA}")
    assert (
        page.status_code == 500
        and "Something went wrong on our side" in page.text
        and "boom" not in page.text
    )
    api = client.get(f"/api/v1/companies/{KELA}", headers=web.as_(Role.REP))
    assert api.status_code == 500 and api.text == "Internal Server Error"


def test_times_are_helsinki_time_relative_with_the_exact_time_beside() -> None:
    now = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)  # summer: EEST, UTC+3
    en, fi = Display("en", now, RULES), Display("fi", now, RULES)
    three_hours = now - timedelta(hours=3, minutes=5)
    assert (en.ago(three_hours), fi.ago(three_hours)) == ("3 h ago", "3 t sitten")
    assert en.exact(three_hours) == "1 Jul 2026, 08:55" and fi.exact(three_hours) == "1.7.2026 klo 8.55"
    assert fi.exact_zone(three_hours).endswith("(aikavyöhyke Europe/Helsinki, EEST)")
    assert en.ago("2026-06-29T09:00:00Z") == "2 d ago" and fi.ago(now + timedelta(days=5)) == "5 pv päästä"
    assert (
        en.ago(now - timedelta(days=95)) == "3 mo ago" and en.ago(now - timedelta(seconds=20)) == "just now"
    )
    assert en.ago(None) == "—" and en.iso(now) == "2026-07-01T09:00:00Z"


def test_names_and_texts_are_said_as_people_say_them() -> None:
    en, fi = Display("en", NOW, RULES), Display("fi", NOW, RULES)
    alert = {
        "kind": "decision_maker_change",
        "product_group": "recruitment-services",
        "company": {"name": "Digia Oyj"},
        "language": "en",
        "explanation": {
            "what_happened": "Digia Oyj: Digia Oyj: Board of directors changed",
            "why_it_matters": "New decision-makers at Digia Oyj review their suppliers early.",
            "next_step": "Propose a meeting about recruitment-services to the new decision-maker.",
        },
        "facts": {"role": "board_member", "change": "leaving", "person_name": "Matti Meikäläinen"},
    }
    assert en.headline(alert) == "Board of directors changed"
    assert en.kind("decision_maker_change") == "Decision-maker change" and fi.kind("merger") == "Yrityskauppa"
    assert en.product_group("recruitment-services") == "Recruitment services"
    assert fi.product_group("some_new-group") == "Some new group"  # a group nobody named yet
    assert en.next_step(alert) == "Propose a meeting about Recruitment services to the new decision-maker."
    # the alert was written in English: the Finnish page says it in Finnish, from the rules
    assert (
        fi.why(alert) == "Uudet päättäjät (Digia Oyj) arvioivat toimittajansa ensimmäisten kuukausien aikana."
    )
    assert fi.next_step(alert) == "Ehdota uudelle päättäjälle tapaamista aiheesta Rekrytointipalvelut."
    assert [(f.key, f.value) for f in fi.facts(alert)] == [
        ("role", "Hallituksen jäsen"),
        ("person", "Matti Meikäläinen"),
        ("change", "lähtee"),
    ]
    deal = {"facts": {"deal_role": "target", "counterparty": "Valmet Automotive EV Power Oy"}}
    assert [(f.label, f.value) for f in en.facts(deal)] == [
        ("Part in the deal", "Being bought"),
        ("Counterparty", "Valmet Automotive EV Power Oy"),
    ]
    assert (
        en.expand("{company} is hiring: offer {product_group}.", ["*"])
        == "The company is hiring: offer the offering."
    )
    assert fi.expand("Tarjoa {product_group} ({company}).", ["it-services"]) == "Tarjoa IT-palvelut (yritys)."


def test_the_company_page_says_what_to_offer_a_customer_and_a_prospect(sqlite_db: Database) -> None:
    seed_showcase(sqlite_db)
    web = make_web(sqlite_db)
    login(web, Role.REP)
    customer = web.client.get(f"/ui/companies/{DIGIA}").text
    assert "Existing customer: what to offer next" in customer
    assert re.search(r"Lifetime value \(3 years\): <strong>152,000</strong>", customer)
    assert "90 % interval 98,000–231,000" in customer and "still buying 93%" in customer
    offers = re.findall(
        r'<tr class="offer-row" data-product-group="([^"]+)"><td>(\d)</td><td>([^<]+)</td>', customer
    )
    assert offers == [("it-services", "1", "IT services"), ("fleet-services", "2", "Fleet services")]
    prospect = web.client.get(f"/ui/companies/{KELA}").text
    assert 'id="prospect-offers"' in prospect and "<strong>IT services</strong> · Score 0.82" in prospect
    assert 'id="next-offers"' not in prospect
    web.client.get("/lang/fi")
    assert "Nykyinen asiakas: mitä tarjota seuraavaksi" in web.client.get(f"/ui/companies/{DIGIA}").text
