"""Segmentation: value tiers, RFM and lifecycle (when order lines exist), profiles per product group."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

AGE_BANDS = [-np.inf, 2, 5, 10, 20, np.inf]
AGE_LABELS = ["<2 y", "2–5 y", "5–10 y", "10–20 y", "≥20 y"]


def value_tiers(customers: pd.DataFrame, shares: tuple[float, ...] = (0.05, 0.2)) -> pd.DataFrame:
    """Per company: total gross margin and its tier (``top 5 %``, ``top 20 %``, ``rest``)."""
    total = customers.groupby("business_id")["gross_margin"].sum().sort_values(ascending=False)
    rank = total.rank(ascending=False, method="first") / max(len(total), 1)
    tier = pd.Series("rest", index=total.index)
    for share in sorted(shares, reverse=True):
        tier[rank <= share] = f"top {share:.0%}"
    return pd.DataFrame({"gross_margin": total, "tier": tier})


def rfm(orders: pd.DataFrame, today: date) -> pd.DataFrame:
    """Recency (days), frequency, monetary per company, 1–5 scores (5 best) and lifecycle stage."""
    if orders.empty:
        return pd.DataFrame(
            columns=["recency_days", "frequency", "monetary", "r", "f", "m", "rfm", "lifecycle"]
        )
    now = pd.Timestamp(today)
    g = orders.groupby("business_id")
    out = pd.DataFrame(
        {
            "recency_days": (now - g["order_date"].max()).dt.days,
            "frequency": g.size(),
            "monetary": g["amount"].sum(),
            "tenure_days": (now - g["order_date"].min()).dt.days,
        }
    )

    def score(s: pd.Series, best_high: bool) -> pd.Series:
        ranked = s.rank(method="first", ascending=best_high)
        return (
            pd.qcut(ranked, 5, labels=False, duplicates="drop").astype(int) + 1
            if len(s) >= 5
            else pd.Series(3, index=s.index)
        )

    out["r"] = score(out["recency_days"], best_high=False)
    out["f"] = score(out["frequency"], best_high=True)
    out["m"] = score(out["monetary"], best_high=True)
    out["rfm"] = out["r"].astype(str) + out["f"].astype(str) + out["m"].astype(str)
    out["lifecycle"] = np.select(
        [out["tenure_days"] < 180, out["recency_days"] <= 365, out["recency_days"] <= 730],
        ["new", "active", "at risk"],
        "lapsed",
    )
    return out


def profiles(
    features: pd.DataFrame, customers: pd.DataFrame, product_group: str, min_customers: int = 5
) -> pd.DataFrame:
    """Industry × region × form × age band for one product group: customers and profitability,
    the highest margin rate first (the default label's notion of profitable)."""
    buyers = (
        customers[customers["product_group"] == product_group]
        .groupby("business_id")[["revenue", "gross_margin"]]
        .sum()
    )
    f = features.reindex(buyers.index)
    df = buyers.join(f[["tol_section", "region", "company_form", "age_years"]])
    df["age_band"] = pd.cut(df["age_years"].fillna(-1), AGE_BANDS, labels=AGE_LABELS, right=False).astype(str)
    seg = (
        df.groupby(["tol_section", "region", "company_form", "age_band"], observed=True)
        .agg(customers=("revenue", "size"), revenue=("revenue", "sum"), gross_margin=("gross_margin", "sum"))
        .reset_index()
    )
    seg = seg[seg["customers"] >= min_customers].copy()
    seg["margin_per_customer"] = (seg["gross_margin"] / seg["customers"]).round(2)
    seg["margin_rate"] = (seg["gross_margin"] / seg["revenue"].where(seg["revenue"] != 0)).round(3)
    return seg.sort_values(["margin_rate", "margin_per_customer"], ascending=False).reset_index(drop=True)
