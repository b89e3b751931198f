"""``triggerwatch backtest``: what the rules and the model would have sent, before switching them on.

Stored events of a period (or a directory of recordings) are replayed through the worker's own
:class:`~triggerwatch.worker.processing.Processor` on a *scratch copy* of what it reads (companies,
target groups, scores) in a temporary SQLite database: nothing is delivered and nothing is written
to the real database. Each event is processed at the time it was observed (a recording's event at
the time it happened), so freshness windows, cooldowns and corroboration behave as they would have.

Two scenarios: the rules in force (``TRIGGERWATCH_RULES_FILE``) with the published scores, and a
proposal (``--rules FILE`` and/or ``--model RUN``: the scores of a stored scoring run's models).
Alerts of companies or people in the objection register are withheld, as the notifier would
(:class:`~triggerwatch.core.objections.ObjectionRegister`). The result counts alerts per rep and
week, per kind and product group, the share reps marked useful where they gave feedback (on the
real alerts with the same deterministic ids), and the difference between the scenarios.

Known limits: alerts before ``--from`` are not in the scratch copy, so a cooldown that began before
the period does not hold back the period's first alerts; routing uses the scenario's rules.
"""

from __future__ import annotations

import pickle
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, delete, func, insert, select

from triggerwatch.core.contracts import AlertV1, TriggerEventV1, encode
from triggerwatch.core.db import (
    Base,
    Company,
    CompanyScore,
    Database,
    Event,
    Feedback,
    ScoringRun,
    TargetGroup,
)
from triggerwatch.core.errors import ConfigError
from triggerwatch.core.objections import ObjectionRegister
from triggerwatch.core.rules import RuleSet
from triggerwatch.worker.processing import Processor
from triggerwatch.worker.resolve import LinkingResolver

HELSINKI = ZoneInfo("Europe/Helsinki")
COPIED = (Company, TargetGroup, CompanyScore)  # what the processor reads


@dataclass(frozen=True)
class Scenario:
    name: str  # "in_force" | "proposed"
    rules: RuleSet
    rules_file: str
    model_run: str | None = None  # None: the published scores


@dataclass
class Replay:
    scenario: Scenario
    alerts: dict[str, AlertV1] = field(default_factory=dict)  # alert id → its last revision
    withheld: dict[str, str] = field(default_factory=dict)  # alert id → the objection
    suppressed: int = 0  # (event, product group) pairs held back: stale, cooldown


@dataclass
class Backtest:
    start: datetime
    end: datetime
    source: str
    events: int
    in_force: Replay
    proposed: Replay | None
    feedback: dict[str, str]  # alert id → the latest label reps gave the real alert


# ------------------------------------------------------------------------------------------ events
def stored_events(db: Database, start: datetime, end: datetime) -> list[TriggerEventV1]:
    """The events that happened in [start, end), in the order they were observed."""
    with db.session() as s:
        payloads = s.scalars(
            select(Event.payload)
            .where(Event.occurred_at >= start, Event.occurred_at < end)
            .order_by(Event.observed_at, Event.occurred_at, Event.event_id)
        ).all()
    return [TriggerEventV1.model_validate(p) for p in payloads]


def recorded_events(
    sources_file: Path, directory: Path, start: datetime, end: datetime
) -> list[TriggerEventV1]:
    """The events of the recordings in ``directory`` (each source's ``replay_file``) that happened in
    [start, end), each as if observed when it happened."""
    from triggerwatch.collectors.registry import load_sources
    from triggerwatch.collectors.runner import RunReport, parse_payloads, replay_payload

    events: list[TriggerEventV1] = []
    for source in load_sources(sources_file, include_disabled=True).values():
        name = source.config.replay_file
        if not name or not (directory / name).is_file():
            continue
        raw = replay_payload(source, directory, end)
        for e in parse_payloads(source, [raw], RunReport(source=source.name)):
            if start <= e.occurred_at < end:
                events.append(e.model_copy(update={"observed_at": e.occurred_at}))
    if not events:
        raise ConfigError(f"no recorded event in {directory} happened between {start} and {end}")
    return sorted(events, key=lambda e: (e.observed_at, e.event_id))


