"""``triggerwatch objections add|list|remove`` and ``triggerwatch retention run`` on a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from triggerwatch.cli import app


def test_objections_cli_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIGGERWATCH_DATABASE__URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    added = runner.invoke(
        app, ["objections", "add", "business_id", "02462460", "--reason", "phone 2026-12-01"]
    )
    assert added.exit_code == 0 and "added: business_id 02462460" in added.output
    again = runner.invoke(app, ["objections", "add", "business_id", "0246246-0"])
    assert "already registered" in again.output
    assert runner.invoke(app, ["objections", "add", "person", "Maija Meikäläinen"]).exit_code == 0
    listed = [line.split() for line in runner.invoke(app, ["objections", "list"]).output.splitlines()]
    assert listed[0][:2] == ["business_id", "02462460"] and listed[0][-1] == "2026-12-01"
    assert listed[1][:3] == ["person", "Maija", "Meikäläinen"]
    bad = runner.invoke(app, ["objections", "add", "business_id", "1234567-8"])
    assert bad.exit_code != 0 and "not a valid Finnish business ID" in bad.output
    assert runner.invoke(app, ["objections", "remove", "person", "maija  meikäläinen"]).exit_code == 0
    assert runner.invoke(app, ["objections", "remove", "person", "Nobody"]).exit_code == 1
    purged = runner.invoke(app, ["retention", "run", "--days", "30"])
    assert purged.exit_code == 0 and "purged: 0 events, 0 alerts, 0 decisions" in purged.output
