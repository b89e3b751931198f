"""The pages a rep and ops read, in Chromium, in both languages: what they say is checked (Helsinki
times, people's names for kinds and product groups, facts, order, no codes, no sideways scrolling),
and with ``TRIGGERWATCH_WRITE_SCREENSHOTS=1`` they are written to ``docs/screenshots/`` for the
README and docs/web.md (otherwise nothing is written: the committed images change only on purpose).

One browser and one server for the module; a fixed clock and the seeded world of ``showcase.py``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.conftest import REPO, free_port
from tests.integration.conftest import wait_for
from tests.web.conftest import EXPECTED, NOW
from tests.web.showcase import CLIENT_NOTE, DIGIA, seed_showcase, stream_service
from tests.web.test_browser import CHROMIUM
from triggerwatch.core.db import Database
from triggerwatch.core.settings import WebSettings
from triggerwatch.web.app import create_app
from triggerwatch.web.auth import Role, create_token

pytestmark = pytest.mark.browser

SHOTS = REPO / "docs" / "screenshots"
WRITE = os.environ.get("TRIGGERWATCH_WRITE_SCREENSHOTS") == "1"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# codes a rep must never have to read
CODES = (
    "decision_maker_change",
    "recruitment-services",
    "it-services",
    "fleet-services",
    "{company}",
    "merger →",
)


@dataclass
class Site:
    base: str
    db: Database
    ids: dict[str, str]
    token: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('screens') / 'web.db'}")
    db.upgrade()
    ids = seed_showcase(db)
    with db.session() as s:
        token = create_token(s, role=Role.ADMIN, name="anna@example.fi")[1]
    with (
        stream_service("triggerwatch-worker", "events") as worker,
        stream_service("triggerwatch-notifier", "alerts", ready=False) as notifier,
    ):
        settings = WebSettings(worker_port=worker, notifier_port=notifier)  # type: ignore[call-arg]
        app = create_app(settings, db, clock=lambda: NOW, expected=EXPECTED, silence_watch=False)
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        wait_for(lambda: server.started, 20, "web server started")
        try:
            yield Site(f"http://127.0.0.1:{port}", db, ids, token)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            db.dispose()


@pytest.fixture(scope="module")
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


def open_as_admin(browser: Any, site: Site, lang: str, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport, is_mobile=viewport is PHONE, locale="en-GB")
    page = context.new_page()
    page.goto(f"{site.base}/login")
    page.fill("#token", site.token)
    page.click("#login-submit")
    page.wait_for_url(f"{site.base}/ui/alerts")
    if lang == "fi":
        page.goto(f"{site.base}/lang/fi?next=/ui/alerts")
    return page


def check_layout(page: Any) -> None:
    """No code a rep cannot read, nothing wider than the window (no sideways scrolling)."""
    text = page.locator("main").inner_text()
    assert not [c for c in CODES if c in text], [c for c in CODES if c in text]
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths


def shoot(page: Any, name: str) -> None:
    """Write the page to docs/screenshots/ (only with TRIGGERWATCH_WRITE_SCREENSHOTS=1). The
    stand-in services listen on a free port each run: their URLs are shown as the default ports,
    so the image stays the same from run to run."""
    if not WRITE:
        return
    page.evaluate(
        """() => document.querySelectorAll('tr.service-row .url').forEach(
            (e) => { e.textContent = e.textContent.replace(/:\\d+\\//, (
                e.closest('tr').dataset.service === 'worker' ? ':6066/' : ':6067/')) })"""
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True, animations="disabled")


def test_the_feed_reads_in_ten_seconds_in_both_languages_and_on_a_phone(browser: Any, site: Site) -> None:
    expect = {
        # lang: (the Kela job ad's event time on hover, kind, a text only that language has)
        "en": ("24 Nov 2026, 13:00 (time zone Europe/Helsinki, EET)", "Decision-maker change", "is hiring"),
        "fi": ("24.11.2026 klo 13.00 (aikavyöhyke Europe/Helsinki, EET)", "Päättäjävaihdos", "rekrytoi"),
    }
    for lang, (exact, kind, own_words) in expect.items():
        page = open_as_admin(browser, site, lang, DESKTOP)
        kela = page.locator(f"#alert-{site.ids['kela']}")
        assert kela.locator("time.event-ago").get_attribute("title") == exact
        assert kela.locator("time.event-ago").inner_text() == ("1 t sitten" if lang == "fi" else "1 h ago")
        assert kela.locator(".what").inner_text() == "IT asiantuntija, Kela, Jyväskylä"  # no "Kela: " again
        cfo = page.locator(f"#alert-{site.ids['digia_cfo']}")
        assert cfo.locator(".badge.kind").inner_text() == kind
        assert (
            cfo.locator(".what").inner_text() == "Maija Virtanen appointed CFO"
        )  # not "Digia Oyj: Digia Oyj: …"
        facts = cfo.locator(".facts").inner_text()
        assert "Maija Virtanen" in facts and ("Talousjohtaja" if lang == "fi" else "CFO") in facts
        deal = page.locator(f"#alert-{site.ids['valmet']}").locator(".facts").inner_text()
        assert "Matka-Rengas Niemelä Oy" in deal and ("Ostaja" if lang == "fi" else "Buyer") in deal
        main = page.locator("main").inner_text()
        assert own_words in main and expect["en" if lang == "fi" else "fi"][2] not in main
        # high first, and within a priority the freshest event first; counts by priority
        order = page.eval_on_selector_all("article.alert", "els => els.map(e => e.id.slice(6))")
        names = {v: k for k, v in site.ids.items()}
        # the month-old job ad (24 Oct) before the acquisition (15 Oct), both medium
        assert [names[i] for i in order[:3]] == ["kela", "digia_cfo", "digia_job"]
        assert page.locator("#total").inner_text() == "5"
        handled = page.locator(f"#alert-{site.ids['digia_job']}")
        assert handled.locator(".badge.state").get_attribute("class").endswith("handled")
        assert CLIENT_NOTE in handled.locator(".verdict").inner_text()
        assert (
            page.locator("form#filters select").count() == 5
            and page.locator("form#filters input").count() == 0
        )
        check_layout(page)
        shoot(page, f"feed-{lang}")
        page.context.close()
    phone = open_as_admin(browser, site, "en", PHONE)
    check_layout(phone)
    shoot(phone, "feed-phone-en")
    phone.context.close()


def test_the_company_page_shows_the_register_what_to_offer_and_the_timeline(browser: Any, site: Site) -> None:
    """Digia, an existing customer: its register facts, what to offer it next and its lifetime
    value (scoring's next-best-offers), its scores and its timeline."""
    for lang, industry, kind, clv in (
        ("en", "Computer programming, consultancy", "Decision-maker change", "152,000"),
        ("fi", "Ohjelmistot, konsultointi", "Päättäjävaihdos", "152\u202f000"),
    ):
        page = open_as_admin(browser, site, lang, DESKTOP)
        page.goto(f"{site.base}/ui/companies/{DIGIA}")
        assert industry in page.locator("#industry").inner_text()
        assert page.locator("#website a").get_attribute("href") == "https://digia.com/"
        assert page.locator("#website").inner_text() == "digia.com"
        assert clv in page.locator("#clv").inner_text()
        offers = page.locator("#next-offers tr.offer-row")
        assert offers.count() == 2 and offers.first.get_attribute("data-product-group") == "it-services"
        assert ("IT-palvelut" if lang == "fi" else "IT services") in offers.first.inner_text()
        kinds = page.locator("#timeline .badge.kind").all_inner_texts()
        assert kind in kinds
        first_time = page.locator("#timeline li time").first.get_attribute("title")
        assert first_time.startswith("24.11.2026 klo 14.00" if lang == "fi" else "24 Nov 2026, 14:00")
        check_layout(page)
        shoot(page, f"company-{lang}")
        page.context.close()


def test_the_ops_page_shows_services_sources_dead_letters_and_deliveries(browser: Any, site: Site) -> None:
    for lang in ("en", "fi"):
        page = open_as_admin(browser, site, lang, DESKTOP)
        page.goto(f"{site.base}/ui/ops")
        worker = page.locator('tr.service-row[data-service="worker"]')
        notifier = page.locator('tr.service-row[data-service="notifier"]')
        assert worker.locator(".badge").inner_text() == ("valmis" if lang == "fi" else "ready")
        assert worker.locator("td.num").inner_text() == "49"  # 42 + 7 over the partitions
        assert "rebalancing" in notifier.inner_text() and "svc-not_ready" in notifier.get_attribute("class")
        assert page.locator("#dead-letters tr").count() == 2  # one header, one stage and source
        assert page.locator("#open-dead-letters tr.open-dead-letter").count() == 1
        dead = page.locator("#source-checks tr.source-check").first  # a dead enabled source comes first
        assert dead.get_attribute("data-source") == "gone-jobs"
        assert dead.locator(".badge").inner_text() == ("ei toimi" if lang == "fi" else "does not work")
        crm = page.locator('#deliveries tr[data-sink="crm"]')
        assert crm.locator('[data-col="failed"]').inner_text() == "1"  # three answers of 500: failed
        assert crm.locator('[data-col="delivered"]').inner_text().startswith("1 ")  # the other, after a retry
        check_layout(page)
        shoot(page, f"ops-{lang}")
        page.context.close()


def test_feedback_confirms_in_place_and_the_verdict_stays_after_a_reload(browser: Any, site: Site) -> None:
    page = open_as_admin(browser, site, "en", DESKTOP)
    kela = page.locator(f"#alert-{site.ids['kela']}")
    page.evaluate("() => { window.notReloaded = true }")
    kela.locator("input[name=note]").fill("Called, meeting on Friday")
    kela.locator("button[data-label=useful]").click()
    kela.locator(".feedback-done").wait_for(timeout=10_000)
    assert page.evaluate("() => window.notReloaded") is True  # confirmed without a page load
    assert kela.locator(".badge.state").inner_text() == "Handled"
    page.reload()
    kela = page.locator(f"#alert-{site.ids['kela']}")
    assert kela.locator(".verdict-label").inner_text() == "Useful"
    assert kela.locator(".verdict-note").inner_text() == "Called, meeting on Friday"
    assert kela.locator("button.chosen").get_attribute("data-label") == "useful"
    page.context.close()
