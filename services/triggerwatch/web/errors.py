"""Errors as pages: a page of the UI that fails (404, 403, 422, 500) answers with a page in the
session's language, with the navigation and a way on; the API, ``/metrics`` and the health pages
keep their JSON."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from triggerwatch.web import auth
from triggerwatch.web.deps import TEMPLATES, context, csrf_token, display
from triggerwatch.web.i18n import translator

log = logging.getLogger(__name__)

MACHINE_PATHS = (
    "/api/",
    "/metrics",
    "/health",
    "/ready",
    "/openapi.json",
    "/docs",
    "/swagger-ui",
    "/static/",
)


def wants_page(request: Request) -> bool:
    """A UI page (``/ui/…``, ``/``, ``/login``), or any path but the machines' asked for as HTML."""
    path = request.url.path
    if path.startswith(MACHINE_PATHS):
        return False
    return (
        path.startswith("/ui/")
        or path in ("/", "/login", "/logout")
        or ("text/html" in request.headers.get("accept", ""))
    )


def error_page(request: Request, status: int, detail: str | None = None) -> HTMLResponse:
    has_session = "session" in request.scope  # a 500 is answered outside the session middleware
    lang = request.session.get("lang", "en") if has_session else "en"
    who = None
    if has_session:
        try:
            who = auth.current_principal(request, context(request).db)
        except Exception:  # the database may be why it failed
            log.debug("no principal for the error page", exc_info=True)
    return TEMPLATES.TemplateResponse(
        request,
        "error.html",
        {
            "t": translator(lang),
            "lang": lang,
            "who": who,
            "csrf": csrf_token(request) if has_session else "",
            "d": display(request, lang),
            "status": status,
            "detail": detail,
        },
        status_code=status,
    )


def install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not wants_page(request):
            return await http_exception_handler(request, exc)
        response = error_page(request, exc.status_code, str(exc.detail) if exc.detail else None)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if not wants_page(request):
            return await request_validation_exception_handler(request, exc)
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg')}" for e in exc.errors()
        )
        return error_page(request, 422, problems)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        if not wants_page(request):
            return PlainTextResponse("Internal Server Error", status_code=500)
        return error_page(request, 500)
