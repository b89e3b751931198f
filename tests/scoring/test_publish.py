"""Storage on SQLite and PostgreSQL, publishing through the outbox, and the worker's alert."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.scoring.conftest import SMALL
from triggerwatch.cli import app
from triggerwatch.core.contracts import (
    CompanyRef,
    CompanyRole,
    EventKind,
    TargetScoreV1,
    TriggerEventV1,
    encode,
)
from triggerwatch.core.db import (
    Alert,
    Company,
    CompanyScore,
    Customer,
    CustomerOffer,
    CustomerValue,
    Database,
    Outbox,
    ScoringRun,
    TargetGroup,
)
from triggerwatch.core.feedback import FeedbackLabel, record_feedback
from triggerwatch.core.names import name_key
from triggerwatch.core.rules import load_rules
from triggerwatch.core.settings import CONFIG_DIR
from triggerwatch.scoring import synthetic
from triggerwatch.scoring.features import Codes
from triggerwatch.scoring.offers import offers_for_company
from triggerwatch.worker.processing import Processor

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
PLANTED = "TOL K (64–66) and region Uusimaa"


def load_registry(db: Database, records: list[dict[str, object]], codes: Codes) -> None:
    """The companies table as the registry would fill it (from the same YTJ v3 records)."""
    with db.session() as s:
        for r in records:
            muni = r["addresses"][0]["postOffices"][0]["municipalityCode"]  # type: ignore[index]
            name = r["names"][0]["name"]  # type: ignore[index]
            s.add(
                Company(
                    business_id=r["businessId"]["value"],  # type: ignore[index]
                    name=name,
                    name_key=name_key(name),
                    company_form=r["companyForms"][0]["type"],  # type: ignore[index]
                    industry_code=r["mainBusinessLine"]["type"],  # type: ignore[index]
                    industry_tol_version="2008",
                    municipality=muni,
                    region=codes.regions[muni][1],
                    registered_on=datetime.fromisoformat(str(r["registrationDate"])).replace(tzinfo=UTC),
                )
            )


def invoke(args: list[str], monkeypatch: pytest.MonkeyPatch, db: Database) -> str:
    monkeypatch.setenv("TRIGGERWATCH_DATABASE__URL", db.url)
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_train_stores_publishes_and_the_worker_alerts(
    db: Database,
    codes: Codes,
    small_records: list[dict[str, object]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    load_registry(db, small_records, codes)
    lines = synthetic.customer_lines(codes, SMALL)
    n_customers = lines["business_id"].nunique()
    csv_path = tmp_path / "customers.csv"
    lines.to_csv(csv_path, index=False)
    with csv_path.open("a") as f:
        f.write("0112038-8,it-services,1,1,,\n")  # bad check digit: reported, not stored
    report = json.loads(invoke(["customers", "import", str(csv_path)], monkeypatch, db))
    assert [(i["code"], i["row"]) for i in report["issues"]] == [("bad_business_id", report["rows_read"] + 1)]

    summary = json.loads(invoke(["score", "train", "--seed", "3"], monkeypatch, db))
    assert summary["stored"]["published_product_groups"] == ["cleaning", "it-services"]
    assert summary["product_groups"]["it-services"]["top_target_groups"][0]["rule"].startswith(PLANTED)

    with db.session() as s:
        customers = set(s.scalars(select(Customer.business_id)))
        assert len(customers) == n_customers
        runs = {r.product_group: r for r in s.scalars(select(ScoringRun))}
        assert set(runs) == {"it-services", "cleaning", "office-supplies"}
        assert runs["it-services"].better_than_baseline and not runs["office-supplies"].better_than_baseline
        assert runs["it-services"].metrics["metrics"]["auc"] >= 0.85
        assert runs["it-services"].metrics["repeated"]["ci_low"] > 0
        assert runs["it-services"].model  # the pickled models
        top_rule = summary["product_groups"]["it-services"]["top_target_groups"][0]["rule"]
        group = s.scalars(select(TargetGroup).where(TargetGroup.rule == top_rule)).one()
        assert group.rule_fi and group.rule_fi.startswith("TOL K (64–66) ja maakunta Uusimaa")
        assert group.product_group == "it-services" and group.size and group.expected_value
        all_scores = list(s.scalars(select(CompanyScore)))
        # every non-customer, for the two useful models only
        assert len(all_scores) == 2 * (SMALL.companies - n_customers)
        assert not customers & {sc.business_id for sc in all_scores}
        scores = [sc for sc in all_scores if sc.product_group == "it-services"]
        best = max(scores, key=lambda sc: sc.score)
        worst = min(scores, key=lambda sc: sc.score)
        assert best.rule_path.startswith(PLANTED)
        outbox = [o for o in s.scalars(select(Outbox).where(Outbox.topic_kind == "targets"))]
        assert len(outbox) == len(all_scores)
        msg = TargetScoreV1.model_validate_json(
            next(o.payload for o in outbox if o.message_key == f"{best.business_id}:it-services")
        )
        expected = (best.rule_path, best.target_group_id, best.score)
        assert (msg.rule, msg.target_group_id, msg.score) == expected

    processor = Processor(db, load_rules(CONFIG_DIR / "rules.yaml"), clock=lambda: NOW)

    def hiring(bid: str) -> TriggerEventV1:
        return TriggerEventV1.create(
            source="test-jobs",
            source_item_id=bid,
            kind=EventKind.RECRUITMENT,
            occurred_at=NOW - timedelta(hours=2),
            observed_at=NOW,
            companies=[CompanyRef(business_id=bid, role=CompanyRole.EMPLOYER)],
            title="Controller",
        )

    hot, cold = processor.process_batch([encode(hiring(best.business_id)), encode(hiring(worst.business_id))])
    alert = next(a for a in hot.alerts if a.product_group == "it-services")
    assert alert.recommended_offer == "it-services"
    assert alert.explanation.target_group_rule == best.rule_path
    assert alert.score == round(best.score, 4) > 0.9
    assert alert.target_group_id == best.target_group_id
    assert not [a for a in cold.alerts if a.product_group == "it-services"]  # below the minimum score

    rules = tmp_path / "rules.yaml"
    rules.write_text(
        (CONFIG_DIR / "rules.yaml")
        .read_text(encoding="utf-8")
        .replace("by_region: {}", "by_region: {Uusimaa: rep-ville}"),
        encoding="utf-8",
    )
    export = list(
        csv.DictReader(io.StringIO(invoke(["score", "export", "--rules", str(rules)], monkeypatch, db)))
    )
    assert list(export[0]) == [
        "business_id",
        "company_name",
        "region",
        "owner",
        "product_group",
        "offer_rank",
        "score",
        "expected_value",
        "target_group_id",
        "rule_path",
        "target_group_size",
        "scored_at",
    ]
    assert len(export) == len(all_scores)
    row = next(
        r for r in export if (r["business_id"], r["product_group"]) == (best.business_id, "it-services")
    )
    assert (
        row["company_name"].startswith("Demo ") and row["region"] == "Uusimaa" and row["owner"] == "rep-ville"
    )
    assert {r["owner"] for r in export if r["region"] != "Uusimaa"} == {"sales-team"}  # the fallback owner
    ranks = [int(r["offer_rank"]) for r in export if r["business_id"] == best.business_id]
    assert sorted(ranks) == list(range(1, len(ranks) + 1))  # what to offer first, per company

    # existing customers: next-best-offers and lifetime values, stored and queryable per company
    with db.session() as s:
        offers = list(s.scalars(select(CustomerOffer)))
        values = {v.business_id: v for v in s.scalars(select(CustomerValue))}
    assert values.keys() == customers
    assert {v.model for v in values.values()} == {"bg/nbd+gamma-gamma"}
    assert all(0 <= v.clv_low <= v.clv_high for v in values.values())
    # the mean of a skewed posterior (a likely lapsed customer) may fall outside its 90 % interval
    assert sum(v.clv_low <= v.clv <= v.clv_high for v in values.values()) > 0.7 * len(values)
    assert offers and {o.product_group for o in offers} <= {"cleaning", "it-services"}
    bought = set(lines.groupby(["business_id", "product_group"]).size().index)
    assert not bought & {(o.business_id, o.product_group) for o in offers}  # only what it does not buy yet
    some = offers[0].business_id
    company = offers_for_company(db, some)
    assert company.is_customer and company.value is not None and company.value["clv"] == values[some].clv
    assert [o.rank for o in company.offers] == list(range(1, len(company.offers) + 1))
    assert company.offers[0].kind == "cross-sell" and company.offers[0].rule
    prospect = offers_for_company(db, best.business_id)
    assert not prospect.is_customer and prospect.offers[0].kind == "prospect"
    assert {o.product_group for o in prospect.offers} == {"cleaning", "it-services"}
    # an existing customer's trigger alerts with its cross-sell offer (the shipped recruitment rule
    # reaches customers too); its best offer above the rule's minimum score
    offer = min((o for o in offers if o.score >= 0.5), key=lambda o: (o.rank, -o.score, o.business_id))
    [customer_outcome] = processor.process_batch([encode(hiring(offer.business_id))])
    [cross_sell] = [a for a in customer_outcome.alerts if a.product_group == offer.product_group]
    assert cross_sell.recommended_offer == f"cross-sell: {offer.product_group}"
    assert cross_sell.explanation.next_step.startswith(f"Existing customer: offer {offer.product_group}")
    assert cross_sell.explanation.target_group_rule == offer.rule
    assert cross_sell.score == round(offer.score, 4) and cross_sell.facts["offer_rank"] == str(offer.rank)
    rep_list = list(
        csv.DictReader(
            io.StringIO(invoke(["score", "export", "--customers", "--rules", str(rules)], monkeypatch, db))
        )
    )
    assert {r["business_id"] for r in rep_list} == customers
    assert {"clv", "clv_low", "clv_high", "clv_model", "offer_rank", "product_group", "owner"} <= set(
        rep_list[0]
    )

    # reps' feedback on the alerts these scores produced shows in the report, per kind and group
    # and with the existing customers' section (on SQLite only: the report trains again, and the
    # feedback queries run on both databases in tests/web)
    if db.url.startswith("sqlite"):
        with db.session() as s:
            stored = s.get(Alert, alert.alert_id)
            assert stored is not None
            record_feedback(s, stored, FeedbackLabel.USEFUL, given_by="rep-anna")
        html_path = tmp_path / "report.html"
        invoke(["score", "report", "--out", str(html_path), "--seed", "3"], monkeypatch, db)
        html = html_path.read_text(encoding="utf-8")
        assert "Reps&#39; feedback" in html or "Reps' feedback" in html
        assert "<td>recruitment</td><td>it-services</td><td>1</td>\n  <td>1</td><td>1.00</td>" in html
        offers_table = html.split("Next-best-offers (cross-sell) per product group")[1].split("</table>")[0]
        assert {pg for pg in ("cleaning", "it-services") if f"<tr><td>{pg}</td>" in offers_table} == {
            o.product_group for o in offers
        }

    # a rep says the best prospect already buys it-services: retraining stops scoring it as a prospect
    with db.session() as s:
        stored = s.get(Alert, alert.alert_id)
        assert stored is not None
        record_feedback(s, stored, FeedbackLabel.ALREADY_CUSTOMER, given_by="rep-anna")
    # retraining replaces scores idempotently: no duplicate rows, no orphan target groups
    invoke(["score", "train", "--seed", "3"], monkeypatch, db)
    with db.session() as s:
        rescored = {
            sc.business_id
            for sc in s.scalars(select(CompanyScore).where(CompanyScore.product_group == "it-services"))
        }
        assert len(list(s.scalars(select(CompanyScore)))) == len(all_scores) - 1
        referenced = set(s.scalars(select(CompanyScore.target_group_id)))
        assert set(s.scalars(select(TargetGroup.target_group_id))) == referenced
    assert best.business_id not in rescored and len(rescored) == len(scores) - 1
