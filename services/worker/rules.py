"""Alert rules: which trigger kinds alert for which product groups, and how loudly.

Loaded from a YAML file (``deploy/config/rules.yaml``) and validated at start::

    cooldown_hours: 72            # per company, kind and product group
    rules:
      - kind: recruitment
        product_groups: ["*"]     # or a list of product groups
        min_score: 0.5            # the company's target-group score must reach this
        weight: 0.8               # how strong a trigger this kind is, 0..1
        freshness_days: 30        # older events do not alert
        why: {en: "...", fi: "..."}
        next_step: {en: "...", fi: "..."}
    routing:
      fallback_owner: sales-team
      by_product_group: {it-services: rep-anna}
      by_region: {Uusimaa: rep-ville}
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from triggerwatch.core.contracts import EventKind, Priority
from triggerwatch.core.errors import ConfigError


class Localised(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    en: str
    fi: str

    def get(self, lang: str) -> str:
        return self.fi if lang == "fi" else self.en


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: EventKind
    product_groups: list[str] = Field(default_factory=lambda: ["*"], min_length=1)
    min_score: float = Field(0.5, ge=0, le=1)
    weight: float = Field(0.5, ge=0, le=1)
    freshness_days: float = Field(30, gt=0)
    why: Localised
    next_step: Localised

    def applies_to(self, product_group: str) -> bool:
        return "*" in self.product_groups or product_group in self.product_groups


class Routing(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    fallback_owner: str | None = None
    by_product_group: dict[str, str] = Field(default_factory=dict)
    by_region: dict[str, str] = Field(default_factory=dict)

    def owner(self, product_group: str, region: str | None) -> str | None:
        if product_group in self.by_product_group:
            return self.by_product_group[product_group]
        if region and region in self.by_region:
            return self.by_region[region]
        return self.fallback_owner


class RuleSet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    cooldown_hours: float = Field(72, ge=0)
    language: str = Field("en", pattern="^(en|fi)$")
    priority_high: float = Field(0.5, ge=0)
    priority_medium: float = Field(0.25, ge=0)
    rules: list[Rule] = Field(min_length=1)
    routing: Routing = Routing()

    def match(self, kind: EventKind, product_group: str) -> Rule | None:
        for rule in self.rules:
            if rule.kind == kind and rule.applies_to(product_group):
                return rule
        return None

    def priority(self, priority_score: float) -> Priority:
        if priority_score >= self.priority_high:
            return Priority.HIGH
        if priority_score >= self.priority_medium:
            return Priority.MEDIUM
        return Priority.LOW


def load_rules(path: Path) -> RuleSet:
    if not path.exists():
        raise ConfigError(f"rules file {path} does not exist")
    try:
        return RuleSet.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        raise ConfigError(f"rules file {path}: {exc}") from exc
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"rules file {path}: {details}") from exc
