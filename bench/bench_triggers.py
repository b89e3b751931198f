"""Trigger classification speed: documents per second on one core, next to a no-op baseline.

Documents: the title and body of every item of the dev part of the labelled set
(tests/eval/triggers/dev.jsonl, 393 items, most with a body of a few sentences), read
``TRIGGERWATCH_BENCH_SCALE`` times (default 1; at least once).

* ``triggers.classify_cold_docs_per_s`` — ``classify_all`` with Voikko lemmatisation, word caches
  emptied first (each new word is analysed once: a fresh process on new text);
* ``triggers.classify_warm_docs_per_s`` — the same documents again, caches warm (a long-running
  collector, where words repeat);
* ``triggers.classify_no_voikko_docs_per_s`` — without Voikko (suffix rules);
* baselines: ``triggers.noop_docs_per_s`` (reading each document and splitting it into words: the
  floor of any text processing) and ``triggers.baseline_classifier_docs_per_s`` (the pre-issue-16
  classifier, bench/baseline_classify.py).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from triggerwatch.text import finnish
from triggerwatch.text.classify import classify_all
from triggerwatch.text.triggers import cues, tokens

DEV = Path(__file__).resolve().parents[1] / "tests" / "eval" / "triggers" / "dev.jsonl"


def documents() -> list[tuple[str, str, str]]:
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs = [(str(r.get("title") or ""), str(r.get("body") or ""), str(r["lang"])) for r in rows]
    scale = max(1, round(float(os.environ.get("TRIGGERWATCH_BENCH_SCALE", "1"))))
    return docs * scale


def _rate(docs: list[tuple[str, str, str]], fn: Callable[[str, str, str], object]) -> float:
    t0 = time.perf_counter()
    for title, body, lang in docs:
        fn(title, body, lang)
    return len(docs) / (time.perf_counter() - t0)


def _clear() -> None:
    tokens._analyse_fi.cache_clear()
    finnish.analyse_full.cache_clear()
    cues.clear_cache()


def run() -> Iterable[tuple[str, float, str]]:
    from bench.baseline_classify import classify as baseline

    docs = documents()
    words = re.compile(r"\w+")
    yield (
        "triggers.noop_docs_per_s (baseline)",
        _rate(docs, lambda t, b, lang: words.findall(t + b)),
        "docs/s",
    )
    yield (
        "triggers.baseline_classifier_docs_per_s (baseline)",
        _rate(docs, lambda t, b, lang: baseline(t, b or None, lang)),
        "docs/s",
    )
    finnish.voikko_available()  # load Voikko outside the timing
    _clear()
    yield (
        "triggers.classify_cold_docs_per_s",
        _rate(docs, lambda t, b, lang: classify_all(t, b or None, lang)),
        "docs/s",
    )
    yield (
        "triggers.classify_warm_docs_per_s",
        _rate(docs, lambda t, b, lang: classify_all(t, b or None, lang)),
        "docs/s",
    )
    with finnish.voikko_disabled():
        _clear()
        yield (
            "triggers.classify_no_voikko_docs_per_s",
            _rate(docs, lambda t, b, lang: classify_all(t, b or None, lang)),
            "docs/s",
        )
    _clear()
