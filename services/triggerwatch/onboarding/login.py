"""Where the web UI is, whether it answers yet, and a login for the demo's own database."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from triggerwatch.core.db import ApiToken, Database
from triggerwatch.core.settings import WebSettings
from triggerwatch.web.auth import Role, create_token

DEMO_ADMIN = "demo admin (local demo database)"


def ui_url(settings: WebSettings) -> str:
    host = "127.0.0.1" if settings.web_host in ("0.0.0.0", "::", "") else settings.web_host
    return f"http://{host}:{settings.web_port}/"


def web_ready(url: str, timeout_s: float = 0.2) -> bool:
    """True once the web service answers ``/ready`` (its database is reachable)."""
    try:
        return httpx.get(url.rstrip("/") + "/ready", timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return False


def demo_login(db: Database) -> str:
    """A fresh admin token for the demo's database (the demo's database is made anew each run; any
    earlier demo token there is revoked, so only the printed one works)."""
    from triggerwatch.core.db import utcnow

    with db.session() as s:
        for old in s.scalars(
            select(ApiToken).where(ApiToken.name == DEMO_ADMIN, ApiToken.revoked_at.is_(None))
        ):
            old.revoked_at = utcnow()
        _row, token = create_token(s, role=Role.ADMIN, name=DEMO_ADMIN)
    return token
