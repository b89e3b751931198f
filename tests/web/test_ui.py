from __future__ import annotations

import re

from sqlalchemy import select

from tests.web.conftest import Web, make_web, seed, xss_job_ad
from tests.web.test_ops import login
from triggerwatch.core.db import Database, Feedback, Outbox
from triggerwatch.core.rules import load_rules
from triggerwatch.core.settings import CONFIG_DIR
from triggerwatch.web.auth import Role
from triggerwatch.web.i18n import MESSAGES

KELA_ALERT = "c9a93418-55a0-5e49-8dd9-9b37cc402ac6"


def csrf_of(page: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    assert m
    return m.group(1)


def test_login_sets_a_signed_httponly_lax_cookie_and_a_wrong_token_fails(web: Web) -> None:
    csrf = csrf_of(web.client.get("/login").text)
    bad = web.client.post("/login", data={"token": "tw_wrong", "csrf": csrf}, follow_redirects=False)
    assert bad.headers["location"] == "/login?failed=1"
    no_csrf = web.client.post("/login", data={"token": web.tokens[Role.REP]}, follow_redirects=False)
    assert no_csrf.status_code == 403
    resp = web.client.post(
        "/login", data={"token": web.tokens[Role.REP], "csrf": csrf}, follow_redirects=False
    )
    cookie = resp.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert web.tokens[Role.REP].lower() not in cookie  # the cookie carries the token id, signed
    assert web.client.get("/", follow_redirects=False).headers["location"] == "/ui/alerts"


def test_feed_feedback_needs_csrf_and_is_stored(web: Web) -> None:
    login(web, Role.REP)
    feed = web.client.get("/ui/alerts").text
    assert "Kela: IT asiantuntija, Kela, Jyväskylä" in feed and 'href="/ui/companies/0246246-0"' in feed
    url = f"/ui/alerts/{KELA_ALERT}/feedback"
    assert web.client.post(url, data={"label": "useful"}).status_code == 403  # no CSRF token
    resp = web.client.post(url, data={"label": "useful", "csrf": csrf_of(feed)}, headers={"HX-Request": "1"})
    assert resp.status_code == 200 and "Thanks" in resp.text and "<html" not in resp.text  # a fragment
    with web.db.session() as s:
        [fb] = s.scalars(select(Feedback)).all()
    assert (fb.label, fb.product_group, fb.given_by) == ("useful", "it-services", "rep@example.fi")


def test_language_switch_to_finnish(web: Web) -> None:
    login(web, Role.REP)
    web.client.get("/lang/fi?next=/ui/alerts")
    page = web.client.get("/ui/alerts").text
    assert "Hälytykset" in page and "Hyödyllinen" in page and 'lang="fi"' in page
    company = web.client.get("/ui/companies/0246246-0").text
    assert "Miksi tämä yritys" in company and "julkinen hallinto" in company
    assert set(MESSAGES["fi"]) == set(MESSAGES["en"])


def test_company_page_explains_why(web: Web) -> None:
    login(web, Role.REP)
    page = web.client.get("/ui/companies/0246246-0").text
    assert "Why this company" in page
    assert "TOL O (84) public administration and age &gt;= 20 years" in page
    assert "IT-asiantuntija, Kela, Jyväskylä" in page  # the earlier event on the timeline


def test_source_content_is_escaped(db: Database) -> None:
    event = xss_job_ad(source_url="javascript:alert(1)")
    seed(db, [event])
    web = make_web(db)
    login(web, Role.REP)
    for page in (web.client.get("/ui/alerts").text, web.client.get("/ui/companies/0246246-0").text):
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in page
        assert 'href="javascript:' not in page


def test_ops_replays_a_dead_letter_from_the_ops_page(web: Web) -> None:
    from tests.web.test_api import worker_dead_letter

    dl_id = worker_dead_letter(web)
    login(web, Role.OPS)
    page = web.client.get("/ui/ops").text
    assert f'data-dead-letter="{dl_id}"' in page and "database busy" in page
    resp = web.client.post(f"/ui/dead-letters/{dl_id}/replay", data={"csrf": csrf_of(page)})
    assert resp.status_code == 200 and 'id="replayed"' in resp.text
    assert f'data-dead-letter="{dl_id}"' not in resp.text  # replayed: no longer open
    replayed = re.search(r'<p id="replayed">[^<]* ([0-9a-f-]{36})</p>', resp.text)
    assert replayed
    with web.db.session() as s:
        [row] = s.scalars(select(Outbox).where(Outbox.ref_id == replayed.group(1))).all()
    assert row.topic_kind == "events" and row.published_at is None


def test_target_group_browser_shows_rule_size_and_alert_rules(web: Web) -> None:
    login(web, Role.ADMIN)
    page = web.client.get("/ui/target-groups").text
    assert "TOL J (62) software and region Uusimaa and staff &gt;= 250" in page and "<td>140</td>" in page
    n_rules = len(load_rules(CONFIG_DIR / "rules.yaml").rules)
    assert n_rules >= 4 and page.count('class="rule-row"') == n_rules and "<td>45.0 d</td>" in page
