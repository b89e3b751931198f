"""The worker's batch runners: the processing in a child process gives what it gives in a thread."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import REGISTRY

from triggerwatch.core.contracts import CompanyRef, CompanyRole, EventKind, TriggerEventV1, encode
from triggerwatch.core.db import Database
from triggerwatch.core.settings import DatabaseSettings, WorkerSettings
from triggerwatch.core.targets import load_targets, read_target_file
from triggerwatch.worker.offload import ProcessRunner, ThreadRunner, make_processor, make_runner
from triggerwatch.worker.processing import count

DEMO_TARGETS = Path(__file__).resolve().parents[2] / "services" / "demo" / "targets.yaml"
KELA = "0246246-0"


def events(prefix: str) -> list[bytes]:
    """One event that alerts (Kela scores for it-services in the demo targets) and one malformed."""
    now = datetime.now(UTC)
    good = TriggerEventV1.create(
        source="offload-test",
        source_item_id=f"{prefix}-1",
        kind=EventKind.RECRUITMENT,
        occurred_at=now - timedelta(hours=1),
        observed_at=now,
        companies=[CompanyRef(business_id=KELA, role=CompanyRole.EMPLOYER)],
        title="Ohjelmistokehittäjä",
    )
    return [encode(good), b'{"schema_version": 1, "not": "an event"}']


async def test_the_child_process_and_a_thread_give_the_same_results(tmp_path: Path) -> None:
    results = {}
    for mode in ("process", "thread"):
        db = Database(f"sqlite:///{tmp_path / mode}.db")
        db.upgrade()
        load_targets(db, read_target_file(DEMO_TARGETS))
        settings = WorkerSettings(database=DatabaseSettings(url=db.url), worker_processing=mode)
        runner = make_runner(settings)
        assert isinstance(runner, ProcessRunner if mode == "process" else ThreadRunner)
        try:
            results[mode] = await runner.process(events(mode))
        finally:
            runner.close()
    for mode, (alerted, dead) in results.items():
        assert alerted.kind == "recruitment" and len(alerted.messages) == 1, mode
        key, value = alerted.messages[0]
        assert key == KELA.encode() and b'"alert_id"' in value
        assert alerted.alert_labels == (("recruitment", "it-services", "high"),)
        assert dead.kind is None and dead.dead_letter is not None and dead.error_type == "schema_violation"
        assert dead.dead_letter[0] == b"worker"


async def test_the_worker_counts_what_the_child_did(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'count.db'}")
    db.upgrade()
    load_targets(db, read_target_file(DEMO_TARGETS))
    runner = ThreadRunner(make_processor(WorkerSettings(database=DatabaseSettings(url=db.url)), db))

    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = (
        sample("triggerwatch_worker_events_total", kind="recruitment", outcome="alert"),
        sample("triggerwatch_worker_dead_letters_total", error_type="schema_violation"),
        sample("triggerwatch_alerts_total", kind="recruitment", product_group="it-services", priority="high"),
    )
    results = await runner.process(events("count"))
    assert before == (  # processing alone counts nothing: the stream side does
        sample("triggerwatch_worker_events_total", kind="recruitment", outcome="alert"),
        sample("triggerwatch_worker_dead_letters_total", error_type="schema_violation"),
        sample("triggerwatch_alerts_total", kind="recruitment", product_group="it-services", priority="high"),
    )
    count(results, datetime.now(UTC))
    after = (
        sample("triggerwatch_worker_events_total", kind="recruitment", outcome="alert"),
        sample("triggerwatch_worker_dead_letters_total", error_type="schema_violation"),
        sample("triggerwatch_alerts_total", kind="recruitment", product_group="it-services", priority="high"),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [1.0, 1.0, 1.0]
