"""The server-rendered UI (Jinja2, autoescaped; htmx for one-click feedback, plain forms without it).

Login is by API token: the token is checked once and the session cookie (signed, HttpOnly,
SameSite=Lax) then carries only the token id and a server-side session id; logging out ends that
session on the server. Every POST carries the session's CSRF token.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from triggerwatch.core.contracts import EventKind, Priority
from triggerwatch.core.db import Alert, DeadLetter, Feedback
from triggerwatch.core.feedback import NOTE_MAX_CHARS, FeedbackLabel, NoteTooLong, record_feedback
from triggerwatch.core.readiness import readiness
from triggerwatch.web import auth
from triggerwatch.web.auth import Principal, Role
from triggerwatch.web.deadletters import (
    correction_template,
    dead_letter_json,
    dismiss_dead_letter,
    history,
    open_dead_letters,
    raw_text,
    replay_dead_letter,
)
from triggerwatch.web.deps import Ctx, Db, WebContext, check_csrf, csrf_token, page_role, render
from triggerwatch.web.i18n import CHECK_MODE, CHECK_STATUS, DELIVERY_STATUS, LANGUAGES
from triggerwatch.web.ops import check_services
from triggerwatch.web.ops_queries import (
    DEAD_CHECKS,
    backlog,
    daily_counts,
    dead_letter_counts,
    delivery_outcomes,
    delivery_problems,
    source_checks,
    source_statuses,
    stalled_stages,
)
from triggerwatch.web.queries import (
    AlertFilters,
    alert_counts,
    alert_json,
    alert_page,
    company_profile,
    product_groups,
    target_groups,
    verdicts,
)

router = APIRouter(include_in_schema=False)


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


@router.get("/", response_model=None)
def index(request: Request, db: Db) -> Response:
    principal = auth.current_principal(request, db)
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    target = "/ui/ops" if principal.role is Role.OPS else "/ui/alerts"
    return RedirectResponse(target, status_code=303)


@router.get("/login")
def login_form(request: Request, failed: int = 0) -> HTMLResponse:
    return render(request, "login.html", None, failed=bool(failed))


@router.post("/login", response_model=None)
def login(request: Request, db: Db, token: str = Form(...), csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    with db.session() as s:
        principal = auth.verify_token(s, token.strip())
        if principal is None:
            return RedirectResponse("/login?failed=1", status_code=303)
        sid = auth.start_session(s, principal)
    lang = request.session.get("lang", "en")
    request.session.clear()
    request.session.update({"token_id": principal.token_id, "sid": sid, "lang": lang})
    csrf_token(request)
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request, db: Db, csrf: str = Form("")) -> RedirectResponse:
    """Ends the session on the server (a copy of the cookie is worthless afterwards)."""
    check_csrf(request, csrf)
    sid = request.session.get("sid")
    if sid:
        with db.session() as s:
            auth.end_session(s, str(sid))
    lang = request.session.get("lang", "en")
    request.session.clear()
    request.session["lang"] = lang
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
def set_lang(request: Request, code: str, next: str = "/") -> RedirectResponse:
    if code in LANGUAGES:
        request.session["lang"] = code
    return RedirectResponse(next if next.startswith("/") and not next.startswith("//") else "/", 303)


STATES = {"new": False, "handled": True}


def filter_options(ctx: WebContext, groups: list[str]) -> dict[str, list[str]]:
    """What the feed's selects offer: the owners the rules route to, the kinds, the product groups
    there are target groups (or names) for."""
    rules = ctx.ruleset
    owners: set[str] = set()
    if rules is not None:
        routing = rules.routing
        owners |= {routing.fallback_owner or "", *routing.reps}
        for mapping in (
            routing.by_business_id,
            routing.by_region,
            routing.by_industry,
            routing.by_product_group,
        ):
            owners |= set(mapping.values())
    names = set(rules.product_group_names) if rules is not None else set()
    return {
        "owners": sorted(o for o in owners if o),
        "kinds": [k.value for k in EventKind if k is not EventKind.OPS],
        "product_groups": sorted(set(groups) | names),
        "priorities": [p.value for p in Priority],
    }


def verdict_json(fb: Feedback | None) -> dict[str, Any] | None:
    if fb is None:
        return None
    return {"label": fb.label, "note": fb.note, "given_by": fb.given_by, "at": fb.created_at}


@router.get("/ui/alerts")
def alerts_page(
    request: Request,
    ctx: Ctx,
    who: Annotated[Principal, Depends(page_role(auth.READ_ALERTS))],
    owner: str | None = None,
    kind: str | None = None,
    product_group: str | None = None,
    priority: str | None = None,
    state: str | None = None,
    before: str | None = None,
    start: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    """The reps' feed: high priority first, within a priority the freshest event first, 50 a page
    ("Next" pages on), with counts; each alert with its verdict (handled) or none yet (new).
    Nothing about an objected company or person is shown."""
    f = AlertFilters(
        owner=owner or None,
        kind=kind or None,
        product_group=product_group or None,
        priority=priority or None,
        handled=STATES.get(state or ""),
    )
    with ctx.db.session() as s:
        page = alert_page(s, f, before=before or None, order="priority")
        alerts = [alert_json(a) for a in page.alerts]
        judged = verdicts(s, (a["alert_id"] for a in alerts))
        given = {alert_id: verdict_json(fb) for alert_id, fb in judged.items()}
        counts = alert_counts(s, f)
        groups = product_groups(s)
    query = {k: v for k, v in f.model_dump().items() if v and k != "handled"}
    if state in STATES:
        query["state"] = state
    more = None
    if page.next_before:
        more = "/ui/alerts?" + urlencode(query | {"before": page.next_before, "start": start + len(alerts)})
    filtered = any(query.values())
    return render(
        request,
        "alerts.html",
        who,
        alerts=alerts,
        verdicts=given,
        f=f,
        state=state if state in STATES else "",
        options=filter_options(ctx, groups),
        labels=list(FeedbackLabel),
        counts=counts,
        total=sum(counts.values()),
        start=start,
        more=more,
        first=("/ui/alerts?" + urlencode(query)) if before else None,
        filtered=filtered,
        withheld=page.withheld,
        note_max=NOTE_MAX_CHARS,
    )


@router.post("/ui/alerts/{alert_id}/feedback")
def feedback(
    request: Request,
    alert_id: str,
    db: Db,
    who: Annotated[Principal, Depends(page_role(auth.FEEDBACK))],
    label: str = Form(...),
    note: str = Form(""),
    csrf: str = Form(""),
) -> HTMLResponse:
    """A rep's verdict (and note). With htmx the alert's feedback block is swapped in place (the
    verdict and a confirmation, no page load); without it a page confirms it."""
    check_csrf(request, csrf)
    try:
        verdict = FeedbackLabel(label)
    except ValueError as exc:
        raise HTTPException(422, "unknown label") from exc
    with db.session() as s:
        alert = s.get(Alert, alert_id)
        if alert is None:
            raise HTTPException(404, "no such alert")
        try:
            given = verdict_json(
                record_feedback(s, alert, verdict, given_by=who.name, note=note.strip() or None)
            )
        except NoteTooLong as exc:
            raise HTTPException(422, str(exc)) from exc
    page = "_feedback_fragment.html" if request.headers.get("hx-request") else "feedback_done.html"
    return render(
        request,
        page,
        who,
        a={"alert_id": alert_id},
        verdict=given,
        just_given=True,
        labels=list(FeedbackLabel),
        note_max=NOTE_MAX_CHARS,
    )


@router.get("/ui/companies/{business_id}")
def company_page(
    request: Request,
    business_id: str,
    db: Db,
    who: Annotated[Principal, Depends(page_role(auth.READ_COMPANIES))],
    before: str | None = None,
) -> HTMLResponse:
    """Profile, what to offer (an existing customer: next-best-offers and lifetime value; a
    prospect: its product groups ranked), scores and one page of the timeline; "do not contact"
    when the company is in the objection register, and timeline items naming an objected company or
    person withheld."""
    with db.session() as s:
        profile = company_profile(s, business_id, before=before or None)
        offers = company_offers(s, business_id) if profile is not None else None
    if profile is None:
        raise HTTPException(404, "no such company")
    return render(request, "company.html", who, c=profile, offers=offers)


def company_offers(session: Any, business_id: str) -> dict[str, Any]:
    """Scoring's answer to "what to offer this company" (``scoring.offers.offers_for_company``).
    Imported on first use: scoring brings pandas and scikit-learn (seconds to import), which the
    rest of the web service does not need; ``warm_up`` loads it in the background at start."""
    from triggerwatch.scoring.offers import offers_for_company

    return offers_for_company(session, business_id).as_dict()


def warm_up() -> None:
    """Import scoring's offers module in the background, so the first company page does not wait."""

    def load() -> None:
        import triggerwatch.scoring.offers  # noqa: F401

    threading.Thread(target=load, name="warm-up-offers", daemon=True).start()


