"""Customer import: CSV or Excel (openpyxl) → validated customer rows and a per-row report.

Columns: ``business_id, product_group, revenue, gross_margin`` and optionally ``order_date,
order_amount`` (one order line per row; the customer's totals are summed over its rows). Finnish
headers are accepted too (``y-tunnus, tuoteryhmä, myynti, kate, tilauspäivä, tilaussumma``), and
dates as ISO (``2025-07-16``) or Finnish (``16.7.2025``). A CSV's encoding is detected
(charset-normalizer: Finnish Excel saves cp1252), its delimiter sniffed (``,`` ``;`` tab). Every
problem is reported with its row number; nothing is dropped silently:

- error (row not imported): bad business ID check digit, unknown company, missing/invalid number,
  an exact duplicate of an earlier row;
- warning (row imported, flagged): negative gross margin.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from charset_normalizer import from_bytes

from triggerwatch.core.businessid import normalise_business_id
from triggerwatch.core.errors import ConfigError

REQUIRED = ("business_id", "product_group", "revenue", "gross_margin")
OPTIONAL = ("order_date", "order_amount")
# header aliases (lower case, spaces and underscores as written): Finnish and common English forms
ALIASES = {
    "y-tunnus": "business_id",
    "ytunnus": "business_id",
    "y tunnus": "business_id",
    "business id": "business_id",
    "tuoteryhmä": "product_group",
    "tuoteryhma": "product_group",
    "product group": "product_group",
    "myynti": "revenue",
    "liikevaihto": "revenue",
    "kate": "gross_margin",
    "myyntikate": "gross_margin",
    "gross margin": "gross_margin",
    "tilauspäivä": "order_date",
    "tilauspvm": "order_date",
    "päivämäärä": "order_date",
    "pvm": "order_date",
    "order date": "order_date",
    "tilaussumma": "order_amount",
    "tilauksen summa": "order_amount",
    "order amount": "order_amount",
}


def column_name(header: object) -> str:
    """A header cell → the canonical column name (``Y-tunnus`` → ``business_id``)."""
    text = " ".join(str(header or "").replace("\ufeff", "").strip().lower().split())
    return ALIASES.get(text, ALIASES.get(text.replace("_", " "), text))


@dataclass(frozen=True)
class RowIssue:
    row: int  # 1-based line in the file, the header being row 1
    severity: str  # error | warning
    code: str  # bad_business_id | unknown_company | negative_margin | duplicate | invalid_value
    message: str


@dataclass(frozen=True)
class CustomerLine:
    row: int
    business_id: str
    product_group: str
    revenue: float
    gross_margin: float
    order_date: date | None = None
    order_amount: float | None = None


@dataclass
class ImportResult:
    lines: list[CustomerLine] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)
    rows_read: int = 0

    @property
    def errors(self) -> list[RowIssue]:
        return [i for i in self.issues if i.severity == "error"]

    def report(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "rows_imported": len(self.lines),
            "rows_rejected": len({i.row for i in self.errors}),
            "issues": [i.__dict__ for i in self.issues],
        }

    def customers(self) -> pd.DataFrame:
        """One row per (business_id, product_group): summed revenue and gross margin."""
        df = pd.DataFrame(
            [(ln.business_id, ln.product_group, ln.revenue, ln.gross_margin) for ln in self.lines],
            columns=["business_id", "product_group", "revenue", "gross_margin"],
        )
        return df.groupby(["business_id", "product_group"], as_index=False)[["revenue", "gross_margin"]].sum()

    def orders(self) -> pd.DataFrame:
        rows = [
            (ln.business_id, ln.product_group, pd.Timestamp(ln.order_date), ln.order_amount)
            for ln in self.lines
            if ln.order_date is not None
        ]
        return pd.DataFrame(rows, columns=["business_id", "product_group", "order_date", "amount"])


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            it = wb.active.iter_rows(values_only=True)  # type: ignore[union-attr]
            header = [column_name(h) for h in next(it, ())]
            for values in it:
                yield dict(zip(header, values, strict=False))
        finally:
            wb.close()
        return
    text = read_text(path)
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample else csv.excel
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    reader.fieldnames = [column_name(h) for h in reader.fieldnames or []]
    yield from reader


def read_text(path: Path) -> str:
    """A text file in whatever encoding it was saved: UTF-8 (with or without BOM) when it decodes,
    else the encoding charset-normalizer finds (Finnish Excel: cp1252)."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    best = from_bytes(raw).best()
    if best is None or best.encoding is None:
        raise ConfigError(f"{path}: not a text file (no character encoding fits); save it as CSV (UTF-8)")
    return raw.decode(best.encoding, errors="replace")


