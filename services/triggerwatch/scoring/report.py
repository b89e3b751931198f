"""The HTML report: per product group the verdict, lift chart, score distribution, segment table and
the tree; matplotlib figures inlined as SVG into a Jinja2 template."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from sklearn.tree import export_text, plot_tree

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
    y, p = model.test_labels, model.test_scores
    order = np.argsort(-p, kind="stable")
    deciles = np.array_split(y[order], 10)
    base = y.mean() or 1.0
    lift = [d.mean() / base if len(d) else 0 for d in deciles]
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.bar(range(1, 11), lift, color="#3a7")
    ax.axhline(1.0, color="#a00", linestyle="--", label="baseline")
    ax.set(xlabel="decile by score (held-out)", ylabel="lift", title=f"Lift: {model.product_group}")
    ax.legend()
    return _svg(fig)


def score_histogram(scores: np.ndarray, title: str) -> Markup:
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.hist(scores, bins=20, range=(0, 1), color="#37a")
    ax.set(xlabel="score", ylabel="prospects", title=title)
    return _svg(fig)


def tree_plot(model: GroupModel) -> Markup:
    """The tree's top three levels as a figure (the full tree is in the text below it)."""
    names = list(model.pipeline[0].get_feature_names_out())
    fig, ax = plt.subplots(figsize=(11, 4.5))
    plot_tree(
        model.pipeline[-1],
        feature_names=names,
        class_names=["other", "good"],
        max_depth=3,
        filled=True,
        impurity=False,
        proportion=True,
        fontsize=7,
        ax=ax,
    )
    return _svg(fig)


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
        names = list(model.pipeline[0].get_feature_names_out())
        groups.append(
            {
                "pg": pg,
                "better": model.better_than_baseline,
                "verdict": model.verdict(),
                "m": model.metrics,
                "b": model.baseline,
                "params": model.params,
                "lift": lift_chart(model),
                "hist": score_histogram(scores, f"Prospect scores: {pg}"),
                "targets": result.groups[pg][:15],
                "segments": profiles(data.features, data.customers, pg).head(20).to_dict("records"),
                "tree_plot": tree_plot(model),
                "tree": export_text(model.pipeline[-1], feature_names=names, max_depth=6),
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
        refused=result.refused,
        groups=groups,
        feedback=list(feedback),
    )
    path.write_text(html, encoding="utf-8")
    return path
