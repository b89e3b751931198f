"""Scoring figures: train on 50k customers and score 600k prospects, next to a trivial baseline.

* ``scoring.train_and_score_s`` — ``triggerwatch.scoring.targets.run``: per product group (3) the
  stratified split, cross-validated tree search, held-out metrics, leaf rules, then scoring every
  prospect with its leaf and rule path. Baseline: a ``DummyClassifier`` per product group fitted
  on the same customers and scoring the same prospects.
* ``scoring.peak_rss_mb`` — the peak resident memory of the process doing it (data included);
  the baseline process holds the same data.

Each side runs in a fresh process so peak memory is its own. ``TRIGGERWATCH_BENCH_SCALE`` scales
both sizes (``0.05`` → 2.5k customers, 30k prospects) for a quick smoke run. Goal at scale 1:
< 30 s and < 2 GB on 2 cores.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import time
from collections.abc import Iterator
from typing import Any

SCALE = float(os.environ.get("TRIGGERWATCH_BENCH_SCALE", "1"))
CUSTOMERS = max(400, int(50_000 * SCALE))
PROSPECTS = max(1000, int(600_000 * SCALE))


def _data() -> tuple[Any, Any, Any]:
    from triggerwatch.scoring import synthetic
    from triggerwatch.scoring.features import Codes

    codes = Codes.from_registry()
    spec = synthetic.Spec(companies=CUSTOMERS + PROSPECTS, customers=CUSTOMERS, seed=5, order_lines=False)
    features = synthetic.features(codes, spec).drop(columns="form_code")
    customers = synthetic.customer_lines(codes, spec, features)
    return codes, features, customers


def _model(queue: Any) -> None:
    from triggerwatch.scoring.targets import Dataset, run

    codes, features, customers = _data()
    start = time.perf_counter()
    result = run(Dataset(features, customers), codes, seed=1)
    seconds = time.perf_counter() - start
    auc = result.models["it-services"].metrics.auc
    queue.put((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, len(result.scores), auc))


def _baseline(queue: Any) -> None:
    from sklearn.dummy import DummyClassifier

    from triggerwatch.scoring.features import FEATURES
    from triggerwatch.scoring.labels import good_customers, label_values
    from triggerwatch.scoring.targets import Dataset, prospects

    _, features, customers = _data()
    start = time.perf_counter()
    data = Dataset(features, customers)
    scored = 0
    for pg in sorted(customers["product_group"].unique()):
        good, _ = good_customers(label_values(customers, pg), 0.2)
        x = features.loc[good.index, FEATURES]
        targets = prospects(data, pg)[FEATURES]
        scored += len(DummyClassifier(strategy="prior").fit(x, good.to_numpy()).predict_proba(targets))
    seconds = time.perf_counter() - start
    queue.put((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, scored, 0.5))


def _measure(target: Any) -> tuple[float, float, int, float]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(queue,))
    proc.start()
    result = queue.get(timeout=900)
    proc.join(60)
    return result  # type: ignore[no-any-return]


def run() -> Iterator[tuple[str, float, str]]:
    seconds, rss, scored, auc = _measure(_model)
    b_seconds, b_rss, b_scored, _ = _measure(_baseline)
    yield "scoring.customers", float(CUSTOMERS), "customers"
    yield "scoring.prospect_scores", float(scored), "scores"
    yield "scoring.prospect_scores.baseline", float(b_scored), "scores"
    yield "scoring.train_and_score_s", seconds, "s"
    yield "scoring.train_and_score_s.baseline", b_seconds, "s"
    yield "scoring.peak_rss_mb", rss, "MiB"
    yield "scoring.peak_rss_mb.baseline", b_rss, "MiB"
    yield "scoring.heldout_auc_it_services", auc, "AUC"


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name}: {value:.3f} {unit}", flush=True)
