"""One poll of one source: fetch (or replay) → split → parse each item → store, in one transaction.

Per-item error isolation: an item that fails to parse is dead-lettered with its reason and raw
text; the rest of the payload flows on. A payload that is malformed as a whole is dead-lettered
whole. Events and their outbox rows, dead letters and the new cursor commit together. An event the
database refuses is dead-lettered on its own (the others are stored one by one). Nothing a source
sends makes a poll raise: a failed fetch or store is recorded as the source's error
(``collector_state.last_error``, the ``triggerwatch_source_failing`` metric, the ops page), and so
is a poll that dead-lettered new items or pages while storing the rest ("2 new dead letter(s)
(20 item(s) in 1 payload(s)): …").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from prometheus_client import Counter, Gauge
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from triggerwatch.collectors.base import CursorState, FetchOutcome, RawPayload
from triggerwatch.collectors.registry import Source
from triggerwatch.core.businessid import normalise_business_id
from triggerwatch.core.contracts import (
    CompanyRef,
    CompanyRole,
    DeadLetterV1,
    EventKind,
    Evidence,
    TriggerEventV1,
    clean_text,
)
from triggerwatch.core.db import CollectorState, Database, utcnow
from triggerwatch.core.errors import ConfigError, InvalidInputError, TransientError
from triggerwatch.core.http import FetchLimits, HttpFetcher
from triggerwatch.core.outbox import store_dead_letter, store_events
from triggerwatch.text.classify import Classification, classify_all
from triggerwatch.text.linker import CompanyLinker
from triggerwatch.text.normalise import normalise_name

log = logging.getLogger(__name__)

EVENTS_IN = Counter("triggerwatch_events_in_total", "New events stored by collectors", ["source", "kind"])
DEAD_LETTERS = Counter("triggerwatch_dead_letters_total", "Items dead-lettered", ["stage", "source"])
POLLS = Counter("triggerwatch_collector_polls_total", "Collector polls", ["source", "outcome"])
LAST_SUCCESS = Gauge("triggerwatch_collector_last_success_timestamp", "Last successful poll", ["source"])


@dataclass
class RunReport:
    source: str
    payloads: int = 0
    items: int = 0
    new_events: list[TriggerEventV1] = field(default_factory=list)
    dead_letters: list[DeadLetterV1] = field(default_factory=list)
    not_modified: bool = False
    error: str | None = None
    new_dead_letters: int = 0


def time_shift(events: list[TriggerEventV1], now: datetime) -> list[TriggerEventV1]:
    """Move a recorded payload's events so that its newest one happened ``now`` (replay mode)."""
    if not events:
        return events
    delta = now - max(e.occurred_at for e in events)
    shifted = []
    for e in events:
        evidence = [
            ev.model_copy(update={"published_at": ev.published_at + delta}) if ev.published_at else ev
            for ev in e.evidence
        ]
        attributes = {**e.attributes, "replayed": True}
        shifted.append(
            e.model_copy(
                update={"occurred_at": e.occurred_at + delta, "evidence": evidence, "attributes": attributes}
            )
        )
    return shifted


def _dead_letter(source: str, stage: str, exc: Exception, raw: bytes | str | None) -> DeadLetterV1:
    if isinstance(exc, InvalidInputError):
        return DeadLetterV1.from_raw(
            stage=stage,
            reason=exc.reason,
            raw=exc.raw if exc.raw is not None else raw,
            error_type=exc.error_type,
            source=source,
        )
    return DeadLetterV1.from_raw(
        stage=stage, reason=f"{type(exc).__name__}: {exc}", raw=raw, error_type="parser_error", source=source
    )


def parse_payloads(
    source: Source, payloads: list[RawPayload], report: RunReport, linker: CompanyLinker | None = None
) -> list[TriggerEventV1]:
    events: list[TriggerEventV1] = []
    collector = source.collector
    for payload in payloads:
        report.payloads += 1
        try:
            items = collector.split(payload)
        except Exception as exc:  # the whole payload is unusable: keep it, with the reason
            report.dead_letters.append(_dead_letter(source.name, "collect", exc, payload.content))
            continue
        payload_events: list[TriggerEventV1] = []
        for item in items:
            report.items += 1
            try:
                payload_events.extend(collector.parse_item(item))
            except Exception as exc:  # one bad item never stops the others
                report.dead_letters.append(_dead_letter(source.name, "collect", exc, item.raw))
        events.extend(payload_events)
    if getattr(collector.options, "classify", False):
        events = [found for e in events for found in _classified(e, linker)]
    return events


def _classified(event: TriggerEventV1, linker: CompanyLinker | None) -> list[TriggerEventV1]:
    try:
        return classify_event(event, linker)
    except Exception:  # enrichment only: a classifier bug never costs the event
        log.exception("classifying event %s failed; stored unclassified", event.event_id)
        return [event]


