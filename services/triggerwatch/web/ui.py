"""The server-rendered UI (Jinja2, autoescaped; htmx for one-click feedback, plain forms without it).

Login is by API token: the token is checked once and the session cookie (signed, HttpOnly,
SameSite=Lax) then carries only the token id. Every POST carries the session's CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from importlib import resources
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select

from triggerwatch.core.db import Alert, Database, DeadLetter
from triggerwatch.core.feedback import FeedbackLabel, record_feedback
from triggerwatch.web import auth
from triggerwatch.web.api import (
    AlertFilters,
    alert_json,
    company_profile,
    dead_letter_json,
    replay_dead_letter,
    select_alerts,
    target_groups,
)
from triggerwatch.web.auth import Principal, Role
from triggerwatch.web.i18n import LANGUAGES, translator
from triggerwatch.web.ops import (
    backlog,
    consumer_lag,
    daily_counts,
    dead_letter_counts,
    delivery_stats,
    source_statuses,
)

TEMPLATES_DIR = str(resources.files("triggerwatch.web").joinpath("templates"))


class LoginRequired(Exception):
    pass


def make_templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml", "svg"], default_for_string=True),
    )
    return Jinja2Templates(env=env)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return str(token)


def check_csrf(request: Request, submitted: str) -> None:
    expected = request.session.get("csrf")
    if not expected or not hmac.compare_digest(str(expected), submitted or ""):
        raise HTTPException(403, "CSRF token missing or wrong")


def chart_svg_data(daily: list[tuple[str, int, int]]) -> dict[str, Any]:
    peak = max([1] + [max(e, a) for _, e, a in daily])
    bars = []
    for i, (day, ev, al) in enumerate(daily):
        bars.append(
            {
                "day": day,
                "x": 40 + i * 40,
                "events": ev,
                "alerts": al,
                "eh": round(150 * ev / peak, 1),
                "ah": round(150 * al / peak, 1),
            }
        )
    return {"bars": bars, "peak": peak, "width": 40 + 40 * len(daily) + 20}


def build_ui(
    db: Database,
    expected: dict[str, float],
    clock: Callable[[], datetime],
    rules: dict[str, Any] | None = None,
    lag_metrics_urls: Sequence[str] = (),
) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    templates = make_templates()

    def user(request: Request, roles: frozenset[Role]) -> Principal:
        principal = auth.current_principal(request, db)
        if principal is None:
            raise LoginRequired()
        if principal.role not in roles:
            raise HTTPException(403, f"role {principal.role.value} may not see this page")
        return principal

    def render(request: Request, name: str, who: Principal | None, **ctx: Any) -> HTMLResponse:
        lang = request.session.get("lang", "en")
        return templates.TemplateResponse(
            request,
            name,
            {"t": translator(lang), "lang": lang, "who": who, "csrf": csrf_token(request), **ctx},
        )

    @router.get("/", response_model=None)
    def index(request: Request) -> Response:
        principal = auth.current_principal(request, db)
        if principal is None:
            return RedirectResponse("/login", status_code=303)
        target = "/ui/ops" if principal.role is Role.OPS else "/ui/alerts"
        return RedirectResponse(target, status_code=303)

    @router.get("/login")
    def login_form(request: Request, failed: int = 0) -> HTMLResponse:
        return render(request, "login.html", None, failed=bool(failed))

    @router.post("/login", response_model=None)
    def login(request: Request, token: str = Form(...), csrf: str = Form("")) -> Response:
        check_csrf(request, csrf)
        with db.session() as s:
            principal = auth.verify_token(s, token.strip())
        if principal is None:
            return RedirectResponse("/login?failed=1", status_code=303)
        lang = request.session.get("lang", "en")
        request.session.clear()
        request.session.update({"token_id": principal.token_id, "lang": lang})
        csrf_token(request)
        return RedirectResponse("/", status_code=303)

    @router.post("/logout")
    def logout(request: Request, csrf: str = Form("")) -> RedirectResponse:
        check_csrf(request, csrf)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @router.get("/lang/{code}")
    def set_lang(request: Request, code: str, next: str = "/") -> RedirectResponse:
        if code in LANGUAGES:
            request.session["lang"] = code
        return RedirectResponse(next if next.startswith("/") and not next.startswith("//") else "/", 303)

    @router.get("/ui/alerts")
    def alerts_page(
        request: Request,
        owner: str | None = None,
        kind: str | None = None,
        product_group: str | None = None,
        priority: str | None = None,
    ) -> HTMLResponse:
        who = user(request, auth.READ_ALERTS)
        f = AlertFilters(
            owner=owner or None,
            kind=kind or None,
            product_group=product_group or None,
            priority=priority or None,
        )
        with db.session() as s:
            alerts = [alert_json(a) for a in select_alerts(s, f, 200)]
        return render(request, "alerts.html", who, alerts=alerts, f=f, labels=list(FeedbackLabel))

    @router.post("/ui/alerts/{alert_id}/feedback")
    def feedback(
        request: Request,
        alert_id: str,
        label: str = Form(...),
        note: str = Form(""),
        csrf: str = Form(""),
    ) -> HTMLResponse:
        who = user(request, auth.FEEDBACK)
        check_csrf(request, csrf)
        try:
            verdict = FeedbackLabel(label)
        except ValueError as exc:
            raise HTTPException(422, "unknown label") from exc
        with db.session() as s:
            alert = s.get(Alert, alert_id)
            if alert is None:
                raise HTTPException(404, "no such alert")
            record_feedback(s, alert, verdict, given_by=who.name, note=note or None)
        if request.headers.get("hx-request"):
            return render(request, "_feedback_done.html", who, label=verdict.value, alert_id=alert_id)
        return render(request, "feedback_done.html", who, label=verdict.value, alert_id=alert_id)

    @router.get("/ui/companies/{business_id}")
    def company_page(request: Request, business_id: str) -> HTMLResponse:
        who = user(request, auth.READ_COMPANIES)
        with db.session() as s:
            profile = company_profile(s, business_id)
        if profile is None:
            raise HTTPException(404, "no such company")
        return render(request, "company.html", who, c=profile)

    @router.get("/ui/target-groups")
    def target_groups_page(request: Request) -> HTMLResponse:
        who = user(request, auth.READ_TARGETS)
        with db.session() as s:
            groups = target_groups(s)
        return render(request, "target_groups.html", who, groups=groups, rules=rules or {})

    @router.get("/ui/ops")
    def ops_page(request: Request) -> HTMLResponse:
        who = user(request, auth.OPS_VIEW)
        now = clock()
        with db.session() as s:
            ctx = {
                "now": now,
                "sources": source_statuses(s, expected, now),
                "backlog": backlog(s),
                "lag": consumer_lag(lag_metrics_urls),
                "dead": dead_letter_counts(s),
                "deliveries": delivery_stats(s),
                "chart": chart_svg_data(daily_counts(s, now)),
                "open_dead_letters": [
                    dead_letter_json(d, full=False)
                    for d in s.scalars(
                        select(DeadLetter)
                        .where(DeadLetter.replayed_at.is_(None))
                        .order_by(DeadLetter.created_at.desc())
                        .limit(50)
                    )
                ],
                "replayed": request.query_params.get("replayed"),
            }
        return render(request, "ops.html", who, **ctx)

    @router.post("/ui/dead-letters/{dead_letter_id}/replay")
    def replay_page(request: Request, dead_letter_id: str, csrf: str = Form("")) -> RedirectResponse:
        user(request, auth.DEAD_LETTERS)
        check_csrf(request, csrf)
        with db.session() as s:
            d = s.get(DeadLetter, dead_letter_id)
            if d is None:
                raise HTTPException(404, "no such dead letter")
            event_id = replay_dead_letter(s, d, None)
        return RedirectResponse(f"/ui/ops?replayed={event_id}", status_code=303)

    return router
