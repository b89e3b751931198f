from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.conftest import FIXTURES
from triggerwatch.cli import app
from triggerwatch.core.db import Company, Database


def test_registry_load_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    monkeypatch.setenv("TRIGGERWATCH_DATABASE__URL", url)
    path = FIXTURES / "registry" / "ytj_v3_companies_businessId_0112038-9.json"
    result = CliRunner().invoke(app, ["registry", "load", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "1 records: 1 new, 0 updated, 0 unchanged, 0 dead-lettered, 0 events" in result.stdout
    assert "Lähde: Patentti- ja rekisterihallitus (PRH), CC BY 4.0" in result.stderr
    db = Database(url)
    with db.session() as s:
        row = s.scalars(select(Company)).one()
        assert (row.business_id, row.region_code, row.industry_section) == ("0112038-9", "01", "N")
    db.dispose()
    missing = CliRunner().invoke(app, ["registry", "load", str(tmp_path / "nope.zip")])
    assert missing.exit_code != 0
