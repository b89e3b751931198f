"""``triggerwatch init``: empty database → register → customers → scores, the next step told each time;
the readiness the pipeline and the ops data report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from triggerwatch.core.db import Database, SourceCheck
from triggerwatch.core.readiness import readiness
from triggerwatch.scoring import synthetic
from triggerwatch.scoring.features import Codes


def test_init_walks_from_an_empty_database_to_published_scores(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from triggerwatch.cli import app

    monkeypatch.setenv("TRIGGERWATCH_DATABASE__URL", sqlite_db.url)
    customers, companies = synthetic.write_dataset(
        tmp_path, Codes.from_registry(), synthetic.Spec(companies=500, customers=250, seed=7)
    )
    runner = CliRunner()
    with sqlite_db.session() as s:
        empty = readiness(s)
    assert not empty.can_alert and "init --registry" in (empty.warning() or "")

    first = runner.invoke(app, ["init"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "2. company register empty" in first.stdout
    assert "Next: load the register: triggerwatch init --registry https://avoindata.prh.fi/" in first.stdout

    second = runner.invoke(app, ["init", "--registry", str(companies)], catch_exceptions=False)
    assert second.exit_code == 0, second.output
    assert "2. company register 500 companies" in second.stdout
    assert "Next: import your customers: triggerwatch init --customers" in second.stdout

    third = runner.invoke(
        app, ["init", "--customers", str(customers), "--offline-sources"], catch_exceptions=False
    )
    assert third.exit_code == 0, third.output
    assert "4. scores it-services: better than the baseline" in third.stdout
    assert "published for" in third.stdout and "it-services" in third.stdout
    assert "5. sources" in third.stdout and "enabled sources in" in third.stdout
    with sqlite_db.session() as s:  # the check's results are stored for the ops page
        assert s.scalar(select(func.count()).select_from(SourceCheck)) > 0
    assert "Next: make up (or triggerwatch up): the pipeline alerts on the" in third.stdout
    with sqlite_db.session() as s:
        ready = readiness(s)
    assert ready.can_alert and ready.scores > 0 and ready.warning() is None

    again = runner.invoke(app, ["init"], catch_exceptions=False)  # nothing done twice
    assert f"4. scores {ready.scores} published already" in again.stdout
    backtest_a_stored_model(sqlite_db, tmp_path)


def backtest_a_stored_model(db: Database, tmp_path: Path) -> None:
    """``backtest --model RUN``: the stored run's models score the companies of the scratch copy."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from triggerwatch.cli import app
    from triggerwatch.core.contracts import CompanyRef, EventKind, TriggerEventV1
    from triggerwatch.core.db import CompanyScore, ScoringRun
    from triggerwatch.core.outbox import store_events

    at = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
    with db.session() as s:
        product_group = "it-services"  # the synthetic data's planted profitable segment
        run_id = s.scalar(select(ScoringRun.run_id).where(ScoringRun.product_group == product_group))
        top = s.scalars(
            select(CompanyScore.business_id)
            .where(CompanyScore.product_group == product_group)
            .order_by(CompanyScore.score.desc())
            .limit(2)
        ).all()
        store_events(
            s,
            [
                TriggerEventV1.create(
                    source="test-jobs",
                    source_item_id=bid,
                    kind=EventKind.RECRUITMENT,
                    occurred_at=at,
                    observed_at=at,
                    companies=[CompanyRef(business_id=bid)],
                    title="Myyjä",
                )
                for bid in top
            ],
        )
    args = [
        "backtest",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--model",
        run_id,
        "--out",
        str(tmp_path / "b.html"),
    ]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    proposed = json.loads(result.stdout)["scenarios"]["proposed"]
    assert proposed["model"] == run_id and proposed["alerts"] >= 1
    assert {r["product_group"] for r in proposed["per_kind_product_group"]} >= {product_group}
    with db.session() as s:
        assert s.scalar(select(CompanyScore.target_group_id).limit(1)).find(":run-") == -1  # real scores kept


def test_the_ops_data_says_when_there_are_no_scores(sqlite_db: Database) -> None:
    from tests.web.conftest import make_web, seed
    from triggerwatch.web.auth import Role

    web = make_web(sqlite_db)
    try:
        scores = web.client.get("/api/v1/ops/summary", headers=web.as_(Role.OPS)).json()["scores"]
        assert scores["can_alert"] is False and scores["scores"] == 0
        assert scores["warning"].startswith("no target-group scores to match against")
        seed(sqlite_db, [])  # the demo's target groups and scores
        scores = web.client.get("/api/v1/ops/summary", headers=web.as_(Role.OPS)).json()["scores"]
        assert scores["can_alert"] is True and scores["warning"] is None
    finally:
        web.client.close()
