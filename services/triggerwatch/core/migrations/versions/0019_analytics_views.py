"""analytics views: read-only v_alerts, v_events, v_company_scores, v_target_groups, v_feedback, v_deliveries

Revision ID: 0019_analytics_views
Revises: 0018_source_checks
Create Date: 2026-12-05

For Power BI, Excel and ``triggerwatch export`` (docs/analytics.md). The views carry no free text
that could name a person (no titles, notes or "what happened"), and leave out every company in the
objection register (business-ID entries) and the ops alerts. Written for PostgreSQL, SQLite and
SQL Server: only the JSON look-ups into the alert payload differ.
"""

from __future__ import annotations

from alembic import op

revision = "0019_analytics_views"
down_revision = "0018_source_checks"
branch_labels = None
depends_on = ("0008_matching",)  # the objections table

VIEWS = ("v_alerts", "v_events", "v_company_scores", "v_target_groups", "v_feedback", "v_deliveries")


def _json(dialect: str, column: str, path: str, *, number: bool = False) -> str:
    """The value at ``path`` (``routing.owner``) of a JSON column, as text or as a number."""
    if dialect == "postgresql":
        *parents, leaf = path.split(".")
        expr = f"({column}" + "".join(f" -> '{p}'" for p in parents) + f" ->> '{leaf}')"
        return f"CAST({expr} AS DOUBLE PRECISION)" if number else expr
    if dialect == "mssql":
        expr = f"JSON_VALUE({column}, '$.{path}')"
        return f"CAST({expr} AS FLOAT)" if number else expr
    expr = f"json_extract({column}, '$.{path}')"  # SQLite
    return f"CAST({expr} AS REAL)" if number else f"CAST({expr} AS TEXT)"


def _not_objected(column: str) -> str:
    return f"NOT EXISTS (SELECT 1 FROM objections o WHERE o.kind = 'business_id' AND o.value_key = {column})"


def view_sql(dialect: str) -> dict[str, str]:
    def j(path: str, *, number: bool = False) -> str:
        return _json(dialect, "a.payload", path, number=number)

    return {
        "v_alerts": f"""
SELECT a.alert_id, a.event_id, a.created_at, e.occurred_at, e.source, a.business_id,
       c.name AS company_name, c.region, c.industry_code, a.kind, a.product_group,
       {j("target_group_id")} AS target_group_id, a.score,
       {j("priority_score", number=True)} AS priority_score,
       a.priority, {j("routing.owner")} AS owner, {j("revision", number=True)} AS revision,
       {j("confidence", number=True)} AS confidence
FROM alerts a
LEFT JOIN events e ON e.event_id = a.event_id
LEFT JOIN companies c ON c.business_id = a.business_id
WHERE a.kind <> 'ops' AND {_not_objected("a.business_id")}""",
        "v_events": f"""
SELECT e.event_id, e.source, e.kind, e.business_id, c.name AS company_name, e.occurred_at,
       e.observed_at, e.processed_at, e.created_at
FROM events e
LEFT JOIN companies c ON c.business_id = e.business_id
WHERE e.business_id IS NULL OR {_not_objected("e.business_id")}""",
        "v_company_scores": f"""
SELECT s.business_id, c.name AS company_name, c.region, c.industry_code, c.company_form,
       s.product_group, s.target_group_id, s.score, s.rule_path, t.expected_value, s.scored_at
FROM company_scores s
LEFT JOIN companies c ON c.business_id = s.business_id
LEFT JOIN target_groups t ON t.target_group_id = s.target_group_id
WHERE {_not_objected("s.business_id")}""",
        "v_target_groups": """
SELECT t.target_group_id, t.product_group, t.rule, t.rule_fi, t.expected_value, t.size,
       (SELECT COUNT(*) FROM company_scores s WHERE s.target_group_id = t.target_group_id)
         AS scored_companies,
       t.updated_at
FROM target_groups t""",
        "v_feedback": f"""
SELECT f.id AS feedback_id, f.alert_id, f.label, f.given_by, f.business_id, f.kind, f.product_group,
       f.score, f.target_group_id, f.priority, f.created_at
FROM feedback f
WHERE {_not_objected("f.business_id")}""",
        "v_deliveries": f"""
SELECT d.alert_id, d.sink, d.status, d.attempts, d.last_error, d.created_at, d.delivered_at,
       a.business_id, a.kind, a.product_group, a.priority
FROM deliveries d
LEFT JOIN alerts a ON a.alert_id = d.alert_id
WHERE a.business_id IS NULL OR (a.kind <> 'ops' AND {_not_objected("a.business_id")})""",
    }


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    for name, sql in view_sql(dialect).items():
        op.execute(f"CREATE VIEW {name} AS{sql}")


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW {name}")
