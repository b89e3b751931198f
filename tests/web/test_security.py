"""Sessions end on the server, cookie-authenticated API writes need the CSRF token, every response
carries the security headers, /docs works without a CDN and with a token, bad cursors are 400s,
and a feedback note has one limit everywhere."""

from __future__ import annotations

import base64
import json

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.web.conftest import Web
from tests.web.test_api import KELA_ALERT
from tests.web.test_ops import login
from tests.web.test_ui import csrf_of
from triggerwatch.core.db import Feedback
from triggerwatch.core.feedback import NOTE_MAX_CHARS
from triggerwatch.web.auth import Role


def b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_logout_ends_the_session_on_the_server(sqlite_web: Web) -> None:
    web = sqlite_web
    login(web, Role.REP)
    stolen = dict(web.client.cookies)  # a copy of the cookie, e.g. left in another tab or a proxy log
    feed = web.client.get("/ui/alerts")
    assert feed.status_code == 200
    assert (
        web.client.post("/logout", data={"csrf": csrf_of(feed.text)}, follow_redirects=False).status_code
        == 303
    )
    replay = TestClient(web.client.app, cookies=stolen)
    assert replay.get("/ui/alerts", follow_redirects=False).headers["location"] == "/login"
    assert replay.get("/api/v1/alerts").status_code == 401


def test_cookie_authenticated_api_writes_need_the_csrf_token(sqlite_web: Web) -> None:
    web = sqlite_web
    login(web, Role.REP)
    csrf = csrf_of(web.client.get("/ui/alerts").text)
    url = f"/api/v1/alerts/{KELA_ALERT}/feedback"
    assert web.client.post(url, json={"label": "useful"}).status_code == 403  # a cross-site form could
    assert (
        web.client.post(url, json={"label": "useful"}, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    )
    assert web.client.post(url, json={"label": "useful"}, headers={"X-CSRF-Token": csrf}).status_code == 201
    bearer = TestClient(web.client.app)  # a token cannot be sent by another site: no CSRF token needed
    assert bearer.post(url, json={"label": "useful"}, headers=web.as_(Role.REP)).status_code == 201
    assert web.client.get("/api/v1/alerts").status_code == 200  # reads need none
    with web.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Feedback)) == 2


def test_every_response_has_the_security_headers(sqlite_web: Web) -> None:
    web = sqlite_web
    login(web, Role.REP)
    for path in ("/login", "/ui/alerts", "/api/v1/alerts", "/health", "/docs", "/static/app.css"):
        headers = web.client.get(path).headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, path
        assert "object-src 'none'" in csp and "base-uri 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
    assert web.client.get("/ui/alerts").headers["cache-control"] == "no-store"
    page = web.client.get("/ui/alerts").text
    assert "<style" not in page and 'style="' not in page  # nothing inline for the CSP to block


def test_docs_are_served_locally_and_take_a_bearer_token(sqlite_web: Web) -> None:
    web = sqlite_web
    html = web.client.get("/docs").text
    assert "cdn" not in html.lower() and "http" not in html
    assert '<script src="/swagger-ui/swagger-ui-bundle.js">' in html
    assert web.client.get("/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert web.client.get("/static/swagger-init.js").status_code == 200
    assert web.client.get("/redoc").status_code == 404  # would load from a CDN
    spec = web.client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "description": "An API token: `triggerwatch tokens create`",
        "scheme": "bearer",
    }
    assert spec["paths"]["/api/v1/alerts"]["get"]["security"] == [{"HTTPBearer": []}]


BAD_CURSORS = [
    "/api/v1/triggers?cursor=%%%",
    "/api/v1/triggers?cursor=" + b64(["2026-11-24T12:00:00", KELA_ALERT]),  # a naive timestamp
    "/api/v1/triggers?cursor=" + b64(["yesterday", KELA_ALERT]),
    "/api/v1/triggers?cursor=" + b64({"seq": -1}),
    "/api/v1/triggers?cursor=" + b64({"seq": "1"}),
    "/api/v1/alerts?before=bm9wZQ",
    "/api/v1/alerts?before=" + b64({"at": "2026-11-24T12:00:00", "type": "alert", "id": "x"}),
    "/api/v1/companies/0246246-0?before=" + b64({"at": "2026-11-24T12:00:00+00:00", "type": "x", "id": "y"}),
    "/ui/companies/0246246-0?before=" + b64({"at": "2026-11-24T12:00:00", "type": "event", "id": "y"}),
]


def test_bad_cursors_are_refused_with_400(sqlite_web: Web) -> None:
    web = sqlite_web
    login(web, Role.REP)
    for path in BAD_CURSORS:
        role = Role.CRM if "/triggers" in path else Role.REP
        resp = web.client.get(path, headers=web.as_(role) if path.startswith("/api") else None)
        assert resp.status_code == 400, path
        if path.startswith("/api"):
            assert "cursor" in resp.json()["detail"], path
        else:  # a page: an error page with the navigation
            assert "invalid cursor" in resp.text and "<nav>" in resp.text, path


def test_one_note_limit_for_the_ui_and_the_api(sqlite_web: Web) -> None:
    web = sqlite_web
    too_long, longest = "x" * (NOTE_MAX_CHARS + 1), "x" * NOTE_MAX_CHARS
    url = f"/api/v1/alerts/{KELA_ALERT}/feedback"
    api = web.as_(Role.REP)
    assert web.client.post(url, headers=api, json={"label": "useful", "note": too_long}).status_code == 422
    assert web.client.post(url, headers=api, json={"label": "useful", "note": longest}).status_code == 201
    login(web, Role.REP)
    csrf = csrf_of(web.client.get("/ui/alerts").text)
    ui = f"/ui/alerts/{KELA_ALERT}/feedback"
    assert web.client.post(ui, data={"label": "useful", "note": too_long, "csrf": csrf}).status_code == 422
    assert web.client.post(ui, data={"label": "useful", "note": longest, "csrf": csrf}).status_code == 200
    with web.db.session() as s:
        assert [len(n or "") for n in s.scalars(select(Feedback.note))] == [NOTE_MAX_CHARS, NOTE_MAX_CHARS]
