"""Explicit collector registry and the sources file.

``COLLECTOR_TYPES`` maps a type name to its class; a source in ``sources.yaml`` names a type, its
options (validated by the type's ``Options`` model) and optionally a schedule and a recorded
payload for replay. Adding a source type = one module + one line here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from triggerwatch.collectors.base import Collector, Schedule
from triggerwatch.collectors.cision import CisionCollector
from triggerwatch.collectors.hilma import HilmaCollector
from triggerwatch.collectors.html import HtmlCollector
from triggerwatch.collectors.nasdaq import NasdaqCollector
from triggerwatch.collectors.prh_companies import PrhCompaniesCollector
from triggerwatch.collectors.prh_notices import PrhNoticesCollector
from triggerwatch.collectors.rss import RssCollector
from triggerwatch.collectors.te_jobs import TeJobsCollector, TyomarkkinatoriCollector
from triggerwatch.collectors.ted import TedCollector
from triggerwatch.core.errors import ConfigError
from triggerwatch.registry.formats import parse_companies, parse_notices

if TYPE_CHECKING:
    from triggerwatch.collectors.base import RawPayload
    from triggerwatch.collectors.runner import RunReport

COLLECTOR_TYPES: dict[str, type[Collector[Any]]] = {
    RssCollector.type_name: RssCollector,
    PrhCompaniesCollector.type_name: PrhCompaniesCollector,
    PrhNoticesCollector.type_name: PrhNoticesCollector,
    HtmlCollector.type_name: HtmlCollector,
    NasdaqCollector.type_name: NasdaqCollector,
    CisionCollector.type_name: CisionCollector,
    TeJobsCollector.type_name: TeJobsCollector,
    TyomarkkinatoriCollector.type_name: TyomarkkinatoriCollector,
    TedCollector.type_name: TedCollector,
    HilmaCollector.type_name: HilmaCollector,
}


class SourceConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")
    type: str
    enabled: bool = True
    schedule: Schedule | None = None
    expected_interval_s: float | None = Field(None, gt=0, description="silent-source alarm threshold")
    replay_file: str | None = Field(None, description="recorded payload used by replay mode")
    licence: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class Source:
    """A configured, validated source: its collector instance plus scheduling metadata."""

    def __init__(self, config: SourceConfig, collector: Collector[Any]) -> None:
        self.config = config
        self.collector = collector

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def schedule(self) -> Schedule:
        return self.config.schedule or type(self.collector).default_schedule


def build_source(config: SourceConfig) -> Source:
    cls = COLLECTOR_TYPES.get(config.type)
    if cls is None:
        raise ConfigError(
            f"source {config.name!r}: unknown type {config.type!r}; known: {sorted(COLLECTOR_TYPES)}"
        )
    try:
        options = cls.Options.model_validate(config.options)
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"source {config.name!r}: invalid options: {details}") from exc
    return Source(config, cls(config.name, options))


def load_sources(path: Path, *, include_disabled: bool = False) -> dict[str, Source]:
    if not path.exists():
        raise ConfigError(f"sources file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"sources file {path}: {exc}") from exc
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list):
        raise ConfigError(f"sources file {path}: expected a top-level 'sources:' list")
    sources: dict[str, Source] = {}
    seen: set[str] = set()  # disabled sources count too: a name is unique in the whole file
    for raw in raw_sources:
        try:
            config = SourceConfig.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(f"sources file {path}: {exc}") from exc
        if config.name in seen:
            raise ConfigError(f"sources file {path}: duplicate source name {config.name!r}")
        seen.add(config.name)
        if config.enabled or include_disabled:
            sources[config.name] = build_source(config)
    return sources


# ---------------------------------------------------------------------------------------------------
# parse formats: `triggerwatch parse FORMAT FILE` for payloads that no configured source names


@dataclass(frozen=True)
class ParseFormat:
    """A named way to turn one recorded payload into JSON-able records (events, company records, ...).

    ``parse`` is pure: it returns the records and appends dead letters to ``report``.
    """

    help: str
    parse: Callable[[RawPayload, RunReport], Iterable[BaseModel]]


def collector_format(cls: type[Collector[Any]], help: str, **options: Any) -> ParseFormat:
    """A parse format that runs a collector type's own split/parse_item with the given options."""

    def _parse(raw: RawPayload, report: RunReport) -> Iterable[BaseModel]:
        from triggerwatch.collectors.runner import parse_payloads

        name = cls.type_name.replace("_", "-")
        source = build_source(SourceConfig(name=name, type=cls.type_name, options=options))
        return parse_payloads(source, [raw], report)

    return ParseFormat(help=help, parse=_parse)


PARSE_FORMATS: dict[str, ParseFormat] = {
    "rss": collector_format(RssCollector, "an RSS/Atom feed as news items", url="http://localhost/feed"),
    "prh-companies": ParseFormat("YTJ companies (response, bulk array, zip, JSON lines)", parse_companies),
    "prh-notices": ParseFormat("PRH trade-register notices (v3 or tr/v1)", parse_notices),
    "atom": collector_format(RssCollector, "an Atom feed as news items", url="http://localhost/feed"),
    "html": collector_format(HtmlCollector, "a job-ad or article HTML page", url="http://localhost/"),
    "nasdaq": collector_format(NasdaqCollector, "a Nasdaq news query.action JSON response"),
    "cision": collector_format(CisionCollector, "a Cision IR NewsFeed JSON", url="http://localhost/papi"),
    "te-jobs": collector_format(TeJobsCollector, "a legacy TE tpt-api job JSON", url="http://localhost/tpt"),
    "ted-xml": collector_format(TedCollector, "one eForms notice XML (TED or Hilma) as procurement events"),
    "ted-search": collector_format(
        TedCollector, "a TED Search API v3 page (or notices list)", fetch_award_xml=False
    ),
    "hilma-search": collector_format(HilmaCollector, "a Hilma AVP search page (value[] or a list)"),
}
"""Format name -> parser. Each source module adds its formats here (one line each)."""
