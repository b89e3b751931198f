"""Storage and publishing: customers, model runs, target groups and scores.

Target groups and scores go through ``triggerwatch.core.targets.load_targets``: it upserts the
``target_groups`` and ``company_scores`` rows and queues each ``TargetScoreV1`` for the compacted
targets topic in the same transaction (the transactional outbox; the relay publishes it).
"""

from __future__ import annotations

import pickle
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, select

from triggerwatch.core.db import (
    Company,
    CompanyScore,
    Customer,
    CustomerOffer,
    CustomerValue,
    Database,
    ScoringRun,
    TargetGroup,
)
from triggerwatch.core.errors import ConfigError
from triggerwatch.core.feedback import FeedbackLabel, training_labels
from triggerwatch.core.targets import ScoreIn, TargetFile, TargetGroupIn, load_targets
from triggerwatch.scoring.customers import ImportResult, read_customers
from triggerwatch.scoring.features import Codes, company_row_features, frame
from triggerwatch.scoring.targets import Dataset, ScoringResult, today


class MissingStepError(ConfigError):
    """A step the command needs has not been done yet (the message names it)."""


REGISTRY_FIRST = (
    "the company registry is empty: customers are matched to registry companies by business ID, so "
    "load the registry first with `triggerwatch registry load <file or URL>` (PRH open data), then "
    "import the customers again"
)


def import_customers(db: Database, path: Path, progress: Callable[[], Any] | None = None) -> ImportResult:
    """Validate a customer file against the company table and store the valid rows (upsert).

    Refuses (``MissingStepError``) when the company table is empty: every row would be an
    unknown company."""
    with db.session() as s:
        known = set(s.scalars(select(Company.business_id)))
    if not known:
        raise MissingStepError(REGISTRY_FIRST)
    result = read_customers(path, known, progress)
    orders: dict[tuple[str, str], list[list[Any]]] = {}
    for ln in result.lines:
        if ln.order_date is not None:
            orders.setdefault((ln.business_id, ln.product_group), []).append(
                [ln.order_date.isoformat(), ln.order_amount if ln.order_amount is not None else ln.revenue]
            )
    with db.session() as s:
        existing = set(s.execute(select(Customer.business_id, Customer.product_group)).tuples())
        for row in result.customers().itertuples(index=False):
            customer = Customer(
                business_id=row.business_id,
                product_group=row.product_group,
                revenue=float(row.revenue),
                gross_margin=float(row.gross_margin),
                order_lines=orders.get((row.business_id, row.product_group), []),
            )
            if (row.business_id, row.product_group) in existing:
                s.merge(customer)  # a re-import replaces the customer's totals
            else:
                s.add(customer)
    return result


def dataset_from_db(db: Database, codes: Codes) -> Dataset:
    day = today()
    with db.session() as s:
        companies = list(s.scalars(select(Company).where(Company.is_active.is_(True))))
        features = frame(company_row_features(c, codes, day) for c in companies)
        rows = list(s.scalars(select(Customer)))
        labels = training_labels(s)
    customers = pd.DataFrame(
        [(c.business_id, c.product_group, c.revenue, c.gross_margin) for c in rows],
        columns=["business_id", "product_group", "revenue", "gross_margin"],
    )
    orders = pd.DataFrame(
        [(c.business_id, c.product_group, pd.Timestamp(d), a) for c in rows for d, a in c.order_lines],
        columns=["business_id", "product_group", "order_date", "amount"],
    )
    known = pd.DataFrame(
        [(t.business_id, t.product_group) for t in labels if t.label == FeedbackLabel.ALREADY_CUSTOMER.value],
        columns=["business_id", "product_group"],
    )
    return Dataset(features, customers, orders, known)


def store(db: Database, result: ScoringResult, data: Dataset, *, only_better: bool = True) -> dict[str, Any]:
    """Record every model run; store and publish target groups and scores of the useful models."""
    run_id = str(uuid.uuid4())
    published = [pg for pg, m in result.models.items() if m.better_than_baseline or not only_better]
    with db.session() as s:
        for pg, model in result.models.items():
            s.add(
                ScoringRun(
                    run_id=run_id,
                    product_group=pg,
                    trained_at=result.trained_at,
                    params=model.params,
                    metrics=model.summary(),
                    better_than_baseline=model.better_than_baseline,
                    model=pickle.dumps(model.artefact()),
                )
            )
        for pg in published:  # customers (and reps' "already customer") are no longer prospects
            s.execute(
                delete(CompanyScore).where(
                    CompanyScore.product_group == pg,
                    CompanyScore.business_id.in_(list(data.not_prospects(pg))),
                )
            )
    groups = [g for pg in published for g in result.groups[pg]]
    scores = result.scores[result.scores["product_group"].isin(published)]
    target_file = TargetFile(
        target_groups=[
            TargetGroupIn(
                target_group_id=g.target_group_id,
                product_group=g.product_group,
                rule=g.rule,
                rule_fi=g.rule_fi,
                expected_value=round(g.expected_value, 2),
                size=g.size,
            )
            for g in groups
        ],
        scores=[
            ScoreIn(
                business_id=r.business_id,
                product_group=r.product_group,
                target_group_id=r.target_group_id,
                score=float(r.score),
            )
            for r in scores.itertuples(index=False)
        ],
    )
    counts = load_targets(db, target_file)
    counts |= store_customers(db, result)
    keep = {g.target_group_id for g in groups}
    with db.session() as s:  # target groups of an earlier tree that no score refers to any more
        referenced = set(s.scalars(select(CompanyScore.target_group_id).distinct()))
        stale = [
            tg
            for tg in s.scalars(select(TargetGroup).where(TargetGroup.product_group.in_(published)))
            if tg.target_group_id not in keep and tg.target_group_id not in referenced
        ]
        for tg in stale:
            s.delete(tg)
    return {"run_id": run_id, "published_product_groups": published, **counts}


