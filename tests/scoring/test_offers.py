"""Next-best-offer on small known data: what similar customers buy profitably and this one does not."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from triggerwatch.scoring.explain import Leaf
from triggerwatch.scoring.offers import next_best_offers


class LeafModel:
    """A stand-in for a trained GroupModel: the leaf is the TOL section, the score a fixed map."""

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores
        self.leaves = {
            i: Leaf(i, [], f"TOL {s}", f"TOL {s} (fi)", v, 0.5, 0.0, 10)
            for i, (s, v) in enumerate(scores.items())
        }
        self.ids = {s: i for i, s in enumerate(scores)}

    def score(self, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        sections = features["tol_section"]
        return sections.map(self.scores).to_numpy(), sections.map(self.ids).to_numpy()


def test_offers_what_similar_customers_buy_profitably_and_rank_per_customer() -> None:
    features = pd.DataFrame(
        {"tol_section": ["K", "K", "K", "K", "C", "C"], "age_years": [5.0] * 6},
        index=["a", "b", "c", "d", "e", "f"],
    )
    rows = [
        ("a", "it", 1000.0),  # K: three of four buy it (margin 1000, 2000, 3000), d does not
        ("b", "it", 2000.0),
        ("c", "it", 3000.0),
        ("a", "cleaning", 100.0),  # K: one of four buys cleaning (margin 400 → 0.25 x 400 = 100)
        ("b", "cleaning", 400.0),
        ("d", "cleaning", 300.0),
        ("e", "it", 50.0),  # C: one of two buys it, cheaply
        ("e", "cleaning", 10.0),
        ("f", "cleaning", 20.0),
    ]
    customers = pd.DataFrame(
        [(b, g, m * 4, m) for b, g, m in rows],
        columns=["business_id", "product_group", "revenue", "gross_margin"],
    )
    models: dict[str, Any] = {
        "it": LeafModel({"K": 0.9, "C": 0.3}),
        "cleaning": LeafModel({"K": 0.6, "C": 0.7}),
    }
    known = pd.DataFrame([("c", "cleaning")], columns=["business_id", "product_group"])  # reps: c buys it
    offers = next_best_offers(models, features, customers, known)
    got = {(r.business_id, r.product_group): r for r in offers.itertuples(index=False)}
    assert set(got) == {("d", "it"), ("f", "it")}  # nobody is offered what it buys (or reps say it buys)
    d = got[("d", "it")]
    assert (d.adoption_rate, d.buyer_margin, d.expected_margin) == (0.75, 2000.0, 1500.0)
    assert (d.score, d.rule, d.rank) == (0.9, "TOL K", 1)
    assert d.target_group_id.startswith("it:")
    f = got[("f", "it")]
    assert (f.adoption_rate, f.buyer_margin, f.expected_margin, f.rule_fi) == (0.5, 50.0, 25.0, "TOL C (fi)")


def test_a_customer_with_several_offers_gets_them_best_first() -> None:
    features = pd.DataFrame({"tol_section": ["K"] * 4, "age_years": [1.0] * 4}, index=list("abcd"))
    customers = pd.DataFrame(
        [
            ("a", "it", 100.0, 10.0),
            ("b", "it", 100.0, 30.0),
            ("a", "print", 100.0, 90.0),
            ("c", "x", 1.0, 1.0),
            ("d", "x", 1.0, 1.0),
        ],
        columns=["business_id", "product_group", "revenue", "gross_margin"],
    )
    models: dict[str, Any] = {"it": LeafModel({"K": 0.8}), "print": LeafModel({"K": 0.6})}
    offers = next_best_offers(models, features, customers)
    d = offers[offers["business_id"] == "d"]
    # it: 2 of 4 buy, mean margin 20 → 10; print: 1 of 4 buys, margin 90 → 22.5: print first
    assert list(d["product_group"]) == ["print", "it"] and list(d["rank"]) == [1, 2]
    assert list(d["expected_margin"]) == [22.5, 10.0]
    assert next_best_offers({}, features, customers).empty
