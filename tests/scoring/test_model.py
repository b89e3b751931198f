from __future__ import annotations

import pandas as pd
import pytest

from tests.scoring.conftest import SPEC
from triggerwatch.scoring import synthetic
from triggerwatch.scoring.features import Codes
from triggerwatch.scoring.model import Condition, TooLittleDataError, rule_text, train_group
from triggerwatch.scoring.targets import Dataset, ScoringResult, evaluation, run


def test_planted_segment_is_the_top_target_group(
    planted_result: ScoringResult, planted_features: pd.DataFrame, planted_customers: pd.DataFrame
) -> None:
    result = planted_result
    model = result.models["it-services"]
    assert model.label == "margin_rate"
    assert model.metrics.auc >= 0.85 and model.repeated.chosen_auc >= 0.85
    assert model.baseline.auc == 0.5
    assert model.metrics.lift_top_decile > 3
    assert model.better_than_baseline and model.repeated.ci_low > 0.3
    assert "excludes no gain" in model.verdict()
    assert set(model.candidates) == {"tree", "hgb", "reference"}
    assert len(model.metrics.lift_deciles) == 10 and model.metrics.lift_deciles[0] > 2
    assert set(model.repeated.means) == {"tree", "reference", "hgb"}  # the depth-4 tree is a candidate
    assert model.repeated.chosen_auc == max(model.repeated.means.values())  # the best mean ranks
    top = result.groups["it-services"][0]
    assert top.rule == "TOL K (64–66) and region Uusimaa"  # pruned: no noise splits inside the plant
    assert top.rule_fi == "TOL K (64–66) ja maakunta Uusimaa"
    assert top.size > 0 and top.score > 0.9
    # every prospect's score carries its leaf's rule path; customers are not scored
    scores = result.scores[result.scores["product_group"] == "it-services"]
    assert len(scores) == SPEC.companies - planted_customers["business_id"].nunique()
    in_segment = planted_features.loc[scores["business_id"]]
    planted = ((in_segment["tol_section"] == "K") & (in_segment["region"] == "Uusimaa")).to_numpy()
    assert all(r.startswith("TOL K (64–66) and region Uusimaa") for r in scores.loc[planted, "rule_path"])
    assert scores.loc[planted, "score"].mean() > 0.85 > 0.3 > scores.loc[~planted, "score"].mean()
    # the weaker plant (TOL F in cleaning) is found too; office-supplies has nothing planted
    assert result.models["cleaning"].better_than_baseline
    assert result.groups["cleaning"][0].rule == "TOL F (41–43)"
    assert not result.models["office-supplies"].better_than_baseline
    out = evaluation(result)
    assert out["product_groups"]["it-services"]["top_target_groups"][0]["rule"] == top.rule
    assert out["product_groups"]["it-services"]["repeated_splits"]["splits"] == 10


def test_random_labels_are_not_better_than_baseline(codes: Codes, planted_features: pd.DataFrame) -> None:
    spec = synthetic.Spec(
        companies=SPEC.companies, customers=SPEC.customers, seed=SPEC.seed, random_labels=True
    )
    customers = synthetic.customer_lines(codes, spec)
    model = train_group(planted_features, customers, "it-services", codes, seed=3)
    assert abs(model.metrics.auc - 0.5) < 0.08
    assert not model.better_than_baseline
    assert "not better than the baseline" in model.verdict()


def test_leaf_explanations_name_the_rule_path(codes: Codes, planted_result: ScoringResult) -> None:
    model = planted_result.models["it-services"]
    rules = sorted(leaf.rule for leaf in model.leaves.values())
    assert any(r.startswith("TOL K (64–66) and region Uusimaa") for r in rules)
    assert all(r.startswith(("TOL", "not TOL", "region", "age", "company form")) for r in rules)
    for leaf in model.leaves.values():  # the conditions are the root-to-leaf path
        assert leaf.conditions and leaf.rule == rule_text(leaf.conditions, codes)
    assert sum(leaf.train_size for leaf in model.leaves.values()) == model.metrics.n_train
    assert model.fidelity["r2"] >= 0.7 and model.fidelity["depth"] <= 8


def test_too_little_data_is_refused(
    codes: Codes, planted_features: pd.DataFrame, planted_customers: pd.DataFrame
) -> None:
    few = planted_customers[planted_customers["business_id"].isin(planted_features.index[:60])]
    with pytest.raises(TooLittleDataError, match="need at least 100 buyers"):
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
