from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from triggerwatch.core.contracts import AlertV1, Explanation, decode_alert, example_payloads
from triggerwatch.notifier.render import (
    SLACK_FIELD_LIMIT,
    SLACK_HEADER_LIMIT,
    SLACK_TEXT_LIMIT,
    render_blocks,
    render_crm,
    render_email,
    render_slack_fallback,
    render_text,
)


def texts(node: Any) -> Iterator[str]:
    """Every ``text`` string anywhere in a Block Kit structure."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from texts(item)


def well_escaped(mrkdwn: str) -> bool:
    """No raw ``<``/``>`` except our own links, and every ``&`` starts an entity."""
    without_links = re.sub(r"<https?://[^<>|\s]+\|[^<>|]*>", "", mrkdwn)
    return (
        "<" not in without_links
        and ">" not in without_links
        and not re.search(r"&(?!amp;|lt;|gt;)", without_links)
    )


def test_text_answers_who_what_why_offer_evidence(alert: AlertV1) -> None:
    text = render_text(alert, "en")
    first = text.splitlines()[0]
    assert first.startswith("[HIGH] Kela (0246246-0)")
    assert "Recruitment" in first and "it-services" in first
    assert f"What happened: {alert.explanation.what_happened}" in text
    assert f"Why it matters: {alert.explanation.why_it_matters}" in text
    assert "Recommended offer: it-services" in text
    rule = alert.explanation.target_group_rule
    assert f"Target group: {rule} (score 0.82, {alert.target_group_id})" in text
    assert f"Next step: {alert.explanation.next_step}" in text
    assert "http://www.mol.fi/tyopaikat/" in text


def test_offer_differing_from_product_group_names_both(alert: AlertV1) -> None:
    other = alert.model_copy(update={"recommended_offer": "Managed cloud pilot"})
    assert "Recommended offer: Managed cloud pilot (product group: it-services)" in render_text(other, "en")


def test_finnish_labels(alert: AlertV1) -> None:
    text = render_text(alert, "fi")
    for label in (
        "KORKEA",
        "Rekrytointi",
        "Mitä tapahtui:",
        "Miksi tämä on tärkeää:",
        "Suositeltu tarjous:",
        "Kohderyhmä:",
        "pisteet 0.82",
        "Seuraava askel:",
        "Lähteet:",
    ):
        assert label in text
    assert "What happened" not in text
    blocks_text = " ".join(texts(render_blocks(alert, "fi")))
    assert "Miksi tämä on tärkeää" in blocks_text and "Lähteet" in blocks_text
    subject, _, html = render_email(alert, "fi")
    assert "KORKEA" in subject and 'lang="fi"' in html and "Seuraava askel" in html


def test_language_defaults_to_the_alerts_own(alert: AlertV1) -> None:
    finnish = alert.model_copy(update={"language": "fi"})
    assert "Mitä tapahtui" in render_text(finnish)
    assert "What happened" in render_text(finnish, "en")  # an explicit language wins


@pytest.mark.parametrize("name", sorted(example_payloads("alerts")))
def test_every_shipped_example_renders(name: str) -> None:
    alert = decode_alert(example_payloads("alerts")[name])
    assert alert.explanation.what_happened in render_text(alert)
    assert render_blocks(alert)[0]["type"] == "header"
    assert render_email(alert)[2].startswith("<!doctype html>")
    json.dumps(render_crm(alert))


def test_block_kit_structure(alert: AlertV1) -> None:
    blocks = render_blocks(alert, "en")
    assert [b["type"] for b in blocks] == ["header", "section", "context"]
    header, section, context = blocks
    assert header["text"]["type"] == "plain_text"
    assert "HIGH" in header["text"]["text"] and "Kela (0246246-0)" in header["text"]["text"]
    assert section["text"]["type"] == "mrkdwn"
    assert section["text"]["text"].startswith("*Recruitment*\n")
    assert [f["text"].split("\n")[0] for f in section["fields"]] == [
        "*Why it matters*",
        "*Recommended offer*",
        "*Target group*",
        "*Next step*",
    ]
    assert all(f["type"] == "mrkdwn" for f in section["fields"])
    evidence = context["elements"][0]["text"]
    url = alert.evidence[0].url
    assert url is not None
    assert f"<{url.replace('&', '&amp;')}|" in evidence
    assert all(len(t) <= SLACK_TEXT_LIMIT for t in texts(blocks))


def test_block_kit_escapes_source_text(hostile_alert: AlertV1) -> None:
    blocks = render_blocks(hostile_alert, "en")
    fallback = render_slack_fallback(hostile_alert, "en")
    everything = [*texts(blocks), fallback]
    for text in everything:
        assert "<!channel>" not in text and "<!here>" not in text and "<@U123>" not in text
        assert "<script>" not in text
        assert well_escaped(text), text
        assert "\x1b" not in text
    joined = " ".join(everything)
    assert "&lt;!channel&gt; Evil &amp; Co" in joined
    assert "javascript:" not in joined  # not a link; its label stays as text
    assert "<https://ok.example/a?x=1&amp;y=2|Fair ¦ title &gt; &lt;!channel&gt; (news)>" in joined


def test_block_kit_texts_stay_within_limits(alert: AlertV1) -> None:
    huge = "& <b> " * 2000
    big = alert.model_copy(
        update={
            "company": alert.company.model_copy(update={"name": "N&" * 240}),
            "explanation": Explanation(
                what_happened=huge, why_it_matters=huge, target_group_rule=huge, next_step=huge
            ),
            "evidence": [alert.evidence[0].model_copy(update={"title": huge[:1000]})] * 8,
        }
    )
    blocks = render_blocks(big, "en")
    assert len(blocks[0]["text"]["text"]) <= SLACK_HEADER_LIMIT
    assert len(blocks[1]["text"]["text"]) <= SLACK_TEXT_LIMIT
    assert all(len(f["text"]) <= SLACK_FIELD_LIMIT for f in blocks[1]["fields"])
    assert len(blocks[2]["elements"][0]["text"]) <= SLACK_FIELD_LIMIT
    for text in texts(blocks):
        assert well_escaped(text), text[-40:]  # truncation never cuts an entity in half
    assert blocks[1]["text"]["text"].endswith("…")


def test_email_html_escapes_untrusted_text(hostile_alert: AlertV1) -> None:
    subject, text, html = render_email(hostile_alert, "en")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert 'href="javascript:' not in html
    assert 'href="https://ok.example/a?x=1&amp;y=2"' in html
    assert "\x1b" not in html and "\x1b" not in text
    assert "\n" not in subject and "\r" not in subject
    assert text == render_text(hostile_alert, "en")


def test_email_subject_cannot_inject_headers(alert: AlertV1) -> None:
    company = alert.company.model_copy(update={"name": "Evil\r\nBcc: x@y.fi"})
    evil = alert.model_copy(update={"company": company})
    subject, _, _ = render_email(evil, "en")
    assert "\r" not in subject and "\n" not in subject and "Evil Bcc: x@y.fi" in subject


def test_crm_record(alert: AlertV1) -> None:
    record = render_crm(alert)
    assert record["alert_id"] == alert.alert_id
    assert record["kind"] == "recruitment"
    assert record["company"] == {"business_id": "0246246-0", "name": "Kela"}
    assert record["product_group"] == "it-services"
    assert record["score"] == pytest.approx(0.82)
    assert record["priority"] == "high"
    assert record["explanation"] == alert.explanation.model_dump()
    assert record["evidence"][0]["url"] == alert.evidence[0].url
    for key in ("occurred_at", "created_at"):
        parsed = datetime.fromisoformat(record[key])
        assert parsed.tzinfo is not None and parsed == getattr(alert, key)
    assert json.loads(json.dumps(record)) == record
