"""What every route depends on, given through FastAPI ``Depends``: the service's context (database,
clock, expected source intervals, rules), the caller's role, the UI's session and CSRF token, and
page rendering."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from triggerwatch.core.db import Database
from triggerwatch.core.rules import RuleSet
from triggerwatch.web import auth
from triggerwatch.web.auth import Principal, Role
from triggerwatch.web.display import Display
from triggerwatch.web.i18n import translator

TEMPLATES_DIR = str(resources.files("triggerwatch.web").joinpath("templates"))


@dataclass(frozen=True)
class WebContext:
    """The web service's shared state, built once by ``create_app`` and kept on ``app.state``."""

    db: Database
    clock: Callable[[], datetime]
    expected: dict[str, float]  # source → expected interval (s), for freshness and the watchdog
    rules: dict[str, Any] = field(default_factory=dict)  # the rules the worker applies (read-only)
    stream_services: Sequence[tuple[str, str]] = ()  # (name, /metrics URL): worker, notifier
    ruleset: RuleSet | None = None  # the same rules as a model: names of product groups, texts
    stall_after_s: float = 300.0  # a stage whose oldest waiting item waited this long is stalled


def context(request: Request) -> WebContext:
    web: WebContext = request.app.state.web
    return web


def database(request: Request) -> Database:
    return context(request).db


Ctx = Annotated[WebContext, Depends(context)]
Db = Annotated[Database, Depends(database)]


# Declares the bearer token in the OpenAPI schema (Swagger UI's "Authorize" takes it); the check
# itself is ``auth.require``, which also admits the UI's session cookie.
BEARER = HTTPBearer(auto_error=False, description="An API token: `triggerwatch tokens create`")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


def api_role(roles: frozenset[Role]) -> Callable[..., Principal]:
    """An API route's caller (bearer token or the UI's session), admitted only with one of ``roles``.
    A write by session cookie needs the session's CSRF token in the ``X-CSRF-Token`` header (a
    bearer token cannot be sent by another site, a cookie can)."""

    def dependency(
        request: Request, db: Db, _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]
    ) -> Principal:
        principal = auth.require(request, db, roles)
        if principal.by_session and request.method not in SAFE_METHODS:
            check_csrf(request, request.headers.get(CSRF_HEADER, ""))
        return principal

    return dependency


class LoginRequired(Exception):
    """A page asked for without a login: the app redirects to ``/login``."""


def page_role(roles: frozenset[Role]) -> Callable[..., Principal]:
    """A UI page's logged-in user, admitted only with one of ``roles``."""

    def dependency(request: Request, db: Db) -> Principal:
        principal = auth.current_principal(request, db)
        if principal is None:
            raise LoginRequired()
        if principal.role not in roles:
            raise HTTPException(403, f"role {principal.role.value} may not see this page")
        return principal

    return dependency


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


TEMPLATES = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml", "svg"], default_for_string=True),
    )
)


def display(request: Request, lang: str) -> Display:
    web = context(request)
    return Display(lang, web.clock(), web.ruleset or RuleSet.model_validate(web.rules))


def render(
    request: Request, name: str, who: Principal | None, *, status_code: int = 200, **ctx: Any
) -> HTMLResponse:
    """A page in the session's language, with the CSRF token every form needs and ``d`` (times,
    names and texts as people read them: ``display.py``)."""
    lang = request.session.get("lang", "en")
    return TEMPLATES.TemplateResponse(
        request,
        name,
        {
            "t": translator(lang),
            "lang": lang,
            "who": who,
            "csrf": csrf_token(request),
            "d": display(request, lang),
            **ctx,
        },
        status_code=status_code,
    )
