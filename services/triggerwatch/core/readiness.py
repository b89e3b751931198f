"""Is there anything to match against? The worker alerts only for companies with a target-group
score, so a database without scores can never alert. ``triggerwatch up`` says so at start, the ops
page and ``/api/v1/ops/summary`` carry it, and ``triggerwatch init`` ends with it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triggerwatch.core.db import Company, CompanyScore, Customer, TargetGroup


@dataclass(frozen=True)
class Readiness:
    companies: int
    customers: int
    target_groups: int
    scores: int

    @property
    def can_alert(self) -> bool:
        return self.scores > 0

    def next_step(self) -> str | None:
        """What to do before anything can alert, or None when scores exist."""
        if self.can_alert:
            return None
        if not self.companies:
            return "load the company register: triggerwatch init --registry URL|FILE"
        if not self.customers:
            return "import your customers: triggerwatch init --customers FILE (CSV or Excel)"
        return "train and publish the scores: triggerwatch init (or triggerwatch score train)"

    def warning(self) -> str | None:
        step = self.next_step()
        if step is None:
            return None
        return (
            f"no target-group scores to match against ({self.companies} companies, {self.customers} "
            f"customer rows, {self.target_groups} target groups): nothing can alert. Next: {step}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "can_alert": self.can_alert, "warning": self.warning()}


def readiness(session: Session) -> Readiness:
    def count(model: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)

    return Readiness(count(Company), count(Customer), count(TargetGroup), count(CompanyScore))
