"""Synthetic customers and registry over real YTJ v3 record shapes, with planted profitable segments.

Companies are YTJ v3 ``/companies`` items (the shape of the real Nokia record kept in
``tests/fixtures/registry/``: ``businessId``, ``names``, ``mainBusinessLine`` with a TOL 2008 code,
``companyForms``, ``addresses[].postOffices[].municipalityCode``, ``registrationDate``) with valid,
made-up business IDs. The first ``customers`` companies are customers, generated as a B2B seller's
order book would look:

- **size**: a company's spend scales with a lognormal size (larger for public companies, smaller
  for sole traders and young companies), so absolute margins are dominated by size;
- **orders**: a BG/NBD process per customer — a relationship started 3 months to 8 years ago,
  repeat orders at a Gamma-distributed rate (about 6 a year), and after each repeat order the
  customer may drop out for good (Beta-distributed probability);
- **product groups**: each customer buys each group with the same probability (buying propensity
  carries no signal); every order line belongs to one of the customer's groups;
- **margin rate** per customer and group: a group base rate plus noise, plus the **planted
  effects** on the margin *rate* only: in ``planted_group`` for TOL section ``planted_section`` ×
  region ``planted_region`` (strong, ``planted_lift``), in ``second_group`` for TOL section
  ``second_section`` (weaker, ``second_lift``); the third group has nothing planted (noise).

``random_labels=True`` removes every planted effect (nothing to find). Different seeds give
independent data sets: ``bench/eval_scoring.py`` develops on some and keeps one held back.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from triggerwatch.core.businessid import check_digit
from triggerwatch.registry.ytj import COMPANY_FORM_LETTERS
from triggerwatch.scoring.features import Codes, frame

PRODUCT_GROUPS = ("it-services", "cleaning", "office-supplies")
FORMS = {
    "16": "Osakeyhtiö",
    "17": "Julkinen osakeyhtiö",
    "13": "Kommandiittiyhtiö",
    "26": "Yksityinen elinkeinonharjoittaja",
}
TODAY = date(2026, 11, 1)


@dataclass(frozen=True)
class Spec:
    companies: int = 3000
    customers: int = 1500
    seed: int = 7
    planted_group: str = "it-services"
    planted_section: str = "K"
    planted_region: str = "Uusimaa"
    planted_lift: float = 0.20  # added to the margin rate in the planted industry x region
    second_group: str = "cleaning"
    second_section: str = "F"
    second_lift: float = 0.11  # added to the margin rate in the second planted industry
    random_labels: bool = False
    order_lines: bool = True  # one row per order line (with dates); else one per customer and group


def business_ids(n: int, start: int = 2_000_000) -> list[str]:
    out: list[str] = []
    body = start
    while len(out) < n:
        digits = f"{body:07d}"
        cd = check_digit(digits)
        if cd is not None:
            out.append(f"{digits}-{cd}")
        body += 1
    return out


def _choices(codes: Codes, spec: Spec) -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    sections = sorted({s for s in codes.section_of["2008"].values() if s not in ("X", "U", "T")})
    w = np.ones(len(sections))
    w[sections.index(spec.planted_section)] = len(sections) * 0.6  # ~35 % in the planted section
    if spec.second_section in sections and spec.second_section != spec.planted_section:
        w[sections.index(spec.second_section)] = len(sections) * 0.35  # ~20 % in the second one
    regions = sorted({name for _, name in codes.regions.values()})
    rw = np.ones(len(regions))
    rw[regions.index(spec.planted_region)] = len(regions) * 1.0  # ~50 % in the planted region
    return sections, w / w.sum(), regions, rw / rw.sum()


def features(codes: Codes, spec: Spec, n: int | None = None, offset: int = 0) -> pd.DataFrame:
    """The features of ``n`` synthetic companies directly (vectorised; for the benchmark)."""
    n = spec.companies if n is None else n
    rng = np.random.default_rng(spec.seed + offset)
    sections, sw, regions, rw = _choices(codes, spec)
    df = pd.DataFrame(
        {
            "business_id": business_ids(n, 2_000_000 + offset),
            "name": None,
            "tol_division": None,
            "tol_version": "2008",
            "municipality": None,
            "tol_section": rng.choice(sections, n, p=sw),
            "region": rng.choice(regions, n, p=rw),
            "form_code": rng.choice(list(FORMS), n, p=[0.7, 0.05, 0.1, 0.15]),
            "age_years": np.round(rng.gamma(2.0, 6.0, n), 2),
        }
    )
    # the form as the registry's normaliser reports it: its letter code, else its description
    df["company_form"] = [COMPANY_FORM_LETTERS.get(c) or FORMS[c] for c in df["form_code"]]
    return df.set_index("business_id", drop=False)


def records(codes: Codes, spec: Spec) -> Iterator[dict[str, Any]]:
    """YTJ v3 company records whose features are ``features(codes, spec)``."""
    feats = features(codes, spec)
    rng = np.random.default_rng(spec.seed + 1)
    by_section: dict[str, list[str]] = {}
    for division, section in codes.section_of["2008"].items():
        by_section.setdefault(section, []).append(division)
    by_region: dict[str, list[str]] = {}
    for municipality, (_, region) in codes.regions.items():
        by_region.setdefault(region, []).append(municipality)
    for i, row in enumerate(feats.itertuples(index=False)):
        division = rng.choice(sorted(by_section[row.tol_section]))
        municipality = rng.choice(sorted(by_region[row.region]))
        registered = (TODAY - timedelta(days=int(row.age_years * 365.25))).isoformat()
        yield {
            "businessId": {"value": row.business_id, "registrationDate": registered, "source": "3"},
            "names": [
                {
                    "name": f"Demo {i} Oy",
                    "type": "1",
                    "registrationDate": registered,
                    "version": 1,
                    "source": "1",
                }
            ],
            "mainBusinessLine": {
                "type": f"{division}100",
                "descriptions": [],
                "typeCodeSet": "TOIMI3",
                "registrationDate": registered,
                "source": "2",
            },
            "companyForms": [
                {
                    "type": row.form_code,
                    "descriptions": [{"languageCode": "1", "description": FORMS[row.form_code]}],
                    "registrationDate": registered,
                    "version": 1,
                    "source": "1",
                }
            ],
            "addresses": [
                {
                    "type": 1,
                    "street": "Testikatu",
                    "postCode": "00100",
                    "postOffices": [{"city": "DEMO", "languageCode": "1", "municipalityCode": municipality}],
                    "registrationDate": registered,
                    "source": "0",
                }
            ],
            "tradeRegisterStatus": "1",
            "status": "2",
            "registrationDate": registered,
            "lastModified": "2026-10-01T00:00:00",
        }


SIZE_BY_FORM = {"OYJ": 8.0, "OY": 1.0, "Kommandiittiyhtiö": 0.4, "Yksityinen elinkeinonharjoittaja": 0.2}
BASE_RATE = {"it-services": 0.24, "cleaning": 0.18, "office-supplies": 0.12}
RATE_SD = 0.06  # customer-to-customer spread of the margin rate within a product group
BUY_SHARE = 0.55  # each customer buys each product group with this probability


def customer_lines(codes: Codes, spec: Spec, feats: pd.DataFrame | None = None) -> pd.DataFrame:
    """Order lines of the first ``spec.customers`` companies (business_id, product_group, revenue,
    gross_margin, order_date, order_amount), or with ``order_lines=False`` one row per customer
    and product group with the totals (no dates)."""
    feats = features(codes, spec) if feats is None else feats
    rng = np.random.default_rng(spec.seed + 2)
    cust = feats.iloc[: spec.customers]
    n = len(cust)
    section = cust["tol_section"].to_numpy()
    region = cust["region"].to_numpy()
    age = cust["age_years"].to_numpy(dtype=float)
    form = cust["company_form"].map(SIZE_BY_FORM).fillna(1.0).to_numpy()
    size = rng.lognormal(0.0, 0.9, n) * form * np.clip(age / 10, 0.3, 2.0)
    # which product groups each customer buys (at least one), and its margin rate in each
    groups = np.array(PRODUCT_GROUPS)
    buys = rng.random((n, len(groups))) < BUY_SHARE
    none = ~buys.any(axis=1)
    buys[none, rng.integers(0, len(groups), none.sum())] = True
    rate = np.column_stack([BASE_RATE.get(g, 0.15) + rng.normal(0, RATE_SD, n) for g in groups])
    if not spec.random_labels:
        strong = (section == spec.planted_section) & (region == spec.planted_region)
        weak = section == spec.second_section
        for j, g in enumerate(groups):
            if g == spec.planted_group:
                rate[strong, j] += spec.planted_lift
            if g == spec.second_group:
                rate[weak, j] += spec.second_lift
    rate = np.clip(rate, 0.01, 0.9)
    # the BG/NBD order process: first order `tenure` years ago, repeat orders at rate lam a year
    # while alive, and after each repeat order a dropout with probability p
    tenure = rng.uniform(0.25, 8.0, n)
    lam = rng.gamma(2.0, 3.0, n)
    p = rng.beta(1.0, 12.0, n)
    opportunities = rng.poisson(lam * tenure)
    survived = rng.geometric(p)  # repeat orders up to and including the one after which it drops
    repeats = np.minimum(opportunities, survived)
    # repeat order times: the earliest `repeats` of `opportunities` uniform times in (0, tenure)
    who = np.repeat(np.arange(n), opportunities)
    draws = pd.DataFrame({"c": who, "t": rng.uniform(0, 1, len(who)) * tenure[who]})
    draws = draws.sort_values(["c", "t"], kind="stable")
    rank = np.arange(len(draws)) - np.repeat(np.r_[0, np.cumsum(opportunities)[:-1]], opportunities)
    kept = draws[rank < repeats[draws["c"].to_numpy()]]
    owner = np.r_[np.arange(n), kept["c"].to_numpy()]  # every customer's first order at t = 0
    when = np.r_[np.zeros(n), kept["t"].to_numpy()]
    bought = np.flatnonzero(buys.ravel())
    per_customer = buys.sum(axis=1)
    pick = (rng.random(len(owner)) * per_customer[owner]).astype(int)
    start = np.r_[0, np.cumsum(per_customer)[:-1]]
    flat = bought[start[owner] + pick]
    group_index = flat % len(groups)
    amount = np.round(size[owner] * rng.lognormal(7.0, 0.5, len(owner)), 2)
    line_rate = np.clip(rate[owner, group_index] + rng.normal(0, 0.02, len(owner)), 0.0, 0.95)
    df = pd.DataFrame(
        {
            "business_id": cust["business_id"].to_numpy()[owner],
            "product_group": groups[group_index],
            "revenue": amount,
            "gross_margin": np.round(amount * line_rate, 2),
        }
    )
    if not spec.order_lines:
        return df.groupby(["business_id", "product_group"], as_index=False, sort=False)[
            ["revenue", "gross_margin"]
        ].sum()
    days = ((tenure[owner] - when) * 365.25).astype(int)
    df["order_date"] = [(TODAY - timedelta(days=int(d))).isoformat() for d in days]
    df["order_amount"] = df["revenue"]
    return df


def write_dataset(directory: Path, codes: Codes, spec: Spec) -> tuple[Path, Path]:
    """``customers.csv`` and ``companies.jsonl`` (YTJ v3 records) in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    companies = directory / "companies.jsonl"
    with companies.open("w", encoding="utf-8") as f:
        for record in records(codes, spec):
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    customers = directory / "customers.csv"
    customer_lines(codes, spec).to_csv(customers, index=False, quoting=csv.QUOTE_MINIMAL)
    return customers, companies


def feature_frame(codes: Codes, spec: Spec) -> pd.DataFrame:
    return frame(features(codes, spec).drop(columns="form_code").to_dict("records"))
