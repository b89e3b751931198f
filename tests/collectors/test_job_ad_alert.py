"""A recruitment ad of a target-group company becomes an explained alert through the platform path.

The recorded te-jobs payload (derived from the real TE sample) is replayed by the collector runner
(events + outbox in one transaction, time-shifted to now), and the stored events go through the
worker's Processor with the shipped rules and the demo target groups.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import RECORDINGS
from triggerwatch.collectors.registry import load_sources
from triggerwatch.collectors.runner import run_once
from triggerwatch.core.contracts import EventKind, Priority, encode
from triggerwatch.core.db import Database
from triggerwatch.core.rules import load_rules
from triggerwatch.core.settings import CONFIG_DIR
from triggerwatch.core.targets import load_targets, read_target_file
from triggerwatch.worker.processing import Processor

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DEMO_TARGETS = RECORDINGS.parent / "targets.yaml"


def test_te_job_ad_for_target_company_gives_an_explained_alert(db: Database) -> None:
    load_targets(db, read_target_file(DEMO_TARGETS))
    source = load_sources(CONFIG_DIR / "sources.yaml", include_disabled=True)["te-jobs-tpt"]
    report = run_once(source, db, None, replay_dir=RECORDINGS, clock=lambda: NOW)
    assert report.error is None and not report.dead_letters
    assert [e.companies[0].business_id for e in report.new_events] == [
        "2883807-5",
        "2883807-5",
        "2694159-7",
        "0180389-2",
    ]

    processor = Processor(db, load_rules(CONFIG_DIR / "rules.yaml"), clock=lambda: NOW)
    outcomes = processor.process_batch([encode(e) for e in report.new_events])
    alerts = [a for o in outcomes for a in o.alerts]
    [alert] = alerts  # the second Valmet ad falls in the per-company cooldown; the others are not targets
    assert alert.kind == EventKind.RECRUITMENT
    assert alert.company.business_id == "2883807-5"
    assert alert.company.name == "Valmet Automotive EV Power Oy"
    assert alert.product_group == "recruitment-services" and alert.score == 0.71
    assert "Valmet Automotive EV Power Oy is hiring" in alert.explanation.why_it_matters
    assert "TOL C (27)" in alert.explanation.target_group_rule
    assert "Logistiikkatyöntekijöitä" in alert.explanation.what_happened
    assert alert.priority in (Priority.HIGH, Priority.MEDIUM)
    assert alert.evidence and alert.evidence[0].url == "https://paikat.te-palvelut.fi/tpt/10658468"
    assert any("cooldown" in s for o in outcomes for s in o.suppressed)
