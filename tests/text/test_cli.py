from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from triggerwatch.cli import app


def test_link_with_names_csv_prints_character_offsets(tmp_path: Path) -> None:
    names = tmp_path / "names.csv"
    names.write_text(
        "id,name\n0112038-9,Nokia Oyj\nw,Wärtsilä Oyj Abp\nw,Wärtsilä\nk,Kone Oyj\n", encoding="utf-8"
    )
    doc = tmp_path / "doc.txt"
    text = "Ääkköset ensin: Wärtsilän ja Nokian kauppa. Kone toimitti."
    doc.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["link", "--names", str(names), str(doc)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["surface"], r["company_id"], r["name"]) for r in lines] == [
        ("Wärtsilän", "w", "Wärtsilä Oyj Abp"),
        ("Nokian", "0112038-9", "Nokia Oyj"),
    ]
    for r in lines:
        assert text[r["start"] : r["end"]] == r["surface"] and r["file"] == str(doc)
        assert set(r) == {"file", "start", "end", "surface", "company_id", "name", "confidence"}


def test_link_names_csv_needs_header(tmp_path: Path) -> None:
    names = tmp_path / "names.csv"
    names.write_text("0112038-9,Nokia Oyj\n", encoding="utf-8")
    doc = tmp_path / "doc.txt"
    doc.write_text("Nokia", encoding="utf-8")
    result = CliRunner().invoke(app, ["link", "--names", str(names), str(doc)])
    assert result.exit_code != 0


def test_link_from_company_table(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from triggerwatch.core.db import Company, Database

    url = f"sqlite:///{tmp_path / 'tw.db'}"
    db = Database(url)
    db.upgrade()
    with db.session() as s:
        s.add(
            Company(
                business_id="2546240-4",
                name="Valmet Oyj",
                name_key="valmet oyj",
                aliases=["Valmet Automotive"],
            )
        )
    monkeypatch.setenv("TRIGGERWATCH_DATABASE__URL", url)
    doc = tmp_path / "doc.txt"
    doc.write_text("Valmetin tilauskanta", encoding="utf-8")
    result = CliRunner().invoke(app, ["link", str(doc)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["company_id"] == "2546240-4"


def test_link_can_show_unlinked_mentions(tmp_path: Path) -> None:
    names = tmp_path / "names.csv"
    names.write_text("id,name\nk,Kone Oyj\n", encoding="utf-8")
    doc = tmp_path / "doc.txt"
    doc.write_text("Kone toimitti hissit.", encoding="utf-8")
    result = CliRunner().invoke(app, ["link", "--unlinked", "--names", str(names), str(doc)])
    assert result.exit_code == 0 and result.stdout == ""
    line = json.loads(result.stderr)
    assert (line["surface"], line["candidates"], line["unlinked"]) == ("Kone", ["k"], True)
