"""`triggerwatch parse rss|atom|html|nasdaq|cision|te-jobs FILE` prints the events as JSON lines."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.conftest import FIXTURES
from triggerwatch.cli import app

FEEDS = FIXTURES / "feeds"


@pytest.mark.parametrize(
    ("fmt", "file", "count", "first_title"),
    [
        (
            "te-jobs",
            "te_palvelut_tpt_api_single_job_sv.json",
            1,
            "Ohjelmoija, tietotekniikka, EdifyTalent Oy, Vasa",
        ),
        (
            "nasdaq",
            "nasdaq_news_query_managers_transactions_2026-07.json",
            2,
            "Wärtsilä Oyj Abp - Johdon liiketoimet: Holm, Roger",
        ),
        (
            "cision",
            "cision_papi_newsfeed_sv_2022.json",
            1,
            "Cision lanserar handbok om att göra PR i nordiska länder",
        ),
        (
            "html",
            "duunitori_job2_2014.html",
            1,
            "TIETOHALLINTOJOHTAJA Keski-Suomen sairaanhoitopiiri - Keski-Suomen sairaanhoitopiiri",
        ),
        ("atom", "ampparit_georss_atom_2013.xml", 50, None),
        ("rss", "mol_fi_tyopaikat_rss_2014.xml", 17, None),
    ],
)
def test_parse_formats_print_events(fmt: str, file: str, count: int, first_title: str | None) -> None:
    result = CliRunner().invoke(app, ["parse", fmt, str(FEEDS / file)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == count
    if first_title:
        assert lines[0]["title"] == first_title
