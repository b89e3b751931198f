"""Prospect scoring and target groups: product group × tree leaf, with expected value and size.

Every company that is not a customer is scored by each product group's model; its score carries
the rule path of its leaf. A target group is a leaf: its readable rule (English and Finnish), the
expected gross margin per company (from the training customers in the leaf) and its size (the
prospects in the leaf).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd

from triggerwatch.scoring.clv import COLUMNS as CLV_COLUMNS
from triggerwatch.scoring.clv import customer_values
from triggerwatch.scoring.explain import group_id
from triggerwatch.scoring.features import Codes
from triggerwatch.scoring.labels import DEFAULT_LABEL
from triggerwatch.scoring.model import GroupModel, Leaf, train_all
from triggerwatch.scoring.offers import OFFER_COLUMNS, next_best_offers


@dataclass
class TargetGroupRow:
    target_group_id: str
    product_group: str
    leaf_id: int
    rule: str
    rule_fi: str
    score: float
    expected_value: float
    size: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "target_group_id": self.target_group_id,
            "rule": self.rule,
            "rule_fi": self.rule_fi,
            "score": round(self.score, 4),
            "size": self.size,
            "expected_value": round(self.expected_value, 2),
        }


@dataclass
class Dataset:
    features: pd.DataFrame  # every company (customers and prospects), indexed by business_id
    customers: pd.DataFrame  # business_id, product_group, revenue, gross_margin
    orders: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["business_id", "product_group", "order_date", "amount"])
    )
    # business_id, product_group: companies reps marked "already customer" (feedback): never prospects
    known_customers: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["business_id", "product_group"])
    )

    def not_prospects(self, product_group: str) -> set[str]:
        """Customers of any product group, plus those reps say already buy this one."""
        known = self.known_customers.loc[
            self.known_customers["product_group"] == product_group, "business_id"
        ]
        return set(self.customers["business_id"].unique()) | set(known)


@dataclass
class ScoringResult:
    models: dict[str, GroupModel]
    refused: dict[str, str]
    groups: dict[str, list[TargetGroupRow]]  # product group -> target groups, best first
    scores: pd.DataFrame  # business_id, product_group, target_group_id, score, rule_path
    trained_at: datetime
    # existing customers: cross-sell offers of the publishable models, and lifetime values
    offers: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=OFFER_COLUMNS))
    values: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CLV_COLUMNS))
    value_models: dict[str, Any] = field(default_factory=dict)


def confident_rate(leaf: Leaf, z: float = 1.96) -> float:
    """The lower bound of the Wilson 95 % interval of the leaf's good-customer rate: target groups
    are ranked by the rate they surely have, so a large leaf at 60 % outranks a leaf of five at 80 %."""
    n, p = leaf.train_size, leaf.positive_rate
    if n == 0:
        return 0.0
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - margin) / (1 + z * z / n)


def prospects(data: Dataset, product_group: str) -> pd.DataFrame:
    # positions by the index's hash table: ``Index.isin`` on Arrow strings builds a scalar per value
    keep = np.ones(len(data.features), dtype=bool)
    found = data.features.index.get_indexer(pd.Index(list(data.not_prospects(product_group))))
    keep[found[found >= 0]] = False
    return data.features[keep]


def score_prospects(
    model: GroupModel, prospect_features: pd.DataFrame
) -> tuple[list[TargetGroupRow], pd.DataFrame]:
    probs, leaf_ids = model.score(
        prospect_features.assign(age_years=prospect_features["age_years"].fillna(-1.0))
    )
    sizes = pd.Series(leaf_ids).value_counts()
    groups = []
    for leaf in model.leaves.values():
        groups.append(
            TargetGroupRow(
                target_group_id=group_id(model.product_group, leaf.rule),
                product_group=model.product_group,
                leaf_id=leaf.leaf_id,
                rule=leaf.rule,
                rule_fi=leaf.rule_fi,
                score=leaf.score,
                expected_value=leaf.expected_value,
                size=int(sizes.get(leaf.leaf_id, 0)),
            )
        )
    leaves = model.leaves
    groups.sort(key=lambda g: (-confident_rate(leaves[g.leaf_id]), -g.score, -g.expected_value))
    by_leaf = {g.leaf_id: g for g in groups}
    scores = pd.DataFrame(
        {
            "business_id": prospect_features.index.to_numpy(),
            "product_group": model.product_group,
            "leaf_id": leaf_ids,
            "score": probs.round(4),
        }
    )
    scores["target_group_id"] = scores["leaf_id"].map({k: g.target_group_id for k, g in by_leaf.items()})
    scores["rule_path"] = scores["leaf_id"].map({k: g.rule for k, g in by_leaf.items()})
    scores["expected_value"] = scores["leaf_id"].map(
        {k: round(g.expected_value, 2) for k, g in by_leaf.items()}
    )
    return groups, scores.drop(columns="leaf_id")


def run(
    data: Dataset,
    codes: Codes,
    *,
    seed: int = 0,
    top_share: float = 0.2,
    label: str = DEFAULT_LABEL,
    today: date | None = None,
    progress: Any = None,
) -> ScoringResult:
    """Train every product group's model and score every prospect."""
    models, refused = train_all(
        data.features,
        data.customers,
        codes,
        seed=seed,
        top_share=top_share,
        label=label,
        orders=data.orders,
        today=today,
        progress=progress,
    )
    groups: dict[str, list[TargetGroupRow]] = {}
    frames = []
    for pg, model in models.items():
        groups[pg], scores = score_prospects(model, prospects(data, pg))
        frames.append(scores)
        if progress is not None:
            progress()
    scores = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(
            columns=[
                "business_id",
                "product_group",
                "score",
                "target_group_id",
                "rule_path",
                "expected_value",
            ]
        )
    )
    publishable = {pg: m for pg, m in models.items() if m.better_than_baseline}
    offers = next_best_offers(publishable, data.features, data.customers, data.known_customers)
    values, value_models = customer_values(data.customers, data.orders, today or datetime.now(UTC).date())
    return ScoringResult(models, refused, groups, scores, datetime.now(UTC), offers, values, value_models)


