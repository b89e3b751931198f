"""``/health`` (the process answers), ``/ready`` (the database answers) and ``/metrics``."""

from __future__ import annotations

from importlib.metadata import version
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import text

from triggerwatch.web import auth
from triggerwatch.web.auth import Principal
from triggerwatch.web.deps import Db, api_role

router = APIRouter()
VERSION = version("triggerwatch")


@router.get("/health")
def health() -> dict[str, Any]:
    return {"status": "ok", "version": VERSION}


@router.get("/ready")
def ready(db: Db) -> Response:
    try:
        with db.session() as s:
            s.execute(text("SELECT 1"))
    except Exception as exc:
        return JSONResponse({"status": "not_ready", "database": repr(exc)}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics")
def metrics(request: Request, _: Annotated[Principal, Depends(api_role(auth.OPS_VIEW))]) -> Response:
    registry: CollectorRegistry = request.app.state.metrics
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
