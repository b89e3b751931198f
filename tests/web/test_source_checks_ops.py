"""The ops page shows the last `triggerwatch sources check` (issue 18): a dead enabled source stands out."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.web.conftest import Web
from tests.web.test_ops import login
from triggerwatch.collectors.check import CheckResult, store
from triggerwatch.web.auth import Role


def test_ops_page_shows_the_last_source_check(web: Web) -> None:
    at = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    store(
        web.db,
        [
            CheckResult("nasdaq-helsinki", "nasdaq", True, "live", "ok", True, 200, True, 8, 0, at),
            CheckResult("gone-jobs", "lever", True, "live", "dead", True, 404, True, error="GET …: HTTP 404"),
        ],
        at,
    )
    login(web, Role.OPS)
    page = web.client.get("/ui/ops").text
    ok = re.search(r'<tr class="source-check " data-source="nasdaq-helsinki">(.*?)</tr>', page, re.S)
    dead = re.search(r'<tr class="source-check failing" data-source="gone-jobs">(.*?)</tr>', page, re.S)
    assert ok and "<td>ok</td><td>200</td><td>ok</td><td>8</td>" in ok.group(1)
    assert dead and "dead" in dead.group(1) and "HTTP 404" in dead.group(1)
