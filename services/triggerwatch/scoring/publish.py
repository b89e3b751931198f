"""Storage and publishing: customers, model runs, target groups and scores.

Target groups and scores go through ``triggerwatch.core.targets.load_targets``: it upserts the
``target_groups`` and ``company_scores`` rows and queues each ``TargetScoreV1`` for the compacted
targets topic in the same transaction (the transactional outbox; the relay publishes it).
"""

from __future__ import annotations

import pickle
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import delete, select

from triggerwatch.core.db import Company, CompanyScore, Customer, Database, ScoringRun, TargetGroup
from triggerwatch.core.targets import ScoreIn, TargetFile, TargetGroupIn, load_targets
from triggerwatch.scoring.customers import ImportResult, read_customers
from triggerwatch.scoring.features import Codes, company_row_features, frame
from triggerwatch.scoring.targets import Dataset, ScoringResult, today
from triggerwatch.web.feedback import FeedbackLabel, training_labels


def import_customers(db: Database, path: Path) -> ImportResult:
    """Validate a customer file against the company table and store the valid rows (upsert)."""
    with db.session() as s:
        known = set(s.scalars(select(Company.business_id)))
    result = read_customers(path, known)
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
    targets = TargetFile(
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
    counts = load_targets(db, targets)
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


def export_scores(db: Database) -> pd.DataFrame:
    """Stored scores with their target group's rule, expected value and size."""
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
    return pd.DataFrame(
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
