"""The seam to the objection register (issue 7): alerts about objected companies or people are skipped.

Until issue 7's ``is_objected(session, alert_payload) -> str | None`` is merged, ``objection_reason``
checks a table named ``objections`` if one exists (columns ``business_id`` and/or ``person_name``)
and otherwise objects to nothing. The lead replaces the body with a call to issue 7's function.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.orm import Session


def objection_reason(session: Session, alert_payload: dict[str, Any]) -> str | None:
    """Why this alert must not leave the system (objection register), or None."""
    # LEAD: after merging issue 7, replace the body with:
    #   from triggerwatch.<issue-7 module> import is_objected
    #   return is_objected(session, alert_payload)
    bind = session.get_bind()
    if not inspect(bind).has_table("objections"):
        return None
    columns = {c["name"] for c in inspect(bind).get_columns("objections")}
    company = (alert_payload.get("company") or {}).get("business_id")
    if company and "business_id" in columns:
        hit = session.execute(
            text("SELECT 1 FROM objections WHERE business_id = :b LIMIT 1"), {"b": company}
        ).first()
        if hit:
            return f"company {company} objected"
    person = alert_payload.get("person_name") or (alert_payload.get("attributes") or {}).get("person_name")
    if person and "person_name" in columns:
        hit = session.execute(
            text("SELECT 1 FROM objections WHERE person_name = :p LIMIT 1"), {"p": person}
        ).first()
        if hit:
            return "named person objected"
    return None
