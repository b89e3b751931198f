"""The collector type table, and the configured sources built from it.

``COLLECTOR_TYPES`` maps a type name to its class; a source in ``sources.yaml`` (read by
``triggerwatch.core.sources``) names a type, its options (validated here by the type's ``Options``
model) and optionally a schedule and a recorded payload for replay. Adding a source type = one
module + one line here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from triggerwatch.collectors.base import Collector
from triggerwatch.collectors.cision import CisionCollector
from triggerwatch.collectors.greenhouse import GreenhouseCollector
from triggerwatch.collectors.hilma import HilmaCollector
from triggerwatch.collectors.html import HtmlCollector
from triggerwatch.collectors.jobposting import JobPostingCollector
from triggerwatch.collectors.lever import LeverCollector
from triggerwatch.collectors.nasdaq import NasdaqCollector
from triggerwatch.collectors.prh_companies import PrhCompaniesCollector
from triggerwatch.collectors.prh_notices import PrhNoticesCollector
from triggerwatch.collectors.reachmee import ReachMeeCollector
from triggerwatch.collectors.recruitee import RecruiteeCollector
from triggerwatch.collectors.rss import RssCollector
from triggerwatch.collectors.smartrecruiters import SmartRecruitersCollector
from triggerwatch.collectors.te_jobs import TeJobsCollector, TyomarkkinatoriCollector
from triggerwatch.collectors.teamtailor import TeamtailorCollector
from triggerwatch.collectors.ted import TedCollector
from triggerwatch.collectors.workday import WorkdayCollector
from triggerwatch.core.errors import ConfigError
from triggerwatch.core.sources import Schedule, SourceConfig, read_source_configs

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
    # job ads from the employers' own applicant-tracking systems and career pages (issue 18)
    TeamtailorCollector.type_name: TeamtailorCollector,
    RecruiteeCollector.type_name: RecruiteeCollector,
    GreenhouseCollector.type_name: GreenhouseCollector,
    LeverCollector.type_name: LeverCollector,
    SmartRecruitersCollector.type_name: SmartRecruitersCollector,
    WorkdayCollector.type_name: WorkdayCollector,
    ReachMeeCollector.type_name: ReachMeeCollector,
    JobPostingCollector.type_name: JobPostingCollector,
}

# Families that give job ads (recruitment) of one configured employer: `sources discover` writes these.
JOB_AD_TYPES = frozenset(
    {"teamtailor", "recruitee", "greenhouse", "lever", "smartrecruiters", "workday", "reachmee", "jobposting"}
)


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

    @property
    def expected_interval_s(self) -> float | None:
        return self.config.expected_interval(type(self.collector).default_schedule)


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


def load_sources(path: Path, *, include_disabled: bool = False, replay: bool = False) -> dict[str, Source]:
    """The enabled sources of ``path`` (``replay``: those replay mode replays; ``include_disabled``: all)."""
    return {
        name: build_source(config)
        for name, config in read_source_configs(
            path, include_disabled=include_disabled, replay=replay
        ).items()
    }
