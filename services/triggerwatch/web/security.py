"""Security headers on every response, and the API docs (Swagger UI) served from this service.

* ``Content-Security-Policy``: scripts, styles, images and requests from this origin only, no
  plugins, no ``<base>``, forms post here only, and no framing (``frame-ancestors 'none'``, with
  ``X-Frame-Options: DENY`` for old browsers). The pages have no inline script or style.
* ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` (alert and company URLs never
  leak to the sites evidence links point to), ``Cross-Origin-Opener-Policy: same-origin``, a
  ``Permissions-Policy`` that turns off what the app never uses, ``Cache-Control: no-store`` on the
  pages and the API (alerts are personal data), and ``Strict-Transport-Security`` behind HTTPS
  (``TRIGGERWATCH_WEB_SECURE_COOKIES=true``).
* ``/docs``: Swagger UI 5 (OpenAPI 3.1) from the ``swagger-ui-py`` package's static files, served
  at ``/swagger-ui/`` (no CDN), with the bearer token taken by its "Authorize" button and kept
  across reloads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from importlib import resources
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Swagger UI (React) sets style attributes on the elements it renders
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
NO_STORE_PREFIXES = ("/api/", "/ui/", "/login", "/logout", "/metrics")
SWAGGER_UI_PATH = "/swagger-ui"


class SecurityHeaders:
    """Pure ASGI middleware: adds the headers above to every HTTP response (streamed ones too)."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        extra = [
            (b"content-security-policy", (DOCS_CSP if path == "/docs" else CSP).encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
        ]
        if path.startswith(NO_STORE_PREFIXES):
            extra.append((b"cache-control", b"no-store"))
        if self.hsts:
            extra.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        names = {name for name, _ in extra}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = headers + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


def swagger_ui_files() -> StaticFiles:
    """The Swagger UI distribution shipped in the ``swagger-ui-py`` package (no import needed)."""
    return StaticFiles(directory=str(resources.files("swagger_ui").joinpath("static")))


docs_router = APIRouter(include_in_schema=False)

DOCS_HTML = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>triggerwatch API</title>
<link rel="stylesheet" href="{SWAGGER_UI_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{SWAGGER_UI_PATH}/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body>
</html>
"""


@docs_router.get("/docs")
def docs(request: Request) -> HTMLResponse:
    """Swagger UI for ``/openapi.json``: "Authorize" takes an API token (sent as a bearer token)."""
    return HTMLResponse(DOCS_HTML)
