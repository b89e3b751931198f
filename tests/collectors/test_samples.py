"""Parser tests on every real (non CC BY-NC-ND) feed sample in tests/fixtures/feeds/.

Each collector's pure ``split``/``parse_item`` runs over the recorded payload; the assertions are
concrete values read from the samples (business IDs from ``ytunnus``, titles, dates, encodings).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES
from triggerwatch.collectors.base import Collector, RawPayload
from triggerwatch.collectors.cision import CisionCollector
from triggerwatch.collectors.formats import PARSE_FORMATS
from triggerwatch.collectors.html import HtmlCollector, article_links, decode_html
from triggerwatch.collectors.nasdaq import NasdaqCollector, parse_release_body
from triggerwatch.collectors.registry import build_source
from triggerwatch.collectors.rss import RssCollector
from triggerwatch.collectors.runner import RunReport, parse_payloads
from triggerwatch.collectors.te_jobs import TeJobsCollector, TyomarkkinatoriCollector
from triggerwatch.core.contracts import CompanyRole, EventKind, TriggerEventV1
from triggerwatch.core.errors import ConfigError, InvalidInputError
from triggerwatch.core.sources import SourceConfig

FEEDS = FIXTURES / "feeds"
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def payload(name: str, content: bytes | None = None, content_type: str | None = None) -> RawPayload:
    data = content if content is not None else (FEEDS / name).read_bytes()
    return RawPayload(
        source="t",
        url="http://localhost/" + name,
        content=data,
        fetched_at=T0,
        content_type=content_type,
        ref=name,
    )


def collector(cls: type[Collector[Any]], **options: Any) -> Collector[Any]:
    return cls("t", cls.Options.model_validate(options))


def parse(cls: type[Collector[Any]], name: str, **options: Any) -> list[TriggerEventV1]:
    return collector(cls, **options).parse(payload(name))


# --------------------------------------------------------------------------------- legacy TE JSON
def test_te_search_50_docs_every_ad_with_its_validated_business_id() -> None:
    events = parse(TeJobsCollector, "te_palvelut_tpt_api_search_sv_50docs.json", url="http://localhost/tpt")
    assert len(events) == 50
    assert {e.kind for e in events} == {EventKind.RECRUITMENT}
    by_id = {e.source_item_id: e for e in events}
    valmet = by_id["10658468"]
    assert valmet.companies[0].business_id == "2883807-5"
    assert valmet.companies[0].name == "Valmet Automotive EV Power Oy"
    assert valmet.companies[0].role == CompanyRole.EMPLOYER
    assert valmet.attributes["job_title"] == "Logistiikkatyöntekijöitä; Salo, Finland"
    assert valmet.attributes["openings"] == 5
    assert valmet.attributes["occupation_code"] == "93330"
    assert valmet.attributes["location"] == "Salo"
    assert valmet.attributes["deadline"] == "2021-04-11"
    assert valmet.attributes["dedup_key"] == "te-job:10658468"
    assert valmet.occurred_at == datetime(2021, 3, 11, 22, 0, tzinfo=UTC)
    assert valmet.language == "sv"
    # deadline with a time of day, all-caps and unit-suffixed employer names kept verbatim
    assert by_id["10681752"].attributes["deadline"] == "2021-04-14T12:00:00"
    assert by_id["10681752"].attributes["openings"] == 15
    assert by_id["10673682"].companies[0].name == "Accountor Oy."
    assert by_id["10673682"].companies[0].business_id == "2694159-7"
    assert by_id["10645106"].companies[0].name == "Alteams Oy, Laihian yksikkö"
    assert by_id["10645106"].companies[0].business_id == "0180389-2"
    assert by_id["10669315"].companies[0].name == "LUONTAISTUOTEKAUPPA PIA-RIITTA OY"
    # every ytunnus in the sample has a valid check digit
    assert all(e.companies[0].business_id for e in events)
    assert "business_id_invalid" not in {k for e in events for k in e.attributes}


def test_te_single_job_detail() -> None:
    [e] = parse(TeJobsCollector, "te_palvelut_tpt_api_single_job_sv.json", url="http://localhost/tpt")
    assert e.companies[0].business_id == "3089570-6"
    assert e.title == "Ohjelmoija, tietotekniikka, EdifyTalent Oy, Vasa"
    assert e.attributes["openings"] == 4
    assert e.attributes["occupation_code"] == "25140"
    assert e.attributes["region"] == "Österbotten"
    assert e.source_url == "https://paikat.te-palvelut.fi/tpt/10532453"
    assert e.summary is not None and e.summary.startswith("EdifyTalent oy is a Vaasa based start up company")


def test_te_programmerare_vasa() -> None:
    events = parse(
        TeJobsCollector, "te_palvelut_tpt_api_search_programmerare_vasa_sv.json", url="http://localhost/tpt"
    )
    assert [(e.companies[0].name, e.companies[0].business_id, e.attributes["openings"]) for e in events] == [
        ("EdifyTalent Oy", "3089570-6", 4),
        ("Skycode Oy", "2204947-0", 2),
    ]


def test_te_bad_ad_and_bad_business_id() -> None:
    c = collector(TeJobsCollector, url="http://localhost/tpt")
    body = (
        b'{"response": {"docs": [{"ilmoitusnumero": 1, "tehtavanimi": "Myyj\\u00e4", "ytunnus": "1234567-2",'
        b' "tyonantajanNimi": "X Oy"}, {"ilmoitusnumero": 2}]}}'
    )
    report = RunReport(source="t")
    source = build_source(
        SourceConfig(name="te-test", type="te_jobs", options={"url": "http://localhost/tpt"})
    )
    [good] = parse_payloads(source, [payload("x", body)], report)
    assert good.companies[0].business_id is None and good.attributes["business_id_invalid"] == "1234567-2"
    assert [d.error_type for d in report.dead_letters] == ["missing_title"]
    with pytest.raises(InvalidInputError, match=r"response\.docs"):
        c.split(payload("x", b'{"hits": []}'))


# --------------------------------------------------------------------------------- Nasdaq Helsinki
def test_nasdaq_twins_merged_and_foreign_markets_skipped() -> None:
    events = parse(NasdaqCollector, "nasdaq_news_query_managers_transactions_2026-07.json")
    assert [e.title for e in events] == [
        "Wärtsilä Oyj Abp - Johdon liiketoimet: Holm, Roger",
        "Wärtsilä Oyj Abp - Johdon liiketoimet: Berends, Arjen",
    ]
    holm = events[0]
    assert holm.kind == EventKind.NEWS  # Managers' transactions
    assert holm.attributes["disclosure_ids"] == "1450993,1450994"
    assert holm.attributes["languages"] == "fi,en"
    assert holm.attributes["market"] == "Main Market, Helsinki"
    assert [ev.title for ev in holm.evidence] == [
        "Wärtsilä Oyj Abp - Johdon liiketoimet: Holm, Roger",
        "Wärtsilä Corporation - Manager's transaction: Holm, Roger",
    ]
    assert holm.occurred_at == datetime(2026, 7, 1, 15, 5, tzinfo=UTC)  # 17:05 CEST
    assert holm.companies[0].name == "Wärtsilä"


def test_nasdaq_dedup_key_is_the_same_whichever_twin_comes_first() -> None:
    import json

    data = json.loads((FEEDS / "nasdaq_news_query_managers_transactions_2026-07.json").read_bytes())
    c = collector(NasdaqCollector)
    both = {e.attributes["dedup_key"]: e.event_id for e in c.parse(payload("x", json.dumps(data).encode()))}
    for lang in ("fi", "en"):
        only = {"results": {"item": [i for i in data["results"]["item"] if i["language"] == lang]}}
        alone = {
            e.attributes["dedup_key"]: e.event_id for e in c.parse(payload("x", json.dumps(only).encode()))
        }
        assert alone == both


def test_nasdaq_category_mapping_and_body() -> None:
    c = collector(NasdaqCollector, category_kinds={"Inside information": "expansion"})
    assert c.kind_for("Changes board/management/auditors") == EventKind.DECISION_MAKER_CHANGE  # type: ignore[attr-defined]
    assert c.kind_for("Managers' Transactions") == EventKind.NEWS  # type: ignore[attr-defined]
    assert c.kind_for("Inside information") == EventKind.EXPANSION  # type: ignore[attr-defined]
    body = (FEEDS / "nasdaq_view_body_wartsila_managers_transaction_2026-07.txt").read_text(encoding="utf-8")
    assert parse_release_body(body) == {
        "person_name": "Holm, Roger",
        "position": "Other senior manager",
        "issuer": "Wärtsilä Corporation",
        "lei": "743700G7A9J1PHM3X223",
        "isin": "FI0009003727",
    }


# ---------------------------------------------------------------------------------------- Cision
def test_cision_release() -> None:
    [e] = parse(CisionCollector, "cision_papi_newsfeed_sv_2022.json", url="http://localhost/papi")
    assert e.title == "Cision lanserar handbok om att göra PR i nordiska länder"
    assert e.occurred_at == datetime(2022, 5, 6, 7, 30, tzinfo=UTC)
    assert e.language == "sv" and e.kind == EventKind.NEWS
    assert e.companies[0].name == "Cision"
    assert e.attributes["isin"] == "SE0000291486"
    assert e.attributes["information_type"] == "PRM" and e.attributes["is_regulatory"] is False
    assert e.attributes["dedup_key"] == "cision:4258347"
    assert (
        e.source_url
        == "https://news.cision.com/se/cision/r/cision-lanserar-handbok-om-att-gora-pr-i-nordiska-lander,c3561444"
    )


# ------------------------------------------------------------------------------------ HTML pages
def test_duunitori_job_page_with_business_id() -> None:
    [e] = parse(HtmlCollector, "duunitori_job_2014.html", url="http://localhost/")
    assert e.kind == EventKind.RECRUITMENT
    assert e.attributes["job_title"] == "Viron kielen freelance-kouluttaja"
    assert e.companies[0].name == "Optimi Training Oy"
    assert e.companies[0].business_id == "0884926-0"  # "Y-tunnus 0884926-0" on the page
    assert e.companies[0].role == CompanyRole.EMPLOYER
    assert e.attributes["location"] == "40100 JYVÄSKYLÄ"
    assert e.attributes["encoding"] == "utf-8"
    assert e.occurred_at.date().isoformat() == "2014-05-21"
    assert e.source_url == "http://duunitori.fi/tyopaikat/tyo/viron-kielen-freelance-kouluttaja-1302436"


def test_duunitori_second_job_page() -> None:
    [e] = parse(HtmlCollector, "duunitori_job2_2014.html", url="http://localhost/")
    assert e.attributes["job_title"] == "TIETOHALLINTOJOHTAJA Keski-Suomen sairaanhoitopiiri"
    assert e.companies[0].name == "Keski-Suomen sairaanhoitopiiri"
    assert e.companies[0].business_id is None
    assert e.attributes["location"] == "Jyväskylä"
    assert e.occurred_at.date().isoformat() == "2014-06-02"


def test_duunitori_listing_links() -> None:
    html, encoding = decode_html((FEEDS / "duunitori_listing_2014.html").read_bytes())
    links = article_links(html, "http://duunitori.fi/tyopaikat?haku=it", "a.jobentry-link", "/tyopaikat/tyo/")
    assert encoding == "utf-8"
    assert len(links) == 11
    assert links[0] == "http://duunitori.fi/tyopaikat/tyo/viron-kielen-freelance-kouluttaja-1302436"


def test_legacy_iso_8859_1_page_is_detected() -> None:
    """A derived ISO-8859-1 page: the Duunitori ad re-encoded, once declared and once undeclared."""
    text = (FEEDS / "duunitori_job_2014.html").read_text(encoding="utf-8")
    declared = text.replace("charset=UTF-8", "charset=ISO-8859-1").encode("iso-8859-1", "replace")
    [e] = collector(HtmlCollector, url="http://localhost/").parse(payload("x", declared))
    assert e.attributes["encoding"] == "iso-8859-1"
    assert e.attributes["location"] == "40100 JYVÄSKYLÄ" and "pätevää" in (e.summary or "")
    # no declaration at all, only the HTTP header: the header wins
    bare = text.replace("charset=UTF-8", "").encode("iso-8859-1", "replace")
    [h] = collector(HtmlCollector, url="http://localhost/").parse(
        payload("x", bare, "text/html; charset=latin-1")
    )
    assert h.attributes["location"] == "40100 JYVÄSKYLÄ"
    # neither: detection (charset-normalizer via UnicodeDammit) still reads the Finnish letters
    decoded, enc = decode_html(bare)
    assert "JYVÄSKYLÄ" in decoded and enc != "utf-8"


def test_json_ld_job_posting_wins_over_selectors() -> None:
    page = """<html><head><script type="application/ld+json">
    {"@context": "https://schema.org", "@graph": [{"@type": "JobPosting", "title": "Myyntipäällikkö",
     "datePosted": "2026-11-30", "identifier": {"value": "A-77"},
     "hiringOrganization": {"@type": "Organization", "name": "Valmet Automotive EV Power Oy",
                            "taxID": "2883807-5"},
     "jobLocation": {"@type": "Place", "address": {"addressLocality": "Salo"}},
     "description": "<p>Haemme myyntipäällikköä</p>"}]}
    </script></head><body><h1>Something else</h1></body></html>""".encode()
    [e] = collector(HtmlCollector, url="http://localhost/").parse(payload("x", page))
    assert e.attributes["job_title"] == "Myyntipäällikkö" and e.attributes["location"] == "Salo"
    assert e.companies[0].business_id == "2883807-5"
    assert e.source_item_id == "A-77" and e.summary == "Haemme myyntipäällikköä"
    news = (
        b'<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Kela avaa", '
        b'"datePublished": "2026-11-29T08:00:00+02:00"}</script><h1>x</h1>'
    )
    [n] = collector(HtmlCollector, url="http://localhost/").parse(payload("x", news))
    assert n.kind == EventKind.NEWS and n.title == "Kela avaa" and "job_title" not in n.attributes


# ------------------------------------------------------------------------------------ RSS / Atom
def test_ampparit_atom_format() -> None:
    report = RunReport(source="atom")
    events = list(PARSE_FORMATS["atom"].parse(payload("ampparit_georss_atom_2013.xml"), report))
    assert len(events) == 50 and not report.dead_letters
    assert all(isinstance(e, TriggerEventV1) and e.kind == EventKind.NEWS for e in events)
    assert any(e.attributes.get("outlet") for e in events)  # type: ignore[union-attr]


def test_mol_job_rss() -> None:
    pattern = r"^(?P<title>[^,]+), (?:(?P<openings>\d+) paikkaa, )?(?P<company>[^,]+), (?P<location>.+)$"
    events = parse(
        RssCollector,
        "mol_fi_tyopaikat_rss_2014.xml",
        url="http://localhost/feed",
        kind="recruitment",
        company_role="employer",
        title_pattern=pattern,
    )
    assert len(events) == 17
    kela = next(e for e in events if e.companies[0].name == "Kela")
    assert kela.attributes["location"] == "Jyväskylä"


def test_parse_formats_registered() -> None:
    assert {"rss", "atom", "html", "nasdaq", "cision", "te-jobs"} <= set(PARSE_FORMATS)
    report = RunReport(source="x")
    [e] = PARSE_FORMATS["te-jobs"].parse(payload("te_palvelut_tpt_api_single_job_sv.json"), report)
    assert isinstance(e, TriggerEventV1) and e.companies[0].business_id == "3089570-6"


# ---------------------------------------------------------------------------------- Työmarkkinatori
def test_tyomarkkinatori_needs_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRIGGERWATCH_TYOMARKKINATORI_CLIENT_ID", raising=False)
    monkeypatch.delenv("TRIGGERWATCH_TYOMARKKINATORI_CLIENT_SECRET", raising=False)
    c = collector(TyomarkkinatoriCollector, url="http://localhost/ads", token_url="http://localhost/token")
    with pytest.raises(ConfigError, match="TRIGGERWATCH_TYOMARKKINATORI_CLIENT_ID"):
        c.fetch(None, None)  # type: ignore[arg-type]  # refused before any I/O


def test_tyomarkkinatori_assumed_shape_parses() -> None:
    body = b"""{"content": [{"id": "123", "title": {"fi": "Ohjelmistokehitt\\u00e4j\\u00e4"},
      "employer": {"name": "Digia Oyj", "businessId": "0831312-4"}, "numberOfPositions": 2,
      "location": {"municipality": "Tampere"}, "occupations": [{"code": "25120"}],
      "publishDate": "2026-11-30T08:00:00Z", "applicationEndDate": "2026-12-20T21:59:00Z"}]}"""
    c = collector(TyomarkkinatoriCollector, url="http://localhost/ads", token_url="http://localhost/token")
    [e] = c.parse(payload("x", body))
    assert e.companies[0].business_id == "0831312-4" and e.attributes["job_title"] == "Ohjelmistokehittäjä"
    assert e.attributes["openings"] == 2 and e.attributes["occupation_code"] == "25120"
    assert e.attributes["deadline"] == "2026-12-20T21:59:00+00:00"


def test_shipped_issue5_sources_build_and_replay() -> None:
    from tests.conftest import RECORDINGS
    from triggerwatch.collectors.registry import load_sources
    from triggerwatch.collectors.runner import replay_payload
    from triggerwatch.core.settings import CONFIG_DIR

    sources = load_sources(CONFIG_DIR / "sources.yaml", include_disabled=True)
    types = {name: s.config.type for name, s in sources.items()}
    assert {
        types[n]
        for n in (
            "nasdaq-helsinki",
            "te-jobs-tpt",
            "tyomarkkinatori-jobs",
            "duunitori-jobs",
            "cision-ir",
            "stt-info-releases",
        )
    } == {"nasdaq", "te_jobs", "tyomarkkinatori", "html", "cision", "rss"}
    for name in ("nasdaq-helsinki", "te-jobs-tpt", "cision-ir"):
        src = sources[name]
        # Nasdaq company news is keyless and live: enabled by default since issue 18
        assert src.config.enabled is (name == "nasdaq-helsinki") and src.config.licence
        report = RunReport(source=name)
        events = parse_payloads(src, [replay_payload(src, RECORDINGS, T0)], report)
        assert events and not report.dead_letters, name


SHARED_NEWS = [
    p / "feeds" / "news"
    for p in (Path("/work/shared/samples"), FIXTURES.parents[2] / "shared" / "samples")
    if (p / "feeds" / "news").is_dir()
]


@pytest.mark.skipif(not SHARED_NEWS, reason="shared Digitoday samples (CC BY-NC-ND, never copied) absent")
def test_real_iso_8859_1_news_page_read_in_place() -> None:
    """The Digitoday article (ISO-8859-1, CC BY-NC-ND) is read from shared/samples, never copied."""
    page = (SHARED_NEWS[0] / "digitoday_2015_rovio_nimitys_iso8859-1.html").read_bytes()
    c = collector(HtmlCollector, url="http://localhost/", kind="news", selectors={"date": "span.date"})
    [e] = c.parse(payload("x", page))
    assert e.attributes["encoding"] == "iso-8859-1"
    assert e.title == "Rovio nosti tulevaisuutensa Korpisen harteille"
    assert e.kind == EventKind.NEWS and not e.companies
    assert e.occurred_at.date().isoformat() == "2015-08-11"
    assert e.summary is not None and e.summary.startswith("Angry Birds -pelistä")
