"""Kafka consumer lag for the ops page, read from the stream services' own ``/metrics`` pages."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class LagRow:
    app: str
    topic: str
    partition: str
    lag: float


_CLIENT: httpx.Client | None = None
_CLIENT_LOCK = threading.Lock()
_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="lag-metrics")


def _client() -> httpx.Client:
    """One client for every read (making one per read costs tens of milliseconds)."""
    global _CLIENT
    with _CLIENT_LOCK:
        if _CLIENT is None:
            _CLIENT = httpx.Client()
        return _CLIENT


def _read(url: str, timeout_s: float) -> str:
    resp = _client().get(url, timeout=timeout_s)
    resp.raise_for_status()
    return resp.text


def consumer_lag(urls: Sequence[str], *, timeout_s: float = 1.0) -> tuple[list[LagRow], list[str]]:
    """Kafka consumer lag (high-watermark minus position) from the stream services' own /metrics.

    The pages are read at the same time and given ``timeout_s`` together: a service that hangs
    costs the ops page at most that long. Returns the rows and the pages that could not be read
    (shown to ops, never an error).
    """
    rows: list[LagRow] = []
    unreachable: list[str] = []
    futures = {url: _POOL.submit(_read, url, timeout_s) for url in urls}
    wait(futures.values(), timeout=timeout_s)
    for url, future in futures.items():
        if not future.done():
            future.cancel()
            unreachable.append(f"{url}: no answer within {timeout_s:g} s")
            continue
        try:
            families = list(text_string_to_metric_families(future.result()))
        except (httpx.HTTPError, ValueError) as exc:
            unreachable.append(f"{url}: {type(exc).__name__}")
            continue
        for family in families:
            if family.name != "triggerwatch_consumer_lag":
                continue
            for sample in family.samples:
                labels = sample.labels
                rows.append(
                    LagRow(
                        labels.get("app", ""),
                        labels.get("topic", ""),
                        labels.get("partition", ""),
                        sample.value,
                    )
                )
    rows.sort(key=lambda r: (r.app, r.topic, int(r.partition) if r.partition.isdigit() else 0))
    return rows, unreachable
