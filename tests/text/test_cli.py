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


# --- triggerwatch classify ------------------------------------------------------------------------
def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_classify_a_text_file_names_kind_subjects_roles_evidence_and_confidence(tmp_path: Path) -> None:
    doc = tmp_path / "news.txt"
    doc.write_text(
        "Elisa ostaa Fennia IT:n\n"
        "Elisa on sopinut ostavansa helsinkiläisen Fennia IT Oy:n koko osakekannan.\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["classify", str(doc)])
    assert result.exit_code == 0, result.output
    [line] = _lines(result.output)
    assert line["input"] == str(doc) and line["kind"] == "merger"
    subjects = [(s["name"], s["role"]) for s in line["subjects"]]  # type: ignore[index, union-attr]
    assert subjects in (
        [("Elisa", "acquirer"), ("Fennia IT", "target")],
        [("Elisa", "acquirer"), ("Fennia IT Oy", "target")],
    )
    assert "Fennia IT" in str(line["evidence_sentence"])
    assert 0.5 <= float(line["confidence"]) <= 1.0  # type: ignore[arg-type]
    assert line["attributes"]["deal_role"] == "acquirer"  # type: ignore[index]


def test_classify_stdin_with_a_names_csv_links_the_subjects(tmp_path: Path) -> None:
    names = tmp_path / "names.csv"
    names.write_text("id,name\n0112038-9,Nokia Oyj\nms,Microsoft Corporation\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["classify", "--names", str(names), "-"], input="Nokian entinen johtaja siirtyy Microsoftille\n"
    )
    assert result.exit_code == 0, result.output
    [line] = _lines(result.output)
    assert line["kind"] == "decision_maker_change"
    subjects = [(s["company_id"], s["role"]) for s in line["subjects"]]  # type: ignore[union-attr]
    assert subjects == [("ms", "appointed"), ("0112038-9", "leaving")]


def test_classify_ordinary_news_prints_news(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["classify", "-"], input="Nokia harkitsee Alcatel-Lucentin ostamista\n")
    assert result.exit_code == 0, result.output
    assert [line["kind"] for line in _lines(result.output)] == ["news"]


def test_classify_a_recorded_payload_item_by_item(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>t</title><link>https://news.example.fi/</link><description>d</description>
<item><title>Wärtsilä aloittaa muutosneuvottelut Vaasassa</title><link>https://news.example.fi/1</link>
<guid>n1</guid><pubDate>Tue, 01 Dec 2026 08:00:00 +0200</pubDate></item>
<item><title>Hurja takaa-ajo Kouvolassa</title><link>https://news.example.fi/2</link>
<guid>n2</guid><pubDate>Tue, 01 Dec 2026 09:00:00 +0200</pubDate></item>
</channel></rss>""",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["classify", "--payload", "rss", feed.as_uri()])
    assert result.exit_code == 0, result.output
    lines = _lines(result.output)
    assert [(line["source_item_id"], line["kind"]) for line in lines] == [("n1", "layoffs"), ("n2", "news")]
    assert lines[0]["subjects"][0]["name"] == "Wärtsilä"  # type: ignore[index]


def test_classify_a_missing_input_is_a_clear_error() -> None:
    result = CliRunner().invoke(app, ["classify", "/nonexistent/news.txt"])
    assert result.exit_code != 0
