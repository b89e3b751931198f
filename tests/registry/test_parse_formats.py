"""`triggerwatch parse prh-companies|prh-notices FILE` on every real registry payload."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from typer.testing import CliRunner, Result

from tests.conftest import FIXTURES, RECORDINGS, REPO
from triggerwatch.cli import app

REG = FIXTURES / "registry"
ATTRIBUTION = "Lähde: Patentti- ja rekisterihallitus (PRH), CC BY 4.0"


def run(fmt: str, path: Path) -> Result:
    args = ["parse", fmt, str(path), "--sources-file", str(REPO / "deploy" / "config" / "sources.yaml")]
    return CliRunner().invoke(app, args, catch_exceptions=False)


def lines(result: Result) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_prh_companies_on_the_real_v3_response() -> None:
    result = run("prh-companies", REG / "ytj_v3_companies_businessId_0112038-9.json")
    assert result.exit_code == 0, result.output
    assert ATTRIBUTION in result.stderr
    company, event = lines(result)
    rec = company["company"]
    assert (rec["business_id"], rec["name"], rec["company_form"]) == ("0112038-9", "Nokia Oyj", "OYJ")
    assert (rec["tol_version"], rec["industry_section"], rec["industry_division"]) == ("2025", "N", "70")
    assert (rec["region_code"], rec["region_name"], rec["is_active"]) == ("01", "Uusimaa", True)
    assert company["explanation"] == "Ammatillinen, tieteellinen ja tekninen toiminta, Uusimaa"
    assert len(company["aliases"]) == 14
    assert event["kind"] == "registration" and event["attributes"]["industry_section"] == "N"


def test_prh_companies_on_the_real_legacy_payloads(tmp_path: Path) -> None:
    for name, registered in (
        ("legacy_bis_v1_company_0877830-0.json", "1992-03-03"),
        ("legacy_tr_v1_company_0877830-0.json", "1992-01-29"),
    ):
        result = run("prh-companies", REG / name)
        assert result.exit_code == 0, result.output
        rec = lines(result)[0]["company"]
        assert (rec["business_id"], rec["name"], rec["registered_on"]) == (
            "0877830-0",
            "I. Haanpää Oy",
            registered,
        )
        assert rec["region_name"] == "Pohjanmaa"


def test_prh_companies_zip_and_json_lines_with_a_bad_line(tmp_path: Path) -> None:
    record = json.loads((REG / "ytj_v3_companies_businessId_0112038-9.json").read_text())["companies"][0]
    archive = tmp_path / "all_companies.zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("companies.json", json.dumps([record]))
    archive.write_bytes(buf.getvalue())
    first = lines(run("prh-companies", archive))[0]
    assert first["company"]["business_id"] == "0112038-9"
    jsonl = tmp_path / "companies.jsonl"
    jsonl.write_text(json.dumps(record) + "\n{not json\n")
    result = run("prh-companies", jsonl)
    assert len(lines(result)) == 2
    assert "malformed JSON" in result.stderr


def test_prh_notices_on_the_real_tr_v1_payload() -> None:
    result = run("prh-notices", REG / "legacy_tr_v1_company_0877830-0.json")
    assert result.exit_code == 0, result.output
    assert ATTRIBUTION in result.stderr
    events = lines(result)
    assert len(events) == 9
    kinds = [e["kind"] for e in events]
    assert kinds.count("decision_maker_change") == 2
    assert {e["attributes"].get("role") for e in events} == {None, "board_member", "auditor"}


def test_demo_recording_yields_a_board_change_for_digia() -> None:
    result = run("prh-notices", RECORDINGS / "prh_notices_digia_derived.json")
    hal = lines(result)[0]
    assert hal["kind"] == "decision_maker_change"
    assert hal["companies"][0]["business_id"] == "0831312-4"
    assert hal["attributes"]["notice_code"] == "HAL"
