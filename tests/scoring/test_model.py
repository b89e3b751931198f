from __future__ import annotations

import pandas as pd
import pytest

from tests.scoring.conftest import SPEC
from triggerwatch.scoring import synthetic
from triggerwatch.scoring.features import Codes
from triggerwatch.scoring.model import Condition, TooLittleDataError, rule_text, train_group
from triggerwatch.scoring.targets import Dataset, evaluation, run


def test_planted_segment_is_the_top_target_group(
    codes: Codes, planted_features: pd.DataFrame, planted_customers: pd.DataFrame
) -> None:
    result = run(Dataset(planted_features, planted_customers), codes, seed=3)
    model = result.models["it-services"]
    assert model.metrics.auc >= 0.85
    assert model.baseline.auc == 0.5
    assert model.metrics.lift_top_decile > 3
    assert model.better_than_baseline
    top = result.groups["it-services"][0]
    assert top.rule == "TOL K (64–66) and region Uusimaa"
    assert top.rule_fi == "TOL K (64–66) ja maakunta Uusimaa"
    assert top.size > 0 and top.expected_value > 5 * result.groups["it-services"][-1].expected_value
    # every prospect's score carries its leaf's rule path; customers are not scored
    scores = result.scores[result.scores["product_group"] == "it-services"]
    assert len(scores) == SPEC.companies - planted_customers["business_id"].nunique()
    in_segment = planted_features.loc[scores["business_id"]]
    planted = ((in_segment["tol_section"] == "K") & (in_segment["region"] == "Uusimaa")).to_numpy()
    assert set(scores.loc[planted, "rule_path"]) == {top.rule}
    assert scores.loc[planted, "score"].min() > 0.9 > scores.loc[~planted, "score"].max()
    # the other product groups have nothing planted: no better than the baseline
    assert not result.models["cleaning"].better_than_baseline
    out = evaluation(result)
    assert out["product_groups"]["it-services"]["top_target_groups"][0]["rule"] == top.rule


def test_random_labels_are_not_better_than_baseline(codes: Codes, planted_features: pd.DataFrame) -> None:
    spec = synthetic.Spec(
        companies=SPEC.companies, customers=SPEC.customers, seed=SPEC.seed, random_labels=True
    )
    customers = synthetic.customer_lines(codes, spec)
    model = train_group(planted_features, customers, "it-services", codes, seed=3)
    assert abs(model.metrics.auc - 0.5) < 0.08
    assert not model.better_than_baseline
    assert "not better than the baseline" in model.verdict()


def test_leaf_explanations_name_the_rule_path(
    codes: Codes, planted_features: pd.DataFrame, planted_customers: pd.DataFrame
) -> None:
    model = train_group(planted_features, planted_customers, "it-services", codes, seed=3)
    rules = sorted(leaf.rule for leaf in model.leaves.values())
    assert "TOL K (64–66) and region Uusimaa" in rules
    assert all(r.startswith(("TOL K", "not TOL K", "region", "age", "company form")) for r in rules)
    for leaf in model.leaves.values():  # the conditions are the root-to-leaf path
        features = {c.feature for c in leaf.conditions}
        assert "tol_section" in features
    assert sum(leaf.train_size for leaf in model.leaves.values()) == model.metrics.n_train


def test_too_little_data_is_refused(
    codes: Codes, planted_features: pd.DataFrame, planted_customers: pd.DataFrame
) -> None:
    few = planted_customers[planted_customers["business_id"].isin(planted_features.index[:60])]
    with pytest.raises(TooLittleDataError, match="need at least 100 customers"):
        train_group(planted_features, few, "it-services", codes)
    result = run(Dataset(planted_features, few), codes)
    assert set(result.refused) == {"it-services", "cleaning", "office-supplies"}
    assert result.models == {}


def test_rule_text_in_english_and_finnish(codes: Codes) -> None:
    conds = [
        Condition("tol_section", "not_in", ("J", "K")),
        Condition("region", "in", ("Uusimaa",)),
        Condition("company_form", "not_in", ("OY",)),
        Condition("age_years", "ge", threshold=4.503),
        Condition("age_years", "lt", threshold=20.0),
    ]
    assert rule_text(conds, codes) == (
        "not (TOL J (58–63) or TOL K (64–66)) and region Uusimaa and company form not OY"
        " and age ≥ 4.5 years and age < 20 years"
    )
    assert rule_text(conds, codes, "fi") == (
        "ei (TOL J (58–63) tai TOL K (64–66)) ja maakunta Uusimaa ja yritysmuoto ei OY"
        " ja ikä ≥ 4.5 vuotta ja ikä < 20 vuotta"
    )
    assert rule_text([], codes) == "all companies"
