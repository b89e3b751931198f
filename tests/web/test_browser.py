"""Headless Chromium (the Debian ``chromium`` package) driven by Playwright's ``executable_path``."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select

from tests.conftest import free_port
from tests.integration.conftest import wait_for
from tests.web.conftest import EXPECTED, NOW, recorded_events, seed, xss_job_ad
from triggerwatch.core.contracts import TriggerEventV1
from triggerwatch.core.db import Database, Feedback
from triggerwatch.core.settings import WebSettings
from triggerwatch.web.app import create_app
from triggerwatch.web.auth import Role, create_token

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("TRIGGERWATCH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


class Site:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.clock = [NOW]
        with db.session() as s:
            self.tokens = {r: create_token(s, role=r, name=f"{r.value}@example.fi")[1] for r in Role}
        app = create_app(
            WebSettings(), db, clock=lambda: self.clock[0], expected=EXPECTED, silence_watch=False
        )
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        wait_for(lambda: self.server.started, 20, "web server started")
        self.base = f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"chromium not found at {CHROMIUM} (make installs the Debian package)")
        pytest.skip("Debian chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


def make_site(tmp_path: Path, events: list[TriggerEventV1]) -> Site:
    db = Database(f"sqlite:///{tmp_path / 'web.db'}")
    db.upgrade()
    seed(db, events)
    return Site(db)


def login(page: Any, site: Site, role: Role) -> None:
    page.goto(f"{site.base}/login")
    page.fill("#token", site.tokens[role])
    page.click("#login-submit")


def test_rep_logs_in_sees_the_demo_alert_marks_it_useful_and_opens_the_company(
    browser: Any, tmp_path: Path
) -> None:
    site = make_site(tmp_path, recorded_events())
    try:
        page = browser.new_page()
        login(page, site, Role.REP)
        page.wait_for_url(f"{site.base}/ui/alerts")
        kela = page.locator("article", has_text="Kela: IT asiantuntija, Kela, Jyväskylä")
        assert kela.count() == 1
        kela.locator("button[data-label=useful]").click()
        kela.locator(".feedback-done").wait_for(timeout=10_000)  # htmx swapped in the fragment
        assert "Thanks" in kela.locator(".feedback").inner_text()
        with site.db.session() as s:
            [fb] = s.scalars(select(Feedback)).all()
        assert (fb.label, fb.business_id, fb.given_by) == ("useful", "0246246-0", "rep@example.fi")
        kela.locator("a.company-link").click()
        page.wait_for_url(f"{site.base}/ui/companies/0246246-0")
        assert page.locator("#company-name").inner_text().startswith("Kela")
        assert "TOL O (84) public administration" in page.locator("table").inner_text()
        assert page.locator("#timeline li.timeline-alert").count() == 1
    finally:
        site.close()


def test_an_xss_payload_in_a_feed_title_is_rendered_as_text(browser: Any, tmp_path: Path) -> None:
    event = xss_job_ad()
    site = make_site(tmp_path, [event])
    try:
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        login(page, site, Role.REP)
        page.wait_for_url(f"{site.base}/ui/alerts")
        what = page.locator(".what").first.inner_text()
        assert '<script>alert("xss")</script>' in what
        assert page.locator("main script").count() == 0 and page.locator("main img").count() == 0
        page.goto(f"{site.base}/ui/companies/0246246-0")
        assert "<img src=x onerror=alert(1)>" in page.locator("#timeline").inner_text()
        assert dialogs == []
    finally:
        site.close()


def test_the_ops_page_shows_a_silent_source_after_its_expected_period(browser: Any, tmp_path: Path) -> None:
    site = make_site(tmp_path, recorded_events())
    try:
        page = browser.new_page()
        login(page, site, Role.OPS)
        page.wait_for_url(f"{site.base}/ui/ops")
        row = page.locator('tr.source-row[data-source="te-jobs-jyvaskyla"]')
        assert "SILENT" not in row.inner_text()
        site.clock[0] = NOW + timedelta(seconds=EXPECTED["te-jobs-jyvaskyla"] + 60)
        page.reload()
        assert page.locator('tr.source-row[data-source="te-jobs-jyvaskyla"] .silent').inner_text() == "SILENT"
        page.click("#lang-switch")
        assert (
            page.locator('tr.source-row[data-source="te-jobs-jyvaskyla"] .silent').inner_text() == "HILJAINEN"
        )
    finally:
        site.close()


def overflow(page: Any) -> dict[str, int]:
    return dict(
        page.evaluate(
            """() => ({
                viewport: window.innerWidth,
                document: document.documentElement.scrollWidth,
                nav: document.querySelector('nav').scrollWidth,
                navRight: Math.ceil(document.querySelector('nav .right').getBoundingClientRect().right),
            })"""
        )
    )


def test_a_phone_screen_fits_the_csp_holds_and_the_api_docs_work_offline_with_a_token(
    browser: Any, tmp_path: Path
) -> None:
    site = make_site(tmp_path, recorded_events())
    try:
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        page = context.new_page()
        violations: list[str] = []
        outside: list[str] = []
        page.on(
            "console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None
        )
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(site.base) else None)
        login(page, site, Role.ADMIN)  # the admin's top bar has the most links
        page.wait_for_url(f"{site.base}/ui/alerts")
        for path in ("/ui/alerts", "/ui/companies/0246246-0", "/ui/ops", "/ui/target-groups"):
            page.goto(f"{site.base}{path}")
            sizes = overflow(page)
            assert sizes["nav"] <= 390 and sizes["navRight"] <= 390 and sizes["document"] <= 390, (
                path,
                sizes,
            )
        page.goto(f"{site.base}/ui/alerts")
        page.locator("article", has_text="Kela").locator("button[data-label=useful]").click()
        page.locator(".feedback-done").first.wait_for(timeout=10_000)  # htmx works under the CSP
        assert violations == []
        # /docs: Swagger UI from the service itself; "Authorize" takes a token, "Execute" uses it
        page.goto(f"{site.base}/docs")
        page.locator(".swagger-ui .info .title").wait_for(timeout=15_000)
        page.click("button.authorize")
        page.locator(".auth-container input").first.fill(site.tokens[Role.REP])
        page.locator(".auth-btn-wrapper button.authorize").click()
        page.locator(".auth-btn-wrapper button.btn-done").click()
        op = page.locator("#operations-alerts-list_alerts_api_v1_alerts_get")
        op.locator(".opblock-summary").click()
        op.locator("button.try-out__btn").click()
        op.locator("button.execute").click()
        status = op.locator(".live-responses-table .response .response-col_status").first
        status.wait_for(timeout=15_000)
        assert status.inner_text().strip() == "200"
        assert outside == [] and violations == []  # no CDN, nothing the CSP had to block
        context.close()
    finally:
        site.close()
