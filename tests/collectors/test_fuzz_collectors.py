"""Fuzzing every collector family through the real poll path (issue 15): a recorded real payload,
mutated, replayed through ``run_once`` (split, parse, clean, store) into SQLite and PostgreSQL.

Mutations: truncation, byte flips, a wrong encoding, lone surrogates, NUL, entity expansion (XML),
deep nesting, values of the wrong type. Whatever the payload: nothing raises, the poll is recorded,
every dead letter has a reason and its raw input, what is stored is what the report says; and when
one item is poisoned, every event of the other items is stored.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.conftest import FIXTURES, RECORDINGS, REPO
from triggerwatch.collectors.base import RawPayload
from triggerwatch.collectors.registry import Source, build_source
from triggerwatch.collectors.runner import run_once
from triggerwatch.core.db import CollectorState, Database, DeadLetter, Event
from triggerwatch.core.sources import read_source_configs

SOURCES = read_source_configs(REPO / "deploy" / "config" / "sources.yaml", include_disabled=True)
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
FUZZ = settings(
    max_examples=5,
    deadline=None,
    derandomize=True,  # the same examples every run: the suite stays fast and its failures repeatable
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass(frozen=True)
class Family:
    entry: str  # the shipped source whose type and options are used
    payload: Path
    items: tuple[str | int, ...] | None = None  # JSON: where the item list is

    def clean(self) -> bytes:
        return self.payload.read_bytes()


FAMILIES = {
    "rss": Family("te-jobs-jyvaskyla", RECORDINGS / "mol_fi_tyopaikat_rss_2014.xml"),
    "atom": Family("ampparit-news", RECORDINGS / "ampparit_georss_atom_2013.xml"),
    "html": Family("duunitori-jobs", FIXTURES / "feeds" / "duunitori_job_2014.html"),
    "nasdaq": Family(
        "nasdaq-helsinki",
        RECORDINGS / "nasdaq_news_query_managers_transactions_2026-07.json",
        ("results", "item"),
    ),
    "cision": Family("cision-ir", FIXTURES / "feeds" / "cision_papi_newsfeed_sv_2022.json", ("Releases",)),
    "te_jobs": Family(
        "te-jobs-tpt", RECORDINGS / "te_tpt_api_valmet_automotive_2021.json", ("response", "docs")
    ),
    "prh": Family(
        "prh-trade-notices", RECORDINGS / "prh_notices_digia_derived.json", ("companies", 0, "publicNotices")
    ),
    "ted": Family("ted-fi", FIXTURES / "procurement" / "ted" / "search_page_1.json", ("notices",)),
    "ted_xml": Family("ted-fi", RECORDINGS / "ted_eforms_can29_FI_00525037-2024.xml"),
    "hilma": Family("hilma", FIXTURES / "procurement" / "hilma" / "search_page_1.json", ("value",)),
    "prh_companies": Family(
        "prh-new-companies",
        FIXTURES / "registry" / "ytj_v3_companies_businessId_0112038-9.json",
        ("companies",),
    ),
}
_names = itertools.count()


def source_for(family: str) -> Source:
    """The family's collector under a name of its own (event ids depend on it: every example's are new)."""
    config = SOURCES[FAMILIES[family].entry]
    return build_source(config.model_copy(update={"name": f"fz-{family}-{next(_names)}", "replay_file": "p"}))


# ------------------------------------------------------------------------------------ mutations
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>\n"
)
ENCODINGS = ["latin-1", "utf-16", "cp1252", "utf-32", "ascii"]
WRONG = [None, 0, -1, 1e308, True, [], {}, [1, "x"], {"a": {"b": None}}, "", "x" * 6000]


def whole(data: bytes, draw: st.DrawFn) -> bytes:
    """A mutation of the whole payload."""
    kind = draw(st.sampled_from(["truncate", "flip", "encoding", "nul", "surrogate", "entities", "deep"]))
    if kind == "truncate":
        return data[: draw(st.integers(0, len(data)))]
    if kind == "flip":
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            out[draw(st.integers(0, len(out) - 1))] ^= draw(st.integers(1, 255))
        return bytes(out)
    if kind == "encoding":
        return data.decode("utf-8", "replace").encode(draw(st.sampled_from(ENCODINGS)), "replace")
    at = draw(st.integers(0, len(data)))
    if kind == "nul":
        return data[:at] + b"\x00" * draw(st.integers(1, 3)) + data[at:]
    if kind == "surrogate":
        return data[:at] + b"\xed\xa0\x80" + data[at:]  # a UTF-16 surrogate, encoded as if UTF-8
    if kind == "entities":
        body = data.split(b"?>", 1)[-1] if data.lstrip().startswith(b"<?xml") else data
        return BILLION_LAUGHS + body.replace(b"<title>", b"<title>&lol9;", 1)
    if data.lstrip()[:1] in (b"{", b"["):  # far past the JSON parser's recursion limit
        return b"[" * 100_000 + data + b"]" * 100_000
    return b"<a>" * 3000 + data + b"</a>" * 3000  # markup (html.parser takes seconds at 100 000)


def poison(value: Any, draw: st.DrawFn) -> Any:
    """One item of a JSON payload, poisoned: a text with NUL or a lone surrogate, a wrong type, depth."""
    kind = draw(st.sampled_from(["nul", "surrogate", "controls", "wrong_type", "deep", "not_an_object"]))
    if kind == "not_an_object":
        return draw(st.sampled_from(WRONG))
    if kind == "deep":
        deep: Any = "x"
        for _ in range(900):  # deep, but the page itself still parses (its limit is ~1000)
            deep = [deep]
        return {"x": deep} if not isinstance(value, dict) else {**value, "extra": deep}
    if not isinstance(value, dict) or not value:
        return draw(st.sampled_from(WRONG))
    field = draw(st.sampled_from(sorted(value)))
    text = str(value[field])
    if kind == "wrong_type":
        return {**value, field: draw(st.sampled_from(WRONG))}
    extra = {"nul": "\x00", "surrogate": "\ud800", "controls": "\x07\x1b[31m\x7f"}[kind]
    at = draw(st.integers(0, len(text)))
    return {**value, field: text[:at] + extra + text[at:]}


def locate(data: Any, path: tuple[str | int, ...]) -> list[Any]:
    for step in path:
        data = data[step]
    assert isinstance(data, list)
    return data


# -------------------------------------------------------------------------------------- the test
@pytest.fixture(scope="module")
def replay_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def poll(source: Source, db: Database, replay_dir: Path, content: bytes) -> Any:
    (replay_dir / "p").write_bytes(content)
    report = run_once(source, db, None, replay_dir=replay_dir, replay_time_shift=False, clock=lambda: NOW)
    assert report.error is None, report.error  # a bad payload is dead-lettered, never a failed poll
    with db.session() as s:
        stored = set(s.scalars(select(Event.event_id).where(Event.source == source.name)))
        ids = [dl.dead_letter_id for dl in report.dead_letters]  # the same bad input: one dead letter
        letters = {
            d.dead_letter_id: d
            for d in s.scalars(select(DeadLetter).where(DeadLetter.dead_letter_id.in_(ids)))
        }
        state = s.get(CollectorState, source.name)
    assert state is not None and state.last_run_at == NOW == state.last_success_at
    assert {e.event_id for e in report.new_events} == stored
    for dl in report.dead_letters:
        assert dl.reason and dl.error_type
        assert dl.dead_letter_id in letters and letters[dl.dead_letter_id].reason == dl.reason
    assert (state.last_error is None) == (report.new_dead_letters == 0)
    return report, stored


def involves(data: Any, entry: Any, depth: int = 0) -> bool:
    """Whether an item's data is, or holds, ``entry`` (Nasdaq pairs fi/en twins into one item)."""
    if data == entry:
        return True
    if depth < 3 and isinstance(data, dict | list | tuple):
        values = data.values() if isinstance(data, dict) else data
        return any(involves(v, entry, depth + 1) for v in values)
    return False


