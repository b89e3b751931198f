"""`triggerwatch score evaluate` and `score report` on files: no database, no broker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.scoring.conftest import SMALL
from triggerwatch.cli import app
from triggerwatch.core.db import Company, Database, ScoringRun
from triggerwatch.scoring import synthetic
from triggerwatch.scoring.features import Codes


def test_evaluate_prints_metrics_and_target_groups(tmp_path: Path, codes: Codes) -> None:
    customers, companies = synthetic.write_dataset(tmp_path, codes, SMALL)
    with companies.open("a") as f:
        f.write('{"businessId": {"value": "0112038-8"}}\n')  # reported on stderr, the rest goes on
    args = ["score", "evaluate", "--customers", str(customers), "--companies", str(companies)]
    result = CliRunner().invoke(app, [*args, "--seed", "3"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"line {SMALL.companies + 1}: invalid business ID '0112038-8'" in result.stderr
    out = json.loads(result.stdout)
    it = out["product_groups"]["it-services"]
    assert set(it) >= {"auc", "precision_at_10pct", "lift_top_decile", "baseline", "top_target_groups"}
    assert it["auc"] >= 0.85 and it["baseline"]["auc"] == 0.5
    assert it["lift_top_decile"] > it["baseline"]["lift_top_decile"]
    top = it["top_target_groups"][0]
    assert top["rule"].startswith("TOL K (64–66) and region Uusimaa")
    assert top["size"] > 0 and top["expected_value"] > 0
    assert it["label"] == "margin_rate" and it["ranking_model"] in ("tree", "reference", "hgb")
    assert it["repeated_splits"]["ci_low"] > 0 and len(it["lift_deciles"]) == 10
    assert out["product_groups"]["office-supplies"]["better_than_baseline"] is False
    # the same seed gives the same answer
    again = CliRunner().invoke(app, [*args, "--seed", "3"], catch_exceptions=False)
    assert json.loads(again.stdout) == out


def test_report_on_random_labels_says_not_better_than_baseline(tmp_path: Path, codes: Codes) -> None:
    spec = synthetic.Spec(companies=SMALL.companies, customers=SMALL.customers, seed=11, random_labels=True)
    customers, companies = synthetic.write_dataset(tmp_path, codes, spec)
    html = tmp_path / "report.html"
    result = CliRunner().invoke(
        app,
        ["score", "report", "--out", str(html), "--customers", str(customers), "--companies", str(companies)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    text = html.read_text()
    assert text.count("the model is not better than the baseline") == 3  # every product group
    assert text.count("<svg") == 9  # a lift chart, a score histogram and the tree per product group
    assert "Value tiers" in text and "top 5%" in text
    assert "Lifecycle and RFM (from order lines)" in text and "<td>active</td>" in text
    assert "Segments (industry × region × form × age)" in text
    assert "|--- " in text  # the tree
    # existing customers: lifetime values (order lines: BG/NBD), and no offers from useless models
    assert "Existing customers: lifetime value and next-best-offers" in text
    assert "Most valuable customers" in text and "<td>bg/nbd+gamma-gamma</td>" in text
    assert "No offers: no product group's model is better than the baseline." in text


def test_refuses_clearly_when_data_is_too_small(tmp_path: Path) -> None:
    made = CliRunner().invoke(
        app, ["score", "synthetic", str(tmp_path), "--companies", "300", "--customers", "60"]
    )
    assert made.exit_code == 0, made.output
    customers, companies = tmp_path / "customers.csv", tmp_path / "companies.jsonl"
    assert len(companies.read_text().splitlines()) == 300
    result = CliRunner().invoke(
        app,
        ["score", "evaluate", "--customers", str(customers), "--companies", str(companies)],
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert out["product_groups"] == {}
    assert "need at least 100 buyers" in out["refused"]["it-services"]
    assert "no product group has enough data to train and validate a model" in result.stderr


def test_the_sales_ops_path_names_every_missing_step(
    tmp_path: Path, sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIGGERWATCH_DATABASE__URL", sqlite_db.url)
    csv_path = tmp_path / "asiakkaat.csv"
    csv_path.write_bytes("y-tunnus;tuoteryhmä;myynti;kate\n0112038-9;it;100;20\n".encode("cp1252"))
    # no registry yet: a clear error naming the step, not 1 row of "unknown company" and exit 0
    result = CliRunner().invoke(app, ["customers", "import", str(csv_path)])
    assert result.exit_code == 1
    assert "triggerwatch registry load" in result.stderr and "Traceback" not in result.output
    # nothing to train on: the missing step is named, no empty run is saved
    result = CliRunner().invoke(app, ["score", "train"])
    assert result.exit_code == 1 and "triggerwatch registry load" in result.stderr
    with sqlite_db.session() as s:
        s.add(Company(business_id="0112038-9", name="Nokia Oyj", name_key="nokia"))
    result = CliRunner().invoke(app, ["score", "train"])
    assert result.exit_code == 1 and "triggerwatch customers import" in result.stderr
    with sqlite_db.session() as s:
        assert s.scalars(select(ScoringRun)).first() is None
    # a file none of whose rows imports exits non-zero
    bad = tmp_path / "bad.csv"
    bad.write_text("business_id,product_group,revenue,gross_margin\n7654321-2,it,1,1\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["customers", "import", str(bad)])
    assert result.exit_code == 1 and "no row of" in result.stderr
    assert json.loads(result.stdout)["issues"][0]["code"] == "unknown_company"
    # the Finnish Excel file imports once the registry is there
    result = CliRunner().invoke(app, ["customers", "import", str(csv_path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows_imported"] == 1
    # an unknown label is refused by name
    result = CliRunner().invoke(app, ["score", "train", "--label", "profit"])
    assert result.exit_code == 2 and "margin_rate" in result.output
