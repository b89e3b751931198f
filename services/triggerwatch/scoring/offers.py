"""Next-best-offer for existing customers, and the query the web company page and exports use.

For every product group whose model is published, every existing customer that does not buy the
group yet (nor is marked by reps as already buying it) is a cross-sell candidate. *Similar
customers* are the customers in the same leaf of the group's readable tree (so the reason reads
as a rule: "customers like this one — TOL K (64–66) and region Uusimaa — ..."). An offer carries:

- ``score``: the group's ranking-model score of the customer (class-balanced; 0.5 = base rate);
- ``adoption_rate``: the share of similar customers that buy the group;
- ``buyer_margin``: the mean gross margin from the group per similar buyer;
- ``expected_margin`` = adoption × buyer margin: what the offer is worth, on average, for a
  customer like this one.

A customer's offers are ranked by expected margin (then score): rank 1 is what to offer first.
``offers_for_company`` reads them back with the customer's lifetime value (``clv.py``), or, for a
prospect, its stored scores ranked the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from triggerwatch.core.db import CompanyScore, CustomerOffer, CustomerValue, Database, TargetGroup
from triggerwatch.scoring.explain import group_id  # the same target group ids as prospects'

OFFER_COLUMNS = [
    "business_id",
    "product_group",
    "rank",
    "score",
    "expected_margin",
    "adoption_rate",
    "buyer_margin",
    "target_group_id",
    "rule",
    "rule_fi",
]


def next_best_offers(
    models: dict[str, Any],
    features: pd.DataFrame,
    customers: pd.DataFrame,
    known_customers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Cross-sell offers (``OFFER_COLUMNS``) of existing customers, ranked per customer.

    ``models``: product group → a trained ``GroupModel`` (only publishable ones should be passed);
    ``known_customers``: (business_id, product_group) reps marked as already buying the group."""
    ids = pd.Index(customers["business_id"].unique())
    ids = ids[features.index.get_indexer(ids) >= 0]  # not Index.isin: slow on Arrow strings
    feats = features.loc[ids]
    feats = feats.assign(age_years=feats["age_years"].fillna(-1.0))
    frames = []
    for pg, model in sorted(models.items()):
        buyers = set(customers.loc[customers["product_group"] == pg, "business_id"])
        if known_customers is not None and len(known_customers):
            buyers |= set(known_customers.loc[known_customers["product_group"] == pg, "business_id"])
        scores, leaves = model.score(feats)
        frame = pd.DataFrame({"business_id": ids, "leaf": leaves, "score": scores})
        frame["buys"] = pd.Index(sorted(buyers)).get_indexer(frame["business_id"]) >= 0
        adoption = frame.groupby("leaf")["buys"].mean()
        margin = (
            customers[customers["product_group"] == pg]
            .groupby("business_id")["gross_margin"]
            .sum()
            .reindex(ids)
            .to_numpy()
        )
        frame["margin"] = margin
        buyer_margin = frame[frame["buys"]].groupby("leaf")["margin"].mean()
        candidates = frame[~frame["buys"]].copy()
        if candidates.empty:
            continue
        candidates["product_group"] = pg
        candidates["adoption_rate"] = candidates["leaf"].map(adoption).fillna(0.0)
        candidates["buyer_margin"] = candidates["leaf"].map(buyer_margin).fillna(0.0)
        candidates["expected_margin"] = candidates["adoption_rate"] * candidates["buyer_margin"]
        candidates["rule"] = candidates["leaf"].map({k: leaf.rule for k, leaf in model.leaves.items()})
        candidates["rule_fi"] = candidates["leaf"].map({k: leaf.rule_fi for k, leaf in model.leaves.items()})
        candidates["target_group_id"] = [group_id(pg, r) for r in candidates["rule"]]
        frames.append(candidates)
    if not frames:
        return pd.DataFrame(columns=OFFER_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(
        ["business_id", "expected_margin", "score", "product_group"], ascending=[True, False, False, True]
    )
    out["rank"] = out.groupby("business_id").cumcount() + 1
    for col, digits in (("score", 4), ("expected_margin", 2), ("adoption_rate", 4), ("buyer_margin", 2)):
        out[col] = out[col].astype(float).round(digits)
    return out[OFFER_COLUMNS].reset_index(drop=True)


@dataclass
class Offer:
    product_group: str
    rank: int
    score: float
    expected_margin: float | None  # cross-sell: adoption x buyer margin; prospect: the leaf's value
    rule: str
    rule_fi: str | None
    target_group_id: str
    kind: str  # "cross-sell" (an existing customer) | "prospect"
    adoption_rate: float | None = None


@dataclass
class CompanyOffers:
    business_id: str
    is_customer: bool
    value: dict[str, Any] | None = None  # CLV: model, clv, clv_low, clv_high, p_alive, ...
    offers: list[Offer] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "business_id": self.business_id,
            "is_customer": self.is_customer,
            "value": self.value,
            "offers": [o.__dict__ for o in self.offers],
        }


def _value(row: CustomerValue) -> dict[str, Any]:
    return {
        "model": row.model,
        "clv": row.clv,
        "clv_low": row.clv_low,
        "clv_high": row.clv_high,
        "p_alive": row.p_alive,
        "expected_orders": row.expected_orders,
        "orders": row.orders,
        "last_order": row.last_order.isoformat() if isinstance(row.last_order, date) else row.last_order,
        "horizon_years": row.horizon_years,
        "computed_at": row.computed_at.isoformat(),
    }


def offers_for_company(session_or_db: Session | Database, business_id: str) -> CompanyOffers:
    """What to offer a company, best first, for the web company page: an existing customer's
    cross-sell offers and lifetime value, else a prospect's scores per product group."""
    if isinstance(session_or_db, Database):
        with session_or_db.session() as session:
            return offers_for_company(session, business_id)
    s = session_or_db
    value = s.get(CustomerValue, business_id)
    rows = list(
        s.scalars(
            select(CustomerOffer).where(CustomerOffer.business_id == business_id).order_by(CustomerOffer.rank)
        )
    )
    if value is not None or rows:
        return CompanyOffers(
            business_id,
            True,
            _value(value) if value is not None else None,
            [
                Offer(
                    o.product_group,
                    o.rank,
                    o.score,
                    o.expected_margin,
                    o.rule,
                    o.rule_fi,
                    o.target_group_id,
                    "cross-sell",
                    o.adoption_rate,
                )
                for o in rows
            ],
        )
    scored = s.execute(
        select(CompanyScore, TargetGroup.rule_fi, TargetGroup.expected_value)
        .join(TargetGroup, TargetGroup.target_group_id == CompanyScore.target_group_id)
        .where(CompanyScore.business_id == business_id)
    ).all()
    ranked = sorted(scored, key=lambda r: (-(r[0].score * (r[2] or 0.0)), -r[0].score, r[0].product_group))
    return CompanyOffers(
        business_id,
        False,
        None,
        [
            Offer(sc.product_group, i, sc.score, ev, sc.rule_path, rule_fi, sc.target_group_id, "prospect")
            for i, (sc, rule_fi, ev) in enumerate(ranked, 1)
        ],
    )