def events_without(source: Source, content: bytes, entry: Any) -> set[str]:
    """The events of the clean payload's items that do not involve ``entry``."""
    raw = RawPayload(source=source.name, url=None, content=content, fetched_at=NOW)
    return {
        e.event_id
        for item in source.collector.split(raw)
        if not involves(item.data, entry)
        for e in source.collector.parse_item(item)
    }


@pytest.mark.parametrize("family", sorted(FAMILIES))
@FUZZ
@given(data=st.data())
def test_a_mutated_payload_never_raises_and_stores_what_it_reports(
    family: str, module_db: Database, replay_dir: Path, data: st.DataObject
) -> None:
    source = source_for(family)
    poll(source, module_db, replay_dir, whole(FAMILIES[family].clean(), data.draw))


JSON_FAMILIES = sorted(name for name, f in FAMILIES.items() if f.items is not None)


@pytest.mark.parametrize("family", JSON_FAMILIES)
@FUZZ
@given(data=st.data())
def test_one_poisoned_item_never_costs_the_others(
    family: str, module_db: Database, replay_dir: Path, data: st.DataObject
) -> None:
    fam = FAMILIES[family]
    assert fam.items is not None
    source = source_for(family)
    page = json.loads(fam.clean())
    items = locate(page, fam.items)
    k = data.draw(st.integers(0, len(items) - 1), label="poisoned item")
    others = events_without(source, fam.clean(), items[k])
    items[k] = poison(items[k], data.draw)
    report, stored = poll(source, module_db, replay_dir, json.dumps(page).encode())
    assert others <= stored  # every event of the good items
    assert len(report.dead_letters) <= 1  # at most the poisoned one (or its page)


def test_the_fuzzed_families_cover_every_collector_family() -> None:
    covered = {SOURCES[f.entry].type for f in FAMILIES.values()}
    families = {"rss", "html", "nasdaq", "cision", "te_jobs", "prh_notices", "prh_companies", "ted", "hilma"}
    assert families <= covered, families - covered
