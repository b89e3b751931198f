"""``/health`` (the process answers), ``/ready`` (the database answers and no stage is stalled) and
``/metrics``."""

from __future__ import annotations

from importlib.metadata import version
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import text

from triggerwatch.web import auth
from triggerwatch.web.auth import Principal
from triggerwatch.web.deps import Ctx, api_role
from triggerwatch.web.ops_queries import stalled_stages

router = APIRouter()
VERSION = version("triggerwatch")


@router.get("/health")
def health() -> dict[str, Any]:
    return {"status": "ok", "version": VERSION}


@router.get("/ready")
def ready(ctx: Ctx) -> Response:
    """503 when the database does not answer, or when a stage of the pipeline is stalled (its oldest
    waiting item has waited ``TRIGGERWATCH_STALL_AFTER_S``): relay, worker or notifier."""
    try:
        with ctx.db.session() as s:
            s.execute(text("SELECT 1"))
            stalled = stalled_stages(s, ctx.clock(), ctx.stall_after_s)
    except Exception as exc:
        return JSONResponse({"status": "not_ready", "database": repr(exc)}, status_code=503)
    if stalled:
        return JSONResponse({"status": "stalled", "stalled": stalled}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics")
def metrics(request: Request, _: Annotated[Principal, Depends(api_role(auth.OPS_VIEW))]) -> Response:
    registry: CollectorRegistry = request.app.state.metrics
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
