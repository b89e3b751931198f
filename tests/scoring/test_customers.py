from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from triggerwatch.core.errors import ConfigError
from triggerwatch.scoring.customers import read_customers

KNOWN = {"0112038-9", "0246246-0", "0831312-4"}
CSV = """business_id,product_group,revenue,gross_margin,order_date,order_amount
0112038-9,it-services,12000,3000,2026-03-01,12000
0112038-8,it-services,5000,1000,,
7654321-2,cleaning,800,200,,
0246246-0,cleaning,900,-150,2026-05-02,900
0112038-9,it-services,12000,3000,2026-03-01,12000
0112038-9,it-services,8000,2500,2026-06-01,8000
0831312-4,it-services,abc,100,,
"""


def test_every_problem_is_reported_with_its_row(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(CSV)
    result = read_customers(path, KNOWN)
    issues = {(i.row, i.code, i.severity) for i in result.issues}
    assert issues == {
        (3, "bad_business_id", "error"),  # 0112038-8: wrong check digit
        (4, "unknown_company", "error"),  # 7654321-2 is valid but not in the registry
        (5, "negative_margin", "warning"),  # imported, flagged
        (6, "duplicate", "error"),
        (8, "invalid_value", "error"),
    }
    assert next(i for i in result.issues if i.code == "duplicate").message == "duplicate of row 2"
    report = result.report()
    assert report["rows_read"] == 7
    assert report["rows_imported"] == 3  # rows 2, 5, 7: nothing else, nothing silently
    assert report["rows_rejected"] == 4
    customers = result.customers().set_index(["business_id", "product_group"])
    assert customers.loc[("0112038-9", "it-services"), "gross_margin"] == 5500  # two order lines
    assert customers.loc[("0246246-0", "cleaning"), "gross_margin"] == -150
    assert len(result.orders()) == 3


def test_excel_and_semicolon_csv(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Business_ID", "product_group", "revenue", "gross_margin"])
    ws.append(["0112038-9", "it-services", 1000, 400.5])
    ws.append(["FI01120389", "cleaning", 50, 10])  # VAT form of the same business ID
    ws.append(["0112038-1", "cleaning", 50, 10])
    wb.save(tmp_path / "c.xlsx")
    result = read_customers(tmp_path / "c.xlsx", KNOWN)
    assert [(ln.row, ln.business_id, ln.gross_margin) for ln in result.lines] == [
        (2, "0112038-9", 400.5),
        (3, "0112038-9", 10.0),
    ]
    assert [(i.row, i.code) for i in result.issues] == [(4, "bad_business_id")]

    (tmp_path / "c.csv").write_text(
        "business_id;product_group;revenue;gross_margin\n0246246-0;x;1 200,50;300,25\n"
    )
    [line] = read_customers(tmp_path / "c.csv", KNOWN).lines
    assert (line.revenue, line.gross_margin) == (1200.5, 300.25)


def test_missing_column_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("business_id,revenue\n0112038-9,1\n")
    with pytest.raises(ConfigError, match="gross_margin"):
        read_customers(tmp_path / "c.csv", KNOWN)


def test_finnish_excel_csv_in_cp1252_with_finnish_headers_and_dates(tmp_path: Path) -> None:
    text = (
        "Y-tunnus;Tuoteryhmä;Myynti;Kate;Tilauspäivä;Tilaussumma\n"
        "0112038-9;Siivouspalvelut ja hygieniatuotteet;1 200,50;300,25;16.7.2025;1 200,50\n"
        "0246246-0;Toimistotarvikkeet;900;-15,5;1.2.2024;900\n"
    )
    path = tmp_path / "asiakkaat.csv"
    path.write_bytes(text.encode("cp1252"))  # what Finnish Excel's "CSV (semicolon)" writes
    with pytest.raises(UnicodeDecodeError):
        path.read_text(encoding="utf-8")
    rows: list[int] = []
    result = read_customers(path, KNOWN, progress=lambda: rows.append(1))
    assert [(ln.business_id, ln.product_group, ln.revenue, ln.gross_margin) for ln in result.lines] == [
        ("0112038-9", "Siivouspalvelut ja hygieniatuotteet", 1200.5, 300.25),
        ("0246246-0", "Toimistotarvikkeet", 900.0, -15.5),
    ]
    assert [ln.order_date for ln in result.lines] == [date(2025, 7, 16), date(2024, 2, 1)]
    assert [i.code for i in result.issues] == ["negative_margin"] and len(rows) == 2


def test_a_bad_finnish_date_is_reported_on_its_row(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("y-tunnus;tuoteryhmä;myynti;kate;pvm\n0112038-9;it;1;1;32.13.2025\n", encoding="utf-8")
    result = read_customers(path, KNOWN)
    assert [(i.row, i.code) for i in result.issues] == [(2, "invalid_value")]
    assert "order_date is not a date: '32.13.2025'" in result.issues[0].message
