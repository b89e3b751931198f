"""Calibrated confidence: how often a rule, at a position in the article, was right on the dev set.

``calibration.json`` (written by ``python -m bench.eval_triggers --calibrate`` from the dev part of
the labelled set, never the held-back part) holds, per ``<rule>|<position>``, the number of dev
articles where the rule's best candidate carried a correct kind (``tp``) and a wrong one (``fp``).
The confidence is the smoothed precision

    (tp + k * prior) / (tp + fp + k),  k = 3,

so a rule seen rarely stays near its prior (a hand-set estimate of the rule's precision, lowered
for the body of an article, where triggers are more often mentioned in passing) and a rule seen
often gets its measured precision. An explicit company subject adds nothing; a trigger whose company
is only "the company" of the article (an anaphor) is a separate key (``...|anaphor``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources

K = 3.0
POSITION_FACTOR = {"title": 1.0, "lead": 0.95, "body": 0.7}
DEFAULT_PRIOR = 0.6

#: hand-set precision estimates per rule (before any data), by how specific the pattern is
PRIORS: dict[str, float] = {
    "merger/buy": 0.85,
    "merger/sell": 0.85,
    "merger/sell_passive": 0.85,
    "merger/sell_business": 0.75,
    "merger/merge": 0.8,
    "merger/merge_into": 0.85,
    "merger/deal_noun": 0.75,
    "merger/tender_offer": 0.85,
    "merger/ownership": 0.85,
    "merger/compound": 0.7,
    "bankruptcy/bankruptcy": 0.85,
    "layoffs/talks": 0.9,
    "layoffs/lay_off": 0.85,
    "layoffs/cut_jobs": 0.8,
    "layoffs/close_site": 0.6,
    "layoffs/site_ends": 0.6,
    "funding/raise": 0.85,
    "funding/receive": 0.8,
    "funding/invest_in": 0.8,
    "funding/grant": 0.75,
    "funding/round": 0.85,
    "funding/ipo": 0.8,
    "funding/to_company": 0.7,
    "expansion/open_site": 0.75,
    "expansion/found_site": 0.7,
    "expansion/build_site": 0.7,
    "expansion/expand": 0.7,
    "expansion/invest": 0.65,
    "expansion/expansion_noun": 0.65,
    "expansion/enter_market": 0.75,
    "expansion/start_operations": 0.7,
    "procurement_open/tender": 0.8,
    "procurement_open/tender_noun": 0.8,
    "procurement_open/procurement": 0.65,
    "procurement_open/request_tenders": 0.8,
    "procurement_open/seek_supplier": 0.7,
    "decision_maker_change/appoint": 0.9,
    "decision_maker_change/move": 0.8,
    "decision_maker_change/begin": 0.8,
    "decision_maker_change/rise": 0.8,
    "decision_maker_change/new_role": 0.75,
    "decision_maker_change/changes": 0.75,
    "decision_maker_change/verbless": 0.8,
    "decision_maker_change/resign": 0.85,
    "decision_maker_change/quit": 0.8,
    "decision_maker_change/leave": 0.8,
    "decision_maker_change/give_up": 0.8,
    "decision_maker_change/retire": 0.8,
    "decision_maker_change/dismiss": 0.8,
    "decision_maker_change/dismissed": 0.8,
    "decision_maker_change/not_continue": 0.8,
    "decision_maker_change/leave_norole": 0.6,
    "decision_maker_change/move_norole": 0.55,
    "decision_maker_change/quit_norole": 0.6,
    "decision_maker_change/resign_norole": 0.55,
    "recruitment/hire": 0.8,
    "recruitment/hire_bare": 0.6,
    "recruitment/grow_staff": 0.7,
    "recruitment/seek": 0.75,
    "recruitment/new_jobs": 0.7,
    "recruitment/job_ad": 0.8,
    "procurement_open/notice": 0.85,
}


def key(rule: str, position: str, anaphor: bool) -> str:
    return f"{rule}|{position}" + ("|anaphor" if anaphor else "")


def prior(rule: str, position: str, anaphor: bool) -> float:
    base = PRIORS.get(rule.split("@")[0], DEFAULT_PRIOR)  # "merger/buy@en" shares "merger/buy"
    return base * POSITION_FACTOR.get(position, 0.7) * (0.85 if anaphor else 1.0)


_priors_only = False
_override: dict[str, tuple[int, int]] | None = None


@contextmanager
def using(counts: dict[str, list[int]]) -> Iterator[None]:
    """Within the block, confidences come from ``counts`` instead of calibration.json (the
    cross-calibrated threshold scan of ``bench.eval_triggers``)."""
    global _override
    _override = {k: (int(v[0]), int(v[1])) for k, v in counts.items()}
    try:
        yield
    finally:
        _override = None


@contextmanager
def priors_only() -> Iterator[None]:
    """Within the block, confidences are the priors alone (used while counting for calibration)."""
    global _priors_only
    _priors_only = True
    try:
        yield
    finally:
        _priors_only = False


@lru_cache(maxsize=1)
def table() -> dict[str, tuple[int, int]]:
    try:
        raw = resources.files("triggerwatch.text.triggers").joinpath("calibration.json").read_text("utf-8")
    except (FileNotFoundError, OSError):
        return {}
    data = json.loads(raw)
    return {k: (int(v[0]), int(v[1])) for k, v in data.get("counts", {}).items()}


def confidence(rule: str, position: str, anaphor: bool) -> float:
    p = prior(rule, position, anaphor)
    counts = _override if _override is not None else table()
    tp, fp = (0, 0) if _priors_only else counts.get(key(rule, position, anaphor), (0, 0))
    return round((tp + K * p) / (tp + fp + K), 3)
