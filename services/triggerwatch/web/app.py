"""The web service: the API (``/api/v1``, OpenAPI at ``/openapi.json``), the UI, ``/health``,
``/ready`` and ``/metrics`` over the shared database, and the silent-source watchdog.

``create_app`` builds the service's context once (database, clock, expected source intervals, the
rules) and keeps it on ``app.state``; the routers (``api``, ``ui``, ``health``) are module-level and
take what they need through FastAPI ``Depends`` (``deps.py``).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from importlib import resources

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry
from starlette.middleware.sessions import SessionMiddleware

from triggerwatch.core.db import Database, utcnow
from triggerwatch.core.rules import load_rules
from triggerwatch.core.settings import WebSettings
from triggerwatch.core.sources import read_source_configs
from triggerwatch.web import api, health, ui
from triggerwatch.web.deps import LoginRequired, WebContext
from triggerwatch.web.errors import error_page, install_error_pages, wants_page
from triggerwatch.web.metrics import DatabaseMetrics
from triggerwatch.web.queries import BadCursor
from triggerwatch.web.security import SWAGGER_UI_PATH, SecurityHeaders, docs_router, swagger_ui_files
from triggerwatch.web.watchdog import SilenceWatch


def expected_intervals(settings: WebSettings) -> dict[str, float]:
    """Each enabled source's expected interval: declared, else its configured schedule's interval
    (a source with neither, polled on its collector type's default schedule, is not watched)."""
    out: dict[str, float] = {}
    for name, config in read_source_configs(
        settings.sources_file, replay=settings.replay_dir is not None
    ).items():
        interval = config.expected_interval()
        if interval:
            out[name] = interval
    return out


def create_app(
    settings: WebSettings,
    db: Database | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    expected: dict[str, float] | None = None,
    silence_watch: bool | None = None,
) -> FastAPI:
    """The web app. ``clock`` and ``expected`` (intervals per source) are injectable for tests;
    the silent-source watchdog runs in the background unless ``silence_watch`` is False."""
    ruleset = load_rules(settings.rules_file)
    web = WebContext(
        db=db or Database(settings.database.url),
        clock=clock,
        expected=expected if expected is not None else expected_intervals(settings),
        rules=ruleset.model_dump(mode="json"),  # read-only: what the worker applies
        stream_services=tuple(settings.stream_services()),
        ruleset=ruleset,
        stall_after_s=settings.stall_after_s,
    )
    registry = CollectorRegistry()
    registry.register(DatabaseMetrics(web.db, web.expected, clock, settings.stall_after_s))  # type: ignore[arg-type]
    run_watch = settings.silent_check_interval_s > 0 if silence_watch is None else silence_watch

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        ui.warm_up()  # scoring's offers for the company page, imported in the background
        watch = SilenceWatch(web.db, web.expected, settings.silent_check_interval_s or 60.0, clock)
        if run_watch:
            watch.start()
        try:
            yield
        finally:
            if run_watch:
                watch.close()

    app = FastAPI(
        title="triggerwatch",
        version=health.VERSION,
        lifespan=lifespan,
        docs_url=None,  # served by web/security.py from the swagger-ui-bundle package, not a CDN
        redoc_url=None,
        description="Sales triggers: alerts, companies, target groups, sources, dead letters, feedback, "
        "CRM pull. Authenticate with `Authorization: Bearer <token>` (`triggerwatch tokens create`).",
    )
    app.state.web = web
    app.state.metrics = registry
    secret = (
        settings.web_session_secret.get_secret_value()
        if settings.web_session_secret
        else secrets.token_urlsafe(32)
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="triggerwatch_session",
        max_age=12 * 3600,
        same_site="lax",
        https_only=settings.web_secure_cookies,
    )
    app.add_middleware(SecurityHeaders, hsts=settings.web_secure_cookies)  # outermost: every response
    app.mount(
        "/static",
        StaticFiles(directory=str(resources.files("triggerwatch.web").joinpath("static"))),
        "static",
    )
    app.mount(SWAGGER_UI_PATH, swagger_ui_files(), "swagger-ui")
    app.include_router(docs_router)
    app.include_router(api.router)
    app.include_router(ui.router)
    app.include_router(health.router)

    install_error_pages(app)  # the UI's errors as pages; the API's stay JSON

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(BadCursor)
    async def _bad_cursor(request: Request, exc: BadCursor) -> Response:
        if wants_page(request):
            return error_page(request, 400, f"invalid cursor: {exc}")
        return JSONResponse({"detail": f"invalid cursor: {exc}"}, status_code=400)

    return app