def _number(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    return float(text)


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if "." in text:  # Finnish: 16.7.2025 (day.month.year), optionally with a time after a space
        day, month, year = text.split()[0].split(".")[:3]
        return date(int(year), int(month), int(day))
    return date.fromisoformat(text[:10])


def read_customers(
    path: Path, known_companies: Collection[str] | None = None, progress: Callable[[], Any] | None = None
) -> ImportResult:
    """Read and validate a customer file; ``known_companies`` = business IDs in the registry;
    ``progress()`` is called once per row read."""
    if not path.exists():
        raise ConfigError(f"{path}: no such file")
    result = ImportResult()
    seen: dict[tuple[Any, ...], int] = {}
    rows = _rows(path)
    for rowno, raw in enumerate(rows, 2):
        if progress is not None:
            progress()
        if all(v in (None, "") for v in raw.values()):
            continue
        result.rows_read += 1
        missing = [c for c in REQUIRED if c not in raw]
        if missing:
            raise ConfigError(
                f"{path}: missing column(s) {', '.join(missing)} (need {', '.join(REQUIRED)}, or in "
                "Finnish y-tunnus, tuoteryhmä, myynti, kate)"
            )
        issues = list(_validate(rowno, raw, known_companies))
        line = None
        if not any(i.severity == "error" for i in issues):
            bid = normalise_business_id(str(raw["business_id"]))
            assert bid is not None
            line = CustomerLine(
                row=rowno,
                business_id=bid,
                product_group=str(raw["product_group"]).strip(),
                revenue=_number(raw["revenue"]),
                gross_margin=_number(raw["gross_margin"]),
                order_date=_date(raw["order_date"]) if raw.get("order_date") not in (None, "") else None,
                order_amount=_number(raw["order_amount"])
                if raw.get("order_amount") not in (None, "")
                else None,
            )
            key = (
                line.business_id,
                line.product_group,
                line.revenue,
                line.gross_margin,
                line.order_date,
                line.order_amount,
            )
            if key in seen:
                issues.append(RowIssue(rowno, "error", "duplicate", f"duplicate of row {seen[key]}"))
                line = None
            else:
                seen[key] = rowno
        result.issues += issues
        if line is not None:
            result.lines.append(line)
    return result


def _validate(rowno: int, raw: dict[str, Any], known: Collection[str] | None) -> Iterable[RowIssue]:
    bid_raw = str(raw.get("business_id") or "").strip()
    bid = normalise_business_id(bid_raw)
    if bid is None:
        yield RowIssue(rowno, "error", "bad_business_id", f"invalid business ID {bid_raw!r} (check digit)")
    elif known is not None and bid not in known:
        yield RowIssue(rowno, "error", "unknown_company", f"business ID {bid} is not in the company registry")
    if not str(raw.get("product_group") or "").strip():
        yield RowIssue(rowno, "error", "invalid_value", "product_group is empty")
    for col in ("revenue", "gross_margin", "order_amount"):
        value = raw.get(col)
        if value in (None, "") and col == "order_amount":
            continue
        try:
            number = _number(value)
        except (TypeError, ValueError):
            yield RowIssue(rowno, "error", "invalid_value", f"{col} is not a number: {value!r}")
            continue
        if col == "gross_margin" and number < 0:
            yield RowIssue(rowno, "warning", "negative_margin", f"negative gross margin {number:g}")
    if raw.get("order_date") not in (None, ""):
        try:
            _date(raw["order_date"])
        except ValueError:
            yield RowIssue(
                rowno, "error", "invalid_value", f"order_date is not a date: {raw['order_date']!r}"
            )
