"""How the pages say things: times in the configured zone (Europe/Helsinki) as "3 h ago" with the
exact time beside it, people's names for kinds, priorities, roles and product groups, an alert's
facts, its headline without the company's name again, and its texts in the page's language.

One :class:`Display` per rendered page (language, clock, rules); templates call it as ``d``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from triggerwatch.core import labels
from triggerwatch.core.rules import Rule, RuleSet

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PLACEHOLDER = re.compile(r"\{(company|product_group)\}")


def as_datetime(value: Any) -> datetime | None:
    """A timezone-aware datetime from a datetime or an ISO 8601 text (``Z`` included), else None."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            at = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return at if at.tzinfo else at.replace(tzinfo=UTC)
    return None


@lru_cache(maxsize=64)
def _code_pattern(codes: tuple[str, ...]) -> re.Pattern[str] | None:
    """Any of these codes as a whole word (not inside a longer code)."""
    if not codes:
        return None
    alternatives = "|".join(re.escape(c) for c in sorted(codes, key=len, reverse=True))
    return re.compile(r"(?<![\w-])(" + alternatives + r")(?![\w-])")


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    key: str  # what the fact is (role, person, change, deal_role, counterparty, deadline, ...)


class Display:
    def __init__(self, lang: str, now: datetime, rules: RuleSet) -> None:
        self.lang = lang
        self.now = now
        self.rules = rules
        self.zone = ZoneInfo(rules.delivery.timezone)
        self.fi = lang == "fi"

    # -- times -----------------------------------------------------------------------------------

    def local(self, value: Any) -> datetime | None:
        at = as_datetime(value)
        return at.astimezone(self.zone) if at else None

    def iso(self, value: Any) -> str:
        at = as_datetime(value)
        return at.astimezone(UTC).isoformat().replace("+00:00", "Z") if at else ""

    def date(self, value: Any) -> str:
        at = self.local(value)
        if at is None:
            return ""
        if self.fi:
            return f"{at.day}.{at.month}.{at.year}"
        return f"{at.day} {MONTHS_EN[at.month - 1]} {at.year}"

    def exact(self, value: Any) -> str:
        """``24.11.2026 klo 14.00`` / ``24 Nov 2026, 14:00``, in the configured zone."""
        at = self.local(value)
        if at is None:
            return ""
        if self.fi:
            return f"{self.date(at)} klo {at.hour}.{at.minute:02d}"
        return f"{self.date(at)}, {at.hour:02d}:{at.minute:02d}"

    def exact_zone(self, value: Any) -> str:
        """The exact time with its zone named (the hover text)."""
        at = self.local(value)
        if at is None:
            return ""
        return (
            f"{self.exact(at)} ({'aikavyöhyke' if self.fi else 'time zone'} {self.zone.key}, {at.tzname()})"
        )

    def ago(self, value: Any) -> str:
        """Relative: "3 h ago" / "3 t sitten" (min, h, d, months, years); ahead "in 5 d" / "5 pv päästä"."""
        at = as_datetime(value)
        if at is None:
            return "—"
        seconds = (self.now - at).total_seconds()
        ahead = seconds < 0
        seconds = abs(seconds)
        if seconds < 60:
            return "juuri nyt" if self.fi else "just now"
        if seconds < 3600:
            amount = f"{int(seconds // 60)} min"
        elif seconds < 86400:
            amount = f"{int(seconds // 3600)} {'t' if self.fi else 'h'}"
        elif seconds < 60 * 86400:
            amount = f"{int(seconds // 86400)} {'pv' if self.fi else 'd'}"
        elif seconds < 365 * 86400:
            amount = f"{int(seconds // (30 * 86400))} {'kk' if self.fi else 'mo'}"
        else:
            amount = f"{int(seconds // (365 * 86400))} {'v' if self.fi else 'y'}"
        if ahead:
            return f"{amount} päästä" if self.fi else f"in {amount}"
        return f"{amount} sitten" if self.fi else f"{amount} ago"

    # -- numbers ---------------------------------------------------------------------------------

    def money(self, value: float | None) -> str:
        """A sum as people write it: ``12 300`` (Finnish, a narrow space) or ``12,300``."""
        if value is None:
            return "—"
        text = f"{value:,.0f}"
        return text.replace(",", "\u202f") if self.fi else text

    def percent(self, value: float | None) -> str:
        """``0.42`` → ``42 %`` (Finnish puts a space before the sign) or ``42%``."""
        if value is None:
            return "—"
        return f"{value * 100:.0f}\u00a0%" if self.fi else f"{value * 100:.0f}%"

    # -- names -----------------------------------------------------------------------------------

    def kind(self, code: str | None) -> str:
        return labels.kind_name(code or "", self.lang)

    def priority(self, code: str | None) -> str:
        return labels.priority_name(code or "", self.lang)

    def product_group(self, code: str | None) -> str:
        return self.rules.product_group_name(code or "", self.lang)

    def status(self, code: str | None, names: dict[str, tuple[str, str]]) -> str:
        """A status code by a table of (English, Finnish) names; unknown codes made readable."""
        pair = names.get(code or "")
        return labels.pick(pair, self.lang) if pair else labels.humanize(code or "—")

    @property
    def _pg_codes(self) -> re.Pattern[str] | None:
        return _code_pattern(tuple(self.rules.product_group_names))

    def names_in(self, text: str | None, *product_groups: str) -> str:
        """``text`` with product-group codes replaced by their names (named ones, and ``product_groups``)."""
        if not text:
            return ""
        for code in product_groups:
            if code and code not in self.rules.product_group_names:
                pattern = _code_pattern((code,))
                if pattern is not None:
                    text = pattern.sub(self.product_group(code), text)
        if self._pg_codes is not None:
            text = self._pg_codes.sub(lambda m: self.product_group(m.group(1)), text)
        return text

    # -- an alert --------------------------------------------------------------------------------

    def headline(self, alert: dict[str, Any]) -> str:
        """What happened, without the company's name in front of it (once or twice)."""
        text = str((alert.get("explanation") or {}).get("what_happened") or "")
        return self.without_name(text, str((alert.get("company") or {}).get("name") or ""))

    def without_name(self, text: str | None, name: str) -> str:
        """``text`` without ``name:`` in front of it ("Digia Oyj: Digia Oyj: Board …" → "Board …")."""
        text = (text or "").strip()
        key = name.casefold()
        while name and text[: len(name)].casefold() == key:
            rest = text[len(name) :].lstrip()
            if not rest[:1] or rest[0] not in ":-–—":
                break
            rest = rest[1:].strip()
            if not rest:
                break
            text = rest
        return text

    def rule_for(self, kind: str, product_group: str, cross_sell: bool = False) -> Rule | None:
        """The rule that wrote an alert's texts: the first for its kind and product group (and, once
        rules have an audience, for a customer's cross-sell or a prospect)."""
        rules = [r for r in self.rules.rules if r.kind == kind and r.applies_to(product_group)]
        wanted = ("customers", "all") if cross_sell else ("prospects", "all")
        for rule in rules:
            if getattr(rule, "audience", "prospects") in wanted:
                return rule
        return rules[0] if rules else None

    def _rule_text(self, alert: dict[str, Any], part: str) -> str | None:
        facts = alert.get("facts") or {}
        rule = self.rule_for(
            str(alert.get("kind")), str(alert.get("product_group")), facts.get("offer") == "cross-sell"
        )
        if rule is None:
            return None
        template = getattr(rule, part).get(self.lang)
        company = str((alert.get("company") or {}).get("name") or "")
        try:
            return str(
                template.format(company=company, product_group=self.product_group(alert.get("product_group")))
            )
        except (KeyError, IndexError, ValueError):
            return None

    def why(self, alert: dict[str, Any]) -> str:
        """Why it matters, in the page's language (the rules' text when the alert was sent in the other)."""
        stored = (alert.get("explanation") or {}).get("why_it_matters")
        text = (
            stored if alert.get("language", "en") == self.lang else (self._rule_text(alert, "why") or stored)
        )
        return self.names_in(text, str(alert.get("product_group") or ""))

    def next_step(self, alert: dict[str, Any]) -> str:
        """The next step in the page's language: the alert carries both (facts next_step_en/_fi)."""
        facts = alert.get("facts") or {}
        text = facts.get(f"next_step_{self.lang}")
        if not text:
            stored = (alert.get("explanation") or {}).get("next_step")
            same = alert.get("language", "en") == self.lang
            text = stored if same else (self._rule_text(alert, "next_step") or stored)
        return self.names_in(text, str(alert.get("product_group") or ""))

    def facts(self, alert: dict[str, Any]) -> list[Fact]:
        """The concrete facts a rep acts on: who joins or leaves in which role; the part in a deal and
        with whom; a tender's deadline; openings; a cross-sell offer."""
        f = alert.get("facts") or {}
        fi = self.fi
        out: list[Fact] = []
        if f.get("role"):
            out.append(Fact("Rooli" if fi else "Role", labels.role_name(f["role"], self.lang), "role"))
        if f.get("person_name"):
            out.append(Fact("Henkilö" if fi else "Person", f["person_name"], "person"))
        if f.get("change"):
            out.append(
                Fact("Muutos" if fi else "Change", self.status(f["change"], labels.CHANGE_NAMES), "change")
            )
        if f.get("deal_role"):
            out.append(
                Fact(
                    "Osuus kaupassa" if fi else "Part in the deal",
                    self.status(f["deal_role"], labels.DEAL_ROLE_NAMES),
                    "deal_role",
                )
            )
        if f.get("counterparty"):
            out.append(Fact("Vastapuoli" if fi else "Counterparty", f["counterparty"], "counterparty"))
        if f.get("deadline"):
            day, end = f"{f['deadline']}T12:00:00+00:00", f"{f['deadline']}T23:59:00+00:00"
            out.append(
                Fact("Määräaika" if fi else "Deadline", f"{self.date(day)} ({self.ago(end)})", "deadline")
            )
        if f.get("openings"):
            out.append(Fact("Avoimia paikkoja" if fi else "Openings", f["openings"], "openings"))
        if f.get("offer") == "cross-sell":
            rank = f" #{f['offer_rank']}" if f.get("offer_rank") else ""
            out.append(
                Fact("Tarjous" if fi else "Offer", ("lisämyynti" if fi else "cross-sell") + rank, "offer")
            )
        return out

    # -- rules ------------------------------------------------------------------------------------

    def expand(self, template: str, product_groups: list[str] | None = None) -> str:
        """A rule's text as a rep reads it: ``{company}`` → "the company" / "yritys",
        ``{product_group}`` → its name (the rule's only group) or "the offering" / "tarjooma"."""
        groups = [g for g in (product_groups or []) if g != "*"]

        def word(match: re.Match[str]) -> str:
            if match.group(1) == "company":
                value = "yritys" if self.fi else "the company"
            elif len(groups) == 1:
                return self.product_group(groups[0])
            else:
                value = "tarjooma" if self.fi else "the offering"
            return value[:1].upper() + value[1:] if match.start() == 0 else value

        return _PLACEHOLDER.sub(word, template)
