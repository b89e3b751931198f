"""``triggerwatch export``: the analytics views as CSV (for Excel), Parquet (for Power BI) or xlsx.

Each ``--what`` reads one read-only view of migration 0019 (``v_alerts``, ``v_events``, …; see
docs/analytics.md), so an export and a Power BI connection to the database see the same columns.
The views leave out companies in the objection register; the alerts export adds the alert texts
(what happened, why, next step, evidence link) and leaves out, in addition, every alert the
objection register's full check (:class:`~triggerwatch.core.objections.ObjectionRegister`:
persons and e-mail addresses too) objects to.

* CSV: UTF-8 with a byte-order mark (Excel then reads it as UTF-8), ``,`` or ``;`` as delimiter and
  ``.`` or ``,`` as decimal mark (Finnish Excel: ``--delimiter ';' --decimal ','``), times as local
  time (``--timezone``, default Europe/Helsinki) ``YYYY-MM-DD HH:MM:SS``;
* xlsx: one sheet, typed cells (numbers, local times), a frozen header row;
* Parquet: typed columns, times as UTC timestamps (Power BI converts them).

Text cells of CSV and xlsx are neutralised against formula injection (:mod:`triggerwatch.core.spreadsheet`).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, Integer, String, column, select, table
from sqlalchemy.types import TypeEngine

from triggerwatch.core.db import Alert, AwareDateTime, Database, Event
from triggerwatch.core.objections import ObjectionRegister
from triggerwatch.core.spreadsheet import safe_cell

TEXT, NUMBER, INTEGER, TIME = String(), Float(), Integer(), AwareDateTime()


class Format(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"
    XLSX = "xlsx"


@dataclass(frozen=True)
class View:
    """One analytics view: its name, columns (with types) and the time column ``--since`` filters."""

    name: str
    since: str
    columns: tuple[tuple[str, TypeEngine[Any]], ...]

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.columns]


VIEWS: dict[str, View] = {
    "alerts": View(
        "v_alerts",
        "created_at",
        (
            ("alert_id", TEXT),
            ("event_id", TEXT),
            ("created_at", TIME),
            ("occurred_at", TIME),
            ("source", TEXT),
            ("business_id", TEXT),
            ("company_name", TEXT),
            ("region", TEXT),
            ("industry_code", TEXT),
            ("kind", TEXT),
            ("product_group", TEXT),
            ("target_group_id", TEXT),
            ("score", NUMBER),
            ("priority_score", NUMBER),
            ("priority", TEXT),
            ("owner", TEXT),
            ("revision", NUMBER),
            ("confidence", NUMBER),
        ),
    ),
    "events": View(
        "v_events",
        "occurred_at",
        (
            ("event_id", TEXT),
            ("source", TEXT),
            ("kind", TEXT),
            ("business_id", TEXT),
            ("company_name", TEXT),
            ("occurred_at", TIME),
            ("observed_at", TIME),
            ("processed_at", TIME),
            ("created_at", TIME),
        ),
    ),
    "scores": View(
        "v_company_scores",
        "scored_at",
        (
            ("business_id", TEXT),
            ("company_name", TEXT),
            ("region", TEXT),
            ("industry_code", TEXT),
            ("company_form", TEXT),
            ("product_group", TEXT),
            ("target_group_id", TEXT),
            ("score", NUMBER),
            ("rule_path", TEXT),
            ("expected_value", NUMBER),
            ("scored_at", TIME),
        ),
    ),
    "target-groups": View(
        "v_target_groups",
        "updated_at",
        (
            ("target_group_id", TEXT),
            ("product_group", TEXT),
            ("rule", TEXT),
            ("rule_fi", TEXT),
            ("expected_value", NUMBER),
            ("size", INTEGER),
            ("scored_companies", INTEGER),
            ("updated_at", TIME),
        ),
    ),
    "feedback": View(
        "v_feedback",
        "created_at",
        (
            ("feedback_id", INTEGER),
            ("alert_id", TEXT),
            ("label", TEXT),
            ("given_by", TEXT),
            ("business_id", TEXT),
            ("kind", TEXT),
            ("product_group", TEXT),
            ("score", NUMBER),
            ("target_group_id", TEXT),
            ("priority", TEXT),
            ("created_at", TIME),
        ),
    ),
    "deliveries": View(
        "v_deliveries",
        "created_at",
        (
            ("alert_id", TEXT),
            ("sink", TEXT),
            ("status", TEXT),
            ("attempts", INTEGER),
            ("last_error", TEXT),
            ("created_at", TIME),
            ("delivered_at", TIME),
            ("business_id", TEXT),
            ("kind", TEXT),
            ("product_group", TEXT),
            ("priority", TEXT),
        ),
    ),
}
ALERT_TEXTS = ("what_happened", "why_it_matters", "next_step", "evidence_url")


@dataclass
class Export:
    """The rows of one export, typed per column; ``withheld``: alerts left out for an objection."""

    what: str
    columns: list[tuple[str, TypeEngine[Any]]]
    rows: list[tuple[Any, ...]]
    withheld: int = 0

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.columns]


def read(db: Database, what: str, since: datetime | None = None) -> Export:
    """The rows of ``what`` (a key of :data:`VIEWS`), oldest first, from ``since`` on when given."""
    if what not in VIEWS:
        raise ValueError(f"unknown export {what!r}; one of {', '.join(VIEWS)}")
    view = VIEWS[what]
    source = table(view.name, *(column(name, type_) for name, type_ in view.columns))
    query = select(source).order_by(source.c[view.since], source.c[view.names[0]])
    if since is not None:
        query = query.where(source.c[view.since] >= since)
    with db.session() as session:
        rows = [tuple(r) for r in session.execute(query)]
        if what != "alerts":
            return Export(what, list(view.columns), rows)
        return _with_alert_texts(session, view, rows)


def _with_alert_texts(session: Any, view: View, rows: list[tuple[Any, ...]]) -> Export:
    register = ObjectionRegister.load(session)
    kept: list[tuple[Any, ...]] = []
    withheld = 0
    for chunk in _chunks(rows, 500):
        ids = [r[0] for r in chunk]
        found = session.execute(
            select(Alert.alert_id, Alert.payload, Event.payload)
            .outerjoin(Event, Event.event_id == Alert.event_id)
            .where(Alert.alert_id.in_(ids))
        ).tuples()
        payloads = {alert_id: (alert or {}, event or {}) for alert_id, alert, event in found}
        for row in chunk:
            payload, event = payloads.get(row[0], ({}, {}))
            attributes = event.get("attributes") or {}  # the decision-maker's name is checked too
            checked = {**payload, "attributes": attributes, "person_name": attributes.get("person_name")}
            if register.reason(checked) is not None:
                withheld += 1
                continue
            explanation = payload.get("explanation") or {}
            evidence = payload.get("evidence") or [{}]
            kept.append(
                (
                    *row,
                    explanation.get("what_happened"),
                    explanation.get("why_it_matters"),
                    explanation.get("next_step"),
                    evidence[0].get("url"),
                )
            )
    columns = [*view.columns, *((name, TEXT) for name in ALERT_TEXTS)]
    return Export("alerts", columns, kept, withheld)


def _chunks(rows: Sequence[tuple[Any, ...]], size: int) -> Iterator[Sequence[tuple[Any, ...]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


# --------------------------------------------------------------------------------------- writers
def _local(value: datetime, tz: ZoneInfo) -> datetime:
    return value.astimezone(tz).replace(tzinfo=None, microsecond=0)


def write_csv(
    export: Export, out: IO[str], *, delimiter: str = ",", decimal: str = ".", tz: ZoneInfo
) -> None:
    """CSV for Excel: the caller opens ``out`` with ``encoding="utf-8-sig", newline=""`` (BOM)."""
    if delimiter == decimal:
        raise ValueError("the delimiter and the decimal mark must differ")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(export.names)
    for row in export.rows:
        cells: list[Any] = []
        for value in row:
            if value is None:
                cells.append("")
            elif isinstance(value, datetime):
                cells.append(_local(value, tz).isoformat(sep=" "))
            elif isinstance(value, float):
                cells.append(repr(value).replace(".", decimal))
            else:
                cells.append(safe_cell(value))
        writer.writerow(cells)


def write_xlsx(export: Export, path: Path, *, tz: ZoneInfo) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(export.what)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in export.names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in export.rows:
        sheet.append([_local(v, tz) if isinstance(v, datetime) else safe_cell(v) for v in row])
    book.save(path)


def arrow_table(export: Export) -> Any:
    """The export as a typed ``pyarrow.Table`` (times as UTC timestamps, microseconds)."""
    import pyarrow as pa

    def arrow_type(type_: TypeEngine[Any]) -> Any:
        if isinstance(type_, AwareDateTime):
            return pa.timestamp("us", tz="UTC")
        if isinstance(type_, Integer):
            return pa.int64()
        if isinstance(type_, Float):
            return pa.float64()
        return pa.string()

    schema = pa.schema([(name, arrow_type(type_)) for name, type_ in export.columns])
    columns = list(zip(*export.rows, strict=True)) if export.rows else [() for _ in export.columns]
    arrays = [pa.array(list(values), type=field.type) for values, field in zip(columns, schema, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema)


def write_parquet(export: Export, path: Path) -> None:
    import pyarrow.parquet as pq

    pq.write_table(arrow_table(export), path)


def write(
    export: Export,
    fmt: Format,
    out: Path | None,
    *,
    delimiter: str = ",",
    decimal: str = ".",
    timezone: str = "Europe/Helsinki",
) -> Path | None:
    """Write ``export`` to ``out`` (``None``: CSV to standard output); returns the file written."""
    tz = ZoneInfo(timezone)
    if fmt is Format.CSV:
        if out is None:
            write_csv(export, sys.stdout, delimiter=delimiter, decimal=decimal, tz=tz)
            return None
        with out.open("w", encoding="utf-8-sig", newline="") as f:
            write_csv(export, f, delimiter=delimiter, decimal=decimal, tz=tz)
        return out
    if out is None:
        raise ValueError(f"{fmt.value} needs a file: pass --out")
    if fmt is Format.XLSX:
        write_xlsx(export, out, tz=tz)
    else:
        write_parquet(export, out)
    return out
