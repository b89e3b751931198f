"""The backtest's HTML report (``templates/backtest.html``): plots (matplotlib, inlined as SVG, as the
scoring report) and tables."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup


def _svg(fig: Any) -> Markup:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return Markup(text[text.index("<svg") :])


def _grouped_bars(labels: list[str], series: dict[str, list[int]], title: str, ylabel: str) -> Markup:
    fig, ax = plt.subplots(figsize=(max(5.0, 0.6 * len(labels) + 2), 3.2))
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        ax.bar([x + i * width for x in range(len(labels))], values, width, label=name.replace("_", " "))
    ax.set_xticks(
        [x + width * (len(series) - 1) / 2 for x in range(len(labels))], labels, rotation=30, ha="right"
    )
    ax.set(title=title, ylabel=ylabel)
    if labels:
        ax.legend()
    return _svg(fig)


def render(summary: dict[str, Any], path: Path) -> Path:
    scenarios = summary["scenarios"]
    weeks = sorted({(r["owner"], r["week"]) for sc in scenarios.values() for r in sc["per_rep_week"]})
    week_counts = {
        name: {(r["owner"], r["week"]): r["alerts"] for r in sc["per_rep_week"]}
        for name, sc in scenarios.items()
    }
    week_rows = [
        {"owner": o, "week": w, "counts": [week_counts[name].get((o, w), 0) for name in scenarios]}
        for o, w in weeks
    ]
    all_weeks = sorted({w for _, w in weeks})
    per_week = {
        name: [sum(n for (o, w), n in counts.items() if w == week) for week in all_weeks]
        for name, counts in week_counts.items()
    }
    groups = sorted(
        {(r["kind"], r["product_group"]) for sc in scenarios.values() for r in sc["per_kind_product_group"]}
    )
    group_counts = {
        name: {(r["kind"], r["product_group"]): r["alerts"] for r in sc["per_kind_product_group"]}
        for name, sc in scenarios.items()
    }
    html = (
        Environment(
            loader=PackageLoader("triggerwatch.analytics", "templates"), autoescape=select_autoescape()
        )
        .get_template("backtest.html")
        .render(
            s=summary,
            week_rows=week_rows,
            weeks_plot=_grouped_bars(all_weeks, per_week, "Alerts per week (all reps)", "alerts"),
            groups_plot=_grouped_bars(
                [f"{k} → {pg}" for k, pg in groups],
                {name: [c.get(g, 0) for g in groups] for name, c in group_counts.items()},
                "Alerts per kind and product group",
                "alerts",
            ),
        )
    )
    path.write_text(html, encoding="utf-8")
    return path