def evaluation(result: ScoringResult, top: int = 5) -> dict[str, Any]:
    """The JSON of ``triggerwatch score evaluate``."""
    out: dict[str, Any] = {"product_groups": {}, "refused": result.refused}
    for pg, model in sorted(result.models.items()):
        m = model.metrics
        out["product_groups"][pg] = {
            "label": model.label,
            "ranking_model": model.kind,
            "auc": round(m.auc, 4),
            "precision_at_10pct": round(m.precision_at_10pct, 4),
            "lift_top_decile": round(m.lift_top_decile, 4),
            "lift_deciles": [round(v, 3) for v in m.lift_deciles],
            "base_rate": round(m.base_rate, 4),
            "baseline": {
                "auc": round(model.baseline.auc, 4),
                "precision_at_10pct": round(model.baseline.precision_at_10pct, 4),
                "lift_top_decile": round(model.baseline.lift_top_decile, 4),
            },
            "candidates": {
                k: {"auc": round(c.auc, 4), "lift_top_decile": round(c.lift_top_decile, 4)}
                for k, c in model.candidates.items()
            },
            "repeated_splits": model.repeated.as_dict(),
            "explanation_fidelity": model.fidelity,
            "better_than_baseline": model.better_than_baseline,
            "verdict": model.verdict(),
            "params": model.params,
            "n_train": m.n_train,
            "n_test": m.n_test,
            "top_target_groups": [g.as_dict() for g in result.groups[pg][:top]],
        }
    offers, values = result.offers, result.values
    out["existing_customers"] = {
        "customers": len(values),
        "offers": len(offers),
        "offers_by_product_group": {
            str(k): int(v) for k, v in offers["product_group"].value_counts().items()
        },
        "lifetime_value": {
            "models": {str(k): int(v) for k, v in values["model"].value_counts().items()},
            "total_clv": round(float(values["clv"].sum()), 2),
            "fits": result.value_models,
        },
        "top_customers": [
            {
                "business_id": r.business_id,
                "clv": r.clv,
                "clv_low": r.clv_low,
                "clv_high": r.clv_high,
                "model": r.model,
                "best_offer": best_offer.get(r.business_id),
            }
            for best_offer in [
                offers[offers["rank"] == 1].set_index("business_id")["product_group"].to_dict()
            ]
            for r in values.head(top).itertuples(index=False)
        ],
    }
    return out


def export_rows(scores: pd.DataFrame) -> pd.DataFrame:
    cols = ["business_id", "product_group", "score", "target_group_id", "rule_path"]
    return scores[cols].sort_values(["product_group", "score"], ascending=[True, False])


def today() -> date:
    return datetime.now(UTC).date()