def classify_event(event: TriggerEventV1, linker: CompanyLinker | None = None) -> list[TriggerEventV1]:
    """Pure enrichment from the item's text (``triggerwatch.text.classify.classify_all``).

    A ``news`` event whose text reports triggers becomes one event per trigger kind (an acquisition
    with layoffs is two events), strongest first. The strongest keeps the item's event id; each
    further one gets the deterministic id of ``<source_item_id>#<kind>`` and every one carries the
    item's id in ``attributes.item_event_id``. Each gets its kind's attributes, the evidence
    sentence (``attributes.evidence_sentence``), the calibrated confidence
    (``attributes.classifier_confidence``) and its subject companies with their roles first in
    ``companies`` (acquirer/target/seller, appointed/leaving, subject, employer, buyer, investor),
    followed by the source's own companies that the text did not name.

    A ``decision_maker_change`` whose source gave no role (e.g. an exchange release category) keeps
    its kind and id and gains the role, change, person, evidence and company roles, so that it
    corroborates the same appointment from other sources. Anything else is returned as is: ``[event]``.
    """
    year = event.occurred_at.year  # "vuonna 2015" in a 2015 item is the present, not background
    if event.kind is EventKind.NEWS:
        found = classify_all(event.title, event.summary, event.language, linker=linker, published_year=year)
        if not found:
            return [event]
        events = []
        for n, c in enumerate(found):
            event_id = (
                event.event_id
                if n == 0
                else TriggerEventV1.make_id(event.source, f"{event.source_item_id}#{c.kind.value}")
            )
            attributes = {**event.attributes, **c.attributes, "item_event_id": event.event_id}
            update = {
                "event_id": event_id,
                "kind": c.kind,
                "attributes": attributes,
                "companies": _companies(c, event.companies),
            }
            events.append(event.model_copy(update=update))
        return events
    if event.kind is EventKind.DECISION_MAKER_CHANGE and not event.attributes.get("role"):
        found = classify_all(event.title, event.summary, event.language, linker=linker, published_year=year)
        dmc = next((c for c in found if c.kind is EventKind.DECISION_MAKER_CHANGE), None)
        if dmc is None:
            return [event]
        merged: dict[str, str | int | float | bool | None] = {**dmc.attributes, **event.attributes}
        update = {"attributes": merged, "companies": _companies(dmc, event.companies)}
        return [event.model_copy(update=update)]
    return [event]


def _companies(found: Classification, source_refs: list[CompanyRef]) -> list[CompanyRef]:
    """The trigger's subject companies with their roles, then the source's other companies.

    A subject the source also named (same business ID or normalised name) keeps the source's
    business ID and takes the trigger's role.
    """
    refs: list[CompanyRef] = []
    used: set[int] = set()
    for subject in found.subjects:
        business_id = normalise_business_id(subject.company_id or "")
        key = normalise_name(subject.name)
        for n, src in enumerate(source_refs):
            if n in used:
                continue
            if (business_id and src.business_id == business_id) or (
                key and normalise_name(src.name or "") == key
            ):
                used.add(n)
                business_id = business_id or src.business_id
                break
        try:
            role = CompanyRole(subject.role)
        except ValueError:
            role = CompanyRole.SUBJECT
        ref = CompanyRef(business_id=business_id, name=subject.name[:500] or None, role=role)
        if not any(r.key() == ref.key() and r.role == ref.role for r in refs):
            refs.append(ref)
    refs += [src for n, src in enumerate(source_refs) if n not in used]
    return refs


def source_limits(source: Source, http: HttpFetcher) -> FetchLimits:
    """The fetcher's limits with the source's own ``max_body_mb`` and ``poll_deadline_s``."""
    mb = source.config.max_body_mb
    return http.limits.override(
        max_body_bytes=int(mb * 1024 * 1024) if mb is not None else None,
        poll_deadline_s=source.config.poll_deadline_s,
    )


def replay_payload(source: Source, replay_dir: Path, now: datetime) -> RawPayload:
    if not source.config.replay_file:
        raise ConfigError(f"source {source.name!r} has no replay_file for replay mode")
    path = replay_dir / source.config.replay_file
    if not path.exists():
        raise ConfigError(f"source {source.name!r}: recorded payload {path} not found")
    url = getattr(source.collector.options, "url", None)
    return RawPayload(
        source=source.name,
        url=str(url) if url else None,
        content=path.read_bytes(),
        fetched_at=now,
        ref=f"replay:{source.config.replay_file}",
    )


