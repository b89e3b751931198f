"""``triggerwatch backtest`` on a known history (tests/analytics/conftest.py) and on the recordings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.analytics.conftest import DIGIA, KELA, VALMET, Filled, fill
from tests.conftest import RECORDINGS
from triggerwatch.analytics.backtest import Scenario, run, summary
from triggerwatch.core.db import Alert, Database, Delivery, Event, NotificationDecision
from triggerwatch.core.rules import RuleSet, load_rules
from triggerwatch.core.settings import CONFIG_DIR

NOVEMBER = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))


def proposal() -> dict[str, Any]:
    """The rules in force, with a ten-day cooldown and Kela owned by rep-anna."""
    data = load_rules(CONFIG_DIR / "rules.yaml").model_dump(mode="json")
    data["cooldown_hours"] = 240
    data["routing"]["by_business_id"] = {KELA: "rep-anna"}
    return data


def counts(db: Database) -> tuple[int, ...]:
    with db.session() as s:
        return tuple(
            int(s.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Alert, Delivery, Event, NotificationDecision)
        )


def test_backtest_replays_the_history_and_compares_a_proposal(filled: Filled) -> None:
    db = filled.db
    before = counts(db)
    rules = load_rules(CONFIG_DIR / "rules.yaml")
    result = run(
        db,
        *NOVEMBER,
        Scenario("in_force", rules, "rules.yaml"),
        Scenario("proposed", RuleSet.model_validate(proposal()), "proposed.yaml"),
    )
    assert counts(db) == before  # nothing written to the real database, nothing delivered
    with db.session() as s:
        real = {a.alert_id: a.business_id for a in s.scalars(select(Alert))}
    # the rules in force reproduce the worker's own alerts (deterministic ids), objections withheld
    assert set(result.in_force.alerts) | set(result.in_force.withheld) == set(real)
    assert sorted(real[a] for a in result.in_force.withheld) == [DIGIA, VALMET]
    assert sorted(real[a] for a in result.in_force.alerts) == sorted([KELA, KELA, KELA, DIGIA])
    out = summary(result)
    assert out["events"] == 6 and out["delivered"] == 0
    in_force, proposed = out["scenarios"]["in_force"], out["scenarios"]["proposed"]
    assert in_force["alerts"] == 4 and in_force["withheld_for_objection"] == 2
    assert in_force["feedback"] == {"with_feedback": 2, "useful": 1, "useful_share": 0.5}
    assert in_force["per_rep_week"] == [
        {"owner": "sales-team", "week": "2026-W45", "alerts": 2},
        {"owner": "sales-team", "week": "2026-W46", "alerts": 1},
        {"owner": "sales-team", "week": "2026-W47", "alerts": 1},
    ]
    assert {(r["kind"], r["product_group"], r["alerts"]) for r in in_force["per_kind_product_group"]} == {
        ("recruitment", "it-services", 3),
        ("recruitment", "recruitment-services", 1),
    }
    # the ten-day cooldown holds back Kela's second ad (the one reps found not useful) and Digia's
    assert proposed["alerts"] == 3 and proposed["suppressed"] == 2 and proposed["withheld_for_objection"] == 1
    assert proposed["feedback"] == {"with_feedback": 1, "useful": 1, "useful_share": 1.0}
    assert {"owner": "rep-anna", "week": "2026-W47", "alerts": 1} in proposed["per_rep_week"]
    diff = out["difference"]
    assert (diff["alerts"], diff["only_in_force"], diff["only_proposed"], diff["in_both"]) == (-1, 1, 0, 3)
    assert {
        "kind": "recruitment",
        "product_group": "it-services",
        "in_force": 3,
        "proposed": 2,
        "change": -1,
    } in diff["per_kind_product_group"]


def test_backtest_command_writes_the_report_and_replays_recordings(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from triggerwatch.cli import app

    fill(sqlite_db)
    monkeypatch.setenv("TRIGGERWATCH_DATABASE__URL", sqlite_db.url)
    proposed = tmp_path / "proposed.yaml"
    proposed.write_text(yaml.safe_dump(proposal(), allow_unicode=True), encoding="utf-8")
    report = tmp_path / "bt.html"
    args = [
        "backtest",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--rules",
        str(proposed),
        "--out",
        str(report),
    ]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "bt.json").read_text(encoding="utf-8"))
    assert json.loads(result.stdout) == data
    assert data["difference"]["alerts"] == -1
    html = report.read_text(encoding="utf-8")
    assert html.count("<svg") == 2 and "Alerts per rep and week" in html and "rep-anna" in html
    assert "1 / 2 (50 %)" in html  # marked useful where reps gave feedback

    # recordings instead of stored events: the shipped 2014 TE job feed has Kela's ad of 14 May 2014
    recorded = run(
        sqlite_db,
        datetime(2014, 5, 1, tzinfo=UTC),
        datetime(2014, 6, 1, tzinfo=UTC),
        Scenario("in_force", load_rules(CONFIG_DIR / "rules.yaml"), "rules.yaml"),
        None,
        recordings=RECORDINGS,
        sources_file=CONFIG_DIR / "sources.yaml",
    )
    assert recorded.source == str(RECORDINGS) and recorded.events > 0
    [kela] = [a for a in recorded.in_force.alerts.values() if a.company.business_id == KELA]
    assert kela.created_at == kela.occurred_at  # replayed as if observed when it happened
    bad = CliRunner().invoke(app, ["backtest", "--from", "2026-12-01", "--to", "2026-11-01"])
    assert "--to must be after --from" in str(bad.exception)
    empty = CliRunner().invoke(app, ["backtest", "--from", "2030-01-01", "--to", "2030-01-31"])
    assert str(empty.exception).startswith("no stored event happened between 2030-01-01 00:00")
