"""``triggerwatch export`` and the analytics views, on SQLite and PostgreSQL; files read back."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from typer.testing import CliRunner

from tests.analytics.conftest import DIGIA, KELA, START, VALMET, Filled, fill
from triggerwatch.analytics.export import ALERT_TEXTS, TEXT, VIEWS, Export, Format, read, write
from triggerwatch.core.db import Database
from triggerwatch.core.spreadsheet import neutralise, safe_cell


def test_every_view_has_the_documented_columns_and_leaves_out_objections(filled: Filled) -> None:
    db = filled.db
    inspector = sa.inspect(db.engine)
    assert set(inspector.get_view_names()) >= {v.name for v in VIEWS.values()}
    for what, view in VIEWS.items():
        assert [c["name"] for c in inspector.get_columns(view.name)] == view.names, what
        export = read(db, what)
        bids = (
            {row[view.names.index("business_id")] for row in export.rows}
            if "business_id" in view.names
            else set()
        )
        assert VALMET not in bids, what  # a business-ID objection hides the company everywhere
    alerts = read(db, "alerts")
    assert alerts.names == [*VIEWS["alerts"].names, *ALERT_TEXTS]
    by_company = {}
    for row in alerts.rows:
        by_company.setdefault(row[5], []).append(dict(zip(alerts.names, row, strict=True)))
    assert len(by_company[KELA]) == 3
    assert len(by_company[DIGIA]) == 1 and alerts.withheld == 1  # the alert naming an objected person
    first = by_company[KELA][0]
    assert first["created_at"] == START and first["owner"] == "sales-team" and first["priority"] == "high"
    assert first["what_happened"] == "Kela: IT-asiantuntija, Kela" and first["evidence_url"].endswith("/k1")
    assert isinstance(first["priority_score"], float) and first["revision"] == 1
    with db.session() as s:  # the view itself has no text, and keeps the alert naming the person
        assert s.scalar(sa.text("SELECT COUNT(*) FROM v_alerts WHERE business_id = :b"), {"b": DIGIA}) == 2
    feedback = read(db, "feedback")
    assert sorted(r[2] for r in feedback.rows) == ["not_useful", "useful"]
    since = read(db, "alerts", datetime(2026, 11, 9, tzinfo=UTC))
    assert {r[2] for r in since.rows} == {
        datetime(2026, 11, 9, 8, 0, tzinfo=UTC),
        datetime(2026, 11, 16, 8, 0, tzinfo=UTC),
    }
    groups = {r[0]: r for r in read(db, "target-groups").rows}
    assert groups["it-services:public-administration"][6] == 1  # scored companies


def test_csv_for_finnish_excel_xlsx_and_parquet_read_back(sqlite_db: Database, tmp_path: Path) -> None:
    fill(sqlite_db)
    export = read(sqlite_db, "alerts")
    path = write(export, Format.CSV, tmp_path / "a.csv", delimiter=";", decimal=",")
    assert path is not None
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == export.names and len(rows) == 1 + len(export.rows)
    kela = dict(zip(rows[0], rows[1], strict=True))
    assert kela["created_at"] == "2026-11-02 10:00:00"  # Europe/Helsinki, UTC+2 in November
    assert kela["score"] == "0,82" and kela["company_name"] == "Kela"

    xlsx = write(export, Format.XLSX, tmp_path / "a.xlsx")
    assert xlsx is not None
    sheet = load_workbook(xlsx).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == export.names and len(values) == 1 + len(export.rows)
    assert values[1][2] == datetime(2026, 11, 2, 10, 0, tzinfo=UTC).replace(tzinfo=None)  # a date cell, local
    assert values[1][12] == 0.82

    parquet = write(export, Format.PARQUET, tmp_path / "a.parquet")
    assert parquet is not None
    back = pq.read_table(parquet)
    assert back.num_rows == len(export.rows) and back.column_names == export.names
    assert back.schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    assert back.schema.field("score").type == pa.float64()
    assert back.column("created_at")[0].as_py() == START
    empty = read(sqlite_db, "alerts", datetime(2030, 1, 1, tzinfo=UTC))
    assert pq.read_table(write(empty, Format.PARQUET, tmp_path / "e.parquet")).num_rows == 0  # type: ignore[arg-type]


def test_formula_cells_are_neutralised_in_csv_and_xlsx(tmp_path: Path) -> None:
    assert [neutralise(t) for t in ("=1+1", "+358", "-2", "@SUM(A1)", "\tx", "\rx", "Kela", "")] == [
        "'=1+1",
        "'+358",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "Kela",
        "",
    ]
    assert safe_cell(-2.5) == -2.5 and safe_cell(None) is None
    hostile = '=HYPERLINK("http://evil.example","click")'
    export = Export("alerts", [("what_happened", TEXT)], [(hostile,)])
    write(export, Format.CSV, tmp_path / "h.csv")
    assert (tmp_path / "h.csv").read_text(encoding="utf-8-sig").splitlines()[
        1
    ] == '"\'=HYPERLINK(""http://evil.example"",""click"")"'
    write(export, Format.XLSX, tmp_path / "h.xlsx")
    cell = load_workbook(tmp_path / "h.xlsx").active["A2"]  # type: ignore[index]
    assert cell.data_type == "s" and cell.value == "'" + hostile  # text, never a formula


def test_export_command(sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from triggerwatch.cli import app

    fill(sqlite_db)
    monkeypatch.setenv("TRIGGERWATCH_DATABASE__URL", sqlite_db.url)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(
        app, ["export", "--what", "alerts", "--format", "parquet", "--since", "2026-11-09"]
    )
    assert result.exit_code == 0, result.output
    assert "exported 2 alerts rows to triggerwatch-alerts.parquet" in result.output
    assert pq.read_table(tmp_path / "triggerwatch-alerts.parquet").num_rows == 2
    result = runner.invoke(app, ["export", "--what", "target-groups", "--out", "-", "--delimiter", ";"])
    assert result.exit_code == 0 and result.stdout.startswith("target_group_id;product_group;rule")
    bad = runner.invoke(app, ["export", "--what", "alerts", "--format", "xlsx", "--out", "-"])
    assert bad.exit_code != 0
    assert runner.invoke(app, ["export", "--what", "nothing"]).exit_code == 2
