"""What makes a customer *good* for a product group: the label the lookalike model learns.

The population of a product group's model is the group's **buyers** (customers with a row for
it). A customer who never bought the group says nothing about how profitably it would: it is a
cross-sell candidate (see ``offers.py``), not a negative example. A buyer is good when its value
under the chosen label is in the group's top ``top_share`` (default 20 %):

- ``margin_rate`` (default): gross margin / revenue from the group. Independent of company size,
  so the model finds *where* the seller earns well, not who is big;
- ``margin``: the absolute gross margin from the group (mixes company size and the length of the
  relationship into "profitable");
- ``margin_per_year``: the gross margin per year of relationship (first order of any group until
  today, at least one year; without order dates it is the absolute margin);
- ``combined``: the mean of the buyer's percentile ranks in ``margin_rate`` and
  ``margin_per_year`` (profitable *and* worth having).

The default was chosen by cross-validated held-out AUC on the realistic synthetic data of
``synthetic.py`` (``python -m bench.eval_scoring --labels``; the figures are in docs/scoring.md).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pandas as pd

LABELS = ("margin_rate", "margin", "margin_per_year", "combined")
DEFAULT_LABEL = "margin_rate"
DESCRIPTIONS = {
    "margin_rate": "gross margin rate (margin / revenue)",
    "margin": "absolute gross margin",
    "margin_per_year": "gross margin per year of relationship",
    "combined": "mean percentile of margin rate and margin per year",
}


def check_label(label: str) -> str:
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r}: choose one of {', '.join(LABELS)}")
    return label


def relationship_years(orders: pd.DataFrame | None, today: date) -> pd.Series:
    """Per customer: years from its first order (any product group) to ``today``, at least 1."""
    if orders is None or orders.empty:
        return pd.Series(dtype=float)
    first = pd.to_datetime(orders["order_date"]).groupby(orders["business_id"]).min()
    years = (pd.Timestamp(today) - first).dt.days / 365.25
    return years.clip(lower=1.0)


def label_values(
    customers: pd.DataFrame,
    product_group: str,
    label: str = DEFAULT_LABEL,
    orders: pd.DataFrame | None = None,
    today: date | None = None,
) -> pd.DataFrame:
    """Per buyer of the group (index business_id): revenue, gross_margin and the label's ``value``.

    Buyers whose value is undefined (margin rate of zero or negative revenue) are left out."""
    check_label(label)
    rows = customers[customers["product_group"] == product_group]
    buyers = rows.groupby("business_id")[["revenue", "gross_margin"]].sum()
    rate = buyers["gross_margin"] / buyers["revenue"].where(buyers["revenue"] > 0)
    if label in ("margin_per_year", "combined"):
        years = relationship_years(orders, today or datetime.now(UTC).date())
        years = years.reindex(buyers.index).fillna(1.0)
        per_year = buyers["gross_margin"] / years
    if label == "margin_rate":
        value = rate
    elif label == "margin":
        value = buyers["gross_margin"]
    elif label == "margin_per_year":
        value = per_year
    else:
        value = (rate.rank(pct=True) + per_year.rank(pct=True)) / 2
    out = buyers.assign(value=value)
    return out[out["value"].notna()]


def good_customers(values: pd.DataFrame, top_share: float) -> tuple[pd.Series, float]:
    """The 0/1 label (top ``top_share`` by value, with a positive margin) and its threshold."""
    if values.empty:
        return pd.Series(dtype=int), math.inf
    threshold = float(values["value"].quantile(1 - top_share))
    good = ((values["value"] >= threshold) & (values["gross_margin"] > 0)).astype(int)
    return good, threshold
