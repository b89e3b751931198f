"""``triggerwatch tokens create|list|revoke``: API tokens for the web app and the API."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select

from triggerwatch.core.db import ApiToken, Database, utcnow
from triggerwatch.core.settings import BaseServiceSettings, load
from triggerwatch.web.auth import Role, create_token

tokens_app = typer.Typer(no_args_is_help=True, help="API tokens (roles rep, admin, ops, crm).")
out = Console(soft_wrap=True)


def _db() -> Database:
    settings: BaseServiceSettings = load(BaseServiceSettings)
    db = Database(settings.database.url)
    db.upgrade()
    return db


@tokens_app.command("create")
def create(
    role: Annotated[Role, typer.Option(help="rep, admin, ops or crm")],
    name: Annotated[str, typer.Option(help="who or what uses it (e.g. the rep's e-mail)")],
) -> None:
    """Create a token and print it once (only its SHA-256 is stored)."""
    with _db().session() as s:
        row, token = create_token(s, role=role, name=name)
        token_id = row.token_id
    out.print(f"token id: {token_id}  role: {role.value}  name: {name}")
    out.print(token, highlight=False)


@tokens_app.command("list")
def list_tokens() -> None:
    """List tokens (never their values)."""
    with _db().session() as s:
        rows = s.scalars(select(ApiToken).order_by(ApiToken.created_at)).all()
    for r in rows:
        state = f"revoked {r.revoked_at.isoformat()}" if r.revoked_at else "active"
        used = r.last_used_at.isoformat() if r.last_used_at else "never used"
        out.print(f"{r.token_id}  {r.role:<5}  {r.name}  {state}  {used}", highlight=False)


@tokens_app.command("revoke")
def revoke(token_id: str) -> None:
    """Revoke a token by its id (it stops working at once)."""
    with _db().session() as s:
        row = s.get(ApiToken, token_id)
        if row is None:
            out.print(f"no token {token_id}")
            raise typer.Exit(1)
        row.revoked_at = row.revoked_at or utcnow()
    out.print(f"revoked {token_id}")
