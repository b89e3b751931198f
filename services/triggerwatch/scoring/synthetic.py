"""A synthetic demo dataset over real YTJ v3 record shapes, with a planted profitable segment.

Companies are YTJ v3 ``/companies`` items (the shape of the real Nokia record kept in
``tests/fixtures/scoring/``: ``businessId``, ``names``, ``mainBusinessLine`` with a TOL 2008 code,
``companyForms``, ``addresses[].postOffices[].municipalityCode``, ``registrationDate``) with valid,
made-up business IDs. Customers buy product groups; for ``planted_group`` the customers in TOL
section ``planted_section`` and region ``planted_region`` earn a much higher gross margin.
``random_labels=True`` makes every margin independent of the company (nothing to find).
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
    random_labels: bool = False
    order_lines: bool = True


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
    w[sections.index(spec.planted_section)] = len(sections) * 0.4  # ~30 % in the planted section
    regions = sorted({name for _, name in codes.regions.values()})
    rw = np.ones(len(regions))
    rw[regions.index(spec.planted_region)] = len(regions) * 0.8  # ~45 % in the planted region
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


def customer_lines(codes: Codes, spec: Spec, feats: pd.DataFrame | None = None) -> pd.DataFrame:
    """Order lines of the first ``spec.customers`` companies (business_id, product_group, revenue,
    gross_margin, order_date, order_amount)."""
    feats = features(codes, spec) if feats is None else feats
    rng = np.random.default_rng(spec.seed + 2)
    cust = feats.iloc[: spec.customers]
    planted = (
        (cust["tol_section"] == spec.planted_section) & (cust["region"] == spec.planted_region)
    ).to_numpy()
    frames = []
    for pg in PRODUCT_GROUPS:
        in_segment = planted & (pg == spec.planted_group) & (not spec.random_labels)
        buys = rng.random(len(cust)) < np.where(in_segment, 0.9, 0.5)
        revenue = np.round(rng.lognormal(9, 0.6, len(cust)), 2)
        rate = np.where(in_segment, rng.uniform(0.45, 0.6, len(cust)), rng.uniform(0.02, 0.3, len(cust)))
        margin = np.round(revenue * rate * np.where(in_segment, 3.0, 1.0), 2)
        frames.append(
            pd.DataFrame(
                {
                    "business_id": cust["business_id"].to_numpy()[buys],
                    "product_group": pg,
                    "revenue": revenue[buys],
                    "gross_margin": margin[buys],
                }
            )
        )
    df = pd.concat(frames, ignore_index=True)
    if spec.order_lines:
        days = rng.integers(0, 3 * 365, len(df))
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
