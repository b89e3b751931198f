"""Kafka consumer lag for the ops page, read from the stream services' own ``/metrics`` pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class LagRow:
    app: str
    topic: str
    partition: str
    lag: float


def consumer_lag(urls: Sequence[str], *, timeout_s: float = 1.0) -> tuple[list[LagRow], list[str]]:
    """Kafka consumer lag (high-watermark minus position) from the stream services' own /metrics.

    Returns the rows and the pages that could not be read (shown to ops, never an error).
    """
    rows: list[LagRow] = []
    unreachable: list[str] = []
    for url in urls:
        try:
            resp = httpx.get(url, timeout=timeout_s)
            resp.raise_for_status()
            families = list(text_string_to_metric_families(resp.text))
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
