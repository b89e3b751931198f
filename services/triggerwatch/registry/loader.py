"""Streaming bulk load of YTJ company records into ``companies``, with change detection.

``iter_raw_records`` streams records with ijson from any accepted shape — the ``/all_companies`` zip
(one JSON array inside), a bare JSON array, an API response ``{totalResults, companies}``, or one
record per line — so memory stays flat in the number of records. ``load_companies`` normalises each
record, upserts in batches and, for a company already known whose ``lastModified`` or content hash
changed, emits ``registry_change`` events (name, industry, address, form, status) through the
outbox in the same transaction. A malformed record is dead-lettered and the rest loads.

Lähde: Patentti- ja rekisterihallitus (PRH), CC BY 4.0.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import IO, Any

import ijson
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from triggerwatch.core.contracts import CompanyRef, DeadLetterV1, EventKind, Evidence, TriggerEventV1
from triggerwatch.core.db import Company, Database, utcnow
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.core.names import name_key
from triggerwatch.core.outbox import store_dead_letter, store_events
from triggerwatch.registry.ytj import PRH_ATTRIBUTION, CompanyRecord, normalise_company

SOURCE = "prh-companies"
CHANGE_LABELS = {
    "name": "name changed",
    "industry": "main line of business changed",
    "address": "address changed",
    "form": "company form changed",
    "status": "status changed",
}


def _open_stream(stream: IO[bytes]) -> tuple[IO[bytes], zipfile.ZipFile | None]:
    head = stream.read(4)
    stream.seek(0)
    if head[:2] == b"PK":
        archive = zipfile.ZipFile(stream)
        members = [m for m in archive.namelist() if not m.endswith("/")]
        if not members:
            raise InvalidInputError("zip holds no file")
        return archive.open(members[0]), archive
    return stream, None


def iter_raw_records(stream: IO[bytes]) -> Iterator[Any]:
    """Raw company records from a seekable binary stream, without loading it whole."""
    inner, archive = _open_stream(stream)
    try:
        buffered: Any = inner if isinstance(inner, io.BufferedReader) else io.BufferedReader(inner)  # type: ignore[arg-type,type-var]
        first = buffered.peek(64).lstrip()[:1]
        try:
            if first == b"[":
                yield from ijson.items(buffered, "item", use_float=True)
            elif first == b"{":
                yield from _iter_object_or_lines(buffered)
            elif not first:
                return
            else:
                raise InvalidInputError("not a JSON array, object or JSON lines")
        except ijson.JSONError as exc:
            raise InvalidInputError(f"malformed JSON: {exc}") from exc
    finally:
        if archive is not None:
            inner.close()
            archive.close()


def _iter_object_or_lines(stream: Any) -> Iterator[Any]:
    # JSON lines when the first line alone is a complete company record; else one JSON object
    first_line = stream.peek(1 << 20).split(b"\n", 1)[0]
    try:
        probe = json.loads(first_line)
    except ValueError:
        probe = None
    if isinstance(probe, dict) and "businessId" in probe:
        for n, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except ValueError as exc:
                yield _BadLine(n, line.decode("utf-8", "replace"), str(exc))
        return
    yield from _items_under(stream, {"companies.item", "results.item"})


def _items_under(stream: Any, prefixes: set[str]) -> Iterator[Any]:
    """Items of whichever list (v3 ``companies`` or v1 ``results``) the object has, streamed."""
    builder: ijson.ObjectBuilder | None = None
    current = ""
    for prefix, event, value in ijson.parse(stream, use_float=True):
        if builder is None:
            if prefix in prefixes and event in ("start_map", "start_array"):
                builder, current = ijson.ObjectBuilder(), prefix
                builder.event(event, value)
            elif prefix in prefixes:  # a scalar item
                yield value
            continue
        builder.event(event, value)
        if prefix == current and event in ("end_map", "end_array"):
            yield builder.value
            builder = None


@dataclass(frozen=True)
class _BadLine:
    line: int
    text: str
    error: str


def normalise_raw(raw: Any) -> CompanyRecord:
    """``normalise_company`` that also turns a bad JSON line into an ``InvalidInputError``."""
    if isinstance(raw, _BadLine):
        raise InvalidInputError(f"line {raw.line}: malformed JSON: {raw.error}", raw=raw.text)
    return normalise_company(raw)


def raw_text(raw: Any) -> str:
    if isinstance(raw, _BadLine):
        return raw.text
    return json.dumps(raw, ensure_ascii=False, default=str)


# ---------------------------------------------------------------------------------------------------
# rows and change events


def company_row(rec: CompanyRecord) -> dict[str, Any]:
    def dt(d: Any) -> datetime | None:
        return datetime.combine(d, time(0), UTC) if d else None

    return {
        "business_id": rec.business_id,
        "name": rec.name,
        "name_key": name_key(rec.name),
        "aliases": rec.aliases,
        "company_form": rec.company_form or rec.company_form_description or rec.company_form_code,
        "company_form_code": rec.company_form_code,
        "industry_code": rec.industry_code,
        "industry_tol_version": rec.tol_version,
        "industry_section": rec.industry_section,
        "industry_division": rec.industry_division,
        "municipality": rec.municipality,
        "municipality_code": rec.municipality_code,
        "region": rec.region_name,
        "region_code": rec.region_code,
        "registered_on": dt(rec.registered_on),
        "end_date": dt(rec.end_date),
        "website": rec.website,
        "is_active": rec.is_active,
        "trade_register_status": rec.trade_register_status,
        "names": [n.model_dump(mode="json") for n in rec.names],
        "situations": [s.model_dump(mode="json") for s in rec.situations],
        "last_modified": rec.last_modified,
        "content_hash": rec.content_hash(),
    }


def change_events(
    old: Company, rec: CompanyRecord, observed_at: datetime, source: str = SOURCE
) -> list[TriggerEventV1]:
    """``registry_change`` events for the tracked fields that differ between the stored row and ``rec``."""
    before = {
        "name": old.name,
        "industry": old.industry_code,
        "address": None,  # compared through the content hash (the row keeps no street address)
        "form": old.company_form_code or old.company_form,
        "status": None,
    }
    after = {**rec.change_fields(), "form": rec.company_form_code or rec.company_form}
    changed = [k for k in ("name", "industry", "form") if (before[k] or None) != (after[k] or None)]
    if (
        old.is_active != rec.is_active
        or (old.trade_register_status or None) != rec.trade_register_status
        or sorted(s.get("type", "") for s in (old.situations or []) if not s.get("end_date"))
        != sorted(rec.open_situations)
    ):
        changed.append("status")
    if not changed:
        changed = ["address"]  # the hash changed but none of the stored fields did
    stamp = (rec.last_modified or observed_at).strftime("%Y%m%dT%H%M%S")
    events = []
    for change in changed:
        item_id = f"{rec.business_id}:{change}:{stamp}"
        events.append(
            TriggerEventV1.create(
                source=source,
                source_item_id=item_id,
                kind=EventKind.BANKRUPTCY
                if change == "status" and "bankruptcy" in rec.open_situations
                else EventKind.REGISTRY_CHANGE,
                occurred_at=rec.last_modified or observed_at,
                observed_at=observed_at,
                companies=[CompanyRef(business_id=rec.business_id, name=rec.name)],
                title=f"{rec.name}: {CHANGE_LABELS[change]}",
                summary=f"{change}: {before.get(change)!s} → {after[change]!s}. {PRH_ATTRIBUTION}",
                language="en",
                evidence=[
                    Evidence(source=source, title=f"YTJ {rec.business_id}", published_at=rec.last_modified)
                ],
                attributes={
                    "dedup_key": f"ytj:{item_id}",
                    "change": change,
                    "notice_code": f"ytj_{change}",
                    "notice_label": CHANGE_LABELS[change],
                    "industry_code": rec.industry_code,
                    "tol_version": rec.tol_version,
                    "region_code": rec.region_code,
                },
            )
        )
    return events


# ---------------------------------------------------------------------------------------------------
# load


@dataclass
class LoadReport:
    records: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    events: int = 0
    dead_letters: list[DeadLetterV1] = field(default_factory=list)


def _upsert_batch(
    session: Session, batch: list[CompanyRecord], report: LoadReport, observed_at: datetime, emit: bool
) -> None:
    ids = [r.business_id for r in batch]
    existing = {
        c.business_id: c for c in session.scalars(select(Company).where(Company.business_id.in_(ids)))
    }
    events: list[TriggerEventV1] = []
    new_rows: list[dict[str, Any]] = []
    now = utcnow()
    seen: set[str] = set()
    for rec in batch:
        if rec.business_id in seen:  # the same company twice in one batch: last one wins
            continue
        seen.add(rec.business_id)
        row = company_row(rec)
        old = existing.get(rec.business_id)
        if old is None:
            new_rows.append({**row, "updated_at": now})
            continue
        unchanged = old.content_hash == row["content_hash"] or (
            rec.last_modified is not None
            and old.last_modified is not None
            and rec.last_modified <= old.last_modified
            and old.content_hash is not None
        )
        if unchanged:
            report.unchanged += 1
            continue
        if emit and old.content_hash is not None:  # rows from a hand-made targets file carry no hash
            events.extend(change_events(old, rec, observed_at))
        for key, value in row.items():
            setattr(old, key, value)
        report.updated += 1
    if new_rows:  # executemany through Core: the bulk path of a first load
        session.execute(insert(Company), new_rows)
        report.inserted += len(new_rows)
    if events:
        report.events += len(store_events(session, events))


def load_companies(
    db: Database,
    stream: IO[bytes],
    *,
    batch_size: int = 2000,
    emit_changes: bool = True,
    progress: Callable[[int], None] | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> LoadReport:
    """Stream, normalise and upsert every record; one transaction per batch."""
    report = LoadReport()
    observed_at = clock()
    batch: list[CompanyRecord] = []
    bad: list[DeadLetterV1] = []

    def flush() -> None:
        with db.session() as session:
            _upsert_batch(session, batch, report, observed_at, emit_changes)
            for dl in bad:
                store_dead_letter(session, dl)
        report.dead_letters.extend(bad)
        batch.clear()
        bad.clear()

    for raw in iter_raw_records(stream):
        report.records += 1
        try:
            batch.append(normalise_raw(raw))
        except InvalidInputError as exc:
            bad.append(
                DeadLetterV1.from_raw(
                    stage="collect",
                    reason=exc.reason,
                    raw=exc.raw if exc.raw is not None else raw_text(raw),
                    error_type=exc.error_type,
                    source=SOURCE,
                )
            )
        if len(batch) >= batch_size:
            flush()
            if progress:
                progress(report.records)
    flush()
    if progress:
        progress(report.records)
    return report
