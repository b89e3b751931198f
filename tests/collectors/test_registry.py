"""The collector registry and the sources file: bad configuration fails at start with a clear message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import RECORDINGS, REPO
from triggerwatch.collectors.registry import COLLECTOR_TYPES, build_source, load_sources
from triggerwatch.collectors.rss import RssCollector, RssOptions
from triggerwatch.core.contracts import CompanyRole, EventKind
from triggerwatch.core.errors import ConfigError
from triggerwatch.core.sources import Schedule, SourceConfig

SOURCES_FILE = REPO / "deploy" / "config" / "sources.yaml"


def rss(name: str = "news-a", **extra: Any) -> dict[str, Any]:
    source: dict[str, Any] = {
        "name": name,
        "type": "rss",
        "options": {"url": "https://example.invalid/feed.xml"},
    }
    source.update(extra)
    return source


def write(tmp_path: Path, *sources: dict[str, Any]) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": list(sources)}, allow_unicode=True), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------ the shipped file
def test_shipped_sources_load_with_their_recordings() -> None:
    sources = load_sources(SOURCES_FILE, replay=True)  # the demo's sources
    assert {"te-jobs-jyvaskyla", "ampparit-news", "ted-fi", "prh-trade-notices"} <= set(sources)
    for source in sources.values():
        assert isinstance(source.collector, COLLECTOR_TYPES[source.config.type])
        assert source.collector.name == source.name
        if source.config.replay_file:
            assert (RECORDINGS / source.config.replay_file).is_file(), source.config.replay_file
        assert source.config.licence, f"{source.name} has no licence note"
        assert source.config.expected_interval_s is not None
        assert source.config.expected_interval_s >= (source.schedule.interval_s or 0)

    jobs = sources["te-jobs-jyvaskyla"]
    opts = jobs.collector.options
    assert isinstance(opts, RssOptions)
    assert opts.kind == EventKind.RECRUITMENT
    assert opts.company_role == CompanyRole.EMPLOYER
    assert opts.language == "fi"
    assert opts.title_pattern is not None
    assert jobs.schedule == Schedule(interval_s=3600)
    assert sources["ampparit-news"].schedule == Schedule(interval_s=900)


def test_every_recording_is_used_by_a_source() -> None:
    used = {s.config.replay_file for s in load_sources(SOURCES_FILE, include_disabled=True).values()}
    recorded = {p.name for p in RECORDINGS.iterdir() if p.suffix == ".xml"}
    assert recorded <= used


def test_every_registered_type_is_named_by_its_class() -> None:
    assert COLLECTOR_TYPES["rss"] is RssCollector
    assert all(cls.type_name == name for name, cls in COLLECTOR_TYPES.items())


# --------------------------------------------------------------------------------- bad config
def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match=r"sources file .*nope\.yaml does not exist"):
        load_sources(missing)


def test_not_yaml_or_no_list(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("sources: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="sources file"):
        load_sources(path)
    path.write_text("sources:\n  name: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="expected a top-level 'sources:' list"):
        load_sources(path)
    path.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="'sources:' list"):
        load_sources(path)


def test_unknown_type(tmp_path: Path) -> None:
    path = write(tmp_path, rss(), {"name": "prh-registry", "type": "ytj", "options": {}})
    with pytest.raises(ConfigError, match=r"source 'prh-registry': unknown type 'ytj'; known: \[.*'rss'.*\]"):
        load_sources(path)


def test_title_pattern_without_company_group(tmp_path: Path) -> None:
    bad = rss(
        "te-jobs", options={"url": "https://example.invalid/jobs.rss", "title_pattern": r"^(?P<title>.+)$"}
    )
    with pytest.raises(
        ConfigError, match=r"source 'te-jobs': invalid options: title_pattern: .*\(\?P<company>"
    ):
        load_sources(write(tmp_path, bad))


def test_title_pattern_that_does_not_compile(tmp_path: Path) -> None:
    bad = rss("te-jobs", options={"url": "https://example.invalid/jobs.rss", "title_pattern": "(?P<company>"})
    with pytest.raises(ConfigError, match="title_pattern does not compile"):
        load_sources(write(tmp_path, bad))


@pytest.mark.parametrize("url", ["not a url", "ftp://example.invalid/feed.xml", ""])
def test_invalid_url(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match=r"source 'news-a': invalid options: url: "):
        load_sources(write(tmp_path, rss(options={"url": url})))


def test_missing_url_unknown_option_and_bad_enum(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="invalid options: url: Field required"):
        load_sources(write(tmp_path, rss(options={})))
    unknown = rss(options={"url": "https://example.invalid/", "titel_pattern": "x"})
    with pytest.raises(ConfigError, match="titel_pattern: Extra inputs are not permitted"):
        load_sources(write(tmp_path, unknown))
    with pytest.raises(ConfigError, match="kind: Input should be"):
        load_sources(write(tmp_path, rss(options={"url": "https://example.invalid/", "kind": "gossip"})))


def test_duplicate_names(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="duplicate source name 'news-a'"):
        load_sources(write(tmp_path, rss("news-a"), rss("news-b"), rss("news-a")))


def test_duplicate_names_are_refused_even_when_one_is_disabled(tmp_path: Path) -> None:
    path = write(tmp_path, rss("news-a", enabled=False), rss("news-a"))
    with pytest.raises(ConfigError, match="duplicate source name 'news-a'"):
        load_sources(path)
    with pytest.raises(ConfigError, match="duplicate source name 'news-a'"):
        load_sources(path, include_disabled=True)


def test_bad_source_fields(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="name"):
        load_sources(write(tmp_path, rss("Bad Name!")))
    with pytest.raises(ConfigError, match="exactly one of interval_s or cron"):
        load_sources(write(tmp_path, rss(schedule={"interval_s": 60, "cron": "0 * * * *"})))
    with pytest.raises(ConfigError, match="exactly one of interval_s or cron"):
        load_sources(write(tmp_path, rss(schedule={"jitter_s": 5})))
    with pytest.raises(ConfigError, match="interval_s"):
        load_sources(write(tmp_path, rss(schedule={"interval_s": 1})))  # hammering a feed
    with pytest.raises(ConfigError, match="shedule"):
        load_sources(write(tmp_path, rss(shedule={"interval_s": 60})))


def test_disabled_sources_are_skipped_unless_asked(tmp_path: Path) -> None:
    path = write(tmp_path, rss("news-a"), rss("news-b", enabled=False))
    assert set(load_sources(path)) == {"news-a"}
    assert set(load_sources(path, include_disabled=True)) == {"news-a", "news-b"}


def test_disabled_sources_are_still_validated(tmp_path: Path) -> None:
    path = write(tmp_path, rss("news-a"), rss("news-b", enabled=False, options={"url": "nope"}))
    with pytest.raises(ConfigError, match="news-b"):
        load_sources(path, include_disabled=True)


def test_schedule_defaults_to_the_collector() -> None:
    source = build_source(SourceConfig.model_validate(rss()))
    assert source.schedule == RssCollector.default_schedule == Schedule(interval_s=900)
    override = build_source(SourceConfig.model_validate(rss(schedule={"cron": "0 6 * * 1-5", "jitter_s": 0})))
    assert override.schedule == Schedule(cron="0 6 * * 1-5", jitter_s=0)
