"""Bulk load of YTJ company records: records/s and peak memory, each next to a same-run baseline.

The input is generated from the real record shape (the YTJ v3 Nokia response in
``tests/fixtures/registry``), trimmed to what a typical bulk record holds, and varied per record:
business IDs with valid check digits, names, TOIMI3/TOIMI4 industry codes, municipalities, both
``lastModified`` formats, missing vs ``null`` fields. 600 000 records at scale 1
(``TRIGGERWATCH_BENCH_SCALE=0.01`` for a smoke run). Each measurement runs in its own process so
its peak RSS (``ru_maxrss``) is its own.

* ``registry.load_records_per_s`` — stream (ijson) → normalise → upsert into SQLite in batches.
  Baseline: raw ijson iteration of the same file.
* ``registry.load_peak_rss_mib`` — peak RSS of that load. Baseline: raw ijson iteration.
* ``registry.load_peak_rss_mib_quarter`` — peak RSS loading a quarter of the records: equal
  to the full figure when memory is flat in the number of records. Baseline: the full load.
"""

from __future__ import annotations

import copy
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "tests" / "fixtures" / "registry" / "ytj_v3_companies_businessId_0112038-9.json"
N_FULL = 600_000


def _check_digit(body: str) -> int | None:
    from triggerwatch.core.businessid import check_digit

    return check_digit(body)


def template() -> dict[str, Any]:
    rec: dict[str, Any] = json.loads(SAMPLE.read_text())["companies"][0]
    rec["names"] = rec["names"][:2]
    rec["registeredEntries"] = rec["registeredEntries"][:3]
    return rec


MUNICIPALITIES = ["091", "049", "837", "179", "564", "853", "905", "167", "297", "092"]
INDUSTRIES = [
    ("62010", "TOIMI3"),
    ("70100", "TOIMI4"),
    ("47594", "TOIMI3"),
    ("64190", "TOIMI3"),
    ("41200", "TOIMI4"),
]


def records(n: int) -> Iterator[dict[str, Any]]:
    base = template()
    body = 2_000_000
    i = 0
    while i < n:
        digit = _check_digit(str(body))
        body += 1
        if digit is None:
            continue
        rec = copy.deepcopy(base)
        bid = f"{body - 1}-{digit}"
        rec["businessId"]["value"] = bid
        rec["names"][0]["name"] = f"Yritys {i} Oy"
        rec["names"][1]["name"] = f"Vanha Yritys {i} Ky"
        code, code_set = INDUSTRIES[i % len(INDUSTRIES)]
        rec["mainBusinessLine"]["type"], rec["mainBusinessLine"]["typeCodeSet"] = code, code_set
        for office in rec["addresses"][0]["postOffices"]:
            office["municipalityCode"] = MUNICIPALITIES[i % len(MUNICIPALITIES)]
        rec["lastModified"] = "2025-03-04T10:11:12" if i % 2 else "2025-03-04 10:11:12"
        if i % 3 == 0:
            rec["website"] = None
        elif i % 3 == 1:
            rec.pop("website", None)
        yield rec
        i += 1


def write_file(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write("[")
        for k, rec in enumerate(records(n)):
            if k:
                f.write(",\n")
            f.write(json.dumps(rec, ensure_ascii=False))
        f.write("]")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child(mode: str, path: str) -> None:
    """Runs in its own process; prints ``{"n", "seconds", "peak_mib"}``."""
    import ijson

    started = time.perf_counter()
    n = 0
    if mode == "ijson":
        with open(path, "rb") as f:
            for _ in ijson.items(f, "item", use_float=True):
                n += 1
    else:
        from triggerwatch.core.db import Database
        from triggerwatch.registry.loader import load_companies

        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite:///{tmp}/bench.db")
            db.upgrade()
            started = time.perf_counter()
            with open(path, "rb") as f:
                report = load_companies(db, f, batch_size=2000)
            n = report.inserted
            db.dispose()
    print(json.dumps({"n": n, "seconds": time.perf_counter() - started, "peak_mib": _peak_mib()}))


def measure(mode: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_registry", "_child", mode, str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run() -> Iterator[tuple[str, float, str]]:
    scale = float(os.environ.get("TRIGGERWATCH_BENCH_SCALE", "1"))
    n = max(1000, int(N_FULL * scale))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "all_companies.json"
        write_file(path, n)
        raw = measure("ijson", path)
        full = measure("load", path)
        path.unlink()
        quarter_path = Path(tmp) / "quarter.json"
        write_file(quarter_path, n // 4)
        quarter = measure("load", quarter_path)
    assert full["n"] == n, full
    yield "registry.load_records", float(n), "records"
    yield "registry.load_records_per_s", full["n"] / full["seconds"], "records/s"
    yield "registry.load_records_per_s.baseline", raw["n"] / raw["seconds"], "records/s"
    yield "registry.load_seconds", full["seconds"], "s"
    yield "registry.load_peak_rss_mib", full["peak_mib"], "MiB"
    yield "registry.load_peak_rss_mib.baseline", raw["peak_mib"], "MiB"
    yield "registry.load_peak_rss_mib_quarter", quarter["peak_mib"], "MiB"
    yield "registry.load_peak_rss_mib_quarter.baseline", full["peak_mib"], "MiB"


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "_child":
        child(sys.argv[2], sys.argv[3])
    else:
        for figure, value, unit in run():
            print(f"{figure}: {value:.3f} {unit}", flush=True)
