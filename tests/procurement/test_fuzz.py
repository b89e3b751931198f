"""Fuzzing: mutated real notices (XML) and search records (JSON) never crash a parser.

Every variant either parses into events or raises ``InvalidInputError`` with a reason (which the
runner dead-letters); nothing else may escape.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from tests.conftest import FIXTURES
from triggerwatch.collectors.base import RawPayload
from triggerwatch.collectors.registry import build_source
from triggerwatch.core.contracts import TriggerEventV1
from triggerwatch.core.errors import InvalidInputError
from triggerwatch.core.sources import SourceConfig
from triggerwatch.procurement.eforms import parse_notice
from triggerwatch.procurement.events import notice_events

TED = FIXTURES / "procurement" / "ted"
HILMA = FIXTURES / "procurement" / "hilma"
SAMPLES = [
    (TED / "eforms_can29_FI_00525037-2024_kristiinankaupunki.xml").read_bytes(),
    (TED / "eforms_cn21_FI_00583624-2023_helsinki.xml").read_bytes(),
    (HILMA / "hilma_sdk_example_E4_minimum.xml").read_bytes(),
    (TED / "eforms_pin14_FI_00574413-2023_salo.xml").read_bytes(),
]
TED_RECORDS = [
    r for i in (1, 2) for r in json.loads((TED / f"search_page_{i}.json").read_text("utf-8"))["notices"]
]
HILMA_RECORDS = [
    r for i in (1, 2) for r in json.loads((HILMA / f"search_page_{i}.json").read_text("utf-8"))["value"]
]
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

texts = st.one_of(
    st.text(st.characters(exclude_categories=("Cc", "Cs"), exclude_characters="\ufffe\uffff"), max_size=40),
    st.sampled_from(
        ["", "  ", "NaN", "Infinity", "-1", "1e999", "2024-13-45+02:00", "25:61:00Z", "FI1234", "x" * 3000]
    ),
)


def outcome(content: bytes) -> list[TriggerEventV1] | str:
    try:
        notice = parse_notice(content)
        return notice_events(notice, source="fuzz", observed_at=NOW)
    except InvalidInputError as exc:
        assert exc.reason
        return exc.reason


@st.composite
def mutated_notice(draw: st.DrawFn) -> bytes:
    root = etree.fromstring(draw(st.sampled_from(SAMPLES)))
    elements = [e for e in root.iter() if isinstance(e.tag, str) and e is not root]
    for _ in range(draw(st.integers(0, 6))):
        element = elements[draw(st.integers(0, len(elements) - 1))]
        action = draw(st.sampled_from(["text", "drop", "attr", "dup"]))
        parent = element.getparent()
        if action == "text":
            element.text = draw(texts)
        elif action == "drop" and parent is not None:
            parent.remove(element)
        elif action == "attr":
            element.set(draw(st.sampled_from(["currencyID", "languageID", "schemeID"])), draw(texts))
        elif action == "dup" and parent is not None:
            parent.append(etree.fromstring(etree.tostring(element)))
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]  # truncated download
    return data


@FUZZ
@given(mutated_notice())
def test_mutated_eforms_xml_parses_or_is_rejected_with_a_reason(content: bytes) -> None:
    outcome(content)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_are_rejected_with_a_reason(content: bytes) -> None:
    assert isinstance(outcome(content), str | list)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | texts,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def mutate(record: dict[str, Any], draw: st.DrawFn) -> dict[str, Any]:
    record = dict(record)
    keys = sorted(record)
    for _ in range(draw(st.integers(1, 6))):
        key = draw(st.sampled_from(keys))
        if draw(st.booleans()):
            record[key] = draw(json_values)
        else:
            record.pop(key, None)
    return record


def run_collector(type_name: str, payload: Any, options: dict[str, Any]) -> None:
    source = build_source(SourceConfig(name=f"fuzz-{type_name}", type=type_name, options=options))
    raw = RawPayload(source=source.name, url=None, content=json.dumps(payload).encode(), fetched_at=NOW)
    try:
        items = source.collector.split(raw)
    except InvalidInputError as exc:
        assert exc.reason
        return
    for item in items:
        try:
            source.collector.parse_item(item)
        except InvalidInputError as exc:
            assert exc.reason


@FUZZ
@given(st.data())
def test_mutated_ted_search_records_parse_or_dead_letter(data: st.DataObject) -> None:
    record = mutate(data.draw(st.sampled_from(TED_RECORDS)), data.draw)
    run_collector("ted", {"notices": [record]}, {"fetch_award_xml": False})


@FUZZ
@given(st.data())
def test_mutated_hilma_records_parse_or_dead_letter(data: st.DataObject) -> None:
    record = mutate(data.draw(st.sampled_from(HILMA_RECORDS)), data.draw)
    run_collector("hilma", {"@odata.count": 1, "value": [record]}, {})


@FUZZ
@given(json_values)
def test_arbitrary_json_pages_parse_or_dead_letter(page: Any) -> None:
    run_collector("ted", page, {"fetch_award_xml": False})
    run_collector("hilma", page, {})


def test_wrong_types_in_known_fields_are_handled() -> None:
    record = {
        **HILMA_RECORDS[1],
        "previousEFormsId": 7,
        "lots": "x",
        "cpvCodes": 5,
        "estimatedValue": {"a": 1},
    }
    run_collector("hilma", {"value": [record]}, {})
    ted = {**TED_RECORDS[0], "links": [1], "classification-cpv": {"x": 3}, "total-value": "lots"}
    run_collector("ted", {"notices": [ted]}, {"fetch_award_xml": False})


def test_overlong_identifier_is_dead_lettered_not_a_crash() -> None:
    """Found by the fuzzer: a 3000-character notice-identifier made TriggerEventV1 fail validation."""
    import pytest

    source = build_source(SourceConfig(name="fuzz-ted", type="ted", options={"fetch_award_xml": False}))
    record = {**TED_RECORDS[0], "notice-identifier": "x" * 3000}
    raw = RawPayload(
        source="fuzz-ted", url=None, content=json.dumps({"notices": [record]}).encode(), fetched_at=NOW
    )
    [item] = source.collector.split(raw)
    with pytest.raises(InvalidInputError) as info:
        source.collector.parse_item(item)
    assert info.value.error_type == "schema" and "source_item_id" in info.value.reason
