from __future__ import annotations

from datetime import date

import pandas as pd

from triggerwatch.scoring.segments import profiles, rfm, value_tiers


def test_value_tiers_top_5_and_20_percent() -> None:
    customers = pd.DataFrame(
        {
            "business_id": [f"{i:07d}-0" for i in range(40)],
            "product_group": "x",
            "revenue": 1.0,
            "gross_margin": [float(i) for i in range(40)],
        }
    )
    tiers = value_tiers(customers)
    assert tiers["tier"].value_counts().to_dict() == {"rest": 32, "top 20%": 6, "top 5%": 2}
    assert set(tiers.index[tiers["tier"] == "top 5%"]) == {"0000039-0", "0000038-0"}


def test_rfm_scores_and_lifecycle() -> None:
    today = date(2026, 11, 1)
    rows = [
        ("a", "2026-10-20", 500.0),
        ("a", "2025-01-10", 500.0),
        ("a", "2026-06-01", 900.0),  # loyal, recent, big
        ("b", "2026-09-01", 50.0),  # first order two months ago
        ("c", "2025-06-01", 100.0),
        ("c", "2024-01-01", 100.0),  # last order 17 months ago
        ("d", "2022-02-01", 10.0),  # gone
        ("e", "2026-03-01", 200.0),
        ("e", "2024-03-01", 200.0),
    ]
    orders = pd.DataFrame(rows, columns=["business_id", "order_date", "amount"])
    orders["order_date"] = pd.to_datetime(orders["order_date"])
    orders["product_group"] = "x"
    out = rfm(orders, today)
    assert out.loc["a", ["frequency", "monetary", "recency_days"]].tolist() == [3, 1900.0, 12]
    assert out.loc["a", "rfm"] == "555"
    assert (out.loc["d", "r"], out.loc["d", "m"]) == (1, 1)  # oldest and smallest
    assert out.loc["d", "f"] <= 2  # one order, tied with b
    assert out["lifecycle"].to_dict() == {
        "a": "active",
        "b": "new",
        "c": "at risk",
        "d": "lapsed",
        "e": "active",
    }


def test_profile_per_product_group_ranks_segments_by_margin_rate(
    planted_features: pd.DataFrame, planted_customers: pd.DataFrame
) -> None:
    seg = profiles(planted_features, planted_customers, "it-services")
    top = seg.iloc[0]
    assert (top["tol_section"], top["region"]) == ("K", "Uusimaa")
    planted = (seg["tol_section"] == "K") & (seg["region"] == "Uusimaa")
    # the planted effect is on the margin rate: every K × Uusimaa sub-segment (form × age band)
    # earns a higher rate than every other segment
    assert seg.loc[planted, "margin_rate"].min() > seg.loc[~planted, "margin_rate"].max()
    assert list(seg["margin_rate"]) == sorted(seg["margin_rate"], reverse=True)
    assert seg["customers"].min() >= 5
    assert {"company_form", "age_band", "margin_rate"} <= set(seg.columns)