@router.get("/ui/target-groups")
def target_groups_page(
    request: Request, ctx: Ctx, who: Annotated[Principal, Depends(page_role(auth.READ_TARGETS))]
) -> HTMLResponse:
    with ctx.db.session() as s:
        groups = target_groups(s)
    return render(request, "target_groups.html", who, groups=groups, rules=ctx.rules, ruleset=ctx.ruleset)


@router.get("/ui/ops")
def ops_page(
    request: Request, ctx: Ctx, who: Annotated[Principal, Depends(page_role(auth.OPS_VIEW))]
) -> HTMLResponse:
    now = ctx.clock()
    with ctx.db.session() as s:
        checks = sorted(
            source_checks(s), key=lambda c: (not (c.enabled and c.status in DEAD_CHECKS), c.source)
        )
        page: dict[str, Any] = {
            "now": now,
            "sources": source_statuses(s, ctx.expected, now, totals=False),
            "checks": checks,
            "dead_checks": [c.source for c in checks if c.enabled and c.status in DEAD_CHECKS],
            "backlog": backlog(s),
            "services": check_services(ctx.stream_services),
            "dead": dead_letter_counts(s),
            "deliveries": delivery_outcomes(s),
            "delivery_problems": delivery_problems(s),
            "chart": chart_svg_data(daily_counts(s, now)),
            "open_dead_letters": open_dead_letters(s),
            "replayed": request.query_params.get("replayed"),
            "readiness": readiness(s),  # .warning(): no scores to match against, and the next step
            "dismissed": request.query_params.get("dismissed"),
            "check_status": CHECK_STATUS,
            "check_mode": CHECK_MODE,
            "delivery_status": DELIVERY_STATUS,
            "replayed_what": request.query_params.get("what", "event"),
            "stalled": stalled_stages(s, now, ctx.stall_after_s),
        }
    return render(request, "ops.html", who, **page)


