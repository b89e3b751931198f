from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from triggerwatch.scoring import synthetic
from triggerwatch.scoring.features import Codes, frame, record_features
from triggerwatch.scoring.targets import Dataset, ScoringResult, run

SPEC = synthetic.Spec(companies=2000, customers=1200, seed=7)  # the model's quality tests
# the plumbing tests (CLI, storage, publishing, the worker's alert): smaller, so they train fast
SMALL = synthetic.Spec(companies=1200, customers=700, seed=7)
TODAY = date(2026, 11, 1)


@pytest.fixture(scope="session")
def codes() -> Codes:
    return Codes.from_registry()


@pytest.fixture(scope="session")
def planted_records(codes: Codes) -> list[dict[str, object]]:
    return list(synthetic.records(codes, SPEC))


@pytest.fixture(scope="session")
def planted_features(codes: Codes, planted_records: list[dict[str, object]]) -> pd.DataFrame:
    """Features as the pipeline reads them: parsed from the YTJ v3 records."""
    return frame(record_features(r, codes, TODAY) for r in planted_records)


@pytest.fixture(scope="session")
def planted_customers(codes: Codes) -> pd.DataFrame:
    return synthetic.customer_lines(codes, SPEC)


def write_files(tmp_path: Path, codes: Codes, spec: synthetic.Spec) -> tuple[Path, Path]:
    return synthetic.write_dataset(tmp_path, codes, spec)


@pytest.fixture(scope="session")
def planted_result(
    codes: Codes, planted_features: pd.DataFrame, planted_customers: pd.DataFrame
) -> ScoringResult:
    """The pipeline's result on the planted data (seed 3), trained once for the tests that read it."""
    return run(Dataset(planted_features, planted_customers), codes, seed=3)


@pytest.fixture(scope="session")
def small_records(codes: Codes) -> list[dict[str, object]]:
    return list(synthetic.records(codes, SMALL))
