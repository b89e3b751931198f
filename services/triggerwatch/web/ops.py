"""The stream services' health and Kafka consumer lag for the ops page, read from their own pages:
``/ready`` (partitions assigned, not rebalancing, no crashed agent) and ``/metrics``
(``triggerwatch_consumer_lag``)."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class LagRow:
    app: str
    topic: str
    partition: str
    lag: float


@dataclass(frozen=True)
class ServiceHealth:
    """One stream service as the ops page shows it."""

    name: str  # worker, notifier (or the URL when it is not one of their configured ports)
    url: str  # its /metrics page
    state: str  # ready | not_ready | failing | unreachable | no_answer
    detail: str | None = None  # why not ready, or the error
    lag: list[LagRow] = field(default_factory=list)

    @property
    def total_lag(self) -> float | None:
        return sum(r.lag for r in self.lag) if self.lag else None


_CLIENT: httpx.Client | None = None
_CLIENT_LOCK = threading.Lock()
_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="service-pages")


def _client() -> httpx.Client:
    """One client for every read (making one per read costs tens of milliseconds)."""
    global _CLIENT
    with _CLIENT_LOCK:
        if _CLIENT is None:
            _CLIENT = httpx.Client()
        return _CLIENT


def _get(url: str, timeout_s: float) -> httpx.Response:
    return _client().get(url, timeout=timeout_s)


def ready_url(metrics_url: str) -> str:
    base = metrics_url[: -len("/metrics")] if metrics_url.endswith("/metrics") else metrics_url.rstrip("/")
    return f"{base}/ready"


def _lag_rows(text: str) -> list[LagRow]:
    rows = []
    for family in text_string_to_metric_families(text):
        if family.name != "triggerwatch_consumer_lag":
            continue
        for sample in family.samples:
            labels = sample.labels
            rows.append(
                LagRow(
                    labels.get("app", ""), labels.get("topic", ""), labels.get("partition", ""), sample.value
                )
            )
    rows.sort(key=lambda r: (r.app, r.topic, int(r.partition) if r.partition.isdigit() else 0))
    return rows


def _not_ready_detail(resp: httpx.Response) -> str:
    """Why a service says it is not ready (its /ready JSON: crashed agents, rebalancing, no partitions)."""
    try:
        body = resp.json()
    except (ValueError, json.JSONDecodeError):
        return f"HTTP {resp.status_code}"
    if not isinstance(body, dict):
        return f"HTTP {resp.status_code}"
    reasons = []
    if body.get("crashed") or body.get("crashed_agents"):
        reasons.append("crashed " + ", ".join(map(str, body.get("crashed_agents") or [])))
    if body.get("rebalancing"):
        reasons.append("rebalancing")
    if "assignment" in body and not body.get("assignment"):
        reasons.append("no partitions assigned")
    return "; ".join(r.strip() for r in reasons) or f"HTTP {resp.status_code}"


def check_services(services: Sequence[tuple[str, str]], *, timeout_s: float = 1.0) -> list[ServiceHealth]:
    """Each service's /ready and /metrics, all read at the same time and given ``timeout_s``
    together: a service that hangs costs the ops page at most that long. A page that does not
    answer is a state shown to ops, never an error."""
    pending: dict[tuple[int, str], Future[httpx.Response]] = {}
    for i, (_name, url) in enumerate(services):
        pending[(i, "ready")] = _POOL.submit(_get, ready_url(url), timeout_s)
        pending[(i, "metrics")] = _POOL.submit(_get, url, timeout_s)
    wait(pending.values(), timeout=timeout_s)
    out = []
    for i, (name, url) in enumerate(services):
        ready, metrics = pending[(i, "ready")], pending[(i, "metrics")]
        rows: list[LagRow] = []
        lag_error = None
        if metrics.done():
            try:
                resp = metrics.result()
                resp.raise_for_status()
                rows = _lag_rows(resp.text)
            except (httpx.HTTPError, ValueError) as exc:
                lag_error = type(exc).__name__
        else:
            metrics.cancel()
        if not ready.done():
            ready.cancel()
            out.append(ServiceHealth(name, url, "no_answer", f"no answer within {timeout_s:g} s", rows))
            continue
        try:
            resp = ready.result()
        except httpx.TimeoutException:  # its own timeout ran out with the page's
            out.append(ServiceHealth(name, url, "no_answer", f"no answer within {timeout_s:g} s", rows))
            continue
        except httpx.HTTPError as exc:
            out.append(ServiceHealth(name, url, "unreachable", type(exc).__name__, rows))
            continue
        if resp.status_code == 200:
            out.append(ServiceHealth(name, url, "ready", lag_error and f"/metrics: {lag_error}", rows))
        elif resp.status_code == 503:
            out.append(ServiceHealth(name, url, "not_ready", _not_ready_detail(resp), rows))
        else:
            out.append(ServiceHealth(name, url, "failing", f"/ready: HTTP {resp.status_code}", rows))
    return out