DeadLetterPage = Annotated[Principal, Depends(page_role(auth.DEAD_LETTERS))]


def dead_letter_page(
    request: Request,
    who: Principal,
    d: DeadLetter,
    s: Any,
    *,
    error: str | None = None,
    correction: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    page = render(
        request,
        "dead_letter.html",
        who,
        d=dead_letter_json(d, full=False),
        raw=raw_text(d),
        correction=correction if correction is not None else correction_template(d),
        actions=history(s, d.dead_letter_id),
        error=error,
    )
    page.status_code = status
    return page


@router.get("/ui/dead-letters/{dead_letter_id}")
def dead_letter_view(request: Request, dead_letter_id: str, db: Db, who: DeadLetterPage) -> HTMLResponse:
    """One dead letter: its reason and raw payload, a correction form (replay it corrected), a
    dismiss form, and what was done with it so far."""
    with db.session() as s:
        d = s.get(DeadLetter, dead_letter_id)
        if d is None:
            raise HTTPException(404, "no such dead letter")
        return dead_letter_page(request, who, d, s)


@router.post("/ui/dead-letters/{dead_letter_id}/replay", response_model=None)
def replay_page(
    request: Request,
    dead_letter_id: str,
    db: Db,
    who: DeadLetterPage,
    csrf: str = Form(""),
    event: str = Form(""),
) -> Response:
    """Replay as it is (no ``event``) or corrected (``event``: the corrected event's JSON). A refusal
    shows the dead letter's page with the reason (status 422), the correction kept for editing."""
    check_csrf(request, csrf)
    with db.session() as s:
        d = s.get(DeadLetter, dead_letter_id)
        if d is None:
            raise HTTPException(404, "no such dead letter")
        result = replay_dead_letter(s, d, event if event.strip() else None, actor=who.actor)
        if result.error:
            return dead_letter_page(
                request, who, d, s, error=result.error, correction=event or None, status=422
            )
    query = urlencode({"replayed": result.event_id, "what": result.what})
    return RedirectResponse(f"/ui/ops?{query}", status_code=303)


@router.post("/ui/dead-letters/{dead_letter_id}/dismiss", response_model=None)
def dismiss_page(
    request: Request,
    dead_letter_id: str,
    db: Db,
    who: DeadLetterPage,
    csrf: str = Form(""),
    reason: str = Form(""),
) -> Response:
    check_csrf(request, csrf)
    with db.session() as s:
        d = s.get(DeadLetter, dead_letter_id)
        if d is None:
            raise HTTPException(404, "no such dead letter")
        if not reason.strip():
            return dead_letter_page(request, who, d, s, error="a dismissal needs a reason", status=422)
        dismiss_dead_letter(s, d, actor=who.actor, reason=reason)
    return RedirectResponse(f"/ui/ops?dismissed={dead_letter_id}", status_code=303)
