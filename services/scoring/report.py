"""The HTML report: per product group the verdict, lift chart, score distribution, segment table and
the tree; matplotlib figures inlined as SVG into a Jinja2 template."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from jinja2 import Environment, select_autoescape  # noqa: E402
from markupsafe import Markup  # noqa: E402
from sklearn.tree import export_text  # noqa: E402

from triggerwatch.scoring.model import GroupModel  # noqa: E402
from triggerwatch.scoring.segments import profiles, value_tiers  # noqa: E402
from triggerwatch.scoring.targets import Dataset, ScoringResult  # noqa: E402

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>triggerwatch scoring report</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}.bad{color:#a00}.good{color:#060}
pre{background:#f6f6f6;padding:1em;overflow:auto}</style></head><body>
<h1>Scoring report</h1><p>Trained {{ trained_at }}; customers {{ n_customers }}; companies {{ n_companies }}.</p>
<h2>Value tiers</h2><table><tr><th>tier</th><th>customers</th><th>gross margin</th></tr>
{% for t in tiers %}<tr><td>{{ t.tier }}</td><td>{{ t.customers }}</td><td>{{ "%.0f"|format(t.margin) }}</td></tr>{% endfor %}</table>
{% for pg, why in refused.items() %}<h2>{{ pg }}</h2><p class="bad">No model: {{ why }}</p>{% endfor %}
{% for g in groups %}<h2>{{ g.pg }}</h2>
<p class="{{ 'good' if g.better else 'bad' }}"><b>{{ g.verdict }}</b></p>
<table><tr><th></th><th>ROC AUC</th><th>precision@10 %</th><th>lift top decile</th></tr>
<tr><td>model</td><td>{{ "%.3f"|format(g.m.auc) }}</td><td>{{ "%.3f"|format(g.m.precision_at_10pct) }}</td><td>{{ "%.2f"|format(g.m.lift_top_decile) }}</td></tr>
<tr><td>baseline (DummyClassifier)</td><td>{{ "%.3f"|format(g.b.auc) }}</td><td>{{ "%.3f"|format(g.b.precision_at_10pct) }}</td><td>{{ "%.2f"|format(g.b.lift_top_decile) }}</td></tr></table>
<p>Held-out: {{ g.m.n_test }} customers, base rate {{ "%.1f"|format(100 * g.m.base_rate) }} %; parameters {{ g.params }}.</p>
{{ g.lift }} {{ g.hist }}
<h3>Target groups</h3><table><tr><th>rule</th><th>sääntö</th><th>score</th><th>prospects</th><th>expected margin</th></tr>
{% for t in g.targets %}<tr><td>{{ t.rule }}</td><td>{{ t.rule_fi }}</td><td>{{ "%.2f"|format(t.score) }}</td><td>{{ t.size }}</td><td>{{ "%.0f"|format(t.expected_value) }}</td></tr>{% endfor %}</table>
<h3>Segments (industry × region × form × age)</h3><table><tr><th>TOL</th><th>region</th><th>form</th><th>age</th><th>customers</th><th>margin/customer</th><th>margin rate</th></tr>
{% for s in g.segments %}<tr><td>{{ s.tol_section }}</td><td>{{ s.region }}</td><td>{{ s.company_form }}</td><td>{{ s.age_band }}</td><td>{{ s.customers }}</td><td>{{ s.margin_per_customer }}</td><td>{{ s.margin_rate }}</td></tr>{% endfor %}</table>
<h3>The tree</h3><pre>{{ g.tree }}</pre>{% endfor %}
</body></html>"""


def _svg(fig: Any) -> Markup:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return Markup(text[text.index("<svg") :])  # noqa: S704 - matplotlib's own SVG


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


def render(result: ScoringResult, data: Dataset, path: Path, progress: Any = None) -> Path:
    tiers = value_tiers(data.customers)
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
                "tree": export_text(model.pipeline[-1], feature_names=names, max_depth=6),
            }
        )
        if progress is not None:
            progress()
    env = Environment(autoescape=select_autoescape(default=True))
    html = env.from_string(TEMPLATE).render(
        trained_at=result.trained_at.isoformat(timespec="seconds"),
        n_customers=data.customers["business_id"].nunique(),
        n_companies=len(data.features),
        tiers=[
            {"tier": t, "customers": int((tiers["tier"] == t).sum()), "margin": float(tiers.loc[tiers["tier"] == t, "gross_margin"].sum())}
            for t in ("top 5%", "top 20%", "rest")
        ],
        refused=result.refused,
        groups=groups,
    )
    path.write_text(html, encoding="utf-8")
    return path
