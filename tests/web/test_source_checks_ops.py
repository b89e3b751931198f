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
    rows = re.findall(
        r'<tr class="source-check( failing)?" data-source="([^"]+)" data-status="(\w+)">(.*?)</tr>',
        page,
        re.S,
    )
    assert [(bad, name, status) for bad, name, status, _ in rows] == [
        (" failing", "gone-jobs", "dead"),  # a dead enabled source first, marked
        ("", "nasdaq-helsinki", "ok"),
    ]
    dead, ok = rows[0][3], rows[1][3]
    assert "does not work" in dead and "HTTP 404" in dead and "<td>404</td>" in dead
    assert "works" in ok and "<td>200</td>" in ok and '<td class="num">8</td>' in ok
    warning = re.search(r'<p class="warning" id="dead-sources" role="alert">(.*?)</p>', page)
    assert warning and warning.group(1) == "<strong>Enabled sources that do not work:</strong> gone-jobs"
    web.client.get("/lang/fi")
    assert "ei toimi" in web.client.get("/ui/ops").text


def test_the_web_service_names_the_same_dead_check_statuses_as_sources_check() -> None:
    from triggerwatch.collectors.check import DEAD
    from triggerwatch.web.ops_queries import DEAD_CHECKS

    assert DEAD_CHECKS == DEAD
