"""Lifetime value: the scipy BG/NBD and Gamma-Gamma fits against the published CDNOW figures, and
the value of small known customers."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from tests.conftest import FIXTURES
from triggerwatch.scoring import clv

CDNOW = FIXTURES / "scoring" / "cdnow_sample_summary.csv"


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(CDNOW)


def test_bgnbd_and_gamma_gamma_recover_the_published_cdnow_estimates(cdnow: pd.DataFrame) -> None:
    bg = clv.fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    # Fader, Hardie & Lee (2005): r 0.243, alpha 4.414, a 0.793, b 2.426, LL -9582.4
    assert (round(bg.r, 3), round(bg.alpha, 3), round(bg.a, 3), round(bg.b, 3)) == (
        0.243,
        4.414,
        0.793,
        2.426,
    )
    assert bg.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    # ... and their worked example: x = 2, t_x = 30.43, T = 38.86 expects 1.226 orders in 39 weeks
    one = clv.expected_orders(bg, 39, np.array([2.0]), np.array([30.43]), np.array([38.86]))
    assert one[0] == pytest.approx(1.226, abs=0.001)
    gg = clv.fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    # Fader & Hardie (2013): p 6.25, q 3.74, gamma 15.44 on the 946 repeat buyers, LL -4055.9
    assert (round(gg.p, 2), round(gg.q, 2)) == (6.25, 3.74) and gg.gamma == pytest.approx(15.44, abs=0.01)
    assert gg.log_likelihood == pytest.approx(-4055.92, abs=0.01)
    # the posterior simulation behind the intervals has the closed form's mean
    s = cdnow.rename(columns={"zbar": "m"}).head(300)
    draws = clv.simulate(bg, gg, s, np.ones(len(s)), horizon_years=1, discount=0.0, draws=2000, seed=1)
    expected = clv.expected_orders(bg, clv.WEEKS_PER_YEAR, s["x"], s["t_x"], s["T"]) * clv.expected_value(
        gg, s["x"], s["m"]
    )
    assert draws.mean() == pytest.approx(float(np.mean(expected)), rel=0.03)


def _orders(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(bid, "it-services", pd.Timestamp(d), a) for bid, d, a in rows],
        columns=["business_id", "product_group", "order_date", "amount"],
    )


def test_small_known_customers_get_the_run_rate_model_and_a_clear_ordering() -> None:
    today = date(2026, 1, 1)
    orders = _orders(
        [
            ("0112038-9", "2024-01-01", 1000.0),  # two years, 4 000 revenue, 1 000 margin a year
            ("0112038-9", "2025-06-01", 3000.0),
            ("0246246-0", "2025-12-01", 500.0),  # a month old: annualised over one year
        ]
    )
    customers = pd.DataFrame(
        [("0112038-9", "it-services", 4000.0, 2000.0), ("0246246-0", "it-services", 500.0, 100.0)],
        columns=["business_id", "product_group", "revenue", "gross_margin"],
    )
    values, info = clv.customer_values(customers, orders, today, horizon_years=2, discount=0.0)
    # two customers are far too few for BG/NBD: the documented run-rate model, retention by default
    assert set(values["model"]) == {"run-rate"} and "bgnbd" not in info
    by_id = values.set_index("business_id")
    r = clv.DEFAULT_RETENTION
    years = (today - date(2024, 1, 1)).days / 365.25  # since the first order
    assert by_id.loc["0112038-9", "clv"] == pytest.approx(2000 / years * (r + r * r), abs=0.01)
    assert by_id.loc["0246246-0", "clv"] == pytest.approx(100 * (r + r * r), abs=0.01)
    assert (by_id["clv_low"] < by_id["clv"]).all() and (by_id["clv"] < by_id["clv_high"]).all()
    assert list(values["business_id"]) == ["0112038-9", "0246246-0"]  # the most valuable first
    assert by_id.loc["0112038-9", "orders"] == 2 and str(by_id.loc["0112038-9", "last_order"]) == "2025-06-01"


def test_a_frequent_recent_buyer_is_worth_more_than_a_lapsed_one() -> None:
    rng = np.random.default_rng(3)
    today = date(2026, 1, 1)
    rows = []
    for i in range(80):  # a portfolio to fit on: monthly buyers of various ages
        start = pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(rng.integers(0, 600)))
        for k in range(int(rng.integers(1, 12))):
            rows.append(
                (f"c{i}", str((start + pd.Timedelta(days=30 * k)).date()), float(rng.uniform(500, 1500)))
            )
    rows += [("active", f"2025-{m:02d}-01", 1000.0) for m in range(1, 13)]  # monthly until last month
    rows += [("lapsed", f"2023-{m:02d}-01", 1000.0) for m in range(1, 13)]  # the same, but two years ago
    orders = _orders(rows)
    customers = orders.groupby(["business_id", "product_group"], as_index=False)["amount"].sum()
    customers = customers.rename(columns={"amount": "revenue"}).assign(
        gross_margin=lambda d: d["revenue"] * 0.25
    )
    values, info = clv.customer_values(customers, orders, today)
    assert "bgnbd" in info and set(values["model"]) == {"bg/nbd+gamma-gamma"}
    by_id = values.set_index("business_id")
    assert by_id.loc["active", "p_alive"] > 0.5 > 0.1 > by_id.loc["lapsed", "p_alive"]
    assert by_id.loc["active", "clv"] > 10 * by_id.loc["lapsed", "clv"]
    assert by_id.loc["active", "clv_high"] > by_id.loc["active", "clv"] > 0
    assert by_id.loc["active", "expected_orders"] > 5 * by_id.loc["lapsed", "expected_orders"]