def store_customers(db: Database, result: ScoringResult) -> dict[str, int]:
    """Replace the next-best-offers and lifetime values of existing customers with this run's."""
    with db.session() as s:
        s.execute(delete(CustomerOffer))
        s.execute(delete(CustomerValue))
        now = result.trained_at
        s.add_all(
            CustomerOffer(**{k: _plain(v) for k, v in row.items()}, computed_at=now)
            for row in result.offers.to_dict("records")
        )
        horizon = int(result.value_models.get("horizon_years", 3))  # type: ignore[call-overload]
        s.add_all(
            CustomerValue(
                **{k: _plain(v) for k, v in row.items() if k != "margin_rate"},
                horizon_years=horizon,
                computed_at=now,
            )
            for row in result.values.to_dict("records")
        )
    return {"customer_offers": len(result.offers), "customer_values": len(result.values)}


def _plain(value: Any) -> Any:
    """numpy scalars and NaN → what the database driver takes."""
    if value is None:
        return None
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


OwnerOf = Callable[[str, str | None, str, str | None], str | None]  # (pg, region, business id, TOL)


def _companies(s: Any, ids: list[str]) -> dict[str, tuple[str, str | None, str | None]]:
    out: dict[str, tuple[str, str | None, str | None]] = {}
    for i in range(0, len(ids), 5000):
        rows = s.execute(
            select(Company.business_id, Company.name, Company.region, Company.industry_code).where(
                Company.business_id.in_(ids[i : i + 5000])
            )
        ).tuples()
        out |= {bid: (name, region, industry) for bid, name, region, industry in rows}
    return out


def export_scores(db: Database, owner_of: OwnerOf | None = None) -> pd.DataFrame:
    """Stored prospect scores for a rep list: company name, region and owner rep (the rules file's
    routing), the target group's rule, expected value and size, and ``offer_rank`` — per company,
    its product groups by score × expected value (1 = what to offer first)."""
    with db.session() as s:
        rows = s.execute(
            select(
                CompanyScore.business_id,
                CompanyScore.product_group,
                CompanyScore.score,
                CompanyScore.target_group_id,
                CompanyScore.rule_path,
                TargetGroup.expected_value,
                TargetGroup.size,
                CompanyScore.scored_at,
            )
            .join(TargetGroup, TargetGroup.target_group_id == CompanyScore.target_group_id)
            .order_by(CompanyScore.product_group, CompanyScore.score.desc(), CompanyScore.business_id)
        ).all()
        frame = pd.DataFrame(
            rows,
            columns=[
                "business_id",
                "product_group",
                "score",
                "target_group_id",
                "rule_path",
                "expected_value",
                "target_group_size",
                "scored_at",
            ],
        )
        companies = _companies(s, sorted(frame["business_id"].unique()))
    value = frame["score"] * frame["expected_value"].fillna(0.0)
    order = frame.assign(_v=value).sort_values(["business_id", "_v", "score"], ascending=[True, False, False])
    frame["offer_rank"] = order.groupby("business_id").cumcount().reindex(frame.index) + 1
    return _with_company(frame, companies, owner_of)[
        [
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
    ]


def _with_company(
    frame: pd.DataFrame, companies: dict[str, tuple[str, str | None, str | None]], owner_of: OwnerOf | None
) -> pd.DataFrame:
    facts = [companies.get(bid, ("", None, None)) for bid in frame["business_id"]]
    frame["company_name"] = [f[0] for f in facts]
    frame["region"] = [f[1] for f in facts]
    pgs = frame["product_group"] if "product_group" in frame else pd.Series("", index=frame.index)
    frame["owner"] = [
        owner_of(str(pg or ""), f[1], bid, f[2]) if owner_of is not None else None
        for bid, pg, f in zip(frame["business_id"], pgs.fillna(""), facts, strict=True)
    ]
    return frame


def export_customers(db: Database, owner_of: OwnerOf | None = None) -> pd.DataFrame:
    """Existing customers for a rep list: lifetime value with its interval and model, and one row
    per cross-sell offer, best first (``offer_rank``); a customer without offers has one row."""
    with db.session() as s:
        values = pd.DataFrame(
            [
                (v.business_id, v.clv, v.clv_low, v.clv_high, v.model, v.p_alive, v.last_order)
                for v in s.scalars(select(CustomerValue))
            ],
            columns=["business_id", "clv", "clv_low", "clv_high", "clv_model", "p_alive", "last_order"],
        )
        offers = pd.DataFrame(
            [
                (o.business_id, o.rank, o.product_group, o.score, o.expected_margin, o.adoption_rate, o.rule)
                for o in s.scalars(select(CustomerOffer))
            ],
            columns=[
                "business_id",
                "offer_rank",
                "product_group",
                "score",
                "expected_margin",
                "adoption_rate",
                "rule",
            ],
        )
        ids = sorted(set(values["business_id"]) | set(offers["business_id"]))
        companies = _companies(s, ids)
    frame = values.merge(offers, on="business_id", how="outer")
    frame = frame.sort_values(
        ["clv", "business_id", "offer_rank"], ascending=[False, True, True], na_position="last"
    )
    frame = _with_company(frame.reset_index(drop=True), companies, owner_of)
    frame["offer_rank"] = frame["offer_rank"].astype("Int64")
    return frame[
        [
            "business_id",
            "company_name",
            "region",
            "owner",
            "clv",
            "clv_low",
            "clv_high",
            "clv_model",
            "p_alive",
            "last_order",
            "offer_rank",
            "product_group",
            "score",
            "expected_margin",
            "adoption_rate",
            "rule",
        ]
    ]
