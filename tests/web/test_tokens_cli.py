from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import package_file
from triggerwatch.cli import app
from triggerwatch.core.db import Database
from triggerwatch.core.settings import WebSettings
from triggerwatch.web.app import create_app

REPO = Path(__file__).resolve().parents[2]


def test_tokens_create_list_revoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    monkeypatch.setenv("TRIGGERWATCH_DATABASE__URL", url)
    runner = CliRunner()
    created = runner.invoke(app, ["tokens", "create", "--role", "crm", "--name", "hubspot"])
    assert created.exit_code == 0, created.output
    token_id = re.search(r"token id: ([0-9a-f]{16})", created.output)
    token = re.search(r"(tw_[A-Za-z0-9_-]{40,})", created.output)
    assert token_id and token
    assert runner.invoke(app, ["tokens", "create", "--role", "boss", "--name", "x"]).exit_code != 0
    listed = runner.invoke(app, ["tokens", "list"]).output
    assert token_id.group(1) in listed and "crm" in listed and "hubspot" in listed
    assert token.group(1) not in listed
    client = TestClient(create_app(WebSettings(), Database(url), silence_watch=False))
    auth = {"Authorization": f"Bearer {token.group(1)}"}
    assert client.get("/api/v1/triggers", headers=auth).status_code == 200
    assert runner.invoke(app, ["tokens", "revoke", token_id.group(1)]).exit_code == 0
    assert client.get("/api/v1/triggers", headers=auth).status_code == 401
    assert "revoked" in runner.invoke(app, ["tokens", "list"]).output
    assert runner.invoke(app, ["tokens", "revoke", "0000000000000000"]).exit_code == 1


def test_grafana_dashboard_uses_exported_series() -> None:
    dash = json.loads((REPO / "deploy" / "grafana" / "triggerwatch-dashboard.json").read_text())
    exprs = " ".join(t["expr"] for p in dash["panels"] for t in p["targets"])
    web_src = package_file("triggerwatch.web", "metrics.py").read_text()
    streams_src = package_file("triggerwatch.core", "streams.py").read_text()
    for name in set(re.findall(r"triggerwatch_[a-z_]+", exprs)):
        base = re.sub(r"_(bucket|count|sum)$", "", name)
        assert f'"{base}"' in web_src or f'"{base}"' in streams_src, name
