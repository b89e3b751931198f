"""Dynamics 365: the task is assigned to the owning rep's Dynamics user (local stand-in server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from triggerwatch.core.contracts import AlertV1, Routing
from triggerwatch.core.errors import ConfigError
from triggerwatch.core.rules import load_rules
from triggerwatch.core.settings import NotifierSettings
from triggerwatch.notifier.sinks.dynamics import DynamicsSink
from triggerwatch.notifier.sinks.table import build_sinks

from .conftest import StubServer

ANNA = "6f3c2a10-8d4e-4b5a-9c7d-1e2f3a4b5c6d"
JSON = {"Content-Type": "application/json"}
RULES = """
rules: [{kind: recruitment, product_groups: ["*"], why: {en: w, fi: w}, next_step: {en: n, fi: n}}]
routing: {reps: {rep-anna: {email: anna@example.fi, dynamics_systemuser_id: %s}, rep-ville: {}}}
"""


def sink_for(crm_server: StubServer, tmp_path: Path) -> DynamicsSink:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES % ANNA)
    root = crm_server.url.split("/hook/")[0]
    settings = NotifierSettings(
        sinks=["dynamics"],
        rules_file=rules,
        dynamics_api_url=f"{root}/api/data/v9.2",
        dynamics_token_url=f"{root}/token",
        dynamics_client_id="app",
        dynamics_client_secret="app-secret-value",  # type: ignore[arg-type]
        dynamics_scope="https://org.crm4.dynamics.com/.default",
    )
    [sink] = build_sinks(settings)
    assert isinstance(sink, DynamicsSink)
    return sink


async def test_the_task_is_assigned_to_the_owning_reps_dynamics_user(
    alert: AlertV1, crm_server: StubServer, tmp_path: Path
) -> None:
    sink = sink_for(crm_server, tmp_path)
    crm_server.reply(200, '{"access_token": "tok", "expires_in": 3600}', JSON)
    for owner in ("rep-anna", "rep-ville"):
        crm_server.reply(200, '{"value": [{"accountid": "11111111-2222-3333-4444-555555555555"}]}', JSON)
        crm_server.reply(204, "")
        owned = alert.model_copy(update={"routing": Routing(owner=owner)})
        await sink.send(owned, f"{alert.alert_id}:dynamics")
    _token, _lookup, anna, _lookup2, ville = crm_server.requests
    body = json.loads(anna.body)
    assert anna.path.startswith("/api/data/v9.2/tasks(") and anna.method == "PATCH"  # a create-only upsert
    assert body["ownerid@odata.bind"] == f"/systemusers({ANNA})"
    assert "owner in triggerwatch: rep-anna" in body["description"]
    unmapped = json.loads(ville.body)  # no Dynamics user: stays with the application user, named
    assert (
        "ownerid@odata.bind" not in unmapped and "owner in triggerwatch: rep-ville" in unmapped["description"]
    )
    await sink.aclose()


def test_a_systemuser_id_must_be_a_guid(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES % "anna')/evil")
    with pytest.raises(ConfigError, match="dynamics_systemuser_id"):
        load_rules(rules)