# --------------------------------------------------------------------------------------- scratch db
def _rows(db: Database, table: Table, size: int = 5000) -> Iterator[list[dict[str, Any]]]:
    with db.engine.connect() as conn:
        result = conn.execution_options(yield_per=size).execute(select(table)).mappings()
        for part in result.partitions(size):
            yield [dict(r) for r in part]


def scratch_copy(real: Database, directory: Path, name: str) -> Database:
    """A new SQLite database with the real one's companies, target groups and scores."""
    scratch = Database(f"sqlite:///{directory / name}.db")
    Base.metadata.create_all(scratch.engine)
    with scratch.engine.begin() as conn:
        for model in COPIED:
            table: Table = model.__table__  # type: ignore[assignment]
            for batch in _rows(real, table):
                conn.execute(insert(table), batch)
    return scratch


def model_scores(real: Database, run_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Target groups and scores of every prospect by the models of a stored scoring run (one per
    product group). A target group is a leaf of the run's tree: ``<product group>:run-<id>-leaf-<n>``."""
    from triggerwatch.scoring.features import default_codes
    from triggerwatch.scoring.model import score_with
    from triggerwatch.scoring.publish import dataset_from_db
    from triggerwatch.scoring.targets import prospects

    with real.session() as s:
        runs = s.scalars(select(ScoringRun).where(ScoringRun.run_id == run_id)).all()
        if not runs:
            recent = s.scalars(
                select(ScoringRun.run_id)
                .group_by(ScoringRun.run_id)
                .order_by(func.max(ScoringRun.trained_at).desc())
                .limit(5)
            ).all()
            raise ConfigError(f"no scoring run {run_id!r}; recent runs: {', '.join(recent) or 'none'}")
        stored = [(r.product_group, r.model, r.trained_at) for r in runs]
    data = dataset_from_db(real, default_codes())
    groups: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    for product_group, blob, trained_at in stored:
        if blob is None:
            continue
        artefact = pickle.loads(blob)  # the installation's own stored model (scoring_runs)
        features = prospects(data, product_group)
        if features.empty:
            continue
        probabilities, leaves = score_with(
            artefact, features.assign(age_years=features["age_years"].fillna(-1.0))
        )
        for leaf in sorted(set(int(x) for x in leaves)):
            groups.append(
                {
                    "target_group_id": f"{product_group}:run-{run_id[:8]}-leaf-{leaf}",
                    "product_group": product_group,
                    "rule": f"leaf {leaf} of scoring run {run_id[:8]}",
                    "rule_fi": f"lehti {leaf}, mallinnusajo {run_id[:8]}",
                    "size": int((leaves == leaf).sum()),
                    "updated_at": trained_at,
                }
            )
        for bid, leaf, p in zip(features.index, leaves, probabilities, strict=True):
            scores.append(
                {
                    "business_id": bid,
                    "product_group": product_group,
                    "target_group_id": f"{product_group}:run-{run_id[:8]}-leaf-{int(leaf)}",
                    "score": round(float(p), 4),
                    "rule_path": f"leaf {int(leaf)} of scoring run {run_id[:8]}",
                    "scored_at": trained_at,
                }
            )
    return groups, scores


def use_model(scratch: Database, groups: list[dict[str, Any]], scores: list[dict[str, Any]]) -> None:
    """Replace the scratch copy's scores of the run's product groups with the run's."""
    product_groups = {g["product_group"] for g in groups}
    with scratch.session() as s:
        s.execute(delete(CompanyScore).where(CompanyScore.product_group.in_(product_groups)))
        if groups:
            s.execute(insert(TargetGroup), groups)
        if scores:
            s.execute(insert(CompanyScore), scores)


# --------------------------------------------------------------------------------------------- replay
def _batches(events: list[TriggerEventV1]) -> Iterator[list[TriggerEventV1]]:
    """Events observed at the same instant (one poll) form one batch, as the worker sees them."""
    batch: list[TriggerEventV1] = []
    for e in events:
        if batch and e.observed_at != batch[-1].observed_at:
            yield batch
            batch = []
        batch.append(e)
    if batch:
        yield batch


def replay(
    scratch: Database, scenario: Scenario, events: list[TriggerEventV1], register: ObjectionRegister
) -> Replay:
    result = Replay(scenario)
    attributes = {e.event_id: e.attributes for e in events}
    clock = {"now": events[0].observed_at} if events else {}
    processor = Processor(
        scratch, scenario.rules, clock=lambda: clock["now"], resolver=LinkingResolver(scratch)
    )
    for batch in _batches(events):
        clock["now"] = max(clock["now"], batch[-1].observed_at)
        for outcome in processor.process_batch([encode(e) for e in batch], record_metrics=False):
            result.suppressed += len(outcome.suppressed)
            for alert in outcome.alerts:
                result.alerts[alert.alert_id] = alert
    for alert_id, alert in list(result.alerts.items()):
        attrs = attributes.get(alert.event_ids[0]) or {}
        checked = {
            **alert.model_dump(mode="json"),
            "attributes": attrs,
            "person_name": attrs.get("person_name"),
        }
        reason = register.reason(checked)
        if reason is not None:
            result.withheld[alert_id] = reason
            del result.alerts[alert_id]
    return result


def latest_feedback(db: Database, alert_ids: Iterable[str]) -> dict[str, str]:
    ids = list(set(alert_ids))
    labels: dict[str, str] = {}
    with db.session() as s:
        for start in range(0, len(ids), 500):
            rows = s.execute(
                select(Feedback.alert_id, Feedback.label)
                .where(Feedback.alert_id.in_(ids[start : start + 500]))
                .order_by(Feedback.id)
            ).tuples()
            labels.update({alert_id: label for alert_id, label in rows})  # by id: the latest wins
    return labels


def run(
    real: Database,
    start: datetime,
    end: datetime,
    in_force: Scenario,
    proposed: Scenario | None,
    *,
    recordings: Path | None = None,
    sources_file: Path | None = None,
) -> Backtest:
    """Replay the period under the rules in force and, when given, a proposal."""
    if end <= start:
        raise ConfigError("--to must be after --from")
    if recordings is not None:
        if sources_file is None:
            raise ConfigError("replaying recordings needs the sources file")
        events = recorded_events(sources_file, recordings, start, end)
    else:
        events = stored_events(real, start, end)
        if not events:
            raise ConfigError(
                f"no stored event happened between {start:%Y-%m-%d %H:%M %Z} and {end:%Y-%m-%d %H:%M %Z} "
                f"in {real.url.split('@')[-1]} (is TRIGGERWATCH_DATABASE__URL the database you meant?)"
            )
    with real.session() as s:
        register = ObjectionRegister.load(s)
    with tempfile.TemporaryDirectory(prefix="triggerwatch-backtest-") as tmp:
        replays: list[Replay] = []
        for scenario in [in_force, *([proposed] if proposed else [])]:
            scratch = scratch_copy(real, Path(tmp), scenario.name)
            try:
                if scenario.model_run:
                    use_model(scratch, *model_scores(real, scenario.model_run))
                replays.append(replay(scratch, scenario, events, register))
            finally:
                scratch.dispose()
    ids = [a for r in replays for a in r.alerts]
    return Backtest(
        start=start,
        end=end,
        source=str(recordings) if recordings else "stored events",
        events=len(events),
        in_force=replays[0],
        proposed=replays[1] if proposed else None,
        feedback=latest_feedback(real, ids),
    )


# ---------------------------------------------------------------------------------------------- summary
def week_of(moment: datetime) -> str:
    """ISO week in Helsinki time, e.g. ``2026-W45``."""
    year, week, _ = moment.astimezone(HELSINKI).isocalendar()
    return f"{year}-W{week:02d}"


def _useful(alert_ids: Iterable[str], feedback: dict[str, str]) -> dict[str, Any]:
    labels = [feedback[a] for a in alert_ids if a in feedback]
    useful = sum(1 for label in labels if label == "useful")
    return {
        "with_feedback": len(labels),
        "useful": useful,
        "useful_share": round(useful / len(labels), 4) if labels else None,
    }


def scenario_summary(r: Replay, feedback: dict[str, str]) -> dict[str, Any]:
    per_week = Counter((a.routing.owner or "(no owner)", week_of(a.created_at)) for a in r.alerts.values())
    by_group: dict[tuple[str, str], list[str]] = {}
    for alert_id, a in r.alerts.items():
        by_group.setdefault((str(a.kind), a.product_group), []).append(alert_id)
    return {
        "rules_file": r.scenario.rules_file,
        "model": r.scenario.model_run or "published scores",
        "alerts": len(r.alerts),
        "withheld_for_objection": len(r.withheld),
        "suppressed": r.suppressed,
        "feedback": _useful(r.alerts, feedback),
        "per_rep_week": [
            {"owner": owner, "week": week, "alerts": n} for (owner, week), n in sorted(per_week.items())
        ],
        "per_kind_product_group": [
            {"kind": kind, "product_group": pg, "alerts": len(ids), **_useful(ids, feedback)}
            for (kind, pg), ids in sorted(by_group.items())
        ],
    }


def difference(base: Replay, other: Replay) -> dict[str, Any]:
    a, b = set(base.alerts), set(other.alerts)

    def per_group(alerts: dict[str, AlertV1]) -> Counter[tuple[str, str]]:
        return Counter((str(x.kind), x.product_group) for x in alerts.values())

    def per_week(alerts: dict[str, AlertV1]) -> Counter[tuple[str, str]]:
        return Counter((x.routing.owner or "(no owner)", week_of(x.created_at)) for x in alerts.values())

    groups_a, groups_b = per_group(base.alerts), per_group(other.alerts)
    weeks_a, weeks_b = per_week(base.alerts), per_week(other.alerts)
    return {
        "alerts": len(b) - len(a),
        "only_in_force": len(a - b),
        "only_proposed": len(b - a),
        "in_both": len(a & b),
        "per_kind_product_group": [
            {
                "kind": k,
                "product_group": pg,
                "in_force": groups_a[(k, pg)],
                "proposed": groups_b[(k, pg)],
                "change": groups_b[(k, pg)] - groups_a[(k, pg)],
            }
            for k, pg in sorted(set(groups_a) | set(groups_b))
        ],
        "per_rep_week": [
            {
                "owner": o,
                "week": w,
                "in_force": weeks_a[(o, w)],
                "proposed": weeks_b[(o, w)],
                "change": weeks_b[(o, w)] - weeks_a[(o, w)],
            }
            for o, w in sorted(set(weeks_a) | set(weeks_b))
        ],
    }


def summary(result: Backtest) -> dict[str, Any]:
    """The JSON of ``triggerwatch backtest``."""
    out: dict[str, Any] = {
        "period": {"from": result.start.isoformat(), "to": result.end.isoformat()},
        "events": result.events,
        "replayed": result.source,
        "delivered": 0,  # a backtest never delivers
        "scenarios": {"in_force": scenario_summary(result.in_force, result.feedback)},
    }
    if result.proposed is not None:
        out["scenarios"]["proposed"] = scenario_summary(result.proposed, result.feedback)
        out["difference"] = difference(result.in_force, result.proposed)
    return out