def run_once(
    source: Source,
    db: Database,
    http: HttpFetcher | None,
    *,
    replay_dir: Path | None = None,
    replay_time_shift: bool = True,
    clock: Callable[[], datetime] = utcnow,
) -> RunReport:
    report = RunReport(source=source.name)
    now = clock()
    with db.session() as session:
        row = session.get(CollectorState, source.name)
        state = (
            CursorState(etag=row.etag, last_modified=row.last_modified, cursor=dict(row.cursor or {}))
            if row
            else CursorState()
        )
    try:
        if replay_dir is not None:
            outcome = FetchOutcome(payloads=[replay_payload(source, replay_dir, now)], state=state)
        else:
            if http is None:
                raise ConfigError("live collection needs an HTTP fetcher")
            with http.poll(source_limits(source, http)):
                outcome = source.collector.fetch(http, state)
    except ConfigError as exc:
        _record_failure(db, source.name, str(exc), now)
        POLLS.labels(source.name, "refused").inc()
        raise
    except Exception as exc:  # transient, invalid, over a fetch limit, or a collector's bug
        return _failed(db, source.name, report, _describe(exc), now, exc)

    report.not_modified = not outcome.payloads
    try:
        events = parse_payloads(source, outcome.payloads, report)
        if replay_dir is not None and replay_time_shift:
            events = time_shift(events, now)
        _store(db, source, report, events, outcome.state, now)
    except Exception as exc:  # the database is away, or refused something even item by item
        return _failed(db, source.name, report, f"store failed: {_describe(exc)}", now, exc)

    for e in report.new_events:
        EVENTS_IN.labels(source.name, e.kind.value).inc()
    for dl in report.dead_letters:
        DEAD_LETTERS.labels(dl.stage, source.name).inc()
    POLLS.labels(source.name, "not_modified" if report.not_modified else "ok").inc()
    LAST_SUCCESS.labels(source.name).set(now.timestamp())
    log.info(
        "source %s: %d items, %d new events, %d dead letters",
        source.name,
        report.items,
        len(report.new_events),
        len(report.dead_letters),
    )
    return report


def _describe(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, TransientError | InvalidInputError) else f"{type(exc).__name__}: {exc}"


def _failed(
    db: Database, source: str, report: RunReport, error: str, now: datetime, exc: BaseException
) -> RunReport:
    report.error = clean_text(error)[:2000]
    POLLS.labels(source, "error").inc()
    if isinstance(exc, TransientError | InvalidInputError):
        log.warning("source %s: %s", source, report.error)
    else:
        log.error("source %s: %s", source, report.error, exc_info=exc)
    try:
        _record_failure(db, source, report.error, now)
    except Exception:  # the database itself is away: nothing more to record now
        log.exception("source %s: could not record the failure", source)
    return report


def _store(
    db: Database,
    source: Source,
    report: RunReport,
    events: list[TriggerEventV1],
    state: CursorState,
    now: datetime,
) -> None:
    """Events, dead letters and the new cursor in one transaction; if the database refuses the batch
    for anything but being away, each event is stored on its own and the refused ones dead-lettered."""
    try:
        with db.session() as session:
            report.new_events = store_events(session, events)
            _finish(session, source, report, state, now)
    except OperationalError:
        raise
    except Exception as exc:
        log.warning("source %s: batch refused (%s); storing item by item", source.name, _describe(exc))
        with db.session() as session:
            # a write first, so that the transaction is open before the first SAVEPOINT (pysqlite
            # opens one only for DML; a SAVEPOINT outside it would commit at its RELEASE)
            session.execute(
                update(CollectorState).where(CollectorState.source == source.name).values(last_run_at=now)
            )
            report.new_events = []
            for event in events:
                try:
                    with session.begin_nested():
                        stored = store_events(session, [event])
                        session.flush()
                    report.new_events.extend(stored)
                except OperationalError:
                    raise
                except Exception as item_exc:
                    report.dead_letters.append(
                        DeadLetterV1.from_raw(
                            stage="collect",
                            reason=f"the database refused the event: {_describe(item_exc)}",
                            raw=event.model_dump_json(),
                            error_type="storage_error",
                            source=source.name,
                        )
                    )
            _finish(session, source, report, state, now)


def _finish(session: Session, source: Source, report: RunReport, state: CursorState, now: datetime) -> None:
    report.new_dead_letters = sum(store_dead_letter(session, dl) for dl in report.dead_letters)
    row = session.get(CollectorState, source.name) or CollectorState(
        source=source.name, items_seen=0, events_emitted=0
    )
    row.etag, row.last_modified, row.cursor = state.etag, state.last_modified, state.cursor
    row.last_run_at = now
    row.last_success_at = now
    row.last_error = None
    if report.new_dead_letters:  # the rest was stored: a success, with an error to show
        first = next(dl for dl in report.dead_letters)
        row.last_error = clean_text(
            f"{report.new_dead_letters} new dead letter(s) ({report.items} item(s) in "
            f"{report.payloads} payload(s)): {first.reason}"
        )[:2000]
        row.last_error_at = now
    row.items_seen = (row.items_seen or 0) + report.items
    row.events_emitted = (row.events_emitted or 0) + len(report.new_events)
    session.add(row)


def _record_failure(db: Database, source: str, error: str, now: datetime) -> None:
    with db.session() as session:
        row = session.get(CollectorState, source) or CollectorState(
            source=source, items_seen=0, events_emitted=0
        )
        row.last_run_at = now
        row.last_error = clean_text(error)[:2000]
        row.last_error_at = now
        session.add(row)


__all__ = ["Evidence", "RunReport", "parse_payloads", "replay_payload", "run_once", "time_shift"]
