"""The HTML report: per product group the verdict, lift chart, score distribution, segment table and
the tree; for existing customers their lifetime values and next-best-offers; matplotlib figures
inlined as SVG into a Jinja2 template."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from sklearn.tree import export_text, plot_tree

from triggerwatch.scoring.labels import DESCRIPTIONS as LABEL_TEXT
from triggerwatch.scoring.model import GroupModel
from triggerwatch.scoring.segments import profiles, rfm, value_tiers
from triggerwatch.scoring.targets import Dataset, ScoringResult


def _svg(fig: Any) -> Markup:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return Markup(text[text.index("<svg") :])


def lift_chart(model: GroupModel) -> Markup:
    """Lift per held-out decile of the three candidate models (the plain depth-4 tree among them)."""
    fig, ax = plt.subplots(figsize=(5, 3))
    x = np.arange(1, 11)
    for offset, (name, color) in zip(
        (-0.27, 0.0, 0.27), (("tree", "#3a7"), ("reference", "#aaa"), ("hgb", "#37a")), strict=True
    ):
        lift = model.candidates[name].lift_deciles
        ax.bar(x + offset, lift, width=0.27, color=color, label=CANDIDATES[name])
    ax.axhline(1.0, color="#a00", linestyle="--", label="baseline")
    ax.set(xlabel="decile by score (held-out)", ylabel="lift", title=f"Lift: {model.product_group}")
    ax.legend()
    return _svg(fig)


def score_histogram(scores: np.ndarray, title: str) -> Markup:
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.hist(scores, bins=20, range=(0, 1), color="#37a")
    ax.set(xlabel="score", ylabel="prospects", title=title)
    return _svg(fig)


CANDIDATES = {"tree": "tuned tree", "hgb": "gradient boosting", "reference": "plain depth-4 tree"}


def tree_plot(model: GroupModel) -> Markup:
    """The readable tree's top three levels as a figure (the full tree is in the text below it)."""
    names = list(model.encode.get_feature_names_out())
    fig, ax = plt.subplots(figsize=(11, 4.5))
    plot_tree(
        model.explainer,
        feature_names=names,
        class_names=["other", "good"] if model.kind == "tree" else None,
        max_depth=3,
        filled=True,
        impurity=False,
        proportion=True,
        fontsize=7,
        ax=ax,
    )
    return _svg(fig)


def existing_customers(result: ScoringResult, top: int = 20) -> dict[str, Any]:
    """Lifetime values and next-best-offers of existing customers, as the report shows them."""
    values, offers = result.values, result.offers
    best = offers[offers["rank"] == 1].set_index("business_id") if len(offers) else offers
    top_values = []
    for r in values.head(top).itertuples(index=False):
        offer = best.loc[r.business_id] if r.business_id in best.index else None
        top_values.append(
            {
                "business_id": r.business_id,
                "model": r.model,
                "clv": float(r.clv),
                "clv_low": float(r.clv_low),
                "clv_high": float(r.clv_high),
                "p_alive": None if pd.isna(r.p_alive) else float(r.p_alive),
                "orders": None if pd.isna(r.orders) else int(r.orders),
                "offer": None if offer is None else str(offer["product_group"]),
                "offer_margin": None if offer is None else float(offer["expected_margin"]),
            }
        )
    by_group = []
    if len(offers):
        for pg, g in offers.groupby("product_group"):
            first = g[g["rank"] == 1]
            rules = first["rule"].value_counts() if len(first) else g["rule"].value_counts()
            by_group.append(
                {
                    "product_group": str(pg),
                    "customers": int(g["business_id"].nunique()),
                    "first_offer": len(first),
                    "adoption": float(g["adoption_rate"].mean()),
                    "expected_margin": float(g["expected_margin"].sum()),
                    "rule": str(rules.index[0]),
                    "rule_customers": int(rules.iloc[0]),
                }
            )
    return {
        "customers": len(values),
        "models": {str(k): int(v) for k, v in values["model"].value_counts().items()},
        "total_clv": float(values["clv"].sum()) if len(values) else 0.0,
        "fits": result.value_models,
        "values": top_values,
        "offers": by_group,
        "top_offers": offers.sort_values(["expected_margin", "score"], ascending=False)
        .head(top)
        .to_dict("records"),
    }


def render(
    result: ScoringResult,
    data: Dataset,
    path: Path,
    progress: Any = None,
    feedback: Sequence[Any] = (),
) -> Path:
    """Write the report; ``feedback`` rows (kind, product_group, n, useful, precision) add reps' verdicts."""
    tiers = value_tiers(data.customers)
    stages = rfm(data.orders, result.trained_at.date())
    lifecycle = []
    if not stages.empty:
        stages["rfm_mean"] = stages[["r", "f", "m"]].mean(axis=1)
        lifecycle = (
            stages.groupby("lifecycle")
            .agg(customers=("rfm", "size"), rfm_mean=("rfm_mean", "mean"), monetary=("monetary", "mean"))
            .reset_index()
            .to_dict("records")
        )
    groups = []
    for pg, model in sorted(result.models.items()):
        scores = result.scores.loc[result.scores["product_group"] == pg, "score"].to_numpy()
        names = list(model.encode.get_feature_names_out())
        groups.append(
            {
                "pg": pg,
                "better": model.better_than_baseline,
                "verdict": model.verdict(),
                "label": LABEL_TEXT.get(model.label, model.label),
                "kind": model.kind_name,
                "m": model.metrics,
                "b": model.baseline,
                "rows": [
                    (CANDIDATES[k] + (" (ranks)" if k == model.kind else ""), c)
                    for k, c in model.candidates.items()
                ]
                + [("baseline (DummyClassifier)", model.baseline)],
                "repeated": model.repeated,
                "repeated_means": [(CANDIDATES[k], v) for k, v in model.repeated.means.items()],
                "fidelity": model.fidelity,
                "surrogate": model.kind != "tree",
                "params": model.params,
                "lift": lift_chart(model),
                "hist": score_histogram(scores, f"Prospect scores: {pg}"),
                "targets": result.groups[pg][:15],
                "segments": profiles(data.features, data.customers, pg).head(20).to_dict("records"),
                "tree_plot": tree_plot(model),
                "tree": export_text(model.explainer, feature_names=names, max_depth=6),
            }
        )
        if progress is not None:
            progress()
    env = Environment(
        loader=PackageLoader("triggerwatch.scoring", "templates"), autoescape=select_autoescape(default=True)
    )
    html = env.get_template("report.html").render(
        trained_at=result.trained_at.isoformat(timespec="seconds"),
        n_customers=data.customers["business_id"].nunique(),
        n_companies=len(data.features),
        tiers=[
            {
                "tier": t,
                "customers": int((tiers["tier"] == t).sum()),
                "margin": float(tiers.loc[tiers["tier"] == t, "gross_margin"].sum()),
            }
            for t in ("top 5%", "top 20%", "rest")
        ],
        lifecycle=lifecycle,
        existing=existing_customers(result),
        refused=result.refused,
        groups=groups,
        feedback=list(feedback),
    )
    path.write_text(html, encoding="utf-8")
    return path
