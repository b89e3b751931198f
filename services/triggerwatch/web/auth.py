"""API tokens with roles: created by the CLI, stored hashed (SHA-256 of 32 random bytes), checked per request.

A request authenticates with ``Authorization: Bearer <token>`` (API clients) or with the signed session
cookie set by the UI's login form (browsers). The cookie carries a random session id whose SHA-256
is a row of ``web_sessions``: logging out, the session's expiry or revoking the token ends it on
the server, whatever copy of the cookie is left. Each endpoint names the roles it admits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from fastapi import HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from triggerwatch.core.db import ApiToken, Database, WebSession, utcnow

TOKEN_PREFIX = "tw_"
SESSION_LIFETIME = timedelta(hours=12)


class Role(StrEnum):
    REP = "rep"
    ADMIN = "admin"
    OPS = "ops"
    CRM = "crm"


@dataclass(frozen=True)
class Principal:
    token_id: str
    name: str
    role: Role
    by_session: bool = False  # authenticated by the UI's session cookie (writes then need CSRF)

    @property
    def actor(self) -> str:
        """Who did something, for audit records: the token's name and id."""
        return f"{self.name} [{self.token_id}]"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, *, role: Role, name: str) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the clear token (shown once, never stored)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(token_id=secrets.token_hex(8), name=name, role=role.value, token_hash=hash_token(token))
    session.add(row)
    session.flush()
    return row, token


def verify_token(session: Session, token: str) -> Principal | None:
    if not token:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return None
    row.last_used_at = utcnow()
    return Principal(row.token_id, row.name, Role(row.role))


def principal_by_id(session: Session, token_id: str) -> Principal | None:
    row = session.get(ApiToken, token_id)
    if row is None or row.revoked_at is not None:
        return None
    return Principal(row.token_id, row.name, Role(row.role))


def start_session(session: Session, principal: Principal) -> str:
    """A new server-side UI session for ``principal``; returns the session id for the cookie."""
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        WebSession(
            session_hash=hash_token(sid),
            token_id=principal.token_id,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    return sid


def end_session(session: Session, sid: str) -> None:
    row = session.get(WebSession, hash_token(sid))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def session_principal(session: Session, sid: str, token_id: str) -> Principal | None:
    """The principal of a live UI session: not logged out, not expired, its token not revoked."""
    row = session.get(WebSession, hash_token(sid))
    if row is None or row.revoked_at is not None or row.token_id != token_id or row.expires_at <= utcnow():
        return None
    principal = principal_by_id(session, token_id)
    return Principal(principal.token_id, principal.name, principal.role, True) if principal else None


def current_principal(request: Request, db: Database) -> Principal | None:
    header = request.headers.get("authorization", "")
    with db.session() as s:
        if header.lower().startswith("bearer "):
            return verify_token(s, header[7:].strip())
        cookie = request.session if "session" in request.scope else {}
        sid, token_id = cookie.get("sid"), cookie.get("token_id")
        if sid and token_id:
            return session_principal(s, str(sid), str(token_id))
    return None


def require(request: Request, db: Database, roles: frozenset[Role]) -> Principal:
    principal = current_principal(request, db)
    if principal is None:
        raise HTTPException(401, "authentication required", headers={"WWW-Authenticate": "Bearer"})
    if principal.role not in roles:
        raise HTTPException(403, f"role {principal.role.value} may not do this")
    return principal


# Who may do what (the table the auth tests walk through).
READ_ALERTS = frozenset({Role.REP, Role.ADMIN})
FEEDBACK = frozenset({Role.REP, Role.ADMIN})
READ_COMPANIES = frozenset({Role.REP, Role.ADMIN})
READ_TARGETS = frozenset({Role.REP, Role.ADMIN})
READ_SOURCES = frozenset({Role.ADMIN, Role.OPS})
DEAD_LETTERS = frozenset({Role.ADMIN, Role.OPS})
OPS_VIEW = frozenset({Role.ADMIN, Role.OPS})
CRM_PULL = frozenset({Role.CRM, Role.ADMIN})
